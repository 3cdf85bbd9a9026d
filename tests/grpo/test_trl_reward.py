"""GRPO rows that TRL's own `accuracy_reward` reads right, with the real math-verify.

`trl.rewards.accuracy_reward` parses the row's `solution` with math-verify and the completion
with a LaTeX extraction that tries `\\boxed{}` first, then asks math-verify whether the two are
equal. TRL itself is not a dependency (it needs torch), so `trl_accuracy` below calls math-verify
with the settings of that function (as in trl 1.16.0, trl/rewards/accuracy_rewards.py, with the
main-thread timeouts). For every math family, the gold written the usual ways (digits, `\\frac`,
`\\ln`, sets in braces, tuples in parentheses, `bmatrix` and `pmatrix`, digits and capital letters
for bases) must score 1.0 and an off-by-one 0.0.

Where TRL's reward cannot judge, synthgen.rewards can, and the test says so: an antiderivative
written with `+ C`, the word answers of the logic families, and the digit order of a base
conversion (math-verify reads 1A as the product 1*A, so A1 matches it too).
"""

from __future__ import annotations

import json
import logging

import pytest
import sympy as sp

import synthgen
from synthgen.problems import FAMILIES
from synthgen.rewards import accuracy_reward

math_verify = pytest.importorskip("math_verify")
from latex2sympy2_extended import NormalizationConfig  # noqa: E402  (after the importorskip)
from math_verify import LatexExtractionConfig, parse, verify  # noqa: E402

logging.getLogger("math_verify").setLevel(logging.CRITICAL)
X = sp.Symbol("x")


def trl_accuracy(completion: str, solution: str) -> float | None:
    """TRL's accuracy_reward for one completion: None when the gold does not parse."""
    gold = parse(solution, parsing_timeout=10)
    if not gold:
        return None
    config = LatexExtractionConfig(
        normalization_config=NormalizationConfig(units=True), boxed_match_priority=0, try_extract_without_anchor=False
    )
    answer = parse(completion, extraction_config=[config], extraction_mode="first_match", parsing_timeout=10)
    return float(verify(gold, answer, timeout_seconds=5))


def latex(value) -> str:
    """How a person writes a value in LaTeX: natural logs as \\ln."""
    return sp.latex(value, ln_notation=True)


def _fraction(q: sp.Rational) -> str:
    return str(q.p) if q.q == 1 else ("-" if q < 0 else "") + rf"\frac{{{abs(q.p)}}}{{{q.q}}}"


def usual_ways(row: dict) -> tuple[list[str], list[str]]:
    """(the gold written the usual ways, an off-by-one of it) for one row, from its plain `answer`."""
    kind, answer = row["answer_type"], row["answer"]
    if kind == "integer":
        return [answer], [str(int(answer) + 1)]
    if kind in ("rational", "real"):
        value = sp.sympify(answer)
        forms = [_fraction(value), f"{value.p}/{value.q}"] if value.is_Rational else [latex(value)]
        return forms, [latex(value + 1)]
    if kind in ("set", "tuple"):
        values = [sp.sympify(v) for v in answer.strip("()").split(", ")]
        body = ", ".join(latex(v) for v in values)
        wrong = ", ".join(latex(v + int(i == 0)) for i, v in enumerate(values))
        if kind == "tuple":
            return [f"({body})"], [f"({wrong})"]
        flipped = ", ".join(latex(v) for v in reversed(values))
        return [r"\{" + body + r"\}", body, r"\{" + flipped + r"\}"], [r"\{" + wrong + r"\}"]
    if kind == "matrix":
        m = sp.Matrix(sp.sympify(answer))
        w = m.copy()
        w[0, 0] += 1

        def env(name: str, mat: sp.Matrix) -> str:
            rows = r" \\ ".join(" & ".join(latex(v) for v in mat.row(i)) for i in range(mat.rows))
            return rf"\begin{{{name}}} {rows} \end{{{name}}}"

        return [env("bmatrix", m), env("pmatrix", m)], [env("bmatrix", w)]
    if kind in ("expression", "factored", "antiderivative"):
        value = sp.sympify(answer, locals={"x": X})
        return [latex(value)], [latex(value + 1 if kind != "antiderivative" else 2 * value)]
    if kind == "string":  # a number in another base: its digits, capital letters above 9
        last = answer[-1]
        return [answer], [answer[:-1] + ("0" if last != "0" else "1")]
    raise AssertionError(f"no usual form for answer type {kind}")


