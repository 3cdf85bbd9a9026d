"""run/shards.py: which rows and attempts a shard owns, the option checks, and sharding.json."""

from __future__ import annotations

import json

import pytest
from datasets import Dataset

from synthgen.errors import SynthgenError
from synthgen.run.shards import Shard, ShardPart, name_indexes


@pytest.mark.parametrize("n", [1, 2, 7, 10, 13, 100])
def test_rows_are_the_contiguous_shards_of_datasets(n):
    table = Dataset.from_dict({"i": list(range(n))})
    for count in range(1, min(n, 6) + 1):
        for k in range(count):
            expected = table.shard(count, k, contiguous=True)["i"]
            assert list(Shard(k, count).rows(n)) == expected, (n, count, k)


@pytest.mark.parametrize("budget", [lambda rows: rows * 20, lambda rows: rows * 3 + 100, lambda rows: 30 * rows + 50])
def test_attempt_spans_tile_the_whole_budget_without_overlap(budget):
    n = 11
    assert Shard(0, 1).attempts(n, budget) == range(budget(n)), "shard 0 of 1 is the unsharded run"
    for count in (2, 3, 4, 11):
        spans = [Shard(k, count).attempts(n, budget) for k in range(count)]
        assert spans[0].start == 0
        assert all(a.stop == b.start for a, b in zip(spans, spans[1:], strict=False)), "contiguous, disjoint"
        assert [len(s) for s in spans] == [budget(len(Shard(k, count).rows(n))) for k in range(count)]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"shard_index": 0}, "--shard-index needs --num-shards"),
        ({"shard_index": 3, "num_shards": 3}, "--shard-index must be below --num-shards (0 to 2), got 3"),
        ({"shard_index": -1, "num_shards": 3}, "--shard-index must be a non-negative integer, got -1"),
        ({"num_shards": 0}, "--num-shards must be a positive integer, got 0"),
        ({"num_shards": 11}, "--num-shards must be at most --n (10), got 11"),
        ({"num_shards": 2, "executor": "slurm"}, "--executor must be one of local, ray, got 'slurm'"),
        ({"executor": "ray"}, "--executor ray runs the shards of a run; it needs --num-shards"),
        ({"shard_index": 0, "num_shards": 2, "executor": "ray"}, "drop --shard-index"),
        ({"shard_index": 0, "num_shards": 2, "out": None}, "--shard-index needs --out"),
    ],
)
def test_option_checks_are_one_line(tmp_path, options, message):
    given = {"out": tmp_path / "run", "shard_index": None, "num_shards": None, "executor": "local", **options}
    with pytest.raises(SynthgenError) as info:
        ShardPart.of("instructions", 10, given["out"], given["shard_index"], given["num_shards"], given["executor"])
    assert message in str(info.value) and "\n" not in str(info.value)
    assert info.value.exit_code == 2


def test_an_unsharded_part_changes_nothing(tmp_path):
    part = ShardPart.of("math", 9, tmp_path / "run", None, None, "local")
    assert (part.count, part.out, part.rows, part.section()) == (9, tmp_path / "run", range(9), {})
    assert part.attempts(lambda rows: rows * 3 + 100) == range(127)
    part.claim("abc")
    part.finish()
    assert not (tmp_path / "run").exists(), "no sharding.json, no marker"


def test_the_first_shard_claims_the_folder_and_the_others_must_agree(tmp_path):
    root = tmp_path / "run"
    ShardPart.of("math", 9, root, 0, 3, "local").claim("f1")
    assert json.loads((root / "sharding.json").read_text()) == {
        "command": "math",
        "num_shards": 3,
        "n": 9,
        "fingerprint": "f1",
    }
    ShardPart.of("math", 9, root, 2, 3, "local").claim("f1")  # agrees
    with pytest.raises(SynthgenError, match="fingerprint f1; this one has fingerprint f2"):
        ShardPart.of("math", 9, root, 1, 3, "local").claim("f2")
    with pytest.raises(SynthgenError, match="split by another run .*n 9; this one has n 10"):
        ShardPart.of("math", 10, root, 1, 3, "local")  # checked before anything loads
    with pytest.raises(SynthgenError, match="command math; this one has command logic"):
        ShardPart.of("logic", 9, root, 1, 3, "local")
    with pytest.raises(SynthgenError, match="is a sharded run folder"):
        ShardPart.of("math", 9, root, None, None, "local")
    assert sorted(p.name for p in root.iterdir()) == ["sharding.json"], "no temporary file left behind"


def test_a_sharded_run_refuses_an_unsharded_folder(tmp_path):
    root = tmp_path / "run"
    root.mkdir()
    (root / "journal.jsonl").write_text("")
    with pytest.raises(SynthgenError, match="holds an unsharded run"):
        ShardPart.of("math", 9, root, 0, 3, "local")


def test_marker_and_section(tmp_path):
    part = ShardPart.of("math", 10, tmp_path / "run", 1, 3, "local", progress=False)
    assert part.out == tmp_path / "run" / "shards" / "00001-of-00003"
    assert (part.count, part.rows) == (3, range(4, 7))
    assert part.section()["shard"] == {
        "index": 1,
        "count": 3,
        "rows": [4, 7],
        "run_n": 10,
        "run_folder": str(tmp_path / "run"),
    }
    assert not part.done
    part.finish()
    assert (tmp_path / "run" / "completions" / "00001").is_file()
    assert not part.done, "a marker without a complete manifest in the shard's folder does not count"


def test_name_indexes_stays_one_short_line():
    assert name_indexes([1, 3]) == "1, 3"
    assert name_indexes(list(range(40))) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 (and 30 more)"
