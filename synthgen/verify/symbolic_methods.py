"""Checkers for expression answers: expression, factored, antiderivative.

Variables come from the row's verification (`variables` / `variable`); any other name in the
answer is refused by the parser, so free-symbol tricks cannot pass.
"""

from __future__ import annotations

from functools import lru_cache

import sympy

from synthgen.verify.compare import expressions_equal
from synthgen.verify.numeric_methods import gold
from synthgen.verify.parse_errors import BadGold
from synthgen.verify.safe_parse import make_symbols, parse_math
from synthgen.verify.structure import clean, drop_lhs

CONSTANT_NAMES = ("C", "c", "K")  # integration constants accepted in antiderivatives


@lru_cache(maxsize=256)
def _symbols(names: tuple[str, ...]) -> dict[str, sympy.Symbol]:
    return gold(make_symbols, names)


@lru_cache(maxsize=4096)
def _gold_expr(text: str, names: tuple[str, ...]) -> sympy.Expr:
    return gold(parse_math, text, _symbols(names))


def _variables(args: dict) -> tuple[str, ...]:
    names = args.get("variables")
    if names is None and "variable" in args:
        names = [args["variable"]]
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise BadGold("verification needs a list of variable names")
    return tuple(names)


def _pred(text: str, names: tuple[str, ...]) -> sympy.Expr:
    return parse_math(drop_lhs(clean(text)), _symbols(names))


def check_expression(pred: str, args: dict) -> bool:
    names = _variables(args)
    target = _gold_expr(str(args["value"]), names)
    symbols = [_symbols(names)[n] for n in names]
    return expressions_equal(_pred(pred, names), target, symbols)


def is_factored(expr: sympy.Expr, symbols: list[sympy.Symbol]) -> bool:
    """A product of powers of factors, each irreducible over Q (numeric content allowed).

    Why per factor: `x**2 + 3*x + 2` is equivalent to the gold `(x + 1)*(x + 2)`, so equivalence
    alone would reward copying the question; its factor_list has two factors, so it fails here.
    """
    factors = expr.args if expr.is_Mul else (expr,)
    for factor in factors:
        base = factor.base if factor.is_Pow and factor.exp.is_Integer and factor.exp > 0 else factor
        if not base.free_symbols:
            continue
        if not base.is_polynomial(*symbols):
            continue  # exp(x), sin(x): atoms as far as factoring over Q goes
        _, parts = sympy.factor_list(base, *symbols)
        if len(parts) != 1 or parts[0][1] != 1:
            return False
    return True


def check_factored(pred: str, args: dict) -> bool:
    names = _variables(args)
    target = _gold_expr(str(args["value"]), names)
    symbols = [_symbols(names)[n] for n in names]
    value = _pred(pred, names)
    return expressions_equal(value, target, symbols) and is_factored(value, symbols)


def check_antiderivative(pred: str, args: dict) -> bool:
    variable = str(args["variable"])
    if variable in CONSTANT_NAMES:
        raise BadGold("the variable may not be named like an integration constant")
    names = (variable,)
    integrand = _gold_expr(str(args["integrand"]), names)
    x = _symbols(names)[variable]
    allowed = (variable, *CONSTANT_NAMES)
    value = parse_math(drop_lhs(clean(pred)), _symbols(allowed))
    derivative = sympy.diff(value, x)
    if derivative.free_symbols - {x}:
        return False  # a constant name used as a factor, e.g. C*x
    return expressions_equal(derivative, integrand, [x])
