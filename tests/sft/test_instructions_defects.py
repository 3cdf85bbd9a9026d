"""The defect gates and --min-relevance in `instructions` runs on the fake backend.

Scripted writers produce each defect a small model shows (template residue, placeholders, talk
about the JSON reply, non-answers) among good tasks; the run must keep only the good ones and
count the rest by reason. --min-relevance scores answers with the fake's deterministic
log-probabilities (backends/fake.py `fake_score`): an answer that reuses the instruction's words
is relevant, one made of other words is not.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from cli_helpers import assert_one_line_error, run
from conftest import journal_records, manifest
from test_instructions_streaming import SlotBackend

import synthgen
from synthgen.backends.base import GenerationRequest
from synthgen.backends.fake import FakeBackend, pseudo_sentence
from synthgen.errors import SynthgenError
from synthgen.text.gates import check_defects

DEFECTS = {
    0: ("{{input}}* The instruction is to explain", "instruction_template_residue"),
    1: ("Plan a job interview in [industry] and", "instruction_placeholder"),
    2: ("Reply with the field 'instruction' set to", "instruction_format_talk"),
}
NON_ANSWER = "I'm ready to assist you. What can I help you with today?"


def unique(key: object, words: int = 10) -> str:
    return pseudo_sentence(hashlib.sha256(repr(key).encode()).digest(), words=words)


def defective_writer(request: GenerationRequest) -> str:
    """Seed % 5 picks the attempt's fate: three instruction defects, a non-answer, or a good row."""
    fate = request.seed % 5
    if request.json_schema is not None:
        opening = DEFECTS[fate][0] if fate in DEFECTS else "Describe"
        marker = " Ask politely." if fate == 3 else ""
        return json.dumps({"instruction": f"{opening} {unique(request.seed)}{marker}", "input": unique(-request.seed)})
    user = request.messages[-1].content
    return NON_ANSWER if "Ask politely." in user else unique(("answer", user), words=30)


def test_each_defect_is_rejected_and_counted_by_reason(tmp_path):
    out = tmp_path / "run"
    result = synthgen.instructions(
        12, out, backend=FakeBackend(responder=defective_writer), method="self-instruct", progress=False
    )
    counters = manifest(out)["counters"]
    for _, reason in DEFECTS.values():
        assert counters.get(reason, 0) >= 1, counters
    assert counters.get("response_non_answer", 0) >= 1, counters
    rows = result.dataset().to_list()
    assert len(rows) == 12
    for row in rows:
        user, answer = row["messages"][-2]["content"], row["messages"][-1]["content"]
        assert check_defects(user, answer) is None
        assert user.startswith("Describe") and "Ask politely." not in user
    rejected = [r for r in journal_records(out) if r["reason"] == "instruction_placeholder"]
    assert rejected and "[industry]" in rejected[0]["instruction"]  # kept for audit


def relevance_writer(request: GenerationRequest) -> str:
    """Odd seeds get an answer in the instruction's own words, even seeds one in other words."""
    if request.json_schema is not None:
        return json.dumps({"instruction": f"Describe {unique(request.seed)}", "input": unique(-request.seed)})
    user = request.messages[-1].content
    if request.seed % 2:
        return user.replace("Describe", "Here is")
    return "Alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november."


def _scored_run(tmp_path, backend, **options):
    out = tmp_path / "run"
    result = synthgen.instructions(8, out, backend=backend, method="self-instruct", progress=False, **options)
    return out, result


@pytest.mark.parametrize("streaming", [False, True])
def test_min_relevance_rejects_an_off_topic_answer_and_keeps_an_on_topic_one(tmp_path, streaming):
    backend = (SlotBackend if streaming else FakeBackend)(responder=relevance_writer, scoring=True)
    out, result = _scored_run(tmp_path, backend, min_relevance=0.5)
    counters = manifest(out)["counters"]
    assert counters["accepted"] == 8 and counters.get("response_low_relevance", 0) >= 1
    for row in result.dataset().to_list():
        assert not row["messages"][-1]["content"].startswith("Alpha bravo")
    scored = [r for r in journal_records(out) if "relevance" in r]
    kept = [r["relevance"] for r in scored if r["status"] == "accepted"]
    low = [r["relevance"] for r in scored if r["reason"] == "response_low_relevance"]
    assert len(kept) == 8 and min(kept) >= 0.5 and low and max(low) < 0.5
    assert len([r for r in backend.history if r.scoring]) >= 2 * len(scored)


def test_without_min_relevance_nothing_is_scored_and_the_off_topic_answer_stays(tmp_path):
    backend = FakeBackend(responder=relevance_writer, scoring=True)
    out, result = _scored_run(tmp_path, backend)
    assert not any(r.scoring for r in backend.history)
    assert not any("relevance" in r for r in journal_records(out))
    assert any(row["messages"][-1]["content"].startswith("Alpha bravo") for row in result.dataset().to_list())


def test_min_relevance_is_part_of_the_fingerprint(tmp_path):
    out = tmp_path / "run"
    synthgen.instructions(2, out, backend=FakeBackend(scoring=True), progress=False)
    with pytest.raises(SynthgenError, match="different configuration"):
        synthgen.instructions(2, out, backend=FakeBackend(scoring=True), min_relevance=0.0, progress=False)


@pytest.mark.parametrize("value", ["high", float("nan"), float("inf"), True])
def test_bad_min_relevance_is_one_error_naming_the_option(tmp_path, value):
    with pytest.raises(SynthgenError, match="--min-relevance") as info:
        synthgen.instructions(2, tmp_path / "run", backend=FakeBackend(scoring=True), min_relevance=value)
    assert info.value.exit_code == 2


def test_min_relevance_on_a_backend_that_cannot_score_is_refused_before_the_run(tmp_path):
    with pytest.raises(SynthgenError, match="--min-relevance needs token log-probabilities"):
        synthgen.instructions(2, tmp_path / "run", backend=FakeBackend(scoring=False), min_relevance=0.0)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "abc"])
def test_cli_bad_min_relevance_exits_2_with_one_line(tmp_path, value):
    proc = run("instructions", "--min-relevance", value, "--out", str(tmp_path / "o"))
    assert_one_line_error(proc, "--min-relevance")


def test_cli_help_explains_min_relevance():
    proc = run("instructions", "--help")
    assert proc.returncode == 0 and "--min-relevance" in proc.stdout and "relevance" in proc.stdout