MATH = sorted(name for name, fam in FAMILIES.items() if fam.kind == "math")


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> dict[str, list[dict]]:
    out = tmp_path_factory.mktemp("trl") / "math"
    by_family: dict[str, list[dict]] = {name: [] for name in MATH}
    for row in synthgen.math(len(MATH) * 10, out, difficulty="1-5", progress=False).dataset():
        by_family[row["family"]].append(row)
    return by_family


@pytest.mark.parametrize("family", MATH)
def test_the_usual_ways_score_one_and_an_off_by_one_scores_zero(rows, family):
    assert rows[family], family
    for row in rows[family]:
        good, wrong = usual_ways(row)
        for text in good:
            assert trl_accuracy(rf"The answer is \boxed{{{text}}}.", row["solution"]) == 1.0, (text, row["solution"])
        for text in wrong:
            assert trl_accuracy(rf"The answer is \boxed{{{text}}}.", row["solution"]) == 0.0, (text, row["solution"])


def test_where_trl_cannot_judge_synthgen_rewards_can(tmp_path):
    rows = synthgen.math(4, tmp_path / "anti", families="calc.antiderivative", progress=False).dataset().to_list()
    rows += synthgen.logic(6, tmp_path / "logic", progress=False).dataset().to_list()
    for row in rows:
        if row["answer_type"] == "antiderivative":
            text = latex(sp.sympify(row["answer"], locals={"x": X})) + " + C"
        else:
            text = row["answer"]
        completion = rf"The answer is \boxed{{{text}}}."
        assert trl_accuracy(completion, row["solution"]) != 1.0, row["family"]  # documented limits of TRL's reward
        ours = accuracy_reward([[{"role": "assistant", "content": completion}]], **{k: [v] for k, v in row.items()})
        assert ours == [1.0], row["family"]


def test_trl_reads_base_digits_as_a_product_synthgen_rewards_does_not():
    verification = json.dumps({"method": "string", "value": "1A", "case_sensitive": False})
    row = {"answer": "1A", "solution": "$1A$", "answer_type": "string", "verification": verification}
    completion = r"The answer is \boxed{A1}."  # the digits reversed: wrong
    assert trl_accuracy(completion, row["solution"]) == 1.0  # math-verify: 1*A == A*1
    ours = accuracy_reward([[{"role": "assistant", "content": completion}]], **{k: [v] for k, v in row.items()})
    assert ours == [0.0]


if __name__ == "__main__":  # per-family acceptance, for the record: python tests/grpo/test_trl_reward.py
    import tempfile
    from pathlib import Path

    found: dict[str, list[dict]] = {name: [] for name in MATH}
    for row in synthgen.math(
        len(MATH) * 20, Path(tempfile.mkdtemp()) / "m", difficulty="1-5", progress=False
    ).dataset():
        found[row["family"]].append(row)
    for name, family_rows in found.items():
        right = [trl_accuracy(rf"\boxed{{{t}}}", r["solution"]) == 1.0 for r in family_rows for t in usual_ways(r)[0]]
        wrong = [trl_accuracy(rf"\boxed{{{t}}}", r["solution"]) == 0.0 for r in family_rows for t in usual_ways(r)[1]]
        print(
            f"{name:24s} correct forms scored 1: {sum(right)}/{len(right)}  "
            f"off-by-one scored 0: {sum(wrong)}/{len(wrong)}"
        )
