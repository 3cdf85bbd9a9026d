"""synthgen.rewards called exactly the way TRL's GRPOTrainer calls reward functions."""

from __future__ import annotations

import json
import logging

from synthgen.rewards import accuracy_reward, completion_text, format_reward
from synthgen.verify import ANSWER_FORMAT_INSTRUCTION

V_RATIONAL = json.dumps({"method": "rational", "value": "-3/4"}, sort_keys=True)
V_SET = json.dumps({"method": "set", "values": ["-2", "1/2"], "element": "rational"}, sort_keys=True)
V_KNIGHTS = json.dumps(
    {"method": "knights", "names": ["Alice", "Bob"], "solution": {"Alice": "knight", "Bob": "knave"}}, sort_keys=True
)


def _conv(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def _trl_call(func, completions, rows, **extra):
    """Mimic GRPOTrainer._calculate_rewards: columns repeated per completion, TRL's own kwargs."""
    columns = {key: [row[key] for row in rows] for key in rows[0]}
    calls = {"metrics": {}, "extra": {}}
    prompts = [[{"role": "system", "content": ANSWER_FORMAT_INSTRUCTION}, {"role": "user", "content": "q"}]] * len(
        completions
    )
    result = func(
        prompts=prompts,
        completions=completions,
        completion_ids=[[1, 2, 3]] * len(completions),
        **columns,
        trainer_state=object(),
        log_extra=lambda column, values: calls["extra"].__setitem__(column, values),
        log_metric=lambda name, value: calls["metrics"].__setitem__(name, value),
        **extra,
    )
    return result, calls


def _row(answer, solution, verification, family):
    return {"answer": answer, "solution": solution, "verification": verification, "family": family, "difficulty": 2,
            "id": "0123456789abcdef", "question": "q", "answer_type": json.loads(verification)["method"],
            "pass_rate": None, "seed": 1, "source": "procedural"}  # fmt: skip


def test_grpo_style_call_returns_one_float_per_completion():
    rational = _row("-3/4", r"$-\frac{3}{4}$", V_RATIONAL, "arith.rational_chain")
    roots = _row("-2, 1/2", r"$-2, \frac{1}{2}$", V_SET, "alg.poly_roots")
    knights = _row("Alice=knight, Bob=knave", r"$\text{Alice=knight, Bob=knave}$", V_KNIGHTS, "logic.knights_knaves")
    completions = [
        _conv(r"Compute... \boxed{-\frac{3}{4}}"),
        _conv(r"\boxed{-0.75}"),
        _conv(r"\boxed{3/4}"),  # flipped sign
        _conv("I think it is -3/4"),  # no box
        _conv(r"<think>roots</think> \boxed{\frac12, -2}"),
        _conv(r"\boxed{-2}"),  # dropped root
        _conv(r"\boxed{\text{Alice is a knight, Bob is a knave}}"),
        _conv(r"\boxed{Alice=knave, Bob=knave}"),
    ]
    rows = [rational] * 4 + [roots] * 2 + [knights] * 2
    scores, calls = _trl_call(accuracy_reward, completions, rows)
    assert scores == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert all(isinstance(s, float) for s in scores)
    assert calls["extra"]["synthgen_reason"] == ["correct", "correct", "wrong", "no_answer", "correct", "wrong",
                                                 "correct", "wrong"]  # fmt: skip
    assert calls["metrics"]["synthgen/correct"] == 0.5


def test_standard_string_completions_and_missing_verification_fall_back_to_answer():
    scores = accuracy_reward(
        completions=[r"\boxed{0.5}", r"\boxed{\frac{2}{4}}", r"\boxed{(x+1)^2}", r"\boxed{x^2+2x+1}", r"\boxed{3}"],
        answer=["1/2", "1/2", "x**2 + 2*x + 1", "(x+1)**2", "4"],
    )
    assert scores == [1.0, 1.0, 1.0, 1.0, 0.0]


def test_solution_column_alone_is_enough():
    assert accuracy_reward(completions=[r"\boxed{\sqrt{2}}", r"\boxed{2}"], solution=[r"$\sqrt{2}$"] * 2) == [1.0, 0.0]


def test_gold_that_does_not_verify_scores_none_and_warns(caplog):
    broken = json.dumps({"method": "rational", "value": "1/3"})  # answer says 1/2: a generator bug
    with caplog.at_level(logging.WARNING, logger="synthgen.rewards"):
        scores = accuracy_reward(
            completions=[r"\boxed{1/2}", r"\boxed{1/3}", r"\boxed{5}"],
            answer=["1/2", "1/2", "5"],
            verification=[broken, broken, json.dumps({"method": "integer", "value": "5"})],
        )
    assert scores == [None, None, 1.0]
    assert "GOLD DOES NOT VERIFY" in caplog.text


def test_unusable_verification_scores_none():
    scores = accuracy_reward(
        completions=[r"\boxed{1}", r"\boxed{1}"], answer=["1", "1"], verification=["{not json", "[]"]
    )
    assert scores == [None, None]


def test_completion_text_shapes():
    assert completion_text("plain") == "plain"
    assert completion_text([{"role": "assistant", "content": "a"}]) == "a"
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": "b"}]}]) == "b"
    assert completion_text([{"role": "assistant", "content": None, "tool_calls": []}]) == ""
    assert completion_text(None) == ""


def test_format_reward():
    completions = [
        _conv(r"<think>work</think> \boxed{1}"),
        _conv(r"\boxed{1}"),
        _conv(r"\boxed{1} \boxed{2}"),  # two answers
        _conv(r"<think>work \boxed{1}"),  # unclosed think
        _conv("no box"),
        r"<think>a</think><think>b</think>\boxed{1}",
    ]
    assert _trl_call(format_reward, completions, [{"answer": "1"}] * 6)[0] == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
