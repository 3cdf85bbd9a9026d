"""Judge schemas, parsing and the pairwise rule; pair selection and drop rules (pure functions)."""

from __future__ import annotations

import json

import pytest
from grammar_helpers import accepts

from synthgen.backends.base import Completion
from synthgen.backends.json_grammar import schema_to_gbnf
from synthgen.dpo.config import Strategy
from synthgen.dpo.judge import (
    PAIRWISE_SCHEMA,
    RUBRIC_SCHEMA,
    pairwise_outcome,
    parse_pairwise,
    parse_rubric,
)
from synthgen.dpo.pairs import select_pair

RUBRIC = {"rationale": "Clear and right.", "helpfulness": 8, "correctness": 9, "instruction_following": 7, "clarity": 6}


def test_pairwise_grammar_admits_exactly_a_or_b(vocab_model):  # noqa: F811
    gbnf = schema_to_gbnf(PAIRWISE_SCHEMA)
    assert accepts(vocab_model, gbnf, '{"better": "A"}') and accepts(vocab_model, gbnf, '{"better": "B"}')
    assert not accepts(vocab_model, gbnf, '{"better": "C"}')
    assert not accepts(vocab_model, gbnf, '{"better": "AB"}')


def test_rubric_grammar_bounds_scores_and_rationale(vocab_model):  # noqa: F811
    gbnf = schema_to_gbnf(RUBRIC_SCHEMA)
    assert accepts(vocab_model, gbnf, json.dumps(RUBRIC))
    assert not accepts(vocab_model, gbnf, json.dumps({**RUBRIC, "clarity": 11}))
    assert not accepts(vocab_model, gbnf, json.dumps({**RUBRIC, "clarity": 0}))
    assert not accepts(vocab_model, gbnf, json.dumps({**RUBRIC, "rationale": "x" * 241}))


def test_parse_rubric_and_score():
    scores = parse_rubric(Completion(text=json.dumps(RUBRIC)))
    assert scores.score == 7.5 and scores.aspects()["correctness"] == 9
    assert parse_rubric(Completion(text='{"rationale": "cut')) is None
    assert parse_rubric(Completion(text=json.dumps({**RUBRIC, "clarity": 11}))) is None
    assert parse_rubric(Completion(text=json.dumps(RUBRIC), finish_reason="error")) is None


def test_parse_pairwise():
    assert parse_pairwise(Completion(text='{"better": "B"}')) == "B"
    assert parse_pairwise(Completion(text='{"better": "C"}')) is None
    assert parse_pairwise(Completion(text="B")) is None


@pytest.mark.parametrize(
    ("first", "second", "outcome"),
    [("A", "B", "chosen"), ("B", "A", "rejected"), ("A", "A", "disagree"), ("B", "B", "disagree")],
)
def test_pairwise_outcome_catches_position_bias(first, second, outcome):
    assert pairwise_outcome(first, second) == outcome


def test_select_pair_strategies_and_ties():
    scores = {0: 5.0, 1: 8.0, 2: 2.0, 3: 8.0}
    assert select_pair(scores, Strategy.best_worst, 0) == (1, 2)  # equal best: the lower index
    assert select_pair(scores, Strategy.best_second, 0) == (1, 3)
    picks = {select_pair(scores, Strategy.best_random, seed)[1] for seed in range(40)}
    assert picks == {0, 2, 3}  # never the chosen one, every other candidate reachable
    assert select_pair({0: 4.0, 1: 4.0, 2: 4.0}, Strategy.best_worst, 0) == (0, 2)
    with pytest.raises(ValueError):
        select_pair({0: 1.0}, Strategy.best_worst, 0)


def test_pair_verdict_drop_reasons_with_the_llm_judge():
    from synthgen.dpo.attempt import Candidate
    from synthgen.dpo.config import JudgeKind, PreferencesConfig
    from synthgen.dpo.judge import RubricScores
    from synthgen.dpo.verdict import pair_verdict

    cfg = PreferencesConfig(n=1, out="x", judge=JudgeKind.llm, min_margin=1.0)

    def cand(text: str, score: int) -> Candidate:
        c = Candidate(index=0, principle="helpful", temperature=0.7, seed=0, text=text)
        c.scores = RubricScores(
            rationale="r", helpfulness=score, correctness=score, instruction_following=score, clarity=score
        )
        return c

    long_a = "Water boils at one hundred degrees Celsius at sea level, and lower on mountains."
    assert pair_verdict(cfg, cand("Same.", 8), cand(" Same. ", 3)) == (None, "identical")
    assert pair_verdict(cfg, cand(long_a, 8), cand(long_a.replace("mountains", "mountain"), 3)) == (
        None,
        "near_identical",
    )
    assert pair_verdict(cfg, cand("Paris.", 5), cand("Lyon, I think.", 5)) == (None, "tie")
    low = cand("Lyon, I think.", 5)
    low.scores = low.scores.model_copy(update={"helpfulness": 6})  # mean 5.25: a 0.75 gap
    assert pair_verdict(cfg, cand("Paris.", 6), low) == (None, "low_margin")
    assert pair_verdict(cfg, cand("Paris.", 6), cand("Lyon, I think.", 5)) == ("a", None)
    assert pair_verdict(cfg, cand("Lyon, I think.", 5), cand("Paris.", 6)) == ("b", None)
