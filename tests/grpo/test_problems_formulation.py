"""The formulation language: shape checks (no sympy), grammar, sandboxed gold computation, agreement."""

from __future__ import annotations

import pytest

from synthgen.backends.json_grammar import schema_to_gbnf
from synthgen.grpo.sourcing.formulation import (
    KINDS,
    FormulationError,
    answer_appears,
    formulation_schema,
    numeric_literals,
    parse_formulation,
    proposal_schema,
    solve_in_sandbox,
)
from synthgen.grpo.sourcing.requests import expected_of
from synthgen.verify import check_gold


def f(kind, expressions, unknowns, answer_type):
    return {"kind": kind, "expressions": expressions, "unknowns": unknowns, "answer_type": answer_type}


@pytest.mark.parametrize("kind", [*KINDS, None])
def test_schemas_compile_to_grammars(kind):
    grammar = schema_to_gbnf(formulation_schema(kind))
    assert "root ::=" in grammar and '\\"kind\\"' in grammar
    if kind:
        assert f'\\"{kind}\\"' in schema_to_gbnf(proposal_schema(kind))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"kind": "solve"}, "bad_formulation"),
        (f("solve", ["x = 1", "x = 2"], ["x"], "integer"), "wrong_arity"),
        (f("system", ["x + y = 1", "x - y = 2"], ["x"], "tuple"), "wrong_arity"),
        (f("evaluate", ["2 + 2"], ["x"], "integer"), "wrong_arity"),
        (f("integrate", ["x", "0"], ["x"], "integer"), "wrong_arity"),
        (f("evaluate", ["2 + 2"], [], "tuple"), "type_mismatch"),
        (f("integrate", ["x"], ["x"], "integer"), "type_mismatch"),
        (f("integrate", ["x", "0", "1"], ["x"], "expression"), "type_mismatch"),
        (f("solve", ["x = 1"], ["q"], "integer"), "bad_unknowns"),
        (f("evaluate", ["__import__('os').system('true')"], [], "integer"), "invalid_characters"),
        (f("evaluate", ["a.__class__"], [], "integer"), "invalid_characters"),
        (f("evaluate", ["x = 2"], [], "integer"), "not_an_equation"),
        (f("system", ["x + y", "x - y = 2"], ["x", "y"], "tuple"), "not_an_equation"),
        (f("solve", ["x = 1 = 2"], ["x"], "integer"), "not_an_equation"),
        ("not an object", "bad_formulation"),
    ],
)
def test_parse_formulation_refuses_with_a_reason(data, reason):
    with pytest.raises(FormulationError) as info:
        parse_formulation(data)
    assert info.value.reason == reason


def test_parse_formulation_accepts_each_kind():
    for data in [
        f("solve", ["3*x + 4 = 19"], ["x"], "integer"),
        f("evaluate", ["(3/4 + 2) * 8"], [], "rational"),
        f("system", ["x + y = 10", "x - y = 2"], ["x", "y"], "tuple"),
        f("differentiate", ["x**3 + 2*sin(x)"], ["x"], "expression"),
        f("integrate", ["2*x", "0", "3"], ["x"], "integer"),
    ]:
        assert parse_formulation(data).model_dump() == data


GOLDS = [
    (f("solve", ["3*x + 4 = 19"], ["x"], "integer"), "5", "integer"),
    (f("solve", ["2*x - 1 = 0"], ["x"], "rational"), "1/2", "rational"),
    (f("solve", ["x**2 - 5*x + 6 = 0"], ["x"], "set"), "2, 3", "set"),
    (f("solve", ["x**2 = 2"], ["x"], "set"), "-sqrt(2), sqrt(2)", "set"),
    (f("evaluate", ["(3/4 + 2) * 8"], [], "integer"), "22", "integer"),
    (f("evaluate", ["sqrt(8) + 1"], [], "real"), "1 + 2*sqrt(2)", "real"),
    (f("system", ["x + y = 10", "x - y = 2"], ["x", "y"], "tuple"), "(6, 4)", "tuple"),
    (f("differentiate", ["x**3 + 2*sin(x)"], ["x"], "expression"), "3*x**2 + 2*cos(x)", "expression"),
    (f("integrate", ["3*t**2 + 1"], ["t"], "expression"), "t**3 + t", "antiderivative"),
    (f("integrate", ["2*x", "0", "3"], ["x"], "integer"), "9", "integer"),
]


def test_golds_computed_in_the_sandbox_pass_check_gold():
    results = solve_in_sandbox([{"f": data} for data, _, _ in GOLDS])
    for (_, answer, method), gold in zip(GOLDS, results, strict=True):
        assert gold["ok"], gold
        assert (gold["answer"], gold["answer_type"]) == (answer, method)
        row = {"answer": gold["answer"], "solution": gold["solution"],
               "verification": {"method": gold["answer_type"], **gold["verification"]}}  # fmt: skip
        assert check_gold(row).reason == "correct"


