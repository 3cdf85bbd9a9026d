"""A LaTeX subset rewritten into the plain syntax that `safe_parse` reads.

Why a rewrite and not a second parser: everything a LaTeX answer can mean then passes through the
single whitelist (names, node counts, power sizes) in `safe_parse`, so there is one place to audit.
The rewrite itself never evaluates anything; an unknown command raises `ParseError`.

Handled: \\frac \\dfrac \\tfrac \\cfrac (also \\frac34), \\sqrt{} \\sqrt[n]{}, \\cdot \\times \\div,
\\left \\right and sizing commands, |...| as Abs, \\pi, e, \\ln \\log \\log_b, trig and hyperbolic
functions, \\exp, \\operatorname{..} \\mathrm{..} \\text{..}, ^{..} _{..}, n!, spacing commands.
Rejected: \\infty, \\pm (sets expand it before this point), alignment, anything unknown.
"""

from __future__ import annotations

from synthgen.verify.parse_errors import ParseError

_FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "exp": "exp", "ln": "log", "log": "log", "sqrt": "sqrt",
}  # fmt: skip
_SPACING = {",", ";", ":", "!", " ", "quad", "qquad", "displaystyle", "textstyle", "left.", "right.", "limits"}
_DROPPED = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr"}
_WRAPPERS = {"text", "textrm", "textnormal", "mathrm", "mathit", "mathbf", "textbf", "mbox", "operatorname", "mathsf"}
_SYMBOLS = {
    "cdot": "*", "times": "*", "ast": "*", "div": "/", "pi": " pi ", "lvert": "|", "rvert": "|", "vert": "|",
    "mid": "|", "lbrace": "{", "rbrace": "}", "lparen": "(", "rparen": ")", "cdotp": "*",
}  # fmt: skip


def _read_command(s: str, i: int) -> tuple[str, int]:
    """Name of the command starting at s[i] == '\\' and the index after it."""
    j = i + 1
    if j < len(s) and s[j].isalpha():
        while j < len(s) and s[j].isalpha():
            j += 1
        return s[i + 1 : j], j
    if j < len(s):
        return s[j], j + 1
    raise ParseError("dangling backslash")


def _skip_spaces(s: str, i: int) -> int:
    while i < len(s) and s[i] in " \t\n":
        i += 1
    return i


def _read_group(s: str, i: int) -> tuple[str, int]:
    """One argument: a {...} group, a command (\\pi), or a single character (\\frac34)."""
    i = _skip_spaces(s, i)
    if i >= len(s):
        raise ParseError("missing argument")
    if s[i] == "{":
        depth, j = 0, i
        while j < len(s):
            if s[j] == "\\":
                j += 2
                continue
            depth += s[j] == "{"
            depth -= s[j] == "}"
            if depth == 0:
                return s[i + 1 : j], j + 1
            j += 1
        raise ParseError("unbalanced braces")
    if s[i] == "\\":
        name, j = _read_command(s, i)
        return s[i:j], j
    if s[i] in "}^_":
        raise ParseError("missing argument")
    return s[i], i + 1


def _read_optional(s: str, i: int) -> tuple[str | None, int]:
    j = _skip_spaces(s, i)
    if j < len(s) and s[j] == "[":
        end = s.find("]", j)
        if end < 0:
            raise ParseError("unbalanced [")
        return s[j + 1 : end], end + 1
    return None, i


def latex_to_plain(s: str, depth: int = 0) -> str:
    """Rewrite a LaTeX-subset answer into plain syntax; raise ParseError on anything else."""
    if depth > 20:
        raise ParseError("LaTeX nested too deeply")
    out: list[str] = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "\\":
            name, i = _read_command(s, i)
            i = _command(name, s, i, out, depth)
        elif ch == "{":
            arg, i = _read_group(s, i)
            out.append("(" + latex_to_plain(arg, depth + 1) + ")")
        elif ch == "}":
            raise ParseError("unbalanced braces")
        elif ch in "^_":
            arg, i = _read_group(s, i + 1)
            inner = latex_to_plain(arg, depth + 1)
            if ch == "^":
                out.append("^(" + inner + ")")
            elif inner.strip().isalnum():
                out.append("_" + inner.strip())
            else:
                raise ParseError("subscript must be a name or number")
        elif ch in "$~":
            out.append(" ")
            i += 1
        elif ch in "&#%":
            raise ParseError(f"unsupported character {ch!r}")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _command(name: str, s: str, i: int, out: list[str], depth: int) -> int:
    """Append the plain rewrite of one command; return the index after its arguments."""
    if name in ("frac", "dfrac", "tfrac", "cfrac"):
        num, i = _read_group(s, i)
        den, i = _read_group(s, i)
        out.append(f"(({latex_to_plain(num, depth + 1)})/({latex_to_plain(den, depth + 1)}))")
    elif name == "sqrt":
        index, i = _read_optional(s, i)
        arg, i = _read_group(s, i)
        inner = latex_to_plain(arg, depth + 1)
        out.append(f"sqrt({inner})" if index is None else f"(({inner})^(1/({latex_to_plain(index, depth + 1)})))")
    elif name == "log" and _skip_spaces(s, i) < len(s) and s[_skip_spaces(s, i)] == "_":
        base, i = _read_group(s, _skip_spaces(s, i) + 1)
        out.append(f" (1/log({latex_to_plain(base, depth + 1)}))*log ")
    elif name in _FUNCTIONS:
        out.append(f" {_FUNCTIONS[name]} ")
    elif name in _WRAPPERS:
        arg, i = _read_group(s, i)
        out.append(" " + latex_to_plain(arg, depth + 1) + " ")
    elif name in _SYMBOLS:
        out.append(_SYMBOLS[name])
    elif name in _DROPPED:
        j = _skip_spaces(s, i)
        if j < len(s) and s[j] == ".":
            i = j + 1  # \left. and \right. are invisible delimiters
        elif j < len(s) and s[j] == "\\" and s[j + 1 : j + 2] in ("{", "}"):
            raise ParseError("set braces inside an expression")
    elif name in _SPACING:
        out.append(" ")
    elif name in ("{", "}"):
        raise ParseError("set braces inside an expression")
    elif name in ("infty", "pm", "mp", "\\"):
        raise ParseError(f"\\{name} is not accepted here")
    else:
        raise ParseError(f"unsupported LaTeX command \\{name}")
    return i
