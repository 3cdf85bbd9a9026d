"""The preferences run loop against fake backends: pairs, filters, position bias, retries, resume."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import assert_kept_incomplete, journal_records, manifest
from preference_contract import check_dataset
from preference_fakes import (
    answer_text,
    is_pairwise,
    is_rubric,
    judged_response,
    make_judge,
    pair_texts,
    rubric_json,
)

import synthgen
from synthgen.backends.base import GenerationRequest
from synthgen.dpo.config import PRINCIPLES
from synthgen.errors import SynthgenError


def prompts_file(tmp_path, texts: list[str]):
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps({"prompt": t}) + "\n" for t in texts))
    return path


QUESTIONS = [f"Question number {i}: explain topic {i * 7919 % 1000} to a child." for i in range(40)]


def test_exactly_n_pairs_in_trl_shape(tmp_path):
    fake = make_judge()
    result = synthgen.preferences(6, tmp_path / "run", backend=fake, progress=False)
    rows = result.dataset().to_list()
    assert result.rows == 6 and len(rows) == 6 and len({r["id"] for r in rows}) == 6
    check_dataset(rows)
    for row in rows:
        assert row["score_chosen"] > row["score_rejected"]
        assert row["margin"] == pytest.approx(row["score_chosen"] - row["score_rejected"]) and row["margin"] >= 1.0
        assert row["chosen"][0]["content"] != row["rejected"][0]["content"]
        assert len(row["candidates"]) == 4 and row["prompt_source"].startswith("generated:")
        assert (row["pairwise_chosen_first"], row["pairwise_chosen_second"]) == ("A", "B")
    m = manifest(tmp_path / "run")
    assert m["status"] == "complete" and m["rows"] == 6
    assert m["judge_agreement"]["pairwise_checks"] == m["counters"]["pairwise_checks"] >= 6
    assert m["counters"]["attempts"] == m["counters"]["accepted"] + sum(m["drops"].values())


def test_candidates_are_made_diverse_and_recorded(tmp_path):
    fake = make_judge()
    result = synthgen.preferences(3, tmp_path / "run", backend=fake, progress=False)
    for row in result.dataset().to_list():
        cands = row["candidates"]
        assert sorted(c["principle"] for c in cands) == sorted(PRINCIPLES)
        assert [c["temperature"] for c in cands] == [0.7, 1.0, 0.5, 0.9]
        assert len({c["seed"] for c in cands}) == 4
        assert row["chosen"][0]["content"] == cands[row["chosen_candidate"]]["text"]
    answers = [r for r in fake.history if r.json_schema is None and r.messages and r.messages[0].role == "system"]
    principle_texts = {r.messages[0].content for r in answers}
    assert len(principle_texts) == 4  # one system principle per candidate kind
    assert {r.params.temperature for r in answers} == {0.7, 1.0, 0.5, 0.9}
    assert all(r.messages[-1].role == "user" for r in answers)


def by_temperature(request: GenerationRequest) -> str:
    """Answers whose length grows with the candidate's temperature (0.5 < 0.7 < 0.9 < 1.0)."""
    words = " ".join(f"w{i}" for i in range(int(request.params.temperature * 40)))
    return f"Answer at temperature {request.params.temperature}: {words}"


