"""`synthgen.math` / `synthgen.logic` runs: exact n, balance, resume, dedup, exclude, load_dataset, CLI errors."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from cli_helpers import assert_one_line_error, run
from conftest import assert_kept_incomplete, journal_records, manifest

import synthgen
from synthgen.errors import SynthgenError
from synthgen.grpo import loop as problems_loop


def test_exact_n_balanced_rows_load_offline_in_grpo_shape(tmp_path):
    result = synthgen.math(46, tmp_path / "run", difficulty="1-5", progress=False)
    ds = result.dataset()
    assert len(ds) == 46 and result.rows == 46
    rows = ds.to_list()
    families = Counter(r["family"] for r in rows)
    assert len(families) == 23 and set(families.values()) == {2}  # round robin over 23 families
    assert len({r["id"] for r in rows}) == 46
    for row in rows:
        assert [m["role"] for m in row["prompt"]] == ["system", "user"]
        assert row["prompt"][1]["content"] == row["question"]
        assert "\\boxed{}" in row["prompt"][0]["content"]
        assert isinstance(row["answer"], str) and isinstance(row["solution"], str)
        assert json.loads(row["verification"])["method"] == row["answer_type"]
        assert row["pass_rate"] is None and row["source"] == "procedural" and 1 <= row["difficulty"] <= 5
    assert ds.features["verification"].dtype == "string" and ds.features["seed"].dtype == "int64"
    card = (tmp_path / "run" / "README.md").read_text()
    assert "configs:" in card and "dataset_info:" in card and "alg.linear_system" in card
    meta = manifest(tmp_path / "run")
    assert meta["status"] == "complete" and meta["counters"]["accepted"] == 46
    assert meta["config"]["levels"] == [1, 2, 3, 4, 5] and "versions" in meta


def test_levels_cycle_per_family_and_group_selection(tmp_path):
    rows = synthgen.math(12, tmp_path / "run", families="arithmetic", difficulty="2,4", progress=False)
    rows = rows.dataset().to_list()
    assert [r["family"] for r in rows[:4]] == ["arith.modular", "arith.rational_chain"] * 2
    assert [r["difficulty"] for r in rows[:4]] == [2, 2, 4, 4]


def test_logic_rows_and_exact_family_names(tmp_path):
    result = synthgen.logic(6, tmp_path / "run", families="knights,logic.ordering", progress=False)
    rows = result.dataset().to_list()
    assert [r["family"] for r in rows] == ["logic.knights_knaves", "logic.ordering"] * 3
    assert {r["answer_type"] for r in rows} == {"knights", "ordering"}


def test_same_seed_reproduces_and_seed_changes_rows(tmp_path):
    a = synthgen.math(10, tmp_path / "a", seed=3, progress=False).dataset().to_list()
    b = synthgen.math(10, tmp_path / "b", seed=3, progress=False).dataset().to_list()
    c = synthgen.math(10, tmp_path / "c", seed=4, progress=False).dataset().to_list()
    assert a == b
    assert [r["id"] for r in a] != [r["id"] for r in c]


def test_duplicates_are_redrawn_and_counted(tmp_path):
    result = synthgen.math(60, tmp_path / "run", families="calc.limit", difficulty="1", progress=False)
    rows = result.dataset().to_list()
    assert len(rows) == 60 and len({r["id"] for r in rows}) == 60
    rejections = manifest(tmp_path / "run")["counters"]["rejections_by_family"]["calc.limit"]
    assert rejections.get("duplicate", 0) > 0  # level 1 has ~150 distinct limits: 60 draws collide


def test_exclude_skips_ids_of_another_run(tmp_path):
    first = synthgen.math(10, tmp_path / "a", families="alg.linear_1d", difficulty="1", progress=False)
    second = synthgen.math(
        10, tmp_path / "b", families="alg.linear_1d", difficulty="1", exclude=first.out, progress=False
    )
    ids_a = {r["id"] for r in first.dataset().to_list()}
    ids_b = {r["id"] for r in second.dataset().to_list()}
    assert not ids_a & ids_b
    assert manifest(second.out)["counters"]["rejections_by_family"]["alg.linear_1d"]["excluded"] >= 10
    with pytest.raises(SynthgenError, match="no data"):
        synthgen.math(2, tmp_path / "c", exclude=tmp_path / "missing", progress=False)


def test_resume_after_torn_journal_equals_uninterrupted_run(tmp_path):
    reference = synthgen.math(20, tmp_path / "ref", progress=False).dataset().to_list()
    out = tmp_path / "run"
    synthgen.math(20, out, progress=False)
    journal = out / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:7]) + lines[7][: len(lines[7]) // 2])
    (out / "data" / "train-00000-of-00001.parquet").unlink()
    resumed = synthgen.math(20, out, progress=False).dataset().to_list()
    assert resumed == reference
    slots = [r["slot"] for r in journal_records(out)]
    assert slots == list(range(20))


def test_interrupt_mid_run_keeps_rows_and_same_command_resumes(tmp_path, monkeypatch):
    reference = synthgen.math(30, tmp_path / "ref", progress=False).dataset().to_list()
    real = problems_loop.make_problem
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 21:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(problems_loop, "make_problem", flaky)
    with pytest.raises(KeyboardInterrupt):
        synthgen.math(30, tmp_path / "run", progress=False)
    kept = [r["row"] for r in journal_records(tmp_path / "run") if r.get("row")]
    assert assert_kept_incomplete(tmp_path / "run", "interrupted") == kept
    assert len(journal_records(tmp_path / "run")) == 16  # the first batch of 16 slots was journaled
    monkeypatch.setattr(problems_loop, "make_problem", real)
    resumed = synthgen.math(30, tmp_path / "run", progress=False).dataset().to_list()
    assert resumed == reference


def test_more_rows_on_a_finished_folder_continue_it(tmp_path):
    synthgen.math(5, tmp_path / "run", progress=False)
    bigger = synthgen.math(9, tmp_path / "run", progress=False).dataset().to_list()
    assert bigger == synthgen.math(9, tmp_path / "ref", progress=False).dataset().to_list()


def test_other_options_on_same_folder_are_refused(tmp_path):
    synthgen.math(3, tmp_path / "run", progress=False)
    with pytest.raises(SynthgenError, match="different configuration"):
        synthgen.math(3, tmp_path / "run", difficulty="4", progress=False)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["math", "--families", "geometry"], "unknown family 'geometry'"),
        (["math", "--families", "sat"], "logic family"),
        (["logic", "--families", "algebra"], "math family"),
        (["math", "--difficulty", "0-9"], "between 1 and 5"),
        (["math", "--difficulty", "easy"], "--difficulty"),
        (["math", "--source", "llm"], "--source"),
        (["logic", "--source", "model"], "only available for `synthgen math`"),
        (["math", "--word-problems", "--families", "numtheory.gcd"], "cannot rewrite numtheory.gcd"),
        (["math", "--source", "model", "--families", "algebra"], "--families picks procedural families"),
        (["math", "--n", "0"], "--n"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(tmp_path, args, fragment):
    assert_one_line_error(run(*args, "--out", str(tmp_path / "out")), fragment)


@pytest.mark.parametrize("command", ["math", "logic"])
def test_cli_help_explains_every_option_and_cli_runs(tmp_path, command):
    proc = run(command, "--help")
    assert proc.returncode == 0
    for option in ("--n", "--out", "--families", "--difficulty", "--seed", "--source", "--exclude", "--overwrite"):
        assert option in proc.stdout
    proc = run(command, "--n", "4", "--out", str(tmp_path / "o"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "done: 4 rows" in proc.stdout
