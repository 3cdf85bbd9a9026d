"""Every answer type: golds verify, equivalent forms pass, near misses fail (checked in-process).

These call `methods.check` directly (the code the worker runs) so that hundreds of cases stay
fast; tests/test_verify_sandbox.py covers the same path through the worker process.
"""

from __future__ import annotations

import pytest

from synthgen.verify.methods import check, infer_verification

X = {"variables": ["x"]}
SAT = {"method": "sat", "variables": ["A", "B", "C"], "clauses": [[1, -2], [2, 3], [-1, -3, 2]]}
KNIGHTS = {"method": "knights", "names": ["Alice", "Bob"], "solution": {"Alice": "knight", "Bob": "knave"}}
ORDER = {"method": "ordering", "items": ["Ann", "Bob", "Cid"], "solution": ["Cid", "Ann", "Bob"]}
TUPLE = {"method": "tuple", "values": ["1", "-2", "3/2"], "names": ["x", "y", "z"]}
MATRIX = {"method": "matrix", "rows": [["1", "-1/2"], ["3", "4"]]}
SET_Q = {"method": "set", "values": ["-2", "1/2"], "element": "rational"}
SET_R = {"method": "set", "values": ["1 - sqrt(2)", "1 + sqrt(2)"], "element": "real"}

CORRECT = [
    ("42", {"method": "integer", "value": "42"}),
    ("42.0", {"method": "integer", "value": "42"}),
    ("+42", {"method": "integer", "value": "42"}),
    ("x = 42", {"method": "integer", "value": "42"}),
    ("1,000", {"method": "integer", "value": "1000"}),
    ("$-7$", {"method": "integer", "value": "-7"}),
    ("1/2", {"method": "rational", "value": "1/2"}),
    ("0.5", {"method": "rational", "value": "1/2"}),
    (r"\frac{1}{2}", {"method": "rational", "value": "1/2"}),
    (r"\dfrac{2}{4}", {"method": "rational", "value": "1/2"}),
    (r"-\frac34", {"method": "rational", "value": "-3/4"}),
    (r"\frac{-3}{4}", {"method": "rational", "value": "-3/4"}),
    ("-0.75", {"method": "rational", "value": "-3/4"}),
    (r"\frac{\pi}{4} + \frac{\ln 2}{2}", {"method": "real", "value": "pi/4 + log(2)/2"}),
    (r"\frac{\pi + 2\log 2}{4}", {"method": "real", "value": "pi/4 + log(2)/2"}),
    (r"\frac{\sqrt{2}}{2}", {"method": "real", "value": "1/sqrt(2)"}),
    (r"\sqrt[3]{8}", {"method": "real", "value": "2"}),
    ("2pi", {"method": "real", "value": "2*pi"}),
    ("e^2", {"method": "real", "value": "exp(2)"}),
    ("5!", {"method": "real", "value": "120"}),
    ("1011_2", {"method": "string", "value": "1011", "case_sensitive": False}),
    (r"\text{FF}", {"method": "string", "value": "ff", "case_sensitive": False}),
    ("-2, 1/2", SET_Q),
    ("1/2, -2", SET_Q),
    (r"\{0.5, -2\}", SET_Q),
    (r"\left\{ -2, \frac{1}{2} \right\}", SET_Q),
    ("x = -2, x = 1/2", SET_Q),
    (r"1 \pm \sqrt{2}", SET_R),
    (r"1+\sqrt2, 1-\sqrt 2", SET_R),
    ("(1, -2, 3/2)", TUPLE),
    ("(1, -2, 1.5)", TUPLE),
    ("z = 3/2, x = 1, y = -2", TUPLE),
    (r"\left( 1, \  -2, \  \frac{3}{2}\right)", TUPLE),
    ("[[1, -1/2], [3, 4]]", MATRIX),
    (r"\begin{pmatrix} 1 & -\frac{1}{2} \\ 3 & 4 \end{pmatrix}", MATRIX),
    (r"\left[\begin{matrix}1 & - \frac{1}{2}\\3 & 4\end{matrix}\right]", MATRIX),
    ("(x+1)^2", {"method": "expression", "value": "x**2 + 2*x + 1", **X}),
    ("x^{2} + 2 x + 1", {"method": "expression", "value": "(x + 1)**2", **X}),
    ("y = x(x+2) + 1", {"method": "expression", "value": "(x + 1)**2", **X}),
    (r"\frac{1}{x+1}", {"method": "expression", "value": "1/(x + 1)", **X}),
    (r"2\sin x\cos x", {"method": "expression", "value": "sin(2*x)", **X}),
    (r"\sin^2 x + \cos^2 x", {"method": "expression", "value": "1", **X}),
    (r"e^{x} x", {"method": "expression", "value": "x*exp(x)", **X}),
    ("xy + y^2", {"method": "expression", "value": "y*(x + y)", "variables": ["x", "y"]}),
    ("(x-1)(x+2)", {"method": "factored", "value": "(x - 1)*(x + 2)", **X}),
    ("(x+2)(x-1)", {"method": "factored", "value": "(x - 1)*(x + 2)", **X}),
    (r"2 \left(x - 1\right) \left(x + 2\right)", {"method": "factored", "value": "2*(x - 1)*(x + 2)", **X}),
    ("(x-1)^2 (x^2+1)", {"method": "factored", "value": "(x - 1)**2*(x**2 + 1)", **X}),
    ("x sin x + cos x", {"method": "antiderivative", "integrand": "x*cos(x)", "variable": "x"}),
    ("x sin(x) + cos(x) + C", {"method": "antiderivative", "integrand": "x*cos(x)", "variable": "x"}),
    ("x\\sin x+\\cos x + 17", {"method": "antiderivative", "integrand": "x*cos(x)", "variable": "x"}),
    (r"\ln|x|", {"method": "antiderivative", "integrand": "1/x", "variable": "x"}),
    ("A=true, B=true, C=false", SAT),
    ("A = T; B = T; C = F", SAT),
    (r"\text{A=1, B=1, C=1}", SAT),
    ("Alice=knight, Bob=knave", KNIGHTS),
    ("Bob: knave, Alice: knight", KNIGHTS),
    ("Alice is a knight and Bob is a knave", KNIGHTS),
    ("Cid, Ann, Bob", ORDER),
    (r"\text{Cid} \to \text{Ann} \to \text{Bob}", ORDER),
]

