"""Calculus families: derivatives, antiderivatives, definite integrals and limits.

Only functions the verifier's whitelist parser knows appear (sin, cos, tan, exp, log, sqrt).
Derivatives are cross-checked against a high-precision central difference, antiderivatives by
differentiating back, definite integrals against numerical quadrature, and limits against the
closed form of their template (and sympy's `limit`).
"""

from __future__ import annotations

import random

import mpmath
import sympy as sp

from synthgen.problems.base import Problem, Reject, bounded, family, nonzero_int
from synthgen.problems.render import X, dollars, plain, tex

_UNARY = [sp.sin, sp.cos, sp.exp]


def _poly(rng: random.Random, degree: int, top: int):
    return sum(rng.randint(-top, top) * X**k for k in range(degree + 1)) + nonzero_int(rng, 1, top) * X ** (degree + 1)


def _simple(rng: random.Random):
    """A basic term: a*sin(b*x), a*exp(b*x), a*log(x), a*sqrt(x), or a power of x."""
    a, b = nonzero_int(rng, -5, 5), nonzero_int(rng, -4, 4)
    return rng.choice([a * sp.sin(b * X), a * sp.cos(b * X), a * sp.exp(b * X), a * sp.log(X), a * sp.sqrt(X)])


def _function(rng: random.Random, level: int):
    """A differentiable function whose shape grows with the level (sum, product, chain)."""
    if level == 1:
        return _poly(rng, rng.randint(1, 2), 6)
    if level == 2:
        return _poly(rng, 1, 5) + _simple(rng)
    if level == 3:
        return _poly(rng, rng.randint(0, 1), 4) * rng.choice(_UNARY)(nonzero_int(rng, -3, 3) * X)
    inner = _poly(rng, 1, 3)
    if level == 4:
        return rng.choice([*_UNARY, sp.log])(inner) if rng.random() < 0.5 else sp.sqrt(X**2 + rng.randint(1, 9))
    return rng.choice(_UNARY)(nonzero_int(rng, -3, 3) * X) / (X**2 + rng.randint(1, 9)) + _simple(rng)


def _numeric_derivative_matches(f, df) -> bool:
    point = mpmath.mpf("0.7318")
    with mpmath.workdps(40):
        fl = sp.lambdify(X, f, "mpmath")  # our own expression, never model output
        dl = sp.lambdify(X, df, "mpmath")
        return abs(mpmath.diff(fl, point) - dl(point)) < mpmath.mpf(10) ** -20


@family("calc.derivative", "calculus", "math")
def derivative(rng: random.Random, level: int) -> Problem:
    """Differentiate a function built from polynomials, sin, cos, exp, log and sqrt."""
    f = _function(rng, level)
    df = sp.diff(f, X)
    shorter = sp.simplify(df)
    if len(plain(shorter)) < len(plain(df)):
        df = shorter
    if df.is_constant() or not _numeric_derivative_matches(f, df):
        raise Reject("self_check_failed")
    question = f"Find the derivative of f(x) = {plain(f)} with respect to x. Give f'(x) as an expression in x."
    return Problem(
        family="calc.derivative",
        difficulty=level,
        question=question,
        answer=plain(df),
        solution=dollars(tex(df)),
        answer_type="expression",
        verification={"value": plain(df), "variables": ["x"]},
        spec={"f": plain(f)},
    )


@family("calc.antiderivative", "calculus", "math")
def antiderivative(rng: random.Random, level: int) -> Problem:
    """Find an antiderivative; the integrand is the derivative of a chosen F, any constant passes."""
    big_f = _function(rng, level)
    integrand = sp.diff(big_f, X)
    shorter = sp.simplify(integrand)
    if len(plain(shorter)) < len(plain(integrand)):
        integrand = shorter
    if integrand.is_constant() or sp.simplify(sp.diff(big_f, X) - integrand) != 0:
        raise Reject("self_check_failed")
    question = (
        f"Find an antiderivative F(x) of f(x) = {plain(integrand)}. "
        "Give F(x) as an expression in x; the constant of integration may be omitted."
    )
    return Problem(
        family="calc.antiderivative",
        difficulty=level,
        question=question,
        answer=plain(big_f),
        solution=dollars(tex(big_f)),
        answer_type="antiderivative",
        verification={"integrand": plain(integrand), "variable": "x"},
        spec={"integrand": plain(integrand)},
    )


