"""Algebra families: linear equations, linear systems, polynomial roots, expansion, factoring.

Answer first: the solution vector is sampled and the system built from an invertible integer
matrix; polynomials are expanded from chosen roots or factors. sympy then solves the built
problem independently (solve / linsolve / roots / factor) and must agree with the construction.
"""

from __future__ import annotations

import math
import random

import sympy as sp

from synthgen.problems.base import Problem, Reject, bounded, family, nonzero_int
from synthgen.problems.render import X, dollars, plain, set_answer, tex, tuple_answer

_SYSTEM_SIZE = {1: 2, 2: 2, 3: 3, 4: 3, 5: 4}
_NAMES = ["x", "y", "z", "w"]


def _rational(rng: random.Random, top: int, q_max: int) -> sp.Rational:
    return sp.Rational(rng.randint(-top, top), rng.randint(1, q_max))


@family("alg.linear_1d", "algebra", "math")
def linear_1d(rng: random.Random, level: int) -> Problem:
    """Solve a*v + b = c*v + d for v with a rational solution."""
    var = sp.Symbol(rng.choice("xyzt"))
    top = 5 * level
    x = _rational(rng, top, 1 if level <= 2 else level)
    a, c = nonzero_int(rng, -top, top), rng.randint(-top, top)
    if a == c:
        raise Reject("degenerate")
    a = c + (a - c) * x.q  # make (a - c) a multiple of x's denominator so d is an integer
    b = rng.randint(-10 * top, 10 * top)
    d = (a - c) * x + b
    lhs, rhs = a * var + b, c * var + d
    if sp.solve(sp.Eq(lhs, rhs), var) != [x]:
        raise Reject("self_check_failed")
    bounded(x)
    question = f"Solve for {var}: {plain(lhs)} = {plain(rhs)}. Give {var} as an integer or a fraction in lowest terms."
    return Problem(
        family="alg.linear_1d",
        difficulty=level,
        question=question,
        answer=plain(x),
        solution=dollars(tex(x)),
        answer_type="rational",
        verification={"value": plain(x)},
        spec={"lhs": plain(lhs), "rhs": plain(rhs), "var": str(var)},
    )


@family("alg.linear_system", "algebra", "math")
def linear_system(rng: random.Random, level: int) -> Problem:
    """Solve an n x n integer linear system (n <= 4) built from a chosen solution."""
    n = _SYSTEM_SIZE[level]
    top = 3 + level
    names = _NAMES[:n]
    symbols = sp.symbols(names)
    solution = sp.Matrix([rng.randint(-9, 9) for _ in range(n)])
    a = sp.Matrix(n, n, lambda i, j: rng.randint(-top, top))
    if a.det() == 0:
        raise Reject("singular_matrix")
    b = a * solution
    equations = [sp.Eq(sum(a[i, j] * symbols[j] for j in range(n)), b[i]) for i in range(n)]
    solved = sp.linsolve(equations, *symbols)
    if solved != sp.FiniteSet(tuple(solution)):
        raise Reject("self_check_failed")
    text, latex, values = tuple_answer(list(solution))
    lines = "; ".join(f"{plain(e.lhs)} = {plain(e.rhs)}" for e in equations)
    question = f"Solve the system of equations: {lines}. Give the solution as ({', '.join(names)})."
    return Problem(
        family="alg.linear_system",
        difficulty=level,
        question=question,
        answer=text,
        solution=latex,
        answer_type="tuple",
        verification={"values": values, "names": names},
        spec={"equations": [[plain(e.lhs), plain(e.rhs)] for e in equations]},
    )


