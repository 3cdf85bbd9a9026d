"""Checkers for word answers: string, sat, knights, ordering.

Parsers are strict on purpose: one value per name, every name present, no unknown names. A
sentence such as "Bob is not a knight but a knave" is refused rather than guessed at (the bug in
Logic-RL#64 scored it as "knight").
"""

from __future__ import annotations

import re

from synthgen.verify.parse_errors import BadGold, ParseError
from synthgen.verify.structure import clean, split_top, strip_wrapper, unwrap_text

_TRUE = {"true", "t", "1", "yes", "\\top"}
_FALSE = {"false", "f", "0", "no", "\\bot"}
_PAIR = re.compile(r"\s*([A-Za-z][A-Za-z0-9_ ]*?)\s*(?:=|:|\bis\s+(?:an?\s+)?)\s*([A-Za-z0-9\\]+)\s*")


def _words(text: str) -> str:
    s = unwrap_text(clean(text)).replace("$", " ").replace("\\ ", " ")
    return re.sub(r"\s+", " ", s).strip()


def _pairs(text: str) -> list[tuple[str, str]]:
    s, _ = strip_wrapper(_words(text), "({[")
    parts = [p for p in re.split(r"\s*(?:[,;]|\band\b|\n)\s*", s) if p.strip()]
    pairs = []
    for part in parts:
        m = _PAIR.fullmatch(part)
        if not m:
            raise ParseError(f"cannot read {part[:30]!r} as name=value")
        pairs.append((m.group(1).strip(), m.group(2).strip()))
    return pairs


def _by_name(pairs: list[tuple[str, str]], names: list[str]) -> dict[str, str] | None:
    """Map pairs onto the declared names (case-insensitive); None if a name is missing/repeated/unknown."""
    lookup = {n.lower(): n for n in names}
    out: dict[str, str] = {}
    for name, value in pairs:
        key = lookup.get(name.lower())
        if key is None or key in out:
            return None
        out[key] = value.lower()
    return out if len(out) == len(names) else None


def _normal(text: str, case_sensitive: bool) -> str:
    s = _words(text)
    s = re.sub(r"_\{?\d+\}?$", "", s)  # base subscripts: 1011_2, 1011_{2}
    s = s.replace(" ", "")
    return s if case_sensitive else s.lower()


def check_string(pred: str, args: dict) -> bool:
    case = bool(args.get("case_sensitive", False))
    target = _normal(str(args["value"]), case)
    if not target:
        raise BadGold("empty string gold")
    return _normal(pred, case) == target


def check_sat(pred: str, args: dict) -> bool:
    names = [str(v) for v in args["variables"]]
    clauses = args["clauses"]
    if not all(isinstance(lit, int) and 0 < abs(lit) <= len(names) for clause in clauses for lit in clause):
        raise BadGold("clause literal out of range")
    given = _by_name(_pairs(pred), names)
    if given is None:
        return False
    values = {}
    for name, raw in given.items():
        if raw in _TRUE:
            values[name] = True
        elif raw in _FALSE:
            values[name] = False
        else:
            raise ParseError(f"{raw!r} is not a truth value")
    return all(any(values[names[abs(lit) - 1]] == (lit > 0) for lit in clause) for clause in clauses)


def check_knights(pred: str, args: dict) -> bool:
    names = [str(n) for n in args["names"]]
    solution = {str(k): str(v).lower() for k, v in args["solution"].items()}
    if set(solution) != set(names) or not set(solution.values()) <= {"knight", "knave"}:
        raise BadGold("knights solution does not match its names")
    given = _by_name(_pairs(pred), names)
    if given is None:
        return False
    if not set(given.values()) <= {"knight", "knave"}:
        raise ParseError("roles must be knight or knave")
    return given == solution


def check_ordering(pred: str, args: dict) -> bool:
    items = [str(i) for i in args["items"]]
    solution = [str(i) for i in args["solution"]]
    if sorted(solution) != sorted(items):
        raise BadGold("ordering solution is not a permutation of its items")
    s, _ = strip_wrapper(_words(pred), "([")
    s = re.sub(r"\\(?:to|rightarrow|Rightarrow|longrightarrow)|->|→", ",", s)
    s = re.sub(r"\bthen\b", ",", s)
    parts = [p.strip() for p in split_top(s, ",;") if p.strip()]
    lookup = {i.lower(): i for i in items}
    mapped = [lookup.get(p.lower()) for p in parts]
    if None in mapped:
        raise ParseError("unknown item in ordering")
    return mapped == solution
