"""Arithmetic families: exact rational expression chains and modular powers."""

from __future__ import annotations

import random
from fractions import Fraction

import sympy as sp

from synthgen.problems.base import Problem, Reject, bounded, family
from synthgen.problems.render import dollars, tex

_OPS = "+-*/"


def _leaf(rng: random.Random, level: int) -> Fraction:
    top = 10 ** (1 + level // 3)  # 1-2 digits at low levels, 3 at level 5 (10..999)
    num = rng.randint(-top + 1, top - 1)
    if level >= 2 and rng.random() < 0.3:
        return Fraction(num, rng.randint(2, 9))
    return Fraction(num)


def _tree(rng: random.Random, ops: int, level: int):
    if ops == 0:
        return _leaf(rng, level)
    left_ops = rng.randint(0, ops - 1)
    return (rng.choice(_OPS), _tree(rng, left_ops, level), _tree(rng, ops - 1 - left_ops, level))


def _render(node, top: bool = True) -> str:
    if isinstance(node, Fraction):
        text = str(node)
        return f"({text})" if (node < 0 or node.denominator != 1) else text
    op, left, right = node
    text = f"{_render(left, False)} {op} {_render(right, False)}"
    return text if top else f"({text})"


def _eval_fraction(node) -> Fraction:
    if isinstance(node, Fraction):
        return node
    op, a, b = node[0], _eval_fraction(node[1]), _eval_fraction(node[2])
    if op == "/" and b == 0:
        raise Reject("division_by_zero")
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else a}[op]


def _eval_sympy(node) -> sp.Rational:
    """Second, independent evaluation in sympy's exact arithmetic (a self-check of the first)."""
    if isinstance(node, Fraction):
        return sp.Rational(node.numerator, node.denominator)
    op, a, b = node[0], _eval_sympy(node[1]), _eval_sympy(node[2])
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]


@family("arith.rational_chain", "arithmetic", "math")
def rational_chain(rng: random.Random, level: int) -> Problem:
    """Evaluate an expression tree of + - * / over integers and fractions exactly."""
    node = _tree(rng, level + 1, level)
    value = _eval_fraction(node)
    check = _eval_sympy(node)
    if sp.Rational(value.numerator, value.denominator) != check:
        raise Reject("self_check_failed")
    bounded(check)
    expr = _render(node)
    question = (
        f"Compute the exact value of {expr}. "
        "Give the answer as an integer or a fraction p/q in lowest terms (not a decimal)."
    )
    return Problem(
        family="arith.rational_chain",
        difficulty=level,
        question=question,
        answer=str(check),
        solution=dollars(tex(check)),
        answer_type="rational",
        verification={"value": str(check)},
        spec={"expr": expr},
    )


def _square_multiply(base: int, exp: int, mod: int) -> int:
    result, base = 1 % mod, base % mod
    while exp:
        if exp & 1:
            result = result * base % mod
        base = base * base % mod
        exp >>= 1
    return result


@family("arith.modular", "arithmetic", "math")
def modular_power(rng: random.Random, level: int) -> Problem:
    """Compute a^b mod m for growing a, b and m."""
    m = rng.randint(5, 10 ** (level + 1))
    a = rng.randint(2, 10 ** (level + 1))
    b = rng.randint(2, 10 ** (level + 1))
    value = pow(a, b, m)
    if value != _square_multiply(a, b, m):
        raise Reject("self_check_failed")
    question = f"What is the remainder when {a}^{b} is divided by {m}? Give an integer between 0 and {m - 1}."
    return Problem(
        family="arith.modular",
        difficulty=level,
        question=question,
        answer=str(value),
        solution=dollars(str(value)),
        answer_type="integer",
        verification={"value": str(value)},
        spec={"a": a, "b": b, "m": m},
    )
