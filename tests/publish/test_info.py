"""`synthgen info`: the facts of a run folder, and a command line that makes the same run."""

from __future__ import annotations

import json
import shlex

from cli_helpers import assert_one_line_error, run
from preference_fakes import make_judge

import synthgen
from synthgen.backends.fake import FakeBackend


def test_facts_of_each_kind(tmp_path):
    synthgen.instructions(5, tmp_path / "sft", backend=FakeBackend(), seed=4, progress=False)
    synthgen.preferences(2, tmp_path / "dpo", backend=make_judge(), export="reward", progress=False)
    sft, dpo = synthgen.info(tmp_path / "sft"), synthgen.info(tmp_path / "dpo")
    assert (sft.kind, sft.command, sft.status, sft.finished, sft.rows, sft.seed) == (
        "sft", "instructions", "complete", True, {"default": 5}, 4,
    )  # fmt: skip
    assert sft.funnel["kept"] == 5 and sft.funnel["attempts"] >= 5 and sft.model["name"] == "fake"
    assert dpo.kind == "dpo" and dpo.rows == {"default": 2, "reward": 2}
    assert sft.splits == {"default": ["train"]} and dpo.splits == {"default": ["train"], "reward": ["train"]}
    assert "--export reward" in dpo.remake and "--seed 0" in dpo.remake


def test_the_remake_command_resumes_the_same_run(tmp_path):
    out = tmp_path / "math run"
    synthgen.math(6, out, families="algebra", difficulty="2,4", seed=3, progress=False)
    facts = synthgen.info(out)
    assert facts.kind == "grpo" and facts.funnel["kept"] == 6
    args = shlex.split(facts.remake)
    assert args[:2] == ["synthgen", "math"] and str(out) in args
    proc = run(*args[1:], "--quiet")  # the same fingerprint: a resume, not a refusal
    assert proc.returncode == 0, proc.stderr
    assert "done: 6 rows" in proc.stdout


def test_cli_text_and_json(tmp_path):
    synthgen.logic(4, tmp_path / "logic", progress=False)
    text = run("info", str(tmp_path / "logic"))
    assert text.returncode == 0 and "grpo (logic), complete" in text.stdout and "rows: default 4" in text.stdout
    as_json = json.loads(run("info", str(tmp_path / "logic"), "--json").stdout)
    assert as_json["rows"] == {"default": 4} and as_json["finished"] is True


def test_not_a_run_folder_is_a_one_line_error(tmp_path):
    assert_one_line_error(run("info", str(tmp_path)), "no manifest.json")
    assert_one_line_error(run("info", str(tmp_path / "nope")), "not a folder")