@family("alg.poly_roots", "algebra", "math")
def poly_roots(rng: random.Random, level: int) -> Problem:
    """Real roots of a polynomial expanded from chosen rational roots (repeated roots listed once)."""
    degree = min(level + 1, 5)
    q_max = 1 if level <= 2 else 3
    roots = [_rational(rng, 3 + level, q_max) for _ in range(degree)]
    if level >= 3 and rng.random() < 0.4:
        roots[-1] = roots[0]  # a repeated root: the prompt asks for it once
    scale = rng.choice([1, 1, -1, 2, -2]) if level >= 2 else 1
    poly = sp.expand(scale * math.prod((r.q * X - r.p) for r in roots))
    found = sp.roots(sp.Poly(poly, X))
    if set(found) != set(roots) or sum(found.values()) != degree:
        raise Reject("self_check_failed")
    text, latex, values = set_answer(roots)
    question = (
        f"Find all real roots of {plain(poly)} = 0. List each distinct root once (a repeated root only once), "
        "separated by commas, as integers or fractions."
    )
    return Problem(
        family="alg.poly_roots",
        difficulty=level,
        question=question,
        answer=text,
        solution=latex,
        answer_type="set",
        verification={"values": values, "element": "rational"},
        spec={"poly": plain(poly)},
    )


def _linear_factor(rng: random.Random, level: int):
    a = 1 if level <= 1 else rng.choice([1, 1, 2, 3, -1])
    b = nonzero_int(rng, -6 - level, 6 + level)
    if math.gcd(a, b) != 1:
        raise Reject("non_primitive_factor")
    return a * X + b


def _irreducible_quadratic(rng: random.Random):
    q = X**2 + rng.randint(-4, 4) * X + nonzero_int(rng, -9, 9)
    if not sp.Poly(q, X).is_irreducible:
        raise Reject("reducible_quadratic")
    return q


def _factors(rng: random.Random, level: int) -> list:
    count = {1: 2, 2: 2, 3: 3, 4: 3, 5: 4}[level]
    factors = [_linear_factor(rng, level) for _ in range(count)]
    if level >= 4:
        factors[-1] = _irreducible_quadratic(rng)
    if level >= 3 and rng.random() < 0.3:
        factors[1] = factors[0]  # a squared factor
    return factors


@family("alg.expand", "algebra", "math")
def expand_coefficient(rng: random.Random, level: int) -> Problem:
    """Expand a product of factors and report one coefficient (no copy-the-input answer)."""
    factors = _factors(rng, level)
    expanded = sp.Poly(sp.expand(math.prod(factors)), X)
    k = rng.randint(0, expanded.degree() - 1)
    value = expanded.coeff_monomial(X**k)
    if value == 0:
        raise Reject("zero_coefficient")
    if sp.expand(math.prod(factors)).coeff(X, k) != value:
        raise Reject("self_check_failed")
    power = "the constant term" if k == 0 else f"the coefficient of x**{k}" if k > 1 else "the coefficient of x"
    shown = "*".join(f"({plain(f)})" for f in factors)
    question = f"Expand {shown}. What is {power}?"
    return Problem(
        family="alg.expand",
        difficulty=level,
        question=question,
        answer=str(value),
        solution=f"${value}$",
        answer_type="integer",
        verification={"value": str(value)},
        spec={"factors": [plain(f) for f in factors], "k": k},
    )


@family("alg.factor", "algebra", "math")
def factor_polynomial(rng: random.Random, level: int) -> Problem:
    """Factor a polynomial over the rationals, built from chosen irreducible factors."""
    factors = _factors(rng, level)
    content = rng.choice([1, 1, 2, 3, -1]) if level >= 2 else 1
    expanded = sp.expand(content * math.prod(factors))
    gold = sp.factor(expanded)
    _, found = sp.factor_list(expanded)
    if sp.expand(gold - expanded) != 0 or sum(e for _, e in found) != len(factors):
        raise Reject("self_check_failed")
    question = (
        f"Factor {plain(expanded)} completely over the rationals. Write it as a product of irreducible "
        "factors with integer coefficients, using * for multiplication."
    )
    return Problem(
        family="alg.factor",
        difficulty=level,
        question=question,
        answer=plain(gold),
        solution=dollars(tex(gold)),
        answer_type="factored",
        verification={"value": plain(gold), "variables": ["x"]},
        spec={"poly": plain(expanded)},
    )
