"""Scoring requests, the likelihood signals and judge, --judge auto, and control pairs (fake backend)."""

from __future__ import annotations

import json

import pytest
from preference_fakes import answer_text, make_judge

import synthgen
from synthgen.backends.base import GenerationRequest, Message, run_feed, score_request
from synthgen.backends.fake import FakeBackend
from synthgen.dpo.config import JudgeKind
from synthgen.dpo.controls import control_summary
from synthgen.dpo.judge_choice import resolve_judge
from synthgen.dpo.likelihood_judge import decided_by, likelihood_score
from synthgen.errors import SynthgenError
from synthgen.text.likelihood import Signals, signal_requests, signals_from

PROMPT = [Message(role="user", content="Why do leaves change colour in autumn?")]
ON_TOPIC = "Leaves change colour in autumn because chlorophyll breaks down."
OFF_TOPIC = "Copper wires carry current between the harbor towers quickly."


def signals(backend: FakeBackend, answer: str) -> Signals:
    cond, uncond = backend.generate(signal_requests(PROMPT, answer))
    return signals_from(cond, uncond)


def test_scoring_requests_round_trip_in_batches_through_a_feed():
    backend = FakeBackend()
    requests = [score_request(f"Answer number {i}.", messages=PROMPT) for i in range(7)]
    requests.insert(3, GenerationRequest(messages=PROMPT))  # a generation request among them

    class Feed:
        def __init__(self):
            self.todo, self.out = list(enumerate(requests)), {}

        def next_request(self):
            return self.todo.pop(0) if self.todo else None

        def done(self, key, completion):
            self.out[key] = completion

    feed = Feed()
    run_feed(backend, feed, width=3)
    assert backend.batches == [3, 3, 2]
    for i, request in enumerate(requests):
        completion = feed.out[i]
        if request.scoring:
            assert completion.text == request.continuation and completion.completion_tokens == 0
            assert len(completion.token_logprobs) == 4  # "Answer", "number", i, "."
            assert completion.end_logprob == -0.2
        else:
            assert completion.token_logprobs is None and completion.text
    with pytest.raises(ValueError):
        GenerationRequest(messages=PROMPT, continuation="x", json_schema={"type": "object"})


def test_each_signal_ranks_a_constructed_better_answer_first():
    backend = FakeBackend()
    good = signals(backend, ON_TOPIC)
    assert good.relevance > signals(backend, OFF_TOPIC).relevance  # answers another prompt
    degenerate = signals(backend, "Leaves leaves leaves change change colour colour in in autumn.")
    assert good.fluency > degenerate.fluency
    cut = signals(backend, "Leaves change colour in autumn because chlorophyll")
    assert good.completeness > cut.completeness
    for worse in (OFF_TOPIC, "Leaves leaves leaves change change colour colour.", "Leaves change colour because"):
        assert likelihood_score(good) > likelihood_score(signals(backend, worse))
    assert decided_by(good, signals(backend, OFF_TOPIC), 0.5) == ["relevance"]
    assert decided_by(good, cut, 0.5) == ["completeness"]


def test_signals_of_a_failed_or_mismatched_score_are_none():
    backend = FakeBackend()
    cond, uncond = backend.generate(signal_requests(PROMPT, ON_TOPIC))
    assert signals_from(cond.model_copy(update={"finish_reason": "error"}), uncond) is None
    assert signals_from(cond, uncond.model_copy(update={"token_logprobs": [-1.0] * 50})) is None
    assert signals_from(cond, uncond.model_copy(update={"token_logprobs": []})) is None


def test_judge_auto_follows_size_and_scoring_ability():
    assert resolve_judge(JudgeKind.auto, FakeBackend(scoring=True, n_params=135_000_000))[0] is JudgeKind.likelihood
    assert resolve_judge(JudgeKind.auto, FakeBackend(scoring=True, n_params=7_000_000_000))[0] is JudgeKind.both
    assert resolve_judge(JudgeKind.auto, FakeBackend(scoring=True))[0] is JudgeKind.both  # size unknown
    assert resolve_judge(JudgeKind.auto, FakeBackend())[0] is JudgeKind.llm  # cannot score
    with pytest.raises(SynthgenError, match="--judge likelihood needs token log-probabilities"):
        resolve_judge(JudgeKind.likelihood, FakeBackend())


def likelihood_backend(answer=None) -> FakeBackend:
    backend = make_judge(answer=answer)
    backend.scoring, backend.n_params = True, 135_000_000
    return backend


def test_a_likelihood_run_records_signals_and_never_asks_the_llm_judge(tmp_path):
    backend = likelihood_backend()
    result = synthgen.preferences(4, tmp_path / "run", backend=backend, progress=False)
    rows = result.dataset().to_list()
    assert len(rows) == 4
    assert not any(r.json_schema and "better" in r.json_schema.get("properties", {}) for r in backend.history)
    for row in rows:
        assert row["judge"] == "likelihood" and row["pair_source"] == "judged"
        assert row["score_chosen"] - row["score_rejected"] == pytest.approx(row["margin"], abs=1e-3)
        assert row["margin"] >= 0.5 and row["aspects_chosen"] is None and row["pairwise_chosen_first"] is None
        assert set(row["signals_chosen"]) == {"relevance", "fluency", "completeness"}
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["judge"]["kind"] == "likelihood" and manifest["judge"]["requested"] == "auto"
    assert "judge" in (tmp_path / "run" / "README.md").read_text()


