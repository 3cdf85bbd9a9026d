"""Regressions for reported verifier bugs: exact zeros in numeric probes, hand-typeset matrices.

1. A probe point on a root of the gold (x = 194/97 = 2 for `-(x - 2)*...`) made evalf return a
   precision-1 zero `0.e-140` that sympy cannot order, so a correct answer came back
   "unparseable". The same happened for closed forms that are exactly zero (`log(4) - 2*log(2)`).
2. Matrices as models write them: spaces and newlines around `&` and `\\\\`, a trailing row break,
   `\\end {pmatrix}`, row spacing, `\\cr`, a leading `A^{-1} =`.
"""

from __future__ import annotations

import pytest

from synthgen.verify import check_answer
from synthgen.verify.compare import expressions_equal, probe_points
from synthgen.verify.methods import check
from synthgen.verify.safe_parse import make_symbols, parse_math

FACTORED = {"method": "factored", "value": "-(x - 2)*(x + 3)*(3*x - 2)", "variables": ["x"]}
MATRIX = {"method": "matrix", "rows": [["1", "0"], ["2", "1"]]}


def test_reported_factored_gold_verifies_through_the_worker():
    verdict = check_answer("-(x - 2)*(x + 3)*(3*x - 2)", FACTORED)
    assert (verdict.reason, verdict.score) == ("correct", 1.0)


def test_the_probe_really_hits_the_root_it_used_to_crash_on():
    import sympy

    symbols = make_symbols(("x",))
    x = symbols["x"]
    gold = parse_math(FACTORED["value"], symbols)
    points = probe_points([x], sympy.srepr(gold))
    assert any(gold.subs(p) == 0 for p in points)  # otherwise this test would not exercise the zero path
    assert expressions_equal(sympy.expand(gold), gold, [x])
    assert not expressions_equal(sympy.expand(gold) + (x - 2), gold, [x])  # equal at the root, not elsewhere


@pytest.mark.parametrize(
    ("answer", "verification", "reason"),
    [
        ("-(x - 2)*(x + 3)*(3*x - 2)", FACTORED, "correct"),
        ("(x - 2)*(x + 3)*(3*x - 2)", FACTORED, "wrong"),  # sign flipped: zero at the same roots
        ("-3*x**3 - x**2 + 20*x - 12", FACTORED, "wrong"),  # equivalent but not factored
        ("log(4) - 2*log(2)", {"method": "real", "value": "0"}, "correct"),
        ("0", {"method": "real", "value": "log(4) - 2*log(2)"}, "correct"),
        ("log(4) - log(2)", {"method": "real", "value": "0"}, "wrong"),
        ("-3*x**3 - x**2 + 20*x - 12", {**FACTORED, "method": "expression"}, "correct"),
    ],
)
def test_exact_zero_values_compare(answer, verification, reason):
    assert check(answer, verification, 1000)[0] == reason


SPACED_MATRICES = [
    r"\begin{pmatrix} 1 & 0 \\ 2 & 1 \end{pmatrix}",
    r"\begin{pmatrix}1&0\\2&1\end{pmatrix}",
    "\\begin{pmatrix}\n  1 & 0 \\\\   \n  2 & 1\n\\end{pmatrix}",
    "\\begin{pmatrix} 1 & 0 \\\\ 2 & 1 \\\\  \n\\end{pmatrix}",
    r"\begin{bmatrix} 1 & 0 \\ 2 & 1 \end{bmatrix}",
    "\\begin{bmatrix}\n1 & 0 \\\\\n2 & 1 \\\\\n\\end{bmatrix}",
    r"\begin {pmatrix} 1 & 0 \\ 2 & 1 \end {pmatrix}",
    r"\begin{pmatrix} 1 & 0 \\[2pt] 2 & 1 \end{pmatrix}",
    r"\begin{pmatrix} 1 & 0 \cr 2 & 1 \end{pmatrix}",
    r"\left[ \begin{matrix} 1 & 0 \\ 2 & 1 \end{matrix} \right]",
    r"A^{-1} = \begin{pmatrix} 1 & 0 \\ 2 & 1 \end{pmatrix}",
    "[[1, 0], [2, 1]]",
]


@pytest.mark.parametrize("answer", SPACED_MATRICES)
def test_hand_typeset_matrices_pass(answer):
    assert check(answer, MATRIX, 1000) == ("correct", "")


@pytest.mark.parametrize(
    "answer",
    [
        r"\begin{pmatrix} 1 & 2 \\ 0 & 1 \end{pmatrix}",  # transposed
        r"\begin{bmatrix} 1 & 0 \\ 2 & 2 \end{bmatrix}",
        r"\begin{pmatrix} 1 & 0 \\ 2 & 1 \\ 0 & 0 \end{pmatrix}",  # extra row
        r"\begin{pmatrix} 1 & 0 & 0 \\ 2 & 1 \end{pmatrix}",
    ],
)
def test_spaced_matrices_still_compare_cells(answer):
    assert check(answer, MATRIX, 1000)[0] == "wrong"


def test_spaced_matrix_in_a_completion_scores_through_the_reward():
    from synthgen.rewards import accuracy_reward

    spaced = "\\[\\boxed{\\begin{pmatrix} 1 & 0 \\\\ 2 & 1 \\end{pmatrix}}\\]"
    completions = [
        [{"role": "assistant", "content": "Row reduce.\n" + spaced}],
        [{"role": "assistant", "content": "So \\boxed{\\begin{bmatrix}\n 1 & 0 \\\\ \n 2 & 5 \n\\end{bmatrix}}"}],
    ]
    scores = accuracy_reward(completions, answer=["[[1, 0], [2, 1]]"] * 2, verification=[MATRIX] * 2)
    assert scores == [1.0, 0.0]