def test_evaluate_spec_keeps_the_expression_not_its_value():
    a, b = solve_in_sandbox([{"f": f("evaluate", [e], [], "integer")} for e in ["(3/4 + 2) * 8", "20 + 2"]])
    assert a["answer"] == b["answer"] == "22" and a["spec"] != b["spec"]
    c, d = solve_in_sandbox([{"f": f("solve", [e], ["x"], "integer")} for e in ["3*x + 4 = 19", "3*x = 15"]])
    assert c["spec"] == d["spec"]  # one equation, two spellings: one problem, one id


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (f("evaluate", ["9**9**9**9"], [], "integer"), "too_large"),
        (f("evaluate", ["10**1000**1000"], [], "integer"), "too_large"),
        (f("evaluate", ["1/0"], [], "integer"), "unparseable"),
        (f("evaluate", ["foo(2)"], [], "integer"), "unparseable"),
        (f("evaluate", ["1/3"], [], "integer"), "type_mismatch"),
        (f("evaluate", ["sqrt(-4)"], [], "real"), "not_real"),
        (f("evaluate", ["10**12"], [], "integer"), "out_of_range"),
        (f("evaluate", ["1/10**9"], [], "rational"), "out_of_range"),
        (f("solve", ["x**2 - 5*x + 6 = 0"], ["x"], "integer"), "not_unique"),
        (f("solve", ["x**2 = -1"], ["x"], "set"), "no_solution"),
        (f("solve", ["sin(x) = 0"], ["x"], "set"), "not_finite_solution_set"),
        (f("solve", ["x + 1 = x + 1"], ["x"], "integer"), "unknown_missing"),
        (f("solve", ["y = 2"], ["x"], "integer"), "unparseable"),
        (f("system", ["x + y = 1", "2*x + 2*y = 2"], ["x", "y"], "tuple"), "not_unique"),
        (f("system", ["x + y = 1", "x + y = 2"], ["x", "y"], "tuple"), "no_solution"),
        (f("differentiate", ["5"], ["x"], "expression"), "unknown_missing"),
        (f("integrate", ["x", "0", "y"], ["x"], "integer"), "unparseable"),
    ],
)
def test_ill_posed_or_hostile_formulations_are_refused_with_a_reason(data, reason):
    (result,) = solve_in_sandbox([{"f": data}])
    assert result["ok"] is False and result["reason"] == reason


def test_hostile_text_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    code = f"__import__('os').system('touch {marker}')"
    with pytest.raises(FormulationError):
        parse_formulation(f("evaluate", [code[:80]], [], "integer"))
    (result,) = solve_in_sandbox([{"f": f("evaluate", [code], [], "integer")}])  # even past the parent check
    assert result["ok"] is False and result["reason"] == "unparseable"
    assert not marker.exists()


def test_agreement_same_problem_other_spelling_and_disagreement():
    (gold,) = solve_in_sandbox([{"f": f("solve", ["x**2 - 5*x + 6 = 0"], ["x"], "set")}])
    expect = expected_of("solve", ["x"], gold["answer_type"], gold["verification"])
    same = f("solve", ["(x - 2)*(x - 3) = 0"], ["x"], "set")
    renamed = f("solve", ["(t - 2)*(t - 3) = 0"], ["t"], "integer")  # names do not matter for a set of numbers
    other = f("solve", ["(x - 2)*(x - 4) = 0"], ["x"], "set")
    fewer = f("solve", ["x - 2 = 0"], ["x"], "set")
    wrong_kind = f("evaluate", ["2 + 3"], [], "integer")
    results = solve_in_sandbox([{"f": g, "expect": expect} for g in [same, renamed, other, fewer, wrong_kind]])
    assert [r["reason"] for r in results] == [
        None,
        None,
        "extraction_disagrees",
        "extraction_disagrees",
        "extraction_kind_differs",
    ]
    (d,) = solve_in_sandbox([{"f": f("differentiate", ["x**3"], ["x"], "expression")}])
    d_expect = expected_of("differentiate", ["x"], d["answer_type"], d["verification"])
    results = solve_in_sandbox(
        [
            {"f": f("differentiate", ["x**3 + 7"], ["x"], "expression"), "expect": d_expect},  # same derivative
            {"f": f("differentiate", ["t**3"], ["t"], "expression"), "expect": d_expect},  # names matter here
        ]
    )
    assert [r["reason"] for r in results] == [None, "extraction_unknowns_differ"]


def test_answer_leak_helpers():
    assert answer_appears("5", "What is x if 3x = 15? Hint: 5")
    assert not answer_appears("5", "Solve 3x + 15 = 20.5")
    assert not answer_appears("1/2", "Solve 2x = 1 for x")
    assert numeric_literals(["3*x + 04 = 19.5"]) == {"3", "4", "19.5"}
