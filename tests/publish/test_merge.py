"""`synthgen merge`: one kind, ordered, each id once, SFT near-duplicates across runs, funnels summed."""

from __future__ import annotations

import hashlib
import json
import shutil

import pyarrow.parquet as pq
import pytest
import yaml
from cli_helpers import assert_one_line_error, run
from datasets import load_dataset
from preference_fakes import make_judge

import synthgen
from synthgen.backends.base import GenerationRequest
from synthgen.backends.fake import FakeBackend, pseudo_sentence
from synthgen.errors import SynthgenError


def rows_of(folder) -> list[dict]:
    return pq.read_table(folder / "data" / "train-00000-of-00001.parquet").to_pylist()


def test_two_sft_runs_merge_in_order_and_load(tmp_path):
    a = synthgen.instructions(6, tmp_path / "a", backend=FakeBackend(), seed=1, progress=False)
    b = synthgen.instructions(5, tmp_path / "b", backend=FakeBackend(), seed=2, progress=False)
    result = synthgen.merge([a.out, b.out], tmp_path / "m")
    merged = load_dataset(str(tmp_path / "m"), split="train").to_list()
    assert [r["id"] for r in merged] == [r["id"] for r in rows_of(a.out) + rows_of(b.out)]
    assert result.rows == {"default": 11} and result.dropped == {}
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["counters"]["attempts"] == a.counters["attempts"] + b.counters["attempts"]
    assert [s["rows"] for s in manifest["merged_from"]] == [6, 5]
    card = (tmp_path / "m" / "README.md").read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["dataset_info"]["splits"][0]["num_examples"] == 11 and "merged" in meta["tags"]
    assert str(a.out.resolve()) in card and str(b.out.resolve()) in card


def test_repeated_ids_are_kept_once(tmp_path):
    a = synthgen.instructions(6, tmp_path / "a", backend=FakeBackend(), seed=1, progress=False)
    result = synthgen.merge([a.out, a.out], tmp_path / "m")
    assert result.rows == {"default": 6} and result.dropped == {"duplicate_id": 6}
    assert synthgen.info(tmp_path / "m").funnel["dropped_by_merge"] == {"duplicate_id": 6}


def _same_instructions(request: GenerationRequest) -> str:
    """Magpie turns that depend only on the attempt index, so two seeds write the same instructions."""
    if request.prompt is not None:
        return pseudo_sentence(hashlib.sha256(b"shared" + bytes([request.seed % 3])).digest(), words=12)
    return pseudo_sentence(hashlib.sha256(repr(request.messages).encode()).digest(), words=20)


def test_near_duplicate_instructions_across_sft_runs_are_dropped(tmp_path):
    fake = FakeBackend(_same_instructions)
    a = synthgen.instructions(2, tmp_path / "a", backend=fake, method="magpie", seed=1, progress=False)
    b = synthgen.instructions(2, tmp_path / "b", backend=fake, method="magpie", seed=5, progress=False)
    users = [next(m["content"] for m in r["messages"] if m["role"] == "user") for r in rows_of(a.out) + rows_of(b.out)]
    result = synthgen.merge([a.out, b.out], tmp_path / "m")
    distinct = len(set(users))
    assert distinct < len(users), "the fixture must repeat an instruction across the runs"
    assert result.rows["default"] == distinct
    assert sum(result.dropped.values()) == len(users) - distinct
    assert set(result.dropped) <= {"cross_run_exact_duplicate", "cross_run_near_duplicate"}


def test_preference_runs_merge_their_reward_config_too(tmp_path):
    a = synthgen.preferences(2, tmp_path / "a", backend=make_judge(), export="reward", seed=1, progress=False)
    b = synthgen.preferences(2, tmp_path / "b", backend=make_judge(), export="reward", seed=2, progress=False)
    result = synthgen.merge([a.out, b.out], tmp_path / "m")
    assert result.kind == "dpo" and result.rows == {"default": 4, "reward": 4}
    reward = load_dataset(str(tmp_path / "m"), "reward", split="train").to_list()
    assert [r["id"] for r in reward] == [r["id"] for r in load_dataset(str(tmp_path / "m"), split="train")]


def test_refusals(tmp_path):
    sft = synthgen.instructions(3, tmp_path / "sft", backend=FakeBackend(), progress=False).out
    math = synthgen.math(3, tmp_path / "math", progress=False).out
    with pytest.raises(SynthgenError, match="different kinds: grpo, sft"):
        synthgen.merge([sft, math], tmp_path / "m")
    other_model = tmp_path / "other"
    shutil.copytree(sft, other_model)
    manifest = json.loads((other_model / "manifest.json").read_text())
    manifest["model"]["sha256"] = "f" * 64
    (other_model / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SynthgenError, match="--allow-mixed-models"):
        synthgen.merge([sft, other_model], tmp_path / "m")
    result = synthgen.merge([sft, other_model], tmp_path / "m", allow_mixed_models=True)
    assert result.dropped == {"duplicate_id": 3}
    assert "Made by more than one model" in (tmp_path / "m" / "README.md").read_text()
    with pytest.raises(SynthgenError, match="--overwrite"):
        synthgen.merge([sft], tmp_path / "m")
    with pytest.raises(SynthgenError, match="did not write"):
        synthgen.merge([sft], math)
    manifest["status"] = "interrupted"
    (other_model / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SynthgenError, match="--allow-partial"):
        synthgen.merge([other_model], tmp_path / "m2")


def test_cli(tmp_path):
    a = synthgen.logic(3, tmp_path / "a", seed=1, progress=False).out
    b = synthgen.logic(3, tmp_path / "b", seed=2, progress=False).out
    proc = run("merge", str(a), str(b), "--out", str(tmp_path / "m"))
    assert proc.returncode == 0, proc.stderr
    assert "merged 2 grpo runs" in proc.stdout
    assert_one_line_error(run("merge", str(a), "--out", str(a)), "one of the runs being merged")
