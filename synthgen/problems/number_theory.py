"""Number theory families: gcd, lcm, modular inverse, CRT, base conversion, divisor count, totient.

Each answer is built first (a chosen gcd, a chosen factorisation, a chosen CRT solution) and
then recomputed with `sympy.ntheory` as the self-check.
"""

from __future__ import annotations

import math
import random
import re

import sympy as sp
from sympy.ntheory.modular import crt

from synthgen.problems.base import Problem, Reject, family

_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SMALL_PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47]


def _integer_problem(name: str, level: int, question: str, value: int, spec: dict) -> Problem:
    return Problem(
        family=name,
        difficulty=level,
        question=question,
        answer=str(value),
        solution=f"${value}$",
        answer_type="integer",
        verification={"value": str(value)},
        spec=spec,
    )


@family("numtheory.gcd", "number_theory", "math")
def gcd_problem(rng: random.Random, level: int) -> Problem:
    """Greatest common divisor of 2-3 numbers sharing a chosen divisor."""
    g = rng.randint(2, 10 ** (1 + level // 2))
    count = 3 if level >= 4 else 2
    cofactors = [rng.randint(2, 10 ** (1 + level // 2)) for _ in range(count)]
    if math.gcd(*cofactors) != 1:
        raise Reject("cofactors_not_coprime")
    numbers = [g * c for c in cofactors]
    if int(sp.gcd_list(numbers)) != g:
        raise Reject("self_check_failed")
    listed = ", ".join(map(str, numbers))
    return _integer_problem(
        "numtheory.gcd", level, f"Find the greatest common divisor of {listed}.", g, {"numbers": numbers}
    )


@family("numtheory.lcm", "number_theory", "math")
def lcm_problem(rng: random.Random, level: int) -> Problem:
    """Least common multiple of 2-3 numbers."""
    count = 3 if level >= 3 else 2
    numbers = [rng.randint(2, 6 * 10 ** (level // 2 + 1) // (2 if level >= 3 else 1)) for _ in range(count)]
    value = math.lcm(*numbers)
    if int(sp.ilcm(*numbers)) != value:
        raise Reject("self_check_failed")
    if value > 10**9:
        raise Reject("number_too_large")
    listed = ", ".join(map(str, numbers))
    return _integer_problem(
        "numtheory.lcm", level, f"Find the least common multiple of {listed}.", value, {"numbers": numbers}
    )


@family("numtheory.inverse", "number_theory", "math")
def inverse_problem(rng: random.Random, level: int) -> Problem:
    """Multiplicative inverse of a modulo m."""
    m = rng.randint(7, 10 ** (level + 1))
    a = rng.randint(2, m - 1)
    if math.gcd(a, m) != 1:
        raise Reject("not_invertible")
    value = pow(a, -1, m)
    if a * value % m != 1 or int(sp.mod_inverse(a, m)) != value:
        raise Reject("self_check_failed")
    question = (
        f"Find the multiplicative inverse of {a} modulo {m}, that is the integer x with 0 <= x < {m} "
        f"and {a}*x ≡ 1 (mod {m})."
    )
    return _integer_problem("numtheory.inverse", level, question, value, {"a": a, "m": m})


@family("numtheory.crt", "number_theory", "math")
def crt_problem(rng: random.Random, level: int) -> Problem:
    """Smallest non-negative solution of a system of congruences with coprime moduli."""
    count = 2 if level <= 2 else 3 if level <= 4 else 4
    moduli = [rng.randint(3, 6 + 6 * level) for _ in range(count)]
    if any(math.gcd(a, b) != 1 for i, a in enumerate(moduli) for b in moduli[i + 1 :]):
        raise Reject("moduli_not_coprime")
    big_m = math.prod(moduli)
    x = rng.randint(0, big_m - 1)
    residues = [x % m for m in moduli]
    solved = crt(moduli, residues)
    if solved is None or int(solved[0]) != x:
        raise Reject("self_check_failed")
    system = ", ".join(f"x ≡ {r} (mod {m})" for r, m in zip(residues, moduli, strict=True))
    question = f"Find the smallest non-negative integer x such that {system}."
    return _integer_problem("numtheory.crt", level, question, x, {"moduli": moduli, "residues": residues})


def to_base(n: int, base: int) -> str:
    if n == 0:
        return "0"
    digits = []
    while n:
        n, r = divmod(n, base)
        digits.append(_DIGITS[r])
    return "".join(reversed(digits))


def _read_as_zero(digits: str) -> bool:
    """Would math-verify read these digits as 0? It reads 7C0A as the product 7*C*0*A.

    Against such a gold, TRL's accuracy_reward gives 1.0 to every answer that math-verify also
    reads as 0 (7C00, 7B0A; A0 against B0), so these draws (about 1% of conversions into a base
    above 10) are redrawn.
    """
    runs = re.findall(r"\d+", digits)
    return any(c.isalpha() for c in digits) and any(set(run) == {"0"} for run in runs)


@family("numtheory.base_conv", "number_theory", "math")
def base_conversion(rng: random.Random, level: int) -> Problem:
    """Convert an integer between bases 2-16."""
    bases = [2, 8, 10, 16] if level <= 2 else list(range(2, 17))
    src, dst = rng.sample(bases, 2)
    if level == 1 and 10 not in (src, dst):
        raise Reject("level1_needs_base10")
    n = rng.randint(2, 4 ** (level + 3))
    shown, value = to_base(n, src), to_base(n, dst)
    if int(value, dst) != n or int(shown, src) != n:
        raise Reject("self_check_failed")
    if _read_as_zero(value):
        raise Reject("digits_read_as_zero")
    letters = " Use capital letters A-F for digits above 9." if dst > 10 else ""
    question = f"Convert the base-{src} number {shown} to base {dst}. Give only the digits.{letters}"
    return Problem(
        family="numtheory.base_conv",
        difficulty=level,
        question=question,
        answer=value,
        solution=f"${value}$",  # plain digits, as a completion boxes them (not \\text{...})
        answer_type="string",
        verification={"value": value, "case_sensitive": False},
        spec={"n": n, "src": src, "dst": dst},
    )


def _factorised(rng: random.Random, level: int) -> dict[int, int]:
    primes = rng.sample(_SMALL_PRIMES[: 5 + 2 * level], rng.randint(1, 1 + level))
    return {p: rng.randint(1, 4 if p < 10 else 2) for p in sorted(primes)}


@family("numtheory.divisor_count", "number_theory", "math")
def divisor_count_problem(rng: random.Random, level: int) -> Problem:
    """Number of positive divisors of n, n built from a chosen factorisation."""
    factors = _factorised(rng, level)
    n = math.prod(p**e for p, e in factors.items())
    if n > 10**12:
        raise Reject("number_too_large")
    value = math.prod(e + 1 for e in factors.values())
    if int(sp.divisor_count(n)) != value:
        raise Reject("self_check_failed")
    return _integer_problem(
        "numtheory.divisor_count", level, f"How many positive divisors does {n} have?", value, {"n": n}
    )


@family("numtheory.totient", "number_theory", "math")
def totient_problem(rng: random.Random, level: int) -> Problem:
    """Euler's totient of n, n built from a chosen factorisation."""
    factors = _factorised(rng, level)
    n = math.prod(p**e for p, e in factors.items())
    if n > 10**12:
        raise Reject("number_too_large")
    value = math.prod((p - 1) * p ** (e - 1) for p, e in factors.items())
    if int(sp.totient(n)) != value:
        raise Reject("self_check_failed")
    question = f"How many integers k with 1 <= k <= {n} are coprime to {n}?"
    return _integer_problem("numtheory.totient", level, question, value, {"n": n})
