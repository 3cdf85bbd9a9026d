"""Counting and exact probability families.

Every answer is computed twice: by a closed formula and by brute-force enumeration of the
objects being counted. A draw where the two disagree is dropped (`self_check_failed`), so a
wrong formula can never become a gold answer.
"""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import sympy as sp

from synthgen.problems.base import Problem, Reject, family
from synthgen.problems.render import dollars, tex


def _agree(formula, brute) -> None:
    if formula != brute:
        raise Reject("self_check_failed")


def _word(rng: random.Random, length: int) -> str:
    letters = rng.sample("ABCDEFGHKLMNPRST", rng.randint(2, max(2, length - 2)))
    word = letters + [rng.choice(letters) for _ in range(length - len(letters))]
    rng.shuffle(word)
    return "".join(word)


def _count_case(rng: random.Random, level: int) -> tuple[str, int, dict]:
    """(question, answer, spec) for one counting template."""
    kind = rng.choice(["word", "no_adjacent", "grid", "compositions", "committee"])
    if kind == "word":
        word = _word(rng, 3 + level)
        formula = math.factorial(len(word)) // math.prod(math.factorial(word.count(c)) for c in sorted(set(word)))
        _agree(formula, len(set(itertools.permutations(word))))
        return (
            f"How many distinct strings can be formed by rearranging all the letters of {word}?",
            formula,
            {
                "kind": kind,
                "word": "".join(sorted(word)),
            },
        )
    if kind == "no_adjacent":
        n = rng.randint(5, 8 + 2 * level)
        k = rng.randint(2, max(2, (n + 1) // 2))
        formula = math.comb(n - k + 1, k)
        brute = sum(
            all(b - a > 1 for a, b in itertools.pairwise(c)) for c in itertools.combinations(range(1, n + 1), k)
        )
        _agree(formula, brute)
        question = f"How many {k}-element subsets of {{1, 2, ..., {n}}} contain no two consecutive integers?"
        return question, formula, {"kind": kind, "n": n, "k": k}
    if kind == "grid":
        a, b = rng.randint(2, 3 + level), rng.randint(2, 3 + level)
        c, d = rng.randint(1, a - 1), rng.randint(1, b - 1)
        formula = math.comb(a + b, a) - math.comb(c + d, c) * math.comb(a + b - c - d, a - c)
        ways = [[0] * (b + 1) for _ in range(a + 1)]
        for i in range(a + 1):
            for j in range(b + 1):
                if (i, j) == (c, d):
                    continue
                ways[i][j] = 1 if i == j == 0 else (ways[i - 1][j] if i else 0) + (ways[i][j - 1] if j else 0)
        _agree(formula, ways[a][b])
        question = (
            f"A path moves from (0, 0) to ({a}, {b}) using unit steps right (+1, 0) or up (0, +1). "
            f"How many such paths avoid the point ({c}, {d})?"
        )
        return question, formula, {"kind": kind, "a": a, "b": b, "c": c, "d": d}
    if kind == "compositions":
        k = 2 + (level + 1) // 2
        n = rng.randint(k + 1, k + 4 + 2 * level)
        formula = math.comb(n - 1, k - 1)
        brute = sum(sum(t) < n for t in itertools.product(range(1, n), repeat=k - 1))  # last part = n - sum
        _agree(formula, brute)
        question = f"How many ordered {k}-tuples of positive integers (x1, ..., x{k}) satisfy x1 + ... + x{k} = {n}?"
        return question, formula, {"kind": kind, "n": n, "k": k}
    n = rng.randint(5, 6 + 2 * level)
    k = rng.randint(2, n - 2)
    formula = math.comb(n, k) - math.comb(n - 2, k - 2)
    brute = sum(not (0 in c and 1 in c) for c in itertools.combinations(range(n), k))
    _agree(formula, brute)
    question = (
        f"A committee of {k} is chosen from {n} people. Two of the people, Ann and Bob, refuse to serve together. "
        "How many committees are possible?"
    )
    return question, formula, {"kind": kind, "n": n, "k": k}


@family("comb.count", "counting", "math")
def count_problem(rng: random.Random, level: int) -> Problem:
    """Count arrangements, subsets, lattice paths, compositions or committees (formula = enumeration)."""
    question, value, spec = _count_case(rng, level)
    if value > 10**9:
        raise Reject("number_too_large")
    return Problem(
        family="comb.count",
        difficulty=level,
        question=question,
        answer=str(value),
        solution=f"${value}$",
        answer_type="integer",
        verification={"value": str(value)},
        spec=spec,
    )


def _dice_sum_formula(dice: int, sides: int, total: int) -> Fraction:
    """P(sum of `dice` fair `sides`-sided dice = total), inclusion-exclusion over faces above `sides`."""
    ways = sum(
        (-1) ** j * math.comb(dice, j) * math.comb(total - sides * j - 1, dice - 1)
        for j in range(dice + 1)
        if total - sides * j - 1 >= dice - 1
    )
    return Fraction(ways, sides**dice)


def _prob_case(rng: random.Random, level: int) -> tuple[str, Fraction, Fraction, dict]:
    """(question, formula value, enumerated value, spec)."""
    kind = rng.choice(["dice_sum", "coins", "urn", "high_rolls"])
    if kind == "dice_sum":
        dice = 2 if level <= 2 else 3
        sides = rng.choice([4, 6, 8] if level <= 3 else [6, 8, 10, 12])
        total = rng.randint(dice + 1, sides * dice - 1)
        faces = range(1, sides + 1)
        brute = Fraction(sum(sum(r) == total for r in itertools.product(faces, repeat=dice)), sides**dice)
        question = (
            f"{dice} fair {sides}-sided dice (faces 1 to {sides}) are rolled. "
            f"What is the probability that their sum is {total}?"
        )
        formula = _dice_sum_formula(dice, sides, total)
        return question, formula, brute, {"kind": kind, "dice": dice, "sides": sides, "total": total}
    if kind == "coins":
        n = rng.randint(3, 4 + 2 * level)
        j = rng.randint(1, n - 1)
        brute = Fraction(sum(sum(r) >= j for r in itertools.product((0, 1), repeat=n)), 2**n)
        formula = Fraction(sum(math.comb(n, i) for i in range(j, n + 1)), 2**n)
        question = f"A fair coin is tossed {n} times. What is the probability of getting at least {j} heads?"
        return question, formula, brute, {"kind": kind, "n": n, "j": j}
    if kind == "urn":
        red, blue = rng.randint(2, 3 + level), rng.randint(2, 3 + level)
        k = rng.randint(2, min(red + blue - 1, 2 + level))
        j = rng.randint(max(0, k - blue), min(k, red))
        formula = Fraction(math.comb(red, j) * math.comb(blue, k - j), math.comb(red + blue, k))
        draws = list(itertools.combinations(range(red + blue), k))
        brute = Fraction(sum(sum(b < red for b in draw) == j for draw in draws), len(draws))
        question = (
            f"An urn holds {red} red and {blue} blue balls. {k} balls are drawn at random without replacement. "
            f"What is the probability that exactly {j} of them are red?"
        )
        return question, formula, brute, {"kind": kind, "red": red, "blue": blue, "k": k, "j": j}
    sides = rng.choice([4, 6, 8])
    n = rng.randint(2, 3 + level // 2)
    j, t = rng.randint(1, min(n, 3)), rng.randint(1, sides - 1)
    p = Fraction(sides - t, sides)
    formula = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(j, n + 1))
    brute = Fraction(
        sum(sum(v > t for v in r) >= j for r in itertools.product(range(1, sides + 1), repeat=n)), sides**n
    )
    question = (
        f"A fair {sides}-sided die (faces 1 to {sides}) is rolled {n} times. "
        f"What is the probability that at least {j} of the rolls show a number greater than {t}?"
    )
    return question, formula, brute, {"kind": "high_rolls", "sides": sides, "n": n, "j": j, "t": t}


@family("prob.exact", "counting", "math")
def probability_problem(rng: random.Random, level: int) -> Problem:
    """Exact probabilities for dice, coins and urns (formula = enumeration)."""
    question, formula, brute, spec = _prob_case(rng, level)
    _agree(formula, brute)
    if formula in (0, 1):
        raise Reject("degenerate")
    value = sp.Rational(formula.numerator, formula.denominator)
    return Problem(
        family="prob.exact",
        difficulty=level,
        question=question + " Give the answer as a fraction in lowest terms.",
        answer=str(value),
        solution=dollars(tex(value)),
        answer_type="rational",
        verification={"value": str(value)},
        spec=spec,
    )