def test_ties_and_low_margins_are_dropped_and_counted(tmp_path):
    def rubric(request: GenerationRequest) -> str:
        text, asked = judged_response(request), request.messages[0].content
        if "number 1:" in asked or "number 2:" in asked:
            return rubric_json(5)  # every candidate equal: a tie
        if "number 4:" in asked:
            return rubric_json(5 + (len(text) > 140))  # a margin of 1 < --min-margin 2
        return rubric_json(1 + min(9, len(text) // 20))

    fake = make_judge(rubric=rubric, answer=by_temperature)
    src = prompts_file(tmp_path, QUESTIONS)
    result = synthgen.preferences(4, tmp_path / "run", prompts_from=src, min_margin=2, backend=fake, progress=False)
    assert result.rows == 4
    assert manifest(tmp_path / "run")["drops"] == {"tie": 2, "low_margin": 1}
    assert all(r["margin"] >= 2 for r in result.dataset().to_list())
    assert [r["reason"] for r in journal_records(tmp_path / "run")[:5]] == [None, "tie", "tie", None, "low_margin"]


def test_position_bias_drops_as_order_disagreement_and_the_run_tops_up(tmp_path):
    def biased(request: GenerationRequest) -> str:
        a, b = pair_texts(request)
        if "number 0:" in request.messages[0].content or "number 3:" in request.messages[0].content:
            return json.dumps({"better": "A"})  # always the first position
        return json.dumps({"better": "A" if len(a) >= len(b) else "B"})

    src = prompts_file(tmp_path, QUESTIONS)
    result = synthgen.preferences(
        5, tmp_path / "run", prompts_from=src, backend=make_judge(pairwise=biased), progress=False
    )
    assert result.rows == 5
    m = manifest(tmp_path / "run")
    assert m["drops"]["order_disagreement"] == 2
    agreement = m["judge_agreement"]
    assert agreement["pairwise_checks"] == 7 and agreement["orders_agree"] == 5
    assert agreement["rate"] == pytest.approx(5 / 7, abs=1e-4)
    assert {r["attempt"] for r in result.dataset().to_list()}.isdisjoint({0, 3})


def test_a_judge_preferring_the_rejected_in_both_orders_drops_the_pair(tmp_path):
    def contrary(request: GenerationRequest) -> str:
        a, b = pair_texts(request)
        return json.dumps({"better": "A" if len(a) < len(b) else "B"})

    src = prompts_file(tmp_path, QUESTIONS[:3])
    with pytest.raises(SynthgenError) as info:
        synthgen.preferences(
            2, tmp_path / "run", prompts_from=src, backend=make_judge(pairwise=contrary), progress=False
        )
    assert info.value.exit_code == 1 and "exhausted after 3 prompts" in str(info.value)
    m = manifest(tmp_path / "run")
    assert m["drops"] == {"pairwise_prefers_rejected": 3}
    assert m["judge_agreement"]["rate"] == 1.0 and m["status"] == "incomplete" and m["rows"] == 0


def test_unparseable_judge_output_is_retried_with_sampling(tmp_path):
    seen: set[str] = set()

    def flaky(request: GenerationRequest) -> str:
        text = judged_response(request)
        if text not in seen:  # the first (greedy) try of every candidate is cut off
            seen.add(text)
            return '{"rationale": "cut'
        return rubric_json(1 + min(9, len(text) // 40))

    fake = make_judge(rubric=flaky)
    result = synthgen.preferences(3, tmp_path / "run", backend=fake, progress=False)
    assert result.rows == 3
    counters = manifest(tmp_path / "run")["counters"]
    assert counters["judge_retries"] >= 3 * 4
    rubric_temps = [r.params.temperature for r in fake.history if is_rubric(r)]
    assert 0.0 in rubric_temps and 0.7 in rubric_temps


def test_a_judge_that_never_parses_drops_candidates_and_stops_on_a_finite_source(tmp_path):
    fake = make_judge(rubric=lambda r: "not json")
    src = prompts_file(tmp_path, QUESTIONS[:2])
    with pytest.raises(SynthgenError, match="exhausted"):
        synthgen.preferences(1, tmp_path / "run", prompts_from=src, backend=fake, progress=False)
    m = manifest(tmp_path / "run")
    assert m["drops"] == {"too_few_candidates": 2}
    assert m["counters"]["candidate_judge_unparseable"] == 8 and m["counters"]["judge_retries"] == 16


def test_prompts_are_deduplicated_within_a_run(tmp_path):
    texts = [QUESTIONS[0], QUESTIONS[1], QUESTIONS[0] + "!", QUESTIONS[2]]
    src = prompts_file(tmp_path, texts)
    result = synthgen.preferences(3, tmp_path / "run", prompts_from=src, backend=make_judge(), progress=False)
    assert [r["prompt"][0]["content"] for r in result.dataset().to_list()] == [texts[0], texts[1], texts[3]]
    assert manifest(tmp_path / "run")["drops"] == {"prompt_exact_duplicate": 1}


def test_identical_answers_are_dropped(tmp_path):
    src = prompts_file(tmp_path, QUESTIONS[:3])
    fake = make_judge(answer=lambda r: "The same answer every time, whatever the principle says.")
    with pytest.raises(SynthgenError, match="exhausted"):
        synthgen.preferences(1, tmp_path / "run", prompts_from=src, backend=fake, progress=False)
    assert manifest(tmp_path / "run")["drops"] == {"identical": 3}


def test_a_separate_judge_backend_gets_only_judge_requests(tmp_path):
    policy, judge = make_judge(), make_judge()
    result = synthgen.preferences(3, tmp_path / "run", backend=policy, judge_backend=judge, progress=False)
    assert result.rows == 3
    assert policy.history and not any(is_rubric(r) or is_pairwise(r) for r in policy.history)
    assert judge.history and all(is_rubric(r) or is_pairwise(r) for r in judge.history)
    assert manifest(tmp_path / "run")["judge"]["same_as_policy"] is False


def test_same_seed_reproduces_and_resume_after_torn_journal_matches(tmp_path):
    reference = synthgen.preferences(5, tmp_path / "ref", backend=make_judge(), progress=False).dataset().to_list()
    out = tmp_path / "run"
    synthgen.preferences(5, out, backend=make_judge(), progress=False)
    journal = out / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:2]) + lines[2][: len(lines[2]) // 2])
    fake = make_judge()
    resumed = synthgen.preferences(5, out, backend=fake, progress=False).dataset().to_list()
    assert resumed == reference
    attempts = [r["attempt"] for r in journal_records(out)]
    assert attempts == sorted(set(attempts))
    user_turns = [r for r in fake.history if r.prompt is not None or (r.json_schema and not is_rubric(r))]
    started = {r.seed for r in user_turns if not is_pairwise(r)}
    kept = {json.loads(line)["seed"] for line in lines[:2]}
    assert started and started.isdisjoint(kept), "resume must not redo journaled attempts"


def test_interrupt_keeps_pairs_and_resume_completes(tmp_path):
    reference = synthgen.preferences(4, tmp_path / "ref", backend=make_judge(), progress=False).dataset().to_list()
    inner = make_judge()
    calls = {"n": 0}

    def dies(request: GenerationRequest):
        calls["n"] += 1
        if calls["n"] > 40:
            raise KeyboardInterrupt
        return inner._one(request)

    from synthgen.backends.fake import FakeBackend

    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        synthgen.preferences(4, out, backend=FakeBackend(responder=dies), batch_size=1, progress=False)
    assert_kept_incomplete(out, "interrupted")
    assert 0 < len(journal_records(out))
    resumed = synthgen.preferences(4, out, backend=make_judge(), batch_size=1, progress=False).dataset().to_list()
    assert resumed == reference


def test_strategy_best_second_picks_the_two_best(tmp_path):
    result = synthgen.preferences(
        3, tmp_path / "run", backend=make_judge(), strategy="best-second", min_margin=0.25, progress=False
    )
    for row in result.dataset().to_list():
        scores = sorted((c["score"] for c in row["candidates"] if c["score"] is not None), reverse=True)
        assert (row["score_chosen"], row["score_rejected"]) == (scores[0], scores[1])


def test_export_reward_writes_a_second_config_in_the_implicit_form(tmp_path):
    from datasets import load_dataset

    out = tmp_path / "run"
    synthgen.preferences(3, out, backend=make_judge(), export="reward", progress=False)
    meta = yaml.safe_load((out / "README.md").read_text().split("---")[1])
    assert [c["config_name"] for c in meta["configs"]] == ["default", "reward"]
    dpo = load_dataset(str(out), split="train").to_list()
    reward = load_dataset(str(out), "reward", split="train").to_list()
    check_dataset(reward, explicit=False)
    assert [r["chosen"] for r in reward] == [d["prompt"] + d["chosen"] for d in dpo]
    assert [r["margin"] for r in reward] == [d["margin"] for d in dpo]
    # Rerun without the export on the same folder: the stale reward file and config go away.
    synthgen.preferences(3, out, backend=make_judge(), progress=False)
    assert not (out / "data" / "reward-train-00000-of-00001.parquet").exists()
    meta = yaml.safe_load((out / "README.md").read_text().split("---")[1])
    assert [c["config_name"] for c in meta["configs"]] == ["default"]


def test_card_records_judge_and_drops(tmp_path):
    out = tmp_path / "run"
    synthgen.preferences(2, out, backend=make_judge(), progress=False)
    card = (out / "README.md").read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert "dpo" in meta["tags"] and meta["dataset_info"]["splits"][0]["num_examples"] == 2
    assert "judge order agreement" in card and "best-worst" in card


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"candidates": 1}, "--candidates"),
        ({"strategy": "worst"}, "--strategy"),
        ({"export": "kto"}, "--export"),
        ({"min_margin": -1}, "--min-margin"),
        ({"prompt_column": "q"}, "--prompt-column needs --prompts-from"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, kwargs, fragment):
    with pytest.raises(SynthgenError, match=fragment) as info:
        synthgen.preferences(2, tmp_path / "run", backend=make_judge(), progress=False, **kwargs)
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


def test_looping_candidates_are_stopped_early_and_discarded_requests_unwanted():
    from synthgen.dpo.loop import PreferencesLoop

    feed = PreferencesLoop.__new__(PreferencesLoop)  # only the two streaming hooks are exercised
    feed.inflight = []
    looping = "Step one.\nDo the same thing again now.\nDo the same thing again now.\nDo the same thing again now.\n"
    assert feed.check_partial((0, "candidate", 1), looping) == "response_repetition"
    assert feed.check_partial((0, "candidate", 1), looping.rstrip("\n").rsplit("\n", 1)[0]) is None
    assert feed.check_partial((0, "judge", 1), looping) is None
    assert feed.wanted((0, "candidate", 0)) is False


def test_an_aborted_candidate_is_counted_by_its_reason(tmp_path):
    from synthgen.backends.base import Completion

    def answer(request: GenerationRequest):
        if request.params.temperature == 1.0:  # one candidate per prompt loops and is stopped early
            return Completion(text="Loop.\nLoop.", finish_reason="aborted", error="response_repetition")
        return answer_text(request)

    result = synthgen.preferences(2, tmp_path / "run", backend=make_judge(answer=answer), progress=False)
    for row in result.dataset().to_list():
        statuses = {c["temperature"]: c["status"] for c in row["candidates"]}
        assert statuses[1.0] == "response_repetition" and statuses[0.7] == "judged"
    assert manifest(tmp_path / "run")["counters"]["candidate_response_repetition"] >= 2