WRONG = [
    ("43", {"method": "integer", "value": "42"}),  # off by one
    ("-42", {"method": "integer", "value": "42"}),  # flipped sign
    ("42.5", {"method": "integer", "value": "42"}),
    ("1/3", {"method": "rational", "value": "1/2"}),
    ("0.3333333333", {"method": "rational", "value": "1/3"}),  # inexact decimal is not 1/3
    ("3/4", {"method": "rational", "value": "-3/4"}),
    ("0.7853981633974483", {"method": "real", "value": "pi/4"}),  # a float is not pi/4
    (r"\frac{\pi}{4} - \frac{\ln 2}{2}", {"method": "real", "value": "pi/4 + log(2)/2"}),
    ("1010", {"method": "string", "value": "1011", "case_sensitive": False}),
    ("-2", SET_Q),  # dropped root
    ("2, 1/2", SET_Q),  # flipped sign
    ("-2, 1/2, 3", SET_Q),  # extra root
    ("-2, -2, 1/2", SET_Q),  # duplicates rejected
    (r"1 + \sqrt{2}", SET_R),
    ("(-2, 1, 3/2)", TUPLE),  # reordered tuple: order matters
    ("(1, -2, 5/2)", TUPLE),
    ("(1, -2)", TUPLE),
    ("x = 1, y = -2, w = 3/2", TUPLE),
    ("[[1, -1/2], [3, 5]]", MATRIX),
    ("[[1, 3], [-1/2, 4]]", MATRIX),  # transposed
    ("[[1, -1/2, 0], [3, 4, 0]]", MATRIX),
    ("x^2+2x+2", {"method": "expression", "value": "x**2 + 2*x + 1", **X}),
    ("-(x+1)^2", {"method": "expression", "value": "x**2 + 2*x + 1", **X}),
    ("x^2+x-2", {"method": "factored", "value": "(x - 1)*(x + 2)", **X}),  # the unfactored input
    ("(x-1)(x+2)+0", {"method": "factored", "value": "(x - 1)*(x + 3)", **X}),
    ("(x^2-1)(x+2)", {"method": "factored", "value": "(x - 1)*(x + 1)*(x + 2)", **X}),  # x^2-1 is reducible
    ("x sin x - cos x", {"method": "antiderivative", "integrand": "x*cos(x)", "variable": "x"}),
    ("x sin x + cos x + x", {"method": "antiderivative", "integrand": "x*cos(x)", "variable": "x"}),
    ("C x", {"method": "antiderivative", "integrand": "1", "variable": "x"}),
    ("A=true, B=false, C=true", SAT),  # violates clause 3
    ("A=true, B=true", SAT),  # C unassigned
    ("A=true, B=true, C=false, A=false", SAT),  # A twice
    ("Alice=knave, Bob=knave", KNIGHTS),
    ("Alice=knight", KNIGHTS),
    ("Ann, Cid, Bob", ORDER),
    ("Cid, Ann", ORDER),
]

