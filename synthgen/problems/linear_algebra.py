"""Linear algebra families: determinant, inverse, eigenvalues of small integer matrices.

Inverses come from unimodular matrices (integer inverse) or from a matrix with a small chosen
determinant (rational inverse); eigenvalue problems are built as P D P^-1 with a unimodular P, so
the matrix is integer and its spectrum is the chosen D. sympy recomputes each answer.
"""

from __future__ import annotations

import random

import sympy as sp

from synthgen.problems.base import Problem, Reject, bounded, family, nonzero_int
from synthgen.problems.render import matrix_answer, matrix_text, set_answer

_SIZE = {1: 2, 2: 3, 3: 3, 4: 4, 5: 4}
_MAX_ENTRY = 60  # keeps questions short and hand-computable


def unimodular(rng: random.Random, n: int, steps: int) -> sp.Matrix:
    """An integer matrix with determinant +-1: identity after random integer row operations."""
    m = sp.eye(n)
    for _ in range(steps):
        i, j = rng.sample(range(n), 2)
        m[i, :] = m[i, :] + nonzero_int(rng, -2, 2) * m[j, :]
    if rng.random() < 0.5:
        i, j = rng.sample(range(n), 2)
        m[i, :], m[j, :] = m[j, :], m[i, :]
    return m


def _small(m: sp.Matrix, limit: int = _MAX_ENTRY) -> bool:
    return all(abs(v) <= limit for v in m)


@family("linalg.det", "linear_algebra", "math")
def determinant(rng: random.Random, level: int) -> Problem:
    """Determinant of a 2x2 to 4x4 integer matrix."""
    n = _SIZE[level]
    top = 3 + 2 * level
    m = sp.Matrix(n, n, lambda i, j: rng.randint(-top, top))
    value = m.det(method="bareiss")
    if value != m.det(method="berkowitz"):
        raise Reject("self_check_failed")
    if value == 0 and rng.random() < 0.8:
        raise Reject("zero_determinant")  # keep a few singular matrices, not many
    question = f"Compute the determinant of the matrix {matrix_text(m)} (rows listed in order)."
    return Problem(
        family="linalg.det",
        difficulty=level,
        question=question,
        answer=str(value),
        solution=f"${value}$",
        answer_type="integer",
        verification={"value": str(value)},
        spec={"m": [[int(v) for v in m.row(i)] for i in range(n)]},
    )


@family("linalg.inverse", "linear_algebra", "math")
def inverse(rng: random.Random, level: int) -> Problem:
    """Inverse of an invertible 2x2 or 3x3 integer matrix (integer or rational entries)."""
    n = 2 if level <= 2 else 3
    if level in (1, 3):
        m = unimodular(rng, n, steps=2 + level)
    else:
        m = sp.Matrix(n, n, lambda i, j: rng.randint(-4 - level, 4 + level))
        if m.det() == 0 or abs(m.det()) > 12:
            raise Reject("determinant_out_of_range")
    if not _small(m, 20):
        raise Reject("entries_too_large")
    inv = m.inv()
    if m * inv != sp.eye(n) or inv != m.inv(method="LU"):
        raise Reject("self_check_failed")
    bounded(*inv)
    text, latex, rows = matrix_answer(inv)
    question = (
        f"Find the inverse of the matrix {matrix_text(m)} (rows listed in order). "
        "Give it in the same [[...], [...]] row format with exact fractions where needed."
    )
    return Problem(
        family="linalg.inverse",
        difficulty=level,
        question=question,
        answer=text,
        solution=latex,
        answer_type="matrix",
        verification={"rows": rows},
        spec={"m": [[int(v) for v in m.row(i)] for i in range(n)]},
    )


@family("linalg.eigvals", "linear_algebra", "math")
def eigenvalues(rng: random.Random, level: int) -> Problem:
    """Eigenvalues of an integer matrix P D P^-1 built from a chosen integer spectrum."""
    n = 2 if level <= 2 else 3
    spectrum = [rng.randint(-6, 6) for _ in range(n)]
    p = unimodular(rng, n, steps=1 + level)
    m = p * sp.diag(*spectrum) * p.inv()
    if not _small(m) or m.is_diagonal():
        raise Reject("entries_too_large" if not _small(m) else "trivial_matrix")
    found = m.eigenvals()
    if set(found) != set(spectrum) or sum(found.values()) != n:
        raise Reject("self_check_failed")
    text, latex, values = set_answer([sp.Integer(v) for v in spectrum])
    question = (
        f"Find all eigenvalues of the matrix {matrix_text(m)} (rows listed in order). "
        "List each distinct eigenvalue once, separated by commas."
    )
    return Problem(
        family="linalg.eigvals",
        difficulty=level,
        question=question,
        answer=text,
        solution=latex,
        answer_type="set",
        verification={"values": values, "element": "rational"},
        spec={"m": [[int(v) for v in m.row(i)] for i in range(n)]},
    )
