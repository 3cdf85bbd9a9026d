"""Sharded runs of every generating command on the fake backend (or no model): shards by hand,
the local executor, shard 0 of 1 against today's run, resume, finished shards, merge refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import assert_kept_incomplete, journal_records
from datasets import load_dataset
from preference_fakes import make_judge

import synthgen
from synthgen.backends.base import Completion, GenerationRequest
from synthgen.backends.fake import FakeBackend
from synthgen.errors import SynthgenError

# command -> (API function, n, keyword options with a fresh backend each call)
COMMANDS = {
    "instructions": (synthgen.instructions, 10, lambda: {"backend": FakeBackend(), "seed": 3}),
    "preferences": (synthgen.preferences, 5, lambda: {"backend": make_judge(), "seed": 1, "export": "reward"}),
    "math": (synthgen.math, 12, lambda: {"seed": 2}),
    "logic": (synthgen.logic, 10, lambda: {"seed": 4}),
}


def rows_of(folder: Path) -> list[dict]:
    return pq.read_table(folder / "data" / "train-00000-of-00001.parquet").to_pylist()


def by_hand(command: str, root: Path, count: int, indexes=None) -> list:
    fn, n, options = COMMANDS[command]
    return [fn(n, root, shard_index=k, num_shards=count, progress=False, **options())
            for k in (range(count) if indexes is None else indexes)]  # fmt: skip


@pytest.mark.parametrize("command", list(COMMANDS))
def test_shards_run_separately_and_merged_equal_the_local_executor(tmp_path, command):
    fn, n, options = COMMANDS[command]
    parts = by_hand(command, tmp_path / "hand", 3)
    assert [p.rows for p in parts] == [len(range(k, n, 3)) for k in range(3)]  # n // 3 each, first n % 3 one more
    merged = synthgen.merge([tmp_path / "hand"], tmp_path / "hand-merged")
    result = fn(n, tmp_path / "local", num_shards=3, progress=False, **options())
    hand, local = rows_of(tmp_path / "hand-merged"), rows_of(tmp_path / "local")
    assert hand == local and len(local) == n == result.rows == merged.rows["default"]
    assert len({row["id"] for row in local}) == n
    assert load_dataset(str(tmp_path / "local"), split="train").to_list() == local, "load_dataset(R): merged rows only"
    if command == "preferences":
        assert rows_of_config(tmp_path / "local", "reward") == rows_of_config(tmp_path / "hand-merged", "reward")
    manifest = json.loads((tmp_path / "local" / "manifest.json").read_text())
    assert manifest["command"] == "merge" and manifest["sharded"][0]["merged"] == [0, 1, 2]
    shard_rows = [r for k in range(3) for r in rows_of(tmp_path / "local" / "shards" / f"{k:05d}-of-00003")]
    assert shard_rows == local, "shards in index order, each row once"


def rows_of_config(folder: Path, config: str) -> list[dict]:
    return load_dataset(str(folder), config, split="train").to_list()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_one_shard_of_one_is_exactly_the_unsharded_run(tmp_path, command):
    fn, n, options = COMMANDS[command]
    plain = fn(n, tmp_path / "plain", progress=False, **options())
    (shard,) = by_hand(command, tmp_path / "sharded", 1)
    assert shard.out == tmp_path / "sharded" / "shards" / "00000-of-00001"
    assert rows_of(shard.out) == rows_of(plain.out)  # ids, messages / prompt, chosen, rejected, every column
    same = json.loads((plain.out / "manifest.json").read_text())["fingerprint"]
    assert json.loads((shard.out / "manifest.json").read_text())["fingerprint"] == same
    assert json.loads((tmp_path / "sharded" / "sharding.json").read_text())["fingerprint"] == same


def test_attempt_spans_of_the_shards_never_overlap(tmp_path):
    by_hand("instructions", tmp_path / "sft", 3)
    by_hand("math", tmp_path / "math", 3)
    for root, key, factor, spare in ((tmp_path / "sft", "attempt", 20, 0), (tmp_path / "math", "slot", 3, 100)):
        starts = [0]
        for k, rows in enumerate((4, 3, 3) if key == "attempt" else (4, 4, 4)):
            used = [r[key] for r in journal_records(root / "shards" / f"{k:05d}-of-00003")]
            assert starts[-1] <= min(used) and max(used) < starts[-1] + rows * factor + spare
            starts.append(starts[-1] + rows * factor + spare)


def test_an_interrupted_shard_resumes_to_the_uninterrupted_result(tmp_path):
    reference = by_hand("instructions", tmp_path / "ref", 3, [1])[0]
    calls = {"n": 0}

    def dies(request: GenerationRequest) -> str | Completion:
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt
        return FakeBackend()._one(request)

    root = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        synthgen.instructions(10, root, seed=3, shard_index=1, num_shards=3, batch_size=2, progress=False,
                              backend=FakeBackend(responder=dies))  # fmt: skip
    folder = root / "shards" / "00001-of-00003"
    assert 0 < len(journal_records(folder)) and not (root / "completions" / "00001").exists()
    assert_kept_incomplete(folder, "interrupted")
    with pytest.raises(SynthgenError, match=r"shard\(s\) 0, 1, 2 of 3 have not finished"):
        synthgen.merge([root], tmp_path / "m", allow_partial=False)
    resumed = synthgen.instructions(10, root, seed=3, shard_index=1, num_shards=3, batch_size=2, progress=False,
                                    backend=FakeBackend())  # fmt: skip
    assert rows_of(resumed.out) == rows_of(reference.out)
    assert (root / "completions" / "00001").exists()


def test_rerunning_a_finished_shard_does_nothing(tmp_path, capsys):
    (first,) = by_hand("instructions", tmp_path / "run", 3, [2])
    folder = first.out
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != ".synthgen.lock"}
    fake = FakeBackend()
    again = synthgen.instructions(10, tmp_path / "run", seed=3, shard_index=2, num_shards=3, backend=fake)
    assert fake.history == [], "no backend call"
    assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != ".synthgen.lock"} == before
    assert (again.out, again.rows, again.counters) == (first.out, first.rows, first.counters)
    assert "shard 2 of 3 is already complete" in capsys.readouterr().err
    executor = FakeBackend()
    synthgen.instructions(10, tmp_path / "other", seed=3, num_shards=2, backend=executor, progress=False)
    calls = len(executor.history)
    synthgen.instructions(10, tmp_path / "other", seed=3, num_shards=2, backend=executor, progress=False)
    assert len(executor.history) == calls, "a finished sharded run reruns nothing, it only merges again"


def test_merge_refuses_until_every_marker_exists_unless_allow_partial(tmp_path):
    parts = by_hand("math", tmp_path / "run", 4, [0, 2])
    with pytest.raises(SynthgenError) as info:
        synthgen.merge([tmp_path / "run"], tmp_path / "m")
    message = str(info.value)
    assert "\n" not in message and "shard(s) 1, 3 of 4 have not finished" in message and "--allow-partial" in message
    assert not (tmp_path / "m").exists()
    result = synthgen.merge([tmp_path / "run"], tmp_path / "m", allow_partial=True)
    assert result.rows == {"default": sum(p.rows for p in parts)} and result.inputs == 2
    assert rows_of(tmp_path / "m") == rows_of(parts[0].out) + rows_of(parts[1].out)
    sharded = json.loads((tmp_path / "m" / "manifest.json").read_text())["sharded"][0]
    assert (sharded["merged"], sharded["missing"], sharded["num_shards"]) == ([0, 2], [1, 3], 4)
    by_hand("math", tmp_path / "run", 4, [1, 3])
    assert synthgen.merge([tmp_path / "run"], tmp_path / "m2").rows == {"default": 12}


def test_the_merged_card_points_load_dataset_at_data_only(tmp_path):
    synthgen.logic(10, tmp_path / "run", seed=4, num_shards=2, progress=False)
    card = (tmp_path / "run" / "README.md").read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["configs"][0]["data_files"] == [{"split": "train", "path": "data/train-*.parquet"}]
    assert len(list((tmp_path / "run").rglob("*.parquet"))) == 3, "two shards and the merge"
    assert load_dataset(str(tmp_path / "run"), split="train").num_rows == 10
    assert synthgen.info(tmp_path / "run").rows == {"default": 10}


def test_prompts_from_gives_each_shard_a_contiguous_slice(tmp_path):
    source = tmp_path / "prompts.jsonl"
    source.write_text("".join(json.dumps({"prompt": f"Question number {i}: why is the sky blue?"}) + "\n"
                              for i in range(12)))  # fmt: skip
    for k in range(2):
        synthgen.preferences(2, tmp_path / "run", prompts_from=source, shard_index=k, num_shards=2,
                             backend=make_judge(), progress=False)  # fmt: skip
        records = journal_records(tmp_path / "run" / "shards" / f"{k:05d}-of-00002")
        assert all(6 * k <= r["attempt"] < 6 * (k + 1) for r in records)
        for row in rows_of(tmp_path / "run" / "shards" / f"{k:05d}-of-00002"):
            number = int(row["prompt"][-1]["content"].split()[2].rstrip(":"))
            assert 6 * k <= number < 6 * (k + 1)


def test_a_backend_factory_is_called_once_per_shard(tmp_path):
    made = []

    def factory():
        made.append(FakeBackend())
        return made[-1]

    result = synthgen.instructions(10, tmp_path / "run", seed=3, num_shards=3, backend=factory, progress=False)
    assert result.rows == 10 and len(made) == 3 and all(b.history for b in made)


def test_emitting_from_a_sharded_run_is_refused(tmp_path):
    with pytest.raises(SynthgenError, match="--emit-sft/--emit-dpo cannot be combined with --num-shards"):
        synthgen.math(4, tmp_path / "run", num_shards=2, solve=2, emit_sft=tmp_path / "sft", backend=FakeBackend())
