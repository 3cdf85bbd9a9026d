"""Dispatch from a verification `method` to its checker, plus the "auto" method for bare golds.

`check(answer, verification)` is what the worker runs for each item. It maps exceptions to
reasons: ParseError -> unparseable, LimitError -> too_long, BadGold -> bad_gold.
"""

from __future__ import annotations

import re

from synthgen.verify import logic_methods as logic
from synthgen.verify import numeric_methods as num
from synthgen.verify import symbolic_methods as sym
from synthgen.verify.limits import MAX_ANSWER_CHARS
from synthgen.verify.parse_errors import BadGold, ParseError
from synthgen.verify.safe_parse import parse_math
from synthgen.verify.structure import clean, split_top, strip_wrapper

CHECKERS = {
    "integer": num.check_integer,
    "rational": num.check_rational,
    "real": num.check_real,
    "set": num.check_set,
    "tuple": num.check_tuple,
    "matrix": num.check_matrix,
    "expression": sym.check_expression,
    "factored": sym.check_factored,
    "antiderivative": sym.check_antiderivative,
    "string": logic.check_string,
    "sat": logic.check_sat,
    "knights": logic.check_knights,
    "ordering": logic.check_ordering,
}
METHODS = tuple(CHECKERS)


def infer_verification(gold: str) -> dict:
    """A verification for a row that only has an `answer` (or `solution`) string.

    Tried in order: integer, rational, matrix, tuple "(..)", set "a, b", closed-form real,
    expression in its single-letter names, and finally a case-insensitive string.
    """
    s = clean(gold)
    for method in ("integer", "rational"):
        try:
            value = num.numeral(s)
            if method == "integer" and not value.is_Integer:
                continue
            return {"method": method, "value": str(value)}
        except ParseError:
            pass
    try:
        rows = num.matrix_rows(s)
        return {"method": "matrix", "rows": rows}
    except ParseError:
        pass
    inner, kind = strip_wrapper(s, "(")
    try:
        parts = split_top(inner if kind else s, ",;")
    except ParseError:
        parts = [s]
    if len(parts) > 1:
        method = {"method": "tuple", "values": parts} if kind == "(" else {"method": "set", "values": parts}
        return method if kind == "(" else {**method, "element": "real"}
    try:
        num.constant(s)
        return {"method": "real", "value": s}
    except ParseError:
        pass
    letters = sorted(set(re.findall(r"(?<![A-Za-z\\])([a-df-z])(?![A-Za-z])", s)))
    try:
        from synthgen.verify.safe_parse import make_symbols

        parse_math(s, make_symbols(letters))
        return {"method": "expression", "value": s, "variables": letters}
    except ParseError:
        return {"method": "string", "value": s, "case_sensitive": False}


def check(answer: str | None, verification: dict, max_chars: int = MAX_ANSWER_CHARS) -> tuple[str, str]:
    """(reason, detail) for one answer; never raises for any answer text.

    max_chars is MAX_ANSWER_CHARS for model answers; gold self-checks pass MAX_GOLD_CHARS.
    """
    method = verification.get("method") if isinstance(verification, dict) else None
    if method == "auto":
        value = verification.get("value")
        if not isinstance(value, str) or not value.strip():
            return "bad_gold", "auto verification without a value"
        try:
            verification = infer_verification(value)
        except (ParseError, ValueError) as exc:
            return "bad_gold", f"cannot infer a method for {value!r}: {exc}"
        method = verification["method"]
    checker = CHECKERS.get(method)
    if checker is None:
        return "bad_gold", f"unknown verification method {method!r}"
    if answer is None or not answer.strip():
        return "no_answer", ""
    if len(answer) > max_chars:
        return "too_long", f"{len(answer)} chars"
    try:
        return ("correct", "") if checker(answer, verification) else ("wrong", "")
    except BadGold as exc:
        return "bad_gold", str(exc)
    except ParseError as exc:
        return exc.reason, str(exc)
    except KeyError as exc:
        return "bad_gold", f"verification lacks {exc}"
    except (RecursionError, MemoryError, OverflowError) as exc:
        return "too_long", type(exc).__name__
    except (ValueError, ArithmeticError, TypeError, AttributeError) as exc:
        return "unparseable", f"{type(exc).__name__}: {exc}"[:200]
