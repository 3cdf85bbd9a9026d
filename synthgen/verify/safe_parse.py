"""Whitelist parser: untrusted answer text -> sympy object, built node by node.

Model output is never given to eval, sympify or parse_expr (they call eval; see verifiers.md
section 5). This module tokenises the text itself, parses it by recursive descent and constructs
each sympy node with sympy's constructors, after checking limits on the operands:

- names: only the allowed functions/constants below plus the declared variables;
- every node carries a *weight*, an upper bound on the digits of any exact value it can produce
  (literal digits; sums for + and *; base weight x |exponent| for powers). A node over
  MAX_WEIGHT is refused before sympy builds it, so 9**9**9**9, 10^{10^{10}} and (x**1000)**1000
  never start a computation; n! needs a literal n <= MAX_FACTORIAL;
- decimals are read exactly (0.1 is 1/10), never through float.

Syntax: + - * / ^ ** ( ) |x| n! f(x) f x (function without parentheses takes the next factor),
implicit multiplication (2x, 2pi, x(x+1), (x+1)(x-1), 2 sqrt(2)), log(x, b) for a base.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import sympy

from synthgen.verify.latex_subset import latex_to_plain
from synthgen.verify.limits import (
    MAX_FACTORIAL,
    MAX_INT_DIGITS,
    MAX_NESTING,
    MAX_NODES,
    MAX_POW_EXPONENT,
    MAX_SYMBOLIC_EXP_WEIGHT,
    MAX_WEIGHT,
)
from synthgen.verify.parse_errors import LimitError, ParseError

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*|\.\d+)|([A-Za-z]+(?:_[A-Za-z0-9]+)?)|(\*\*|[-+*/^(),!|]))")
_UNICODE = str.maketrans({"−": "-", "–": "-", "×": "*", "·": "*", "÷": "/", "π": " pi ", "⋅": "*"})

_FUNCS = {
    "sqrt": sympy.sqrt, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "cot": sympy.cot,
    "sec": sympy.sec, "csc": sympy.csc, "asin": sympy.asin, "acos": sympy.acos, "atan": sympy.atan,
    "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan, "sinh": sympy.sinh,
    "cosh": sympy.cosh, "tanh": sympy.tanh, "exp": sympy.exp, "log": sympy.log, "ln": sympy.log,
    "Abs": sympy.Abs, "abs": sympy.Abs,
}  # fmt: skip
_CONSTANTS = {"pi": sympy.pi, "e": sympy.E, "E": sympy.E, "I": sympy.I}
_REFUSED = {"oo", "inf", "infty", "infinity", "nan", "zoo", "Infinity"}


@dataclass
class Node:
    """A built sympy value and its weight (bound on exact digits it can produce)."""

    value: sympy.Expr
    weight: int


def tokenize(text: str) -> list[tuple[str, str]]:
    """[(kind, text)] with kind in num/name/op; raise ParseError on any other character."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ParseError(f"unexpected character {text[pos:].lstrip()[:1]!r}")
        num, name, op = match.groups()
        tokens.append(("num", num) if num else ("name", name) if name else ("op", op))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], variables: dict[str, sympy.Symbol]):
        self.tokens = tokens
        self.pos = 0
        self.variables = variables
        self.nodes = 0
        self.depth = 0
        self.frames = 0  # unary / primary frames open: "- - - x", "sin sin x", "1^1^1" recurse without "("

    # --- token helpers
    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, op: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (op is not None and tok != ("op", op)):
            raise ParseError(f"expected {op or 'more input'}")
        self.pos += 1
        return tok

    def at_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "op" and tok[1] in ops

    def count(self, weight: int) -> int:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise LimitError("expression has too many nodes")
        if weight > MAX_WEIGHT:
            raise LimitError("expression would produce a number too large to check")
        return weight

    # --- grammar
    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise LimitError("expression nested too deeply")
        left = self.term()
        while self.at_op("+", "-"):
            op = self.take()[1]
            right = self.term()
            value = left.value + right.value if op == "+" else left.value - right.value
            left = Node(value, self.count(left.weight + right.weight))
        self.depth -= 1
        return left

    def term(self) -> Node:
        left = self.unary()
        while True:
            if self.at_op("*", "/"):
                op = self.take()[1]
                right = self.unary()
            elif self.starts_implicit_factor():
                op, right = "*", self.power()
            else:
                return left
            if op == "/" and right.value == 0:
                raise ParseError("division by zero")
            value = left.value * right.value if op == "*" else left.value / right.value
            left = Node(value, self.count(left.weight + right.weight))

    def starts_implicit_factor(self) -> bool:
        tok = self.peek()
        return tok is not None and (tok[0] == "name" or tok == ("op", "("))

    def enter(self) -> None:
        """Bound the recursion of every chain, not only of parentheses (fuzzing found `-` * 2000 and
        `1^1^...` reaching RecursionError); the bound allows MAX_NESTING parentheses and more."""
        self.frames += 1
        if self.frames > 4 * MAX_NESTING:
            raise LimitError("expression nested too deeply")

    def unary(self) -> Node:
        self.enter()
        if self.at_op("-", "+"):
            op = self.take()[1]
            inner = self.unary()
            node = Node(-inner.value if op == "-" else inner.value, self.count(inner.weight))
        else:
            node = self.power()
        self.frames -= 1
        return node

    def power(self) -> Node:
        base = self.postfix()
        if self.at_op("^", "**"):
            self.take()
            exponent = self.unary()  # right-associative; 2^-1 allowed
            return self.make_power(base, exponent)
        return base

    def make_power(self, base: Node, exponent: Node) -> Node:
        e = exponent.value
        if e.free_symbols:
            if base.weight > MAX_SYMBOLIC_EXP_WEIGHT or exponent.weight > MAX_SYMBOLIC_EXP_WEIGHT:
                raise LimitError("symbolic exponent on a large base")
            return Node(base.value**e, self.count(base.weight + exponent.weight + 1))
        if not e.is_Rational:
            approx = sympy.Abs(e).evalf(15)
            if not approx.is_finite or approx > MAX_POW_EXPONENT or base.weight > MAX_SYMBOLIC_EXP_WEIGHT:
                raise LimitError("exponent too large")
            return Node(base.value**e, self.count(base.weight + exponent.weight + 1))
        p, q = abs(int(e.p)), int(e.q)
        if p > MAX_POW_EXPONENT or q > MAX_POW_EXPONENT:
            raise LimitError("exponent too large")
        if base.value == 0 and e.is_negative:
            raise ParseError("division by zero")
        weight = self.count(max(1, base.weight) * max(1, p) + exponent.weight)
        return Node(base.value**e, weight)

    def postfix(self) -> Node:
        node = self.primary()
        while self.at_op("!"):
            self.take()
            n = node.value
            if not (n.is_Integer and 0 <= n <= MAX_FACTORIAL):
                raise LimitError(f"factorial needs an integer 0..{MAX_FACTORIAL}")
            node = Node(sympy.factorial(n), self.count(int(math.lgamma(int(n) + 1) / math.log(10)) + 1))
        return node

    def primary(self) -> Node:
        self.enter()
        node = self.atom()
        self.frames -= 1
        return node

    def atom(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise ParseError("unexpected end of answer")
        kind, text = tok
        if kind == "num":
            self.pos += 1
            return self.number(text)
        if tok == ("op", "("):
            self.take()
            node = self.expr()
            self.take(")")
            return node
        if tok == ("op", "|"):
            self.take()
            inner = self.expr()
            self.take("|")
            return Node(sympy.Abs(inner.value), self.count(inner.weight + 1))
        if kind == "name":
            self.pos += 1
            return self.name(text)
        raise ParseError(f"unexpected {text!r}")

    def number(self, text: str) -> Node:
        digits = text.replace(".", "").lstrip("0") or "0"
        if len(digits) > MAX_INT_DIGITS:
            raise LimitError("number literal too long")
        if "." in text:
            whole, frac = text.split(".")
            value = sympy.Rational(int((whole or "0") + frac), 10 ** len(frac))
        else:
            value = sympy.Integer(int(text))
        return Node(value, self.count(len(digits)))

    def name(self, text: str) -> Node:
        if text in self.variables:
            return Node(self.variables[text], self.count(1))
        if text in _FUNCS or text == "factorial":
            return self.call(text)
        if text in _CONSTANTS:
            return Node(_CONSTANTS[text], self.count(1))
        if text in _REFUSED:
            raise ParseError(f"{text} is not accepted")
        if text.isalpha() and all(ch in self.variables for ch in text):  # "xy" = x*y
            value = sympy.Mul(*[self.variables[ch] for ch in text])
            return Node(value, self.count(len(text)))
        raise ParseError(f"unknown name {text!r}")

    def call(self, fname: str) -> Node:
        power: Node | None = None
        if self.at_op("^", "**"):  # sin^2(x)
            self.take()
            power = self.postfix()
            if not (power.value.is_Integer and 0 < power.value <= 10):
                raise ParseError("function power must be a small positive integer")
        if self.at_op("("):
            self.take()
            args = [self.expr()]
            while self.at_op(","):
                self.take()
                args.append(self.expr())
            self.take(")")
        else:
            args = [self.bare_argument()]
        node = self.apply(fname, args)
        return self.make_power(node, power) if power is not None else node

    def bare_argument(self) -> Node:
        """`sin 2x` / `ln x`: the argument is the following run of non-function factors."""
        tok = self.peek()
        if tok is None or not (tok[0] in ("num", "name") or tok in (("op", "("), ("op", "|"))):
            raise ParseError("function without an argument")
        node = self.power()
        while (tok := self.peek()) is not None and tok[0] == "name" and tok[1] not in _FUNCS:
            right = self.power()
            node = Node(node.value * right.value, self.count(node.weight + right.weight))
        return node

    def apply(self, fname: str, args: list[Node]) -> Node:
        weight = sum(a.weight for a in args) + 1
        if fname == "log" and len(args) == 2:
            if args[1].value == 1:
                raise ParseError("log base 1")
            return Node(sympy.log(args[0].value) / sympy.log(args[1].value), self.count(weight))
        if len(args) != 1:
            raise ParseError(f"{fname} takes one argument")
        arg = args[0].value
        if fname == "factorial":
            if not (arg.is_Integer and 0 <= arg <= MAX_FACTORIAL):
                raise LimitError(f"factorial needs an integer 0..{MAX_FACTORIAL}")
            return Node(sympy.factorial(arg), self.count(int(math.lgamma(int(arg) + 1) / math.log(10)) + 1))
        if fname == "sqrt":
            return self.make_power(args[0], Node(sympy.Rational(1, 2), 1))
        if fname in ("exp", "sinh", "cosh"):  # e^a in disguise: e^a's bounds (exp(exp(exp(exp(100)))) hung evalf)
            self.make_power(Node(sympy.E, 1), args[0])
        return Node(_FUNCS[fname](arg), self.count(weight))


def make_symbols(names: list[str] | tuple[str, ...]) -> dict[str, sympy.Symbol]:
    """Real symbols for the declared variable names (real so that |x|, sqrt(x^2) behave)."""
    out = {}
    for name in names:
        if not re.fullmatch(r"[A-Za-z]+(?:_[A-Za-z0-9]+)?", name) or name in _FUNCS or name in _REFUSED:
            raise ParseError(f"invalid variable name {name!r}")
        out[name] = sympy.Symbol(name, real=True)
    return out


def parse_plain(text: str, variables: dict[str, sympy.Symbol] | None = None) -> sympy.Expr:
    """Parse plain syntax (no LaTeX) into a finite sympy expression."""
    tokens = tokenize(text.translate(_UNICODE))
    if not tokens:
        raise ParseError("empty answer")
    parser = _Parser(tokens, variables or {})
    node = parser.expr()
    if parser.peek() is not None:
        raise ParseError(f"unexpected {parser.peek()[1]!r}")
    value = node.value
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ParseError("undefined or infinite value")
    return value


def parse_math(text: str, variables: dict[str, sympy.Symbol] | None = None) -> sympy.Expr:
    """Parse an answer that may be LaTeX (rewritten first) or plain syntax."""
    return parse_plain(latex_to_plain(text) if ("\\" in text or "{" in text or "$" in text) else text, variables)
