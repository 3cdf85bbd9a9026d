"""Equality tests on parsed sympy values: exact numbers, closed-form reals, expressions.

- Rationals compare exactly (`==` on sympy Rational).
- Closed-form reals: 60-digit numeric agreement decides "different"; a rational-vs-irrational
  mismatch known to sympy is "different" (a 40-digit decimal is not pi/4); otherwise a small
  simplify(a - b) == 0 or 1e-45 agreement confirms.
- Expressions: random-point probe at 30 digits, the deciding test (Schwartz-Zippel); points
  where the gold is undefined or non-real are skipped; simplify only breaks a tie when fewer than
  MIN_POINTS points were usable.
- Every numeric value goes through `_evaluate`: when a value is exactly zero (a probe point on a
  root, `log(4) - 2*log(2)`), evalf cannot reach any relative precision and returns a
  precision-1 Float such as `0.e-140` that sympy refuses to order ("not comparable"); such a
  part is zero to working precision and becomes an exact 0.
"""

from __future__ import annotations

import hashlib
import random

import mpmath
import sympy

from synthgen.verify.limits import MAX_POW_EXPONENT

PROBE_POINTS = 8
MIN_POINTS = 4
PROBE_DIGITS = 30
PROBE_TOL = sympy.Float("1e-20", 40)
SIMPLIFY_MAX_OPS = 40


def _finite_number(v: sympy.Expr | None) -> bool:
    return v is not None and v.is_number and not v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


def _evaluate(expr: sympy.Expr, digits: int, subs: dict | None = None) -> sympy.Expr | None:
    """expr.evalf(digits) with tiny magnitude-only parts set to exact 0; None when unusable.

    evalf returns a precision-1 part when it cancels below its working precision, so a tiny one
    is zero; a precision-1 part that is not tiny means evalf gave up, and the value says nothing.
    """
    value = expr.evalf(digits, subs=subs) if subs else expr.evalf(digits)
    if not value.is_number or value.has(sympy.zoo, sympy.nan):
        return value
    parts, changed = [], False
    for part in value.as_real_imag():
        if part.is_Float and part._prec == 1:
            if abs(mpmath.mpf(part._mpf_)) >= mpmath.mpf(10) ** (-2 * digits):
                return None
            part, changed = sympy.Integer(0), True
        parts.append(part)
    return parts[0] + sympy.I * parts[1] if changed else value


def _close(a: sympy.Expr, b: sympy.Expr, tol: sympy.Float) -> bool:
    scale = sympy.Max(1, sympy.Abs(a))
    return bool(sympy.Abs(a - b) <= tol * scale)


def simplifies_to_zero(diff: sympy.Expr) -> bool:
    """simplify(diff) == 0, tried only on a small difference that simplify cannot blow up."""
    return sympy.count_ops(diff) <= SIMPLIFY_MAX_OPS and not log_blowup(diff) and sympy.simplify(diff) == 0


def log_blowup(expr: sympy.Expr) -> bool:
    """A log beside a number above MAX_POW_EXPONENT: simplify would not finish.

    simplify runs logcombine, which turns c*log(6) into log(6**c), a number of about c digits
    (fuzzing found 2844261^2*log(6) still running after minutes). Callers leave such values to
    numeric agreement or refuse them.
    """
    if not expr.has(sympy.log):
        return False
    return any(abs(r.p) > MAX_POW_EXPONENT or r.q > MAX_POW_EXPONENT for r in expr.atoms(sympy.Rational))


def numbers_equal(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Exact equality of two closed-form constants (no free symbols)."""
    if a.is_Rational and b.is_Rational:
        return a == b
    if a == b:
        return True
    va, vb = _evaluate(a, 60), _evaluate(b, 60)
    if not (_finite_number(va) and _finite_number(vb)):
        return False
    if not _close(va, vb, sympy.Float("1e-30", 70)):
        return False
    ra, rb = a.is_rational, b.is_rational
    if ra is not None and rb is not None and ra != rb:
        return False
    diff = a - b
    if simplifies_to_zero(diff):
        return True
    return _close(va, vb, sympy.Float("1e-45", 70))


def probe_points(symbols: list[sympy.Symbol], seed_text: str) -> list[dict[sympy.Symbol, sympy.Rational]]:
    """Deterministic pseudo-random rational points (seeded by the gold) for the probe."""
    seed = int(hashlib.sha256(seed_text.encode()).hexdigest()[:16], 16)
    rng = random.Random(seed)
    points = []
    for k in range(PROBE_POINTS):
        sign = -1 if k % 4 == 3 else 1  # mostly positive: logs and roots are defined there
        points.append({s: sign * sympy.Rational(rng.randint(11, 340), rng.choice((97, 101, 103))) for s in symbols})
    return points


def _value(expr: sympy.Expr, point: dict) -> sympy.Expr | None:
    try:
        v = _evaluate(expr, PROBE_DIGITS, point)
    except (ZeroDivisionError, ValueError, TypeError, ArithmeticError):
        return None
    return v if _finite_number(v) else None


def expressions_equal(pred: sympy.Expr, gold: sympy.Expr, symbols: list[sympy.Symbol]) -> bool:
    """Probe equivalence of pred and gold over `symbols` (gold decides where it is defined)."""
    if not symbols or not (pred.free_symbols | gold.free_symbols):
        return numbers_equal(pred, gold) if not (pred.free_symbols or gold.free_symbols) else False
    if not pred.free_symbols <= set(symbols):
        return False
    used = 0
    for point in probe_points(symbols, sympy.srepr(gold)):
        vg = _value(gold, point)
        if vg is None or abs(sympy.im(vg)) > PROBE_TOL * sympy.Max(1, abs(vg)):
            continue  # gold undefined or non-real here: this point says nothing
        vp = _value(pred, point)
        if vp is None or not _close(vp, vg, PROBE_TOL):
            return False
        used += 1
    if used >= MIN_POINTS:
        return True
    diff = pred - gold
    return simplifies_to_zero(diff)
