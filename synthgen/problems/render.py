"""Canonical plain and LaTeX renderings of gold answers, and of polynomials inside questions.

Plain strings follow the issue-5 contract ("3/4", "-2, 1/2", "(1, -2, 3)", "[[1, 2], [3, 4]]");
the LaTeX goes into `solution` as `$...$` for TRL's math-verify based accuracy reward, written so
that math-verify reads it as the value we mean (natural logs as `\\ln`: math-verify reads `\\log`
as base 10, so a completion's `\\ln` would not match a `\\log` gold).
"""

from __future__ import annotations

import sympy as sp

X = sp.Symbol("x")


def plain(value) -> str:
    """sympy's plain string, which is what the verifier's whitelist parser reads ("x**2 + 1")."""
    return sp.sstr(value)


def tex(value) -> str:
    """LaTeX of a sympy value; exponentials as e^{...} (never \\mathrm{e}), natural logs as \\ln."""
    return sp.latex(value, ln_notation=True)


def dollars(latex: str) -> str:
    return f"${latex}$"


def set_answer(values: list) -> tuple[str, str, list[str]]:
    """Sorted distinct values as ('-2, 1/2', '$-2, \\frac{1}{2}$', ['-2', '1/2'])."""
    ordered = sorted(set(values), key=lambda v: float(v))
    texts = [plain(v) for v in ordered]
    return ", ".join(texts), dollars(", ".join(tex(v) for v in ordered)), texts


def tuple_answer(values: list) -> tuple[str, str, list[str]]:
    texts = [plain(v) for v in values]
    return "(" + ", ".join(texts) + ")", dollars(r"\left(" + ", ".join(tex(v) for v in values) + r"\right)"), texts


def matrix_answer(m: sp.Matrix) -> tuple[str, str, list[list[str]]]:
    rows = [[plain(m[i, j]) for j in range(m.cols)] for i in range(m.rows)]
    text = "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"
    body = r"\\".join("&".join(tex(m[i, j]) for j in range(m.cols)) for i in range(m.rows))
    return text, dollars(r"\begin{pmatrix}" + body + r"\end{pmatrix}"), rows


def matrix_text(m: sp.Matrix) -> str:
    """A matrix inside a question, in the same bracket form the answer uses."""
    return "[" + ", ".join("[" + ", ".join(plain(m[i, j]) for j in range(m.cols)) + "]" for i in range(m.rows)) + "]"


def poly_text(expr, var=X) -> str:
    """A polynomial in descending powers, '3*x**2 - 2*x + 1' (sympy's default order)."""
    return plain(sp.Poly(expr, var).as_expr())
