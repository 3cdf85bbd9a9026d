"""Answer text -> parts: outer delimiters, top-level commas, `name = value` pairs, matrices.

Pure string work (no sympy): it decides the *shape* of an answer so that each element can then go
through `safe_parse` on its own. Depth counting treats (), [], {} and \\{ \\} alike.
"""

from __future__ import annotations

import re

from synthgen.verify.parse_errors import ParseError

_OPEN, _CLOSE = "([{", ")]}"
_WRAPPERS = [  # (left, right, kind): kind "{" set, "(" tuple, "[" list/matrix, "<" angle tuple
    (r"\left\{", r"\right\}", "{"),
    (r"\left\lbrace", r"\right\rbrace", "{"),
    (r"\{", r"\}", "{"),
    (r"\lbrace", r"\rbrace", "{"),
    (r"\left(", r"\right)", "("),
    (r"\left[", r"\right]", "["),
    (r"\left\langle", r"\right\rangle", "<"),
    (r"\langle", r"\rangle", "<"),
    ("(", ")", "("),
    ("[", "]", "["),
    ("{", "}", "{"),
]
_SPACES = re.compile(r"\\(?:displaystyle|qquad|quad)|(?<!\\)\\[,;: !]")
_TEXT_CMD = re.compile(r"\\(?:text|textrm|mathrm|textnormal|mbox|textbf|mathbf)\s*\{([^{}]*)\}")


def clean(text: str) -> str:
    """Strip math delimiters, \\displaystyle, an outer \\boxed{}, spacing commands and a final period."""
    s = text.strip()
    for _ in range(3):
        before = s
        for left, right in (("$$", "$$"), ("$", "$"), (r"\(", r"\)"), (r"\[", r"\]")):
            if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
                s = s[len(left) : len(s) - len(right)].strip()
        if s.startswith("\\boxed{") and s.endswith("}") and balanced(s[6:]):
            s = s[7:-1].strip()
        s = _SPACES.sub(" ", s).strip()
        s = s.rstrip(".").strip()
        if s == before:
            break
    return s


def balanced(s: str) -> bool:
    """True when s starts with an opener whose match is its last character."""
    depth = 0
    for k, ch in enumerate(s):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth == 0:
                return k == len(s) - 1
    return False


def strip_wrapper(s: str, allowed: str = "([{<") -> tuple[str, str | None]:
    """(inner, kind) when one delimiter pair of an allowed kind encloses the whole text, else (s, None)."""
    s = s.strip()
    for left, right, kind in _WRAPPERS:
        if kind not in allowed:
            continue
        if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
            inner = s[len(left) : len(s) - len(right)]
            if _depth_ok(inner):
                return inner.strip(), kind
    return s, None


def _depth_ok(s: str) -> bool:
    depth = 0
    for ch in s.replace(r"\{", "{").replace(r"\}", "}"):
        depth += ch in _OPEN
        depth -= ch in _CLOSE
        if depth < 0:
            return False
    return depth == 0


def split_top(s: str, seps: str = ",;") -> list[str]:
    """Split at separators outside any brackets; raise ParseError on unbalanced brackets."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(s):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth < 0:
                raise ParseError("unbalanced brackets")
        elif ch in seps and depth == 0:
            parts.append(s[start:k])
            start = k + 1
    if depth != 0:
        raise ParseError("unbalanced brackets")
    parts.append(s[start:])
    return [p.strip() for p in parts]


def split_named(part: str) -> tuple[str, str] | None:
    """`x = 3` -> ("x", "3"); None when the part is not `name = value`."""
    m = re.fullmatch(r"\s*([A-Za-z][A-Za-z0-9_]*(?:_\{[A-Za-z0-9]+\})?)\s*(?:=|:)\s*(.+)", part, flags=re.S)
    if not m:
        return None
    return m.group(1).replace("{", "").replace("}", ""), m.group(2).strip()


def drop_lhs(s: str) -> str:
    """`x = 5`, `f(x) = x^2`, `y=...` -> the right-hand side; otherwise s unchanged."""
    m = re.fullmatch(r"\s*[A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?(?:\s*\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])*\s*\))?\s*=\s*(.+)", s)
    return m.group(1).strip() if m and "=" not in m.group(1) else s


def unwrap_text(s: str) -> str:
    """Replace \\text{..}-style wrappers by their content (for word answers)."""
    for _ in range(3):
        s = _TEXT_CMD.sub(lambda m: m.group(1), s)
    return s


_MATRIX_ENV = re.compile(
    r"(?:\\left\s*[\[(]\s*)?\\begin\s*\{\s*([pbvBV]?matrix|array)\s*\}(?:\s*\{[lcr|\s]*\})?"
    r"(.*)\\end\s*\{\s*\1\s*\}(?:\s*\\right\s*[\])])?",
    flags=re.S,
)
_MATRIX_LHS = re.compile(r"[A-Za-z](?:\^\s*\{?\s*(?:-1|T|\\top)\s*\}?)?\s*=\s*(?=\S)")
_ROW_BREAK = re.compile(r"\\\\(?:\s*\[\s*-?[\d.]+\s*[a-z]{2}\s*\])?|\\cr\b")
_RULES = re.compile(r"\\hline\b")


def matrix_rows(text: str) -> list[list[str]]:
    """Cells of `[[1,2],[3,4]]`, `Matrix([[..]])` or a pmatrix/bmatrix/matrix environment.

    Model answers are typeset by hand, so the environment form tolerates what LaTeX itself
    ignores: spaces and newlines anywhere (`\\end {pmatrix}`, `\\\\ ` + newline), a trailing
    row break, row spacing `\\\\[2pt]`, `\\cr`, `\\hline`, and a leading `A =` / `A^{-1} =`.
    """
    s = clean(text)
    lhs = _MATRIX_LHS.match(s)
    if lhs and s[lhs.end() :].startswith(("\\begin", "\\left", "[", "Matrix(")):
        s = s[lhs.end() :]
    env = _MATRIX_ENV.fullmatch(s)
    if env:
        body = _RULES.sub(" ", env.group(2))
        rows = [row.strip() for row in _ROW_BREAK.split(body)]
        return [[cell.strip() for cell in row.split("&")] for row in rows if row]
    if s.startswith("Matrix(") and s.endswith(")"):
        s = s[len("Matrix(") : -1]
    inner, opener = strip_wrapper(s, "[")
    if opener != "[":
        raise ParseError("not a matrix")
    rows = []
    for row in split_top(inner, ","):
        cells, row_opener = strip_wrapper(row, "[")
        if row_opener != "[":
            raise ParseError("matrix rows must be [..]")
        rows.append(split_top(cells, ","))
    return rows