def _integral_case(rng: random.Random, level: int):
    """(integrand, lower, upper) with a closed-form value."""
    if level <= 2:
        a = rng.randint(-3, 2)
        return _poly(rng, level, 5), a, a + rng.randint(1, 3)
    if level == 3:
        k = rng.randint(1, 4)
        f = nonzero_int(rng, -5, 5) * rng.choice([sp.sin, sp.cos])(k * X)
        return f, 0, sp.pi / rng.choice([k, 2 * k])
    if level == 4:
        c = rng.randint(1, 5)
        return nonzero_int(rng, -6, 6) / (X + c), 0, rng.randint(1, 5)
    return (rng.randint(1, 3) * X + nonzero_int(rng, -3, 3)) * sp.exp(X), 0, rng.randint(1, 2)


@family("calc.definite_integral", "calculus", "math")
def definite_integral(rng: random.Random, level: int) -> Problem:
    """Evaluate a definite integral with a closed form (polynomial, trig, 1/(x+c), poly*exp)."""
    f, lo, hi = _integral_case(rng, level)
    value = sp.nsimplify(sp.simplify(sp.integrate(f, (X, lo, hi))))
    if value == 0 or not value.is_real or value.free_symbols:
        raise Reject("degenerate")
    fl = sp.lambdify(X, f, "mpmath")
    with mpmath.workdps(40):
        numeric = mpmath.quad(fl, [sp.N(lo, 40), sp.N(hi, 40)])
        if abs(numeric - sp.N(value, 40)) > mpmath.mpf(10) ** -25:
            raise Reject("self_check_failed")
    rational = value.is_Rational
    if rational:
        bounded(value)
    shape = "an integer or a fraction" if rational else "an exact closed form (no decimals)"
    question = (
        f"Evaluate the definite integral of {plain(f)} with respect to x from x = {plain(lo)} to x = {plain(hi)}. "
    )
    question += f"Give {shape}."
    return Problem(
        family="calc.definite_integral",
        difficulty=level,
        question=question,
        answer=plain(value),
        solution=dollars(tex(value)),
        answer_type="rational" if rational else "real",
        verification={"value": plain(value)},
        spec={"f": plain(f), "lo": plain(lo), "hi": plain(hi)},
    )


def _limit_case(rng: random.Random, level: int):
    """(expression, point, closed-form value) for a known limit type."""
    a, b = nonzero_int(rng, -6, 6), nonzero_int(rng, -6, 6)
    cases = {
        1: [
            ((X**2 - a**2) / (X - a), a, sp.Integer(2 * a)),
            ((a * X**2 + 3 * X) / (b * X**2 - 1), sp.oo, sp.Rational(a, b)),
        ],
        2: [
            (sp.sin(a * X) / (b * X), 0, sp.Rational(a, b)),
            ((sp.exp(a * X) - 1) / (b * X), 0, sp.Rational(a, b)),
        ],
        3: [
            ((1 - sp.cos(a * X)) / X**2, 0, sp.Rational(a**2, 2)),
            (sp.log(1 + abs(a) * X) / (b * X), 0, sp.Rational(abs(a), b)),
        ],
        4: [
            ((1 + sp.Rational(a) / X) ** (b * X), sp.oo, sp.exp(a * b)),
            (sp.sqrt(X**2 + a * X) - X, sp.oo, sp.Rational(a, 2)),
        ],
        5: [
            ((sp.tan(a * X) - sp.sin(a * X)) / X**3, 0, sp.Rational(a**3, 2)),
            ((sp.exp(a * X) - 1 - a * X) / (b * X**2), 0, sp.Rational(a**2, 2 * b)),
        ],
    }
    return rng.choice(cases[level])


@family("calc.limit", "calculus", "math")
def limit_problem(rng: random.Random, level: int) -> Problem:
    """Evaluate a limit of a standard type (removable singularity, sin(ax)/bx, (1+a/x)^bx, ...)."""
    expr, point, value = _limit_case(rng, level)
    if value == 0:
        raise Reject("degenerate")
    if sp.simplify(sp.limit(expr, X, point) - value) != 0:
        raise Reject("self_check_failed")
    rational = value.is_Rational
    if rational:
        bounded(value)
    where = "infinity" if point == sp.oo else plain(point)
    shape = "an integer or a fraction" if rational else "an exact closed form"
    question = f"Compute the limit of {plain(expr)} as x approaches {where}. Give {shape}."
    return Problem(
        family="calc.limit",
        difficulty=level,
        question=question,
        answer=plain(value),
        solution=dollars(tex(value)),
        answer_type="rational" if rational else "real",
        verification={"value": plain(value)},
        spec={"expr": plain(expr), "point": plain(point)},
    )
