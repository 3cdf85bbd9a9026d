"""Hostile completions score 0, quickly, through the real worker, and execute nothing.

The code-injection payloads would create a marker file if anything evaluated them (the same
strings make sympy.parse_expr run __import__ / lambdas); the tests assert the file never appears.
"""

from __future__ import annotations

import time

import pytest

from synthgen.rewards import accuracy_reward
from synthgen.verify import check_answers

INT = '{"method": "integer", "value": "7"}'
EXPR = '{"method": "expression", "value": "x + 1", "variables": ["x"]}'


def _payloads(marker: str) -> list[str]:
    touch = f"__import__('os').system('touch {marker}')"
    return [
        touch,
        f"(lambda: __import__('os').system('touch {marker}'))()",
        f"x.__class__.__base__.__subclasses__()[0]('touch {marker}')",
        f"eval(\"__import__('os').system('touch {marker}')\")",
        f'exec(\'open("{marker}", "w")\')',
        f"open('{marker}', 'w')",
        f"\\text{{{touch}}}",
        f"Symbol('{touch}')",
    ]


HOSTILE_MATH = [
    "9**9**9**9",
    "9^9^9^9",
    r"10^{10^{10}}",
    r"10^{10^{10^{10}}} + x",
    "2**(2**100)",
    "(x**1000)**1000",
    "factorial(1000000)",
    "100000!",
    "(10^6)!",
    "((((((((((((((((((((((((((((((((((((((((x))))))))))))))))))))))))))))))))))))))))",
    "-" * 250 + "x",
    "x" + "+x" * 140,
    "1" * 70,
    r"\frac{1}{2",
    "{{{{{",
    "sqrt(" * 40 + "x" + ")" * 40,
    "exp(exp(exp(exp(exp(exp(x))))))",
    "x; import os",
    "1e999999999",
]


def _completions(answers: list[str]) -> list[list[dict]]:
    return [[{"role": "assistant", "content": f"Reasoning.\n\\boxed{{{a}}}"}] for a in answers]


def test_code_injection_executes_nothing_and_scores_zero(tmp_path):
    marker = tmp_path / "pwned"
    payloads = _payloads(str(marker))
    for verification in (INT, EXPR):
        scores = accuracy_reward(
            completions=_completions(payloads),
            answer=["7" if verification == INT else "x + 1"] * len(payloads),
            verification=[verification] * len(payloads),
        )
        assert scores == [0.0] * len(payloads)
    assert not marker.exists()


def test_hostile_math_scores_zero_within_the_deadline():
    start = time.monotonic()
    verdicts = check_answers([(a, EXPR) for a in HOSTILE_MATH], timeout=5.0)
    elapsed = time.monotonic() - start
    assert [v.score for v in verdicts] == [0.0] * len(HOSTILE_MATH)
    assert all(v.reason in ("unparseable", "too_long", "wrong", "timeout") for v in verdicts)
    # functional bound, not a benchmark: every item is refused by the limits, none needs its 5 s deadline
    assert elapsed < 5.0 * len(HOSTILE_MATH)
    assert sum(v.reason == "timeout" for v in verdicts) == 0, [
        (a, v) for a, v in zip(HOSTILE_MATH, verdicts, strict=True) if v.reason == "timeout"
    ]


def test_power_towers_are_refused_by_limits_not_by_timeout():
    verdicts = check_answers([("9**9**9**9", EXPR), (r"10^{10^{10}}", INT), ("100000!", INT)])
    assert [v.reason for v in verdicts] == ["too_long", "unparseable", "unparseable"]  # numerals only for integer
    verdict = check_answers([("100000!", '{"method": "real", "value": "1"}')])[0]
    assert verdict.reason == "too_long"


def test_a_one_megabyte_answer_scores_zero():
    big = "1" * 1_000_000
    scores = accuracy_reward(completions=[f"\\boxed{{{big}}}", f"<answer>{big}</answer>", big], answer=["7"] * 3)
    assert scores == [0.0, 0.0, 0.0]


def test_hedging_with_many_boxes_counts_only_the_last():
    text = " ".join(f"\\boxed{{{k}}}" for k in range(1, 50))  # 7 is among them, but the last box is 49
    assert accuracy_reward(completions=[text], answer=["7"]) == [0.0]
    assert accuracy_reward(completions=[text + r" \boxed{7}"], answer=["7"]) == [1.0]


@pytest.mark.parametrize("answer", ["", "   ", "\\boxed{}", "}{", "\\", "$$", "\x00", "⊥", "7\u202e"])
def test_degenerate_answers_never_raise(answer):
    assert accuracy_reward(completions=[f"\\boxed{{{answer}}}", answer], answer=["7", "7"]) == [0.0, 0.0]
