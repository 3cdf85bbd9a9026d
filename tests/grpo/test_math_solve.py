"""`--solve K`: pass rates, the --keep-pass-rate band with top-up, --emit-sft / --emit-dpo, resume.

The FakeBackend's responder plays a policy whose correctness is a hash of (question, attempt
seed): right ("\\boxed{<gold>}"), wrong ("\\boxed{123456789}") or no answer. Expected pass rates
are recomputed from that same rule and the seeds the stage must use, never written down.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from cli_helpers import assert_one_line_error, run
from conftest import assert_kept_incomplete, journal_records, manifest
from preference_contract import check_dataset, is_conversational

import synthgen
from synthgen.backends.fake import FakeBackend
from synthgen.errors import SynthgenError
from synthgen.grpo.solve.stage import attempt_seed

K = 4


@pytest.fixture(scope="module")
def golds(tmp_path_factory) -> dict[str, str]:
    """question -> canonical answer for the first slots of the default math run (no model needed)."""
    out = tmp_path_factory.mktemp("ref") / "ref"
    return {r["question"]: r["answer"] for r in synthgen.math(120, out, progress=False).dataset()}


def verdict_of(question: str, seed: int) -> str:
    h = int(hashlib.sha256(f"{question}|{seed}".encode()).hexdigest(), 16)
    return "correct" if h % 2 else ("wrong" if h % 4 == 2 else "no_answer")


def policy(golds: dict[str, str], fail_after: int | None = None):
    calls = []

    def respond(request) -> str:
        calls.append(request)
        if fail_after is not None and len(calls) > fail_after:
            raise KeyboardInterrupt  # a run stopped mid-way, as Ctrl-C would
        question = request.messages[-1].content
        kind = verdict_of(question, request.seed)
        if kind == "correct":
            return f"Work for seed {request.seed}.\nSo the answer is \\boxed{{{golds[question]}}}."
        if kind == "wrong":
            return f"Guess for seed {request.seed}: \\boxed{{123456789}}"
        return f"I am not sure (seed {request.seed})."

    return respond


def expected_rate(row: dict, k: int = K, run_seed: int = 0) -> float:
    seeds = [attempt_seed(run_seed, row["id"], i) for i in range(k)]
    return sum(verdict_of(row["question"], s) == "correct" for s in seeds) / k


def test_pass_rate_is_the_share_of_verified_attempts_batched_per_stage(tmp_path, golds):
    fake = FakeBackend(policy(golds))
    result = synthgen.math(6, tmp_path / "run", solve=K, backend=fake, progress=False)
    rows = result.dataset().to_list()
    assert len(rows) == 6
    for row in rows:
        assert row["pass_rate"] == expected_rate(row) and row["pass_rate_k"] == K
    assert fake.batches == [6 * K]  # no band: one generate call holding every attempt of the batch
    assert {r.seed for r in fake.history} == {attempt_seed(0, row["id"], i) for row in rows for i in range(K)}
    assert all(r.params.temperature == 1.0 and r.params.top_p == 1.0 for r in fake.history)
    assert [m.role for m in fake.history[0].messages] == ["system", "user"]
    solve = result.solve
    assert solve["attempts"] == 6 * K and sum(solve["pass_rate_histogram"].values()) == 6
    assert solve["pass_rate_histogram"] == {
        f"{c}/{K}": sum(expected_rate(r) == c / K for r in rows) for c in range(K + 1)
    }
    for record in journal_records(tmp_path / "run"):
        assert [a["attempt"] for a in record["attempts"]] == list(range(K))
        assert all(a["reason"] == verdict_of(record["row"]["question"], a["seed"]) for a in record["attempts"])
    assert manifest(tmp_path / "run")["model"]["name"] == "fake"
    assert "## Pass rates" in (tmp_path / "run" / "README.md").read_text()


def test_band_keeps_only_in_band_problems_and_still_tops_up_to_n(tmp_path, golds):
    result = synthgen.math(
        10, tmp_path / "run", solve=K, keep_pass_rate="0.25-0.75", backend=FakeBackend(policy(golds)), progress=False
    )
    rows = result.dataset().to_list()
    assert len(rows) == 10 and len({r["id"] for r in rows}) == 10
    assert all(0.25 <= r["pass_rate"] <= 0.75 for r in rows)
    records = journal_records(tmp_path / "run")
    rejected = [r for r in records if r["status"] == "rejected"]
    assert rejected, "the responder's pass rates are spread: some problem must fall outside the band"
    for record in rejected:
        rate = expected_rate(record["problem_row"])
        assert record["reason"] == ("pass_rate_below" if rate < 0.25 else "pass_rate_above")
    reasons = result.counters["rejected_slots"]
    assert sum(reasons.values()) == len(rejected) == result.counters["slots"] - 10
    assert result.solve["pass_rate_histogram_kept"]["0/4"] == result.solve["pass_rate_histogram_kept"]["4/4"] == 0


def test_emit_sft_and_dpo_are_loadable_trl_datasets_with_verified_content(tmp_path, golds):
    from datasets import load_dataset

    sft_dir, dpo_dir = tmp_path / "sft", tmp_path / "dpo"
    result = synthgen.math(
        8, tmp_path / "run", solve=K, keep_pass_rate="0.25-1", emit_sft=sft_dir, emit_dpo=dpo_dir,
        backend=FakeBackend(policy(golds)), progress=False,
    )  # fmt: skip
    records = journal_records(tmp_path / "run")
    solved = [(r.get("row") or r["problem_row"], r["attempts"], r["status"] == "accepted") for r in records]

    sft = load_dataset(str(sft_dir), split="train").to_list()
    want_sft = sum(a["reason"] == "correct" for _, attempts, _ in solved for a in attempts)
    assert len(sft) == want_sft == result.emitted["sft"]["rows"] > 0
    for row in sft:
        assert is_conversational(row) and [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
        question = row["messages"][1]["content"]
        assert verdict_of(question, row["seed"]) == "correct"
        assert f"\\boxed{{{golds[question]}}}" in row["messages"][-1]["content"] and row["answer"] == golds[question]
        assert row["pass_rate_k"] == K and row["pass_rate"] > 0
    kept_ids = {r["id"] for r in result.dataset()}
    assert all(r["in_grpo_dataset"] == (r["problem_id"] in kept_ids) for r in sft)

    dpo = load_dataset(str(dpo_dir), split="train").to_list()
    check_dataset(dpo, explicit=True)  # TRL's explicit-prompt conversational preference contract
    per_problem: dict[str, int] = {}
    for row in dpo:
        question = row["prompt"][-1]["content"]
        assert verdict_of(question, row["chosen_seed"]) == "correct"
        assert verdict_of(question, row["rejected_seed"]) == row["rejected_reason"] != "correct"
        assert [m["role"] for m in row["prompt"]] == ["system", "user"]
        per_problem[row["problem_id"]] = per_problem.get(row["problem_id"], 0) + 1
    want = {
        row["id"]: min(sum(a["score"] == 1 for a in tries), sum(a["score"] == 0 for a in tries))
        for row, tries, _ in solved
    }
    assert per_problem == {pid: n for pid, n in want.items() if n}
    for folder in (sft_dir, dpo_dir):
        card = (folder / "README.md").read_text()
        assert "configs:" in card and "dataset_info:" in card and "No judge" in card
        assert json.loads((folder / "manifest.json").read_text())["emitted_from"] == str((tmp_path / "run").resolve())


def test_wrong_answers_are_paired_before_missing_ones(tmp_path, golds):
    """One correct attempt, one no-answer and one wrong: the wrong one is the rejected side."""
    order = iter(["no_answer", "correct", "wrong"] * 4)

    def respond(request):
        kind, question = next(order), request.messages[-1].content
        return {"correct": f"\\boxed{{{golds[question]}}}", "wrong": "\\boxed{123456789}", "no_answer": "hmm"}[kind]

    synthgen.math(2, tmp_path / "run", solve=3, emit_dpo=tmp_path / "dpo", backend=FakeBackend(respond), progress=False)
    from datasets import load_dataset

    dpo = load_dataset(str(tmp_path / "dpo"), split="train").to_list()
    assert [(r["chosen_attempt"], r["rejected_attempt"], r["rejected_reason"]) for r in dpo] == [(1, 2, "wrong")] * 2


def test_resumed_run_gives_the_same_rows_and_emissions(tmp_path, golds):
    def go(out, backend):
        return synthgen.math(
            12, tmp_path / out, solve=K, keep_pass_rate="0.25-0.75", emit_sft=tmp_path / f"{out}-sft",
            emit_dpo=tmp_path / f"{out}-dpo", backend=backend, parallel=1, progress=False,
        )  # fmt: skip

    whole = go("whole", FakeBackend(policy(golds)))
    with pytest.raises(KeyboardInterrupt):
        go("split", FakeBackend(policy(golds, fail_after=5 * K)))  # stops in the second stage batch
    assert_kept_incomplete(tmp_path / "split", "interrupted")
    assert not (tmp_path / "split-sft").exists()
    before = journal_records(tmp_path / "split")
    assert before, "the first stage batch was journaled before the interruption"
    again = FakeBackend(policy(golds))
    resumed = go("split", again)
    asked = {r.seed for r in again.history}
    assert asked and not asked & {a["seed"] for record in before for a in record["attempts"]}  # no slot redone
    assert resumed.dataset().to_list() == whole.dataset().to_list()
    from datasets import load_dataset

    for kind in ("sft", "dpo"):
        a = load_dataset(str(tmp_path / f"whole-{kind}"), split="train").to_list()
        b = load_dataset(str(tmp_path / f"split-{kind}"), split="train").to_list()
        assert a == b and a
    # A finished run re-emits from its journal without asking the model again.
    idle = FakeBackend(policy(golds))
    go("split", idle)
    assert idle.history == []


def test_rows_do_not_depend_on_batch_width(tmp_path, golds):
    a = synthgen.math(9, tmp_path / "a", solve=2, keep_pass_rate="0.5-1", backend=FakeBackend(policy(golds)),
                      parallel=1, progress=False).dataset().to_list()  # fmt: skip
    b = synthgen.math(9, tmp_path / "b", solve=2, keep_pass_rate="0.5-1", backend=FakeBackend(policy(golds)),
                      parallel=32, progress=False).dataset().to_list()  # fmt: skip
    assert a == b


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"solve": 0}, "--solve must be a positive integer"),
        ({"solve": 2, "keep_pass_rate": "0.9-0.1"}, "LO <= HI"),
        ({"solve": 2, "keep_pass_rate": "0.1-1.5"}, "[0, 1]"),
        ({"solve": 2, "keep_pass_rate": "half"}, "LO-HI"),
        ({"keep_pass_rate": "0.1-0.9"}, "--keep-pass-rate needs --solve"),
        ({"emit_dpo": "x"}, "--emit-dpo needs --solve"),
        ({"emit_sft": "x"}, "--emit-sft needs --solve"),
        ({"solve": 2, "parallel": 0}, "--parallel"),
        ({"solve": 2, "emit_sft": "same", "emit_dpo": "same"}, "different folders"),
    ],
)
def test_bad_solve_options_fail_before_any_model_work(tmp_path, options, fragment):
    fake = FakeBackend()
    for key in ("emit_sft", "emit_dpo"):
        if key in options:
            options[key] = tmp_path / options[key]
    with pytest.raises(SynthgenError) as info:
        synthgen.math(2, tmp_path / "run", backend=fake, progress=False, **options)
    assert fragment in str(info.value) and fake.history == []


def test_emit_refuses_a_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(SynthgenError, match="did not emit"):
        synthgen.math(2, tmp_path / "run", solve=1, emit_sft=tmp_path / "mine", backend=FakeBackend(), progress=False)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--keep-pass-rate", "0.9-0.1", "--solve", "2"], "LO <= HI"),
        (["--solve", "0"], "--solve must be a positive integer"),
        (["--keep-pass-rate", "0.1-0.9"], "--keep-pass-rate needs --solve"),
        (["--emit-dpo", "dpo"], "--emit-dpo needs --solve"),
    ],
)
def test_cli_bad_solve_input_is_one_line_exit_2(tmp_path, args, fragment):
    proc = run("math", "--n", "2", "--out", str(tmp_path / "run"), *args, cwd=tmp_path)
    assert_one_line_error(proc, fragment)
    assert not (tmp_path / "run").exists()


def test_an_empty_emission_says_so(tmp_path):
    """A model that never answers: pass rates 0, and the emitted folders say they are empty."""
    result = synthgen.math(
        3, tmp_path / "run", solve=2, emit_sft=tmp_path / "sft", emit_dpo=tmp_path / "dpo",
        backend=FakeBackend(lambda request: "no idea"), progress=False,
    )  # fmt: skip
    assert [r["pass_rate"] for r in result.dataset()] == [0.0] * 3
    assert result.emitted["sft"]["rows"] == result.emitted["dpo"]["rows"] == 0
    assert result.solve["verdicts"] == {"no_answer": 6}
    for kind in ("sft", "dpo"):
        assert "This emission is empty" in (tmp_path / kind / "README.md").read_text()