def test_contrast_mode_pairs_helpful_over_poor(tmp_path):
    def answer(request: GenerationRequest) -> str:
        system = request.messages[0].content
        if "helpful assistant" in system:  # long and ending: the fake's likelihoods prefer it
            return answer_text(request) + " It ends here."
        return "Well, it depends on many"  # cut off: low completeness

    backend = likelihood_backend(answer)
    result = synthgen.preferences(3, tmp_path / "run", backend=backend, candidates_mode="contrast", progress=False)
    rows = result.dataset().to_list()
    assert len(rows) == 3
    for row in rows:
        assert row["pair_source"] == "contrast" and len(row["candidates"]) == 2
        assert row["candidates"][0]["principle"] == "helpful"
        assert row["candidates"][1]["principle"] in ("vague", "off_topic", "careless")
        assert row["chosen_candidate"] == 0 and "completeness" in row["decided_by"]


def test_contrast_pairs_the_judge_contradicts_are_dropped(tmp_path):
    def answer(request: GenerationRequest) -> str:  # the poor principle writes the better-scoring answer
        return (
            "Cut off in the mid" if "helpful assistant" in request.messages[0].content else answer_text(request) + "."
        )

    backend = likelihood_backend(answer)
    with pytest.raises(SynthgenError, match="gave up"):
        synthgen.preferences(1, tmp_path / "run", backend=backend, candidates_mode="contrast", progress=False)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["drops"]["judge_contradicts_contrast"] == manifest["counters"]["attempts"]


def test_control_pairs_are_judged_counted_and_survive_a_resume(tmp_path):
    def answer(request: GenerationRequest) -> str:  # half end properly, half are cut off: clear pairs
        text = answer_text(request) + " First part ends. Second part ends. Third part ends."
        return text if request.seed % 2 else text[:-1] + " and"

    backend = likelihood_backend(answer)
    out = tmp_path / "run"
    synthgen.preferences(6, out, backend=backend, control_every=2, progress=False)
    records = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    controls = [c for r in records for c in r.get("controls", [])]
    assert {c["kind"] for c in controls} == {"off_topic", "truncated"}
    assert all(r["attempt"] % 2 == 0 for r in records if r.get("controls"))
    manifest = json.loads((out / "manifest.json").read_text())
    summary = manifest["controls"]
    assert summary["pairs"] == len(controls) and summary["right"] == sum(c["result"] == "right" for c in controls)
    assert summary["accuracy"] is not None and summary["accuracy"] >= 0.75
    assert "control pairs" in (out / "README.md").read_text()
    resumed = synthgen.preferences(8, out, backend=backend, control_every=2, progress=False)
    again = json.loads((out / "manifest.json").read_text())["controls"]
    assert again["pairs"] >= summary["pairs"] and resumed.rows == 8


def test_control_summary_flags_an_unreliable_judge():
    assert control_summary({"control_pairs": 10, "control_right": 5, "control_wrong": 3})["reliable"] is False
    good = control_summary({"control_pairs": 10, "control_right": 8, "control_wrong": 1})
    assert good["accuracy"] == pytest.approx(8 / 9, abs=1e-3) and good["reliable"] is True
    assert control_summary({})["accuracy"] is None


def test_control_pairs_with_the_llm_judge_go_through_its_ab_check(tmp_path):
    def answer(request: GenerationRequest) -> str:  # several sentences, long: the first sentence is much shorter
        extra = ["Rivers carry silt to the sea.", "Mountains rise over ages.", "Stars burn hydrogen into helium."]
        return answer_text(request) + " This sentence makes the answer longer. " + " ".join(extra)

    backend = make_judge(answer=answer)
    out = tmp_path / "run"
    synthgen.preferences(4, out, backend=backend, judge="llm", control_every=2, min_margin=0, progress=False)
    records = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    truncated = [c for r in records for c in r.get("controls", []) if c["kind"] == "truncated"]
    assert truncated and all(c["result"] == "right" for c in truncated)  # longer wins both A/B orders
    ab_texts = [
        r.messages[0].content for r in backend.history if r.json_schema and "better" in r.json_schema["properties"]
    ]
    assert any("This sentence makes" not in text.split("Response B:")[1] for text in ab_texts)  # a control's short side
    summary = json.loads((out / "manifest.json").read_text())["controls"]
    assert summary["right"] >= len(truncated) and summary["pairs"] == sum(len(r.get("controls", [])) for r in records)


def test_best_worst_candidates_come_two_at_a_time_until_a_pair_passes(tmp_path):
    cut = "It depends on the weather and"

    def answer(request: GenerationRequest) -> str:  # only the helpful principle differs (and is cut off)
        return cut if "helpful assistant" in request.messages[0].content else "The same plain answer every time."

    backend = likelihood_backend(answer)
    out = tmp_path / "run"
    rows = synthgen.preferences(6, out, backend=backend, control_every=0, progress=False).dataset().to_list()
    sizes = [len(r["candidates"]) for r in rows]
    assert all(r["rejected"][0]["content"] == cut for r in rows)
    for row in rows:  # made just until the pair passed: up to the helpful one, and at least two
        principles = [c["principle"] for c in row["candidates"]]
        assert len(principles) == max(principles.index("helpful") + 1, 2)
    assert min(sizes) >= 2 and max(sizes) > 2
    records = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    made = [len((r.get("row") or r).get("candidates", [])) for r in records]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counters"]["candidates_added"] == sum(m - 2 for m in made if m)
    assert "candidates_added" not in manifest["drops"]  # an event, not a reason an attempt was dropped
    assert manifest["counters"]["attempts"] == manifest["counters"]["accepted"] + sum(manifest["drops"].values())
