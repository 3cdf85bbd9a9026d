"""Family golds through the verifier (synthgen.verify): golds pass, near misses fail, equivalent forms pass.

Perturbations are built here from the structured gold (not with the verifier's own perturb
module), for the mistakes a policy makes: off by one, flipped sign, dropped root, reordered
tuple, transposed matrix, copying the unfactored input, a falsifying assignment, a swapped pair.
"""

from __future__ import annotations

import itertools
import json

import pytest
import sympy as sp

from synthgen.grpo.row import problem_row
from synthgen.problems import FAMILIES, make_problem
from synthgen.verify import check_answers, check_gold

SEEDS = range(10)
LEVELS = range(1, 6)


def rows(name: str) -> list[dict]:
    fam = FAMILIES[name]
    return [problem_row(make_problem(fam, seed, seed * 11 + level, level)) for level in LEVELS for seed in SEEDS]


def _number_variants(value: str) -> tuple[list[str], list[str]]:
    v = sp.Rational(value)
    wrong = [str(v + 1)] + ([str(-v)] if v != 0 else [])
    right = [f"\\frac{{{v.p}}}{{{v.q}}}" if v.q != 1 else f"{v.p}.0"]
    if v.q != 1 and 10**12 % v.q == 0:
        right.append(str(sp.Float(v, 20)).rstrip("0"))  # a terminating decimal is the same number
    return wrong, right


def variants(row: dict) -> tuple[list[str], list[str]]:
    """(answers that must fail, answers that must pass) for one row."""
    v = json.loads(row["verification"])
    method, ans = v["method"], row["answer"]
    if method in ("integer", "rational"):
        return _number_variants(v["value"])
    if method == "real":
        return [f"({ans}) + 1", f"-({ans})"], [f"2*({ans})/2"]
    if method == "set":
        values = v["values"]
        wrong = [", ".join([*values, str(sp.Rational(values[-1]) + 1)])]
        if len(values) > 1:
            wrong.append(", ".join(values[1:]))  # a dropped root
        return wrong, [", ".join(reversed(values))]
    if method == "tuple":
        values, names = v["values"], v["names"]
        wrong = ["(" + ", ".join([str(sp.Rational(values[0]) + 1), *values[1:]]) + ")"]
        if values[0] != values[1]:
            wrong.append("(" + ", ".join([values[1], values[0], *values[2:]]) + ")")  # reordered
        named = ", ".join(f"{n}={x}" for n, x in reversed(list(zip(names, values, strict=True))))
        return wrong, [named]
    if method == "matrix":
        m = sp.Matrix([[sp.Rational(x) for x in r] for r in v["rows"]])
        bumped = m.copy()
        bumped[0, 0] += 1
        wrong = [str(bumped.tolist())]
        if m != m.T:
            wrong.append(str(m.T.tolist()))
        return wrong, [str(m.tolist()).replace(" ", "")]
    if method == "expression":
        f = sp.sympify(ans)  # our own gold string
        return [f"{ans} + 1", sp.sstr(sp.integrate(f, sp.Symbol("x")))], [sp.sstr(sp.expand(f))]
    if method == "antiderivative":
        return [v["integrand"], f"{ans} + x"], [f"{ans} + 7", f"{ans} + C"]
    if method == "factored":
        x = sp.Symbol("x")
        expanded = sp.sstr(sp.expand(sp.sympify(ans)))
        factors = sp.Mul.make_args(sp.sympify(ans))
        reordered = "*".join(f"({sp.sstr(f)})" for f in reversed(factors))
        return [expanded, sp.sstr(sp.expand(sp.sympify(ans).subs(x, x + 1)))], [reordered]
    if method == "string":
        last = ans[-1]
        swapped = ans[:-1] + ("1" if last != "1" else "0")
        return [swapped], [ans.lower()]
    if method == "sat":
        names, clauses = v["variables"], v["clauses"]
        wrong, right = [], []
        for values in itertools.product((True, False), repeat=len(names)):
            a = dict(zip(names, values, strict=True))
            ok = all(any(a[names[abs(lit) - 1]] == (lit > 0) for lit in c) for c in clauses)
            text = ", ".join(f"{n}={'true' if a[n] else 'false'}" for n in names)
            (right if ok else wrong).append(text)
        return wrong[:2] + [", ".join(ans.split(", ")[:-1])], right[:2]  # a missing variable fails
    if method == "knights":
        names, sol = v["names"], v["solution"]
        flip = dict(sol, **{names[0]: "knave" if sol[names[0]] == "knight" else "knight"})
        return [", ".join(f"{n}={flip[n]}" for n in names)], [", ".join(f"{n}={sol[n]}" for n in reversed(names))]
    if method == "ordering":
        order = v["solution"]
        return [", ".join([order[1], order[0], *order[2:]])], [", ".join(order)]
    raise AssertionError(f"no variants for {method}")


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_golds_pass_check_gold(name):
    for row in rows(name):
        verdict = check_gold(row)
        assert verdict.score == 1.0, (row["question"], row["answer"], row["solution"], verdict)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_perturbed_answers_fail_and_equivalent_forms_pass(name):
    items, expect = [], []
    for row in rows(name)[::2]:
        wrong, right = variants(row)
        for text in wrong:
            items.append((text, row["verification"]))
            expect.append((False, text, row["answer"]))
        for text in right:
            items.append((text, row["verification"]))
            expect.append((True, text, row["answer"]))
    verdicts = check_answers(items, gold=True, timeout=10)
    failures = [
        (want, text, gold, v.reason, v.detail)
        for (want, text, gold), v in zip(expect, verdicts, strict=True)
        if (v.score == 1.0) != want
    ]
    assert not failures, failures[:5]
