"""`synthgen.math(source="model" | "mix")` with a scripted FakeBackend: rows, rejection reasons, bounds."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import assert_kept_incomplete, journal_records, manifest
from model_source_fakes import ProblemResponder, good_proposal, request_kind

import synthgen
from synthgen.backends.fake import FakeBackend
from synthgen.errors import SynthgenError
from synthgen.grpo.sourcing.loop import HOPELESS_AFTER
from synthgen.verify import check_gold


def run_model(tmp_path, n, responder, **options):
    fake = FakeBackend(responder)
    options.setdefault("source", "model")
    result = synthgen.math(n, tmp_path / "run", backend=fake, progress=False, **options)
    return result, fake


def test_model_rows_come_from_sympy_and_pass_check_gold(tmp_path):
    responder = ProblemResponder()
    result, fake = run_model(tmp_path, 10, responder)
    rows = result.dataset().to_list()
    assert len(rows) == 10
    kinds = ["solve", "evaluate", "system", "differentiate", "integrate"]
    assert Counter(r["family"] for r in rows) == {f"model.{k}": 2 for k in kinds}
    for row in rows:
        assert row["source"] == "model"
        assert check_gold(row).reason == "correct", row
        verification = json.loads(row["verification"])
        assert verification["provenance"]["formulation"]["kind"] == row["family"].split(".")[1]
        assert row["prompt"][1]["content"] == row["question"]
    solve = next(r for r in rows if r["family"] == "model.solve")
    assert solve["answer"] == "7" and solve["question"].endswith("Give the answer as an integer.")
    # one generate call per phase: 16 proposals, then the 16 extractions of those that passed
    assert fake.batches == [16, 16]
    assert [request_kind(r) for r in fake.history[:16]] == ["propose"] * 16
    counters = manifest(tmp_path / "run")["counters"]
    assert counters["model_source"]["accepted"] == 10 and counters["model_source"]["attempts"] == 10
    report = synthgen.verify_dataset(tmp_path / "run")  # gold checks and perturbed golds scoring 0
    assert report.ok and report.rows == 10, report.failures


def hostile_or_bad(marker):
    """A cycle of broken proposals (by call), with good ones in between."""

    calls = iter(range(10**6))

    def propose(kind, seed):
        q = f"Question number {seed} about something."
        which = next(calls) % 8
        if which == 0:
            return q, {"kind": "evaluate", "expressions": [f"__import__('os').system('touch {marker}')"[:80]],
                       "unknowns": [], "answer_type": "integer"}  # fmt: skip
        if which == 1:
            return q, {"kind": "evaluate", "expressions": ["9**9**9**9"], "unknowns": [], "answer_type": "integer"}
        if which == 2:
            return "this is not json {"
        if which == 3:
            return "What is 6 + 1? It is 7.", {"kind": "evaluate", "expressions": ["6 + 1"], "unknowns": [],
                                                "answer_type": "integer"}  # fmt: skip
        if which == 4:
            return q, {"kind": "solve", "expressions": ["x**2 = 4"], "unknowns": ["x"], "answer_type": "integer"}
        if which == 5:
            return q, {"kind": "evaluate", "expressions": ["1/3"], "unknowns": [], "answer_type": "integer"}
        return good_proposal(kind, seed)

    return propose


def test_hostile_and_ill_posed_proposals_are_rejected_by_reason_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    result, _ = run_model(tmp_path, 6, ProblemResponder(propose=hostile_or_bad(marker)), max_attempts=200)
    assert result.rows == 6 and not marker.exists()
    rejected = result.counters["rejected_slots"]
    for reason in ["invalid_characters", "too_large", "bad_json", "answer_in_question", "not_unique",
                   "type_mismatch"]:  # fmt: skip
        assert rejected.get(reason, 0) >= 1, (reason, rejected)
    for row in result.dataset().to_list():
        assert check_gold(row).reason == "correct"
    records = journal_records(tmp_path / "run")
    rejected_records = [r for r in records if r["status"] == "rejected"]
    assert all("proposal" in r["provenance"] for r in rejected_records)  # what the model wrote is kept
    assert sum(rejected.values()) == len(rejected_records)


def test_extraction_that_disagrees_rejects_the_problem(tmp_path):
    def shift(formulation):
        changed = dict(formulation)
        changed["expressions"] = [e.replace("+ 1 =", "+ 2 =") for e in formulation["expressions"]]
        return changed

    result, _ = run_model(tmp_path, 4, ProblemResponder(mutate=shift), families=None, max_attempts=60)
    rows = result.dataset().to_list()
    assert "model.solve" not in {r["family"] for r in rows}  # every solve extraction changed the equation
    assert result.counters["rejected_slots"]["extraction_disagrees"] >= 1


def test_extraction_of_another_kind_or_invalid_json_is_counted(tmp_path):
    other = {"kind": "solve", "expressions": ["x = 2"], "unknowns": ["x"], "answer_type": "integer"}
    responder = ProblemResponder(mutate=lambda f: other if f["kind"] != "solve" else "{")
    with pytest.raises(SynthgenError) as info:
        run_model(tmp_path, 2, responder, max_attempts=20)
    rejected = manifest(tmp_path / "run")["counters"]["rejected_slots"]
    assert rejected["extraction_bad_json"] >= 1
    assert rejected["extraction_kind_differs"] >= 1
    assert "--max-attempts 20 reached" in str(info.value) and "\n" not in str(info.value)


def test_hopeless_model_stops_with_one_line_and_counted_reasons(tmp_path):
    responder = ProblemResponder(propose=lambda kind, seed: "no json at all")
    with pytest.raises(SynthgenError) as info:
        run_model(tmp_path, 3, responder)
    message = str(info.value)
    assert f"none accepted in the first {HOPELESS_AFTER}" in message and "bad_json=48" in message
    assert info.value.exit_code == 1 and "\n" not in message
    meta = manifest(tmp_path / "run")
    assert_kept_incomplete(tmp_path / "run", "gave up")
    assert meta["counters"]["rejected_slots"] == {"bad_json": HOPELESS_AFTER}
    assert meta["counters"]["model_source"]["stopped"] == "hopeless"


def test_rows_kept_and_resume_with_more_attempts(tmp_path):
    responder = ProblemResponder(propose=hostile_or_bad(tmp_path / "m"))
    with pytest.raises(SynthgenError):
        run_model(tmp_path, 12, responder, max_attempts=16)
    first = [r for r in journal_records(tmp_path / "run") if r["status"] == "accepted"]
    assert 0 < len(first) < 12
    result, _ = run_model(tmp_path, 12, ProblemResponder(propose=hostile_or_bad(tmp_path / "m")), max_attempts=64)
    rows = result.dataset().to_list()
    assert len(rows) == 12 and [r["id"] for r in rows[: len(first)]] == [r["id"] for r in first]


def test_mix_reaches_the_model_share_and_survives_a_hopeless_model(tmp_path):
    result, _ = run_model(tmp_path / "a", 12, ProblemResponder(), source="mix", families="algebra")
    sources = Counter(r["source"] for r in result.dataset().to_list())
    assert sources == {"model": 3, "procedural": 9}  # a quarter, rounded up
    assert result.counters["model_source"]["rows_share"] == 0.25
    dead = ProblemResponder(propose=lambda kind, seed: "nope")
    result, _ = run_model(tmp_path / "b", 20, dead, source="mix", families="algebra")
    assert result.rows == 20 and {r["source"] for r in result.dataset().to_list()} == {"procedural"}
    model = result.counters["model_source"]
    assert model["accepted"] == 0 and model["attempts"] >= 5 and model["rows_share"] == 0.0


def test_topics_reach_the_prompt_and_bad_options_are_one_line(tmp_path):
    topics = tmp_path / "topics.txt"
    topics.write_text("pirate treasure\n")
    responder = ProblemResponder()
    run_model(tmp_path, 2, responder, topics=str(topics))
    assert all("pirate treasure" in p for p in responder.prompts if "Write one new" in p)
    with pytest.raises(SynthgenError, match="only available for `synthgen math`"):
        synthgen.logic(2, tmp_path / "l", source="model", backend=FakeBackend(), progress=False)
    with pytest.raises(SynthgenError, match="--max-attempts must be a positive integer"):
        run_model(tmp_path / "x", 2, responder, max_attempts=0)
    with pytest.raises(SynthgenError, match="--topics only applies"):
        synthgen.math(2, tmp_path / "z", topics=str(topics), progress=False)
    with pytest.raises(SynthgenError, match="--source must be one of"):
        run_model(tmp_path / "y", 2, responder, source="llm")
