"""Checkers for numeric answer types: integer, rational, real, set, tuple, matrix.

Integers and rationals must be written as numerals (42, 42.0, -3/4, -0.75, \\frac{-3}{4}), not as
arithmetic: otherwise copying an arithmetic question ("compute 17*23") into the box would score.
Reals, set/tuple elements and matrix entries are closed-form constants (sqrt(2), pi/4 + log(2)/2).
Every checker parses the gold first, so a broken gold is reported as such even for a bad answer.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sympy

from synthgen.verify.compare import numbers_equal
from synthgen.verify.latex_subset import latex_to_plain
from synthgen.verify.limits import MAX_ANSWER_CHARS
from synthgen.verify.parse_errors import BadGold, ParseError
from synthgen.verify.safe_parse import parse_math, parse_plain
from synthgen.verify.structure import clean, drop_lhs, matrix_rows, split_named, split_top, strip_wrapper

_NUM = r"(?:\d+\.?\d*|\.\d+)"
_NUMERAL = re.compile(rf"\(*[+-]?\(*[+-]?{_NUM}\)*(?:/\(*[+-]?{_NUM}\)*)?\)*")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:(?:,|\{,\}| )\d{3})+(?:\.\d+)?")
_EMPTY = {"", "\\emptyset", "\\varnothing", "∅", "{}", "\\{\\}", "none", "no solution", "\\text{none}"}


def gold(fn, *args):
    """Run a gold parser; any parse problem becomes BadGold (the generator's fault, not the model's)."""
    try:
        return fn(*args)
    except (ParseError, TypeError, KeyError, IndexError) as exc:
        raise BadGold(f"gold {args[0]!r}: {exc}") from None


def numeral(text: str) -> sympy.Rational:
    """A signed integer/decimal or a quotient of two, written plainly or in LaTeX."""
    s = drop_lhs(clean(text))
    if _THOUSANDS.fullmatch(s):
        s = re.sub(r"\{,\}|,| ", "", s)
    plain = latex_to_plain(s) if ("\\" in s or "{" in s) else s
    if re.search(r"[\d.]\s+[\d.]", plain):
        raise ParseError("digits separated by spaces")
    compact = re.sub(r"\s+", "", plain)
    if len(compact) > MAX_ANSWER_CHARS:  # _NUMERAL backtracks quadratically on "((((..." (found by fuzzing)
        raise ParseError("expected a number")
    if not _NUMERAL.fullmatch(compact):
        raise ParseError("expected a number")
    value = parse_plain(compact)
    if not value.is_Rational:
        raise ParseError("expected a number")
    return value


def constant(text: str) -> sympy.Expr:
    """A closed-form constant: any whitelisted expression without variables."""
    value = parse_math(drop_lhs(clean(text)))
    if value.free_symbols:
        raise ParseError("a number was expected, not an expression")
    return value


@lru_cache(maxsize=4096)
def _gold_numeral(text: str) -> sympy.Rational:
    return gold(numeral, text)


@lru_cache(maxsize=4096)
def _gold_constant(text: str) -> sympy.Expr:
    return gold(constant, text)


def check_integer(pred: str, args: dict) -> bool:
    target = _gold_numeral(str(args["value"]))
    if not target.is_Integer:
        raise BadGold(f"integer gold {args['value']!r} is not an integer")
    return numeral(pred) == target


def check_rational(pred: str, args: dict) -> bool:
    return numeral(pred) == _gold_numeral(str(args["value"]))


def check_real(pred: str, args: dict) -> bool:
    return numbers_equal(constant(pred), _gold_constant(str(args["value"])))


def _element_parser(kind: str):
    if kind == "rational":
        return numeral, _gold_numeral
    if kind == "real":
        return constant, _gold_constant
    raise BadGold(f"unknown set element type {kind!r}")


def _expand_pm(part: str) -> list[str]:
    for token in ("\\pm", "±"):
        if part.count(token) == 1:
            return [part.replace(token, "+"), part.replace(token, "-")]
    if "\\mp" in part or "∓" in part or "\\pm" in part or "±" in part:
        raise ParseError("ambiguous ± in an element")
    return [part]


def set_elements(pred: str) -> list[str]:
    """Elements of `-2, 1/2`, `{-2, 1/2}`, `\\{..\\}`, `x = -2, x = 1/2`, `1 \\pm \\sqrt{2}`."""
    s = clean(pred)
    if s.lower() in _EMPTY:
        return []
    inner, _ = strip_wrapper(s, "{[")
    parts = []
    for part in split_top(inner, ",;"):
        named = split_named(part)
        parts.extend(_expand_pm(named[1] if named else part))
    if any(not p for p in parts):
        raise ParseError("empty set element")
    return parts


def check_set(pred: str, args: dict) -> bool:
    parse, parse_gold = _element_parser(args.get("element", "real"))
    golds = [parse_gold(str(v)) for v in args["values"]]
    preds = [parse(p) for p in set_elements(pred)]
    for i in range(len(preds)):  # duplicates are rejected: {1, 1} is not {1}
        if any(numbers_equal(preds[i], preds[j]) for j in range(i)):
            return False
    if len(preds) != len(golds):
        return False
    remaining = list(preds)
    for g in golds:
        match = next((k for k, p in enumerate(remaining) if numbers_equal(p, g)), None)
        if match is None:
            return False
        remaining.pop(match)
    return True


def check_tuple(pred: str, args: dict) -> bool:
    golds = [_gold_constant(str(v)) for v in args["values"]]
    names = [str(n) for n in args.get("names") or []]
    inner, _ = strip_wrapper(clean(pred), "(<[")
    parts = split_top(inner, ",;")
    named = [split_named(p) for p in parts]
    if names and all(named):
        given = dict(named)
        if len(given) != len(named) or set(given) != set(names):
            return False
        parts = [given[n] for n in names]
    elif any(named):
        raise ParseError("mix of named and unnamed tuple entries")
    if len(parts) != len(golds):
        return False
    return all(numbers_equal(constant(p), g) for p, g in zip(parts, golds, strict=True))


def check_matrix(pred: str, args: dict) -> bool:
    gold_rows = [[_gold_constant(str(c)) for c in row] for row in args["rows"]]
    rows = matrix_rows(pred)
    if [len(r) for r in rows] != [len(r) for r in gold_rows]:
        return False
    return all(
        numbers_equal(constant(c), g)
        for row, grow in zip(rows, gold_rows, strict=True)
        for c, g in zip(row, grow, strict=True)
    )