UNPARSEABLE = [
    ("4 2", {"method": "integer", "value": "42"}),
    ("6*7", {"method": "integer", "value": "42"}),  # arithmetic is not a numeral: no copying the question
    (r"\frac{1}{2", {"method": "rational", "value": "1/2"}),
    (r"\infty", {"method": "real", "value": "1"}),
    ("1/0", {"method": "real", "value": "1"}),
    ("y + 1", {"method": "expression", "value": "x + 1", **X}),  # undeclared variable
    ("Bob is not a knight but a knave, Alice = knight", KNIGHTS),  # Logic-RL#64: refused, not guessed
    ("A=maybe, B=false, C=false", SAT),
    ("Cid, Ann, Dan", ORDER),
]


@pytest.mark.parametrize(("answer", "verification"), CORRECT)
def test_equivalent_forms_pass(answer, verification):
    assert check(answer, verification) == ("correct", "")


@pytest.mark.parametrize(("answer", "verification"), WRONG)
def test_near_misses_fail(answer, verification):
    assert check(answer, verification)[0] == "wrong"


@pytest.mark.parametrize(("answer", "verification"), UNPARSEABLE)
def test_malformed_answers_are_unparseable(answer, verification):
    assert check(answer, verification)[0] == "unparseable"


@pytest.mark.parametrize(
    "verification",
    [
        {"method": "nope", "value": "1"},
        {"method": "integer"},
        {"method": "integer", "value": "1/2"},
        {"method": "expression", "value": "x + ", **X},
        {"method": "knights", "names": ["A"], "solution": {"B": "knight"}},
        {"method": "sat", "variables": ["A"], "clauses": [[2]]},
    ],
)
def test_broken_verification_is_bad_gold_not_a_wrong_answer(verification):
    assert check("1", verification)[0] == "bad_gold"


@pytest.mark.parametrize(
    ("gold", "method"),
    [("42", "integer"), ("-3/4", "rational"), ("0.25", "rational"), ("sqrt(2)/2", "real"), ("(1, 2)", "tuple"),
     ("1, 2", "set"), ("[[1, 2], [3, 4]]", "matrix"), ("x**2 + 1", "expression"), ("Cid, Ann", "set")],
)  # fmt: skip
def test_infer_verification_for_bare_golds(gold, method):
    inferred = infer_verification(gold)
    if gold == "Cid, Ann":  # words are not numbers: a set of reals cannot hold them, and it says so
        assert check(gold, inferred)[0] != "correct"
        return
    assert inferred["method"] == method
    assert check(gold, inferred) == ("correct", "")


def test_sympy_latex_output_round_trips_through_the_latex_subset():
    """Whatever sympy.latex() prints for typical golds must parse back to an equivalent value."""
    import sympy

    from synthgen.verify.compare import expressions_equal
    from synthgen.verify.safe_parse import make_symbols, parse_math

    syms = make_symbols(["x", "y"])
    x, y = syms["x"], syms["y"]
    exprs = [
        x**2 + 2 * x + 1, (x - 1) * (x + 2), sympy.Rational(-3, 4), sympy.sqrt(2) / 2, sympy.pi / 4 + sympy.log(2) / 2,
        sympy.exp(x) * sympy.sin(x), sympy.log(x) / x, 1 / (x**2 + 1), sympy.atan(x), sympy.asin(x), sympy.Abs(x - 1),
        (x + 1) ** sympy.Rational(1, 3), 2**x, sympy.exp(2 * x), sympy.sin(x) ** 2, sympy.tan(3 * x) / x,
        x * y + y**2, (x + y) / (x - y), sympy.cosh(x), 120 * x, -x, x**-2, sympy.exp(-(x**2)), sympy.log(2 * x + 1, 2),
    ]  # fmt: skip
    for expr in exprs:
        for form in (sympy.latex(expr), str(expr)):
            assert expressions_equal(parse_math(form, syms), expr, [x, y]), form
