"""Final-answer extraction: last balanced \\boxed{}, <answer>, ####, text after </think>."""

from __future__ import annotations

import pytest

from synthgen.verify import extract_answer, extract_final_answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"so the answer is \boxed{42}.", "42"),
        (r"\boxed{\frac{1}{2}}", r"\frac{1}{2}"),
        (r"\boxed{ {x+1}^{2} }", "{x+1}^{2}"),
        (r"first \boxed{1} then, on reflection, \boxed{2}", "2"),  # hedging: only the last box counts
        (r"\boxed{\{1, 2\}}", r"\{1, 2\}"),  # escaped braces do not unbalance the box
        (r"\fbox{7}", "7"),
        ("<think>maybe \\boxed{1}</think> final: \\boxed{3}", "3"),
        ("<think>\\boxed{1}</think> I give up", None),  # a box inside the reasoning is not the answer
        ("reasoning...\n<answer> 5 </answer>", "5"),
        ("Natalia sold 48 clips.\n#### 72", "72"),
        ("no answer here", None),
        ("", None),
    ],
)
def test_extract_final_answer(text, expected):
    assert extract_final_answer(text) == expected


def test_unbalanced_last_box_is_not_replaced_by_an_earlier_one():
    assert extract_answer(r"\boxed{3} wait, actually \boxed{4") == (None, "unparseable")


def test_huge_box_is_too_long_and_scanning_is_bounded():
    text = r"\boxed{" + "1" * 1_000_000 + "}"
    assert extract_answer(text) == (None, "too_long")


def test_non_string_completion_has_no_answer():
    assert extract_answer(None) == (None, "no_answer")  # type: ignore[arg-type]
