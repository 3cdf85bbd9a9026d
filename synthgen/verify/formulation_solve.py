"""Worker side of model formulations: parse with the whitelist parser, compute, check well-posedness.

Runs ONLY inside the verifier's sandboxed worker (job kind "formulation", see
synthgen/verify/worker.py): the expressions are model-written, so sympy's work on them runs in a
killable process with memory/CPU limits and a parent deadline. Parsing goes through
`synthgen.verify.safe_parse` (no eval; literal sizes and powers are bounded before sympy builds
anything). A job returns either a gold ({"ok": true, answer, solution, answer_type,
verification, spec}) or {"ok": false, "reason": ...}, the reason being counted by the caller.

Well-posedness (verifiers.md section 8): a finite real answer of the declared type; a unique
solution for number answers; every solution substitutes back; no nan/zoo/oo/I; |numerator| and
|denominator| <= 10^9; magnitude 0 or >= 1e-6; an answer of at most 40 characters (160 for
expressions) and 50 tree nodes; an antiderivative that differentiates back; a definite integral
that agrees with numerical quadrature.

Cost (found by fuzzing, each one ran until the worker's deadline): powers of the unknowns up to
MAX_DEGREE, systems polynomial of degree <= MAX_SYSTEM_DEGREE, integration bounds within the
answer range, no number above MAX_LITERAL, no log beside a huge number (simplify, see
compare.log_blowup). Whatever else sympy cannot finish is stopped by the worker's deadline and
counted as "timeout".
"""

from __future__ import annotations

import sympy as sp

from synthgen.problems.render import dollars, plain, set_answer, tex, tuple_answer
from synthgen.verify.compare import log_blowup
from synthgen.verify.methods import check
from synthgen.verify.parse_errors import LimitError, ParseError
from synthgen.verify.safe_parse import make_symbols, parse_plain
from synthgen.verify.symbolic_methods import CONSTANT_NAMES

MAX_ABS = 10**9
MAX_LITERAL = 10**15  # largest number in a formulation (10^12 still reaches the answer's own range check)
MAX_NUMBER_CHARS = 40
MAX_EXPRESSION_CHARS = 160
MAX_NODES = 50
MAX_SOLUTIONS = 6
MAX_DEGREE = 12  # largest power of an unknown (and denominator of a root of one)
MAX_SYSTEM_DEGREE = 2  # systems: linear, or polynomial of degree 2 (x*y = 6, x + y = 5); others are refused
CHECK_DIGITS = 50


class Refuse(Exception):
    """The formulation is not a well-posed problem; `reason` is counted."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _parse(text: str, symbols: dict) -> sp.Expr:
    try:
        return parse_plain(text, symbols)
    except LimitError:
        raise Refuse("too_large") from None
    except ParseError:
        raise Refuse("unparseable") from None


def _huge_number(expr: sp.Expr) -> bool:
    """A number beyond MAX_LITERAL anywhere in a formulation (8565262^1000 in a denominator,
    exp(x + 10^30), e^100): no answer within MAX_ABS needs one, and solveset on one ran past the deadline."""
    if any(abs(r.p) > MAX_LITERAL or r.q > MAX_LITERAL for r in expr.atoms(sp.Rational)):
        return True
    powers = [p for p in expr.atoms(sp.Pow, sp.exp) if p.is_number]  # e^100 is no Rational but as large
    return any(not (v := abs(p.evalf(15))).is_finite or v > MAX_LITERAL for p in powers)


def _high_power(expr: sp.Expr, unknowns: set[sp.Symbol]) -> bool:
    """A power of an expression in the unknowns whose exponent is a number but not a small fraction.

    solveset and integrate then run for minutes (fuzzing: x^1000 - x = pi^1000, (x+3)^1000
    integrated, (x^2 - e/x)^(2^(1/3)) = c); no school problem needs more than MAX_DEGREE.
    """
    for power in expr.atoms(sp.Pow):
        e = power.exp
        if power.base.free_symbols & unknowns and e.is_number:
            if not e.is_Rational or abs(e.p) > MAX_DEGREE or e.q > MAX_DEGREE:
                return True
    return False


def _equation(text: str, symbols: dict) -> sp.Expr:
    """`lhs = rhs` -> lhs - rhs; a bare expression means expression = 0."""
    sides = text.split("=")
    if len(sides) == 1:
        return _parse(sides[0], symbols)
    return _parse(sides[0], symbols) - _parse(sides[1], symbols)


def _zero(value: sp.Expr) -> bool:
    """Exactly zero, or below 1e-30 at 50 digits (substituting back a root)."""
    if value == 0:
        return True
    approx = value.evalf(CHECK_DIGITS)
    return bool(approx.is_number and abs(approx) < sp.Float("1e-30"))


def _number(value: sp.Expr, declared: str) -> sp.Expr:
    """A finite real constant of the declared type, within the magnitude and size bounds."""
    if value.free_symbols or not value.is_number or value.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.Integral):
        raise Refuse("not_a_number")
    if log_blowup(value):
        raise Refuse("too_large")
    if not value.is_Rational:
        value = sp.nsimplify(value) if value.is_Float else sp.simplify(value)
    approx = value.evalf(30)
    if not approx.is_real or approx.has(sp.I):
        raise Refuse("not_real")
    if value != 0 and abs(approx) < 1e-6 or abs(approx) > MAX_ABS:
        raise Refuse("out_of_range")
    if value.is_Rational:
        if abs(int(value.p)) > MAX_ABS or int(value.q) > MAX_ABS:
            raise Refuse("number_too_large")
        if declared == "integer" and not value.is_Integer:
            raise Refuse("type_mismatch")
    elif declared in ("integer", "rational"):
        raise Refuse("type_mismatch")
    if len(plain(value)) > MAX_NUMBER_CHARS or len(list(sp.preorder_traversal(value))) > MAX_NODES:
        raise Refuse("answer_too_long")
    return value


def _method(value: sp.Expr, declared: str) -> str:
    return "integer" if declared == "integer" else "rational" if value.is_Rational else "real"


def _number_gold(value: sp.Expr, declared: str) -> dict:
    return {"answer": plain(value), "solution": dollars(tex(value)), "answer_type": _method(value, declared),
            "verification": {"value": plain(value)}}  # fmt: skip


def _solve(eq: sp.Expr, var: sp.Symbol, declared: str) -> dict:
    if var not in eq.free_symbols:
        raise Refuse("unknown_missing")
    found = sp.solveset(eq, var, domain=sp.S.Reals)
    if found is sp.S.EmptySet:
        raise Refuse("no_solution")
    if not isinstance(found, sp.FiniteSet):
        raise Refuse("not_finite_solution_set")
    roots = list(found)
    if not roots:
        raise Refuse("no_solution")
    if len(roots) > MAX_SOLUTIONS or (declared != "set" and len(roots) != 1):
        raise Refuse("not_unique")
    roots = [_number(r, "real" if declared == "set" else declared) for r in roots]
    if not all(_zero(eq.subs(var, r)) for r in roots):
        raise Refuse("substitution_failed")
    if declared != "set":
        return _number_gold(roots[0], declared)
    text, latex, values = set_answer(roots)
    element = "rational" if all(r.is_Rational for r in roots) else "real"
    if len(text) > MAX_NUMBER_CHARS * 2:
        raise Refuse("answer_too_long")
    return {"answer": text, "solution": latex, "answer_type": "set",
            "verification": {"values": values, "element": element}}  # fmt: skip


def _system(eqs: list[sp.Expr], syms: list[sp.Symbol]) -> dict:
    if any(not (e.free_symbols & set(syms)) for e in eqs):
        raise Refuse("unknown_missing")
    degrees = [sp.Poly(e, *syms).total_degree() if e.is_polynomial(*syms) else None for e in eqs]
    if None in degrees or max(degrees) > MAX_SYSTEM_DEGREE:
        raise Refuse("too_hard")  # fuzzing: solve() on y^1000 = c beside a quadratic ran past the deadline
    if max(degrees) <= 1:
        found = list(sp.linsolve(eqs, *syms))
    else:
        found = [tuple(s[v] for v in syms) for s in sp.solve(eqs, syms, dict=True) if all(v in s for v in syms)]
    if not found:
        raise Refuse("no_solution")
    if len(found) != 1 or any(v.free_symbols for v in found[0]):
        raise Refuse("not_unique")
    values = [_number(v, "real") for v in found[0]]
    subs = dict(zip(syms, values, strict=True))
    if not all(_zero(e.subs(subs)) for e in eqs):
        raise Refuse("substitution_failed")
    text, latex, texts = tuple_answer(values)
    return {"answer": text, "solution": latex, "answer_type": "tuple",
            "verification": {"values": texts, "names": [str(s) for s in syms]}}  # fmt: skip


def _expression_gold(expr: sp.Expr) -> sp.Expr:
    if log_blowup(expr):
        raise Refuse("too_large")
    shorter = sp.simplify(expr)
    expr = shorter if len(plain(shorter)) < len(plain(expr)) else expr
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.Integral, sp.I) or len(plain(expr)) > MAX_EXPRESSION_CHARS:
        raise Refuse("answer_too_long" if len(plain(expr)) > MAX_EXPRESSION_CHARS else "no_closed_form")
    return expr


def _differentiate(f: sp.Expr, var: sp.Symbol) -> dict:
    if var not in f.free_symbols:
        raise Refuse("unknown_missing")
    df = _expression_gold(sp.diff(f, var))
    if df == 0:
        raise Refuse("degenerate")
    return {"answer": plain(df), "solution": dollars(tex(df)), "answer_type": "expression",
            "verification": {"value": plain(df), "variables": [str(var)]}}  # fmt: skip


def _antiderivative(f: sp.Expr, var: sp.Symbol) -> dict:
    if var not in f.free_symbols:
        raise Refuse("unknown_missing")
    if str(var) in CONSTANT_NAMES:
        raise Refuse("bad_unknowns")
    big_f = _expression_gold(sp.integrate(f, var))
    if log_blowup(f) or not _zero(sp.simplify(sp.diff(big_f, var) - f)):
        raise Refuse("self_check_failed")
    return {"answer": plain(big_f), "solution": dollars(tex(big_f)), "answer_type": "antiderivative",
            "verification": {"integrand": plain(f), "variable": str(var)}}  # fmt: skip


def _definite(f: sp.Expr, var: sp.Symbol, lo: sp.Expr, hi: sp.Expr, declared: str) -> dict:
    if lo.free_symbols or hi.free_symbols:
        raise Refuse("not_a_number")
    # bounds within the answer's own range: integrating x^1000 up to 52^1000 (found by fuzzing) is a
    # million-digit number that only the worker's deadline would stop
    for bound in (lo, hi):
        approx = bound.evalf(30)
        if not approx.is_real or abs(approx) > MAX_ABS:
            raise Refuse("out_of_range")
    if var not in f.free_symbols:
        raise Refuse("unknown_missing")
    # and an integrand within range at the ends and the middle: (5^x)^(1/3) up to 8*10^8 ran on
    for point in (lo, (lo + hi) / 2, hi):
        at = f.evalf(15, subs={var: point})  # not subs(): 5^(x/3) at an exact point is a 10^8-digit integer
        if not at.is_number or at.has(sp.zoo, sp.nan) or abs(at) > MAX_LITERAL:
            raise Refuse("out_of_range")
    value = _number(sp.integrate(f, (var, lo, hi)), declared)
    numeric = sp.Integral(f, (var, lo, hi)).evalf(30)
    if not numeric.is_number or abs(numeric - value.evalf(30)) > sp.Float("1e-15") * max(1, abs(numeric)):
        raise Refuse("self_check_failed")
    return _number_gold(value, declared)


def compute(formulation: dict, declared: str | None = None) -> dict:
    """The gold of a formulation (already shape-checked by the parent), or raise Refuse.

    `declared` overrides the formulation's answer type (used to compare a re-extraction in the
    original's type). The returned `spec` is canonical (sympy's own strings of the parsed
    expressions), so two spellings of one problem get one id.
    """
    kind, unknowns = formulation["kind"], list(formulation.get("unknowns") or [])
    declared = declared or formulation["answer_type"]
    try:
        symbols = make_symbols(unknowns)
    except ParseError:
        raise Refuse("bad_unknowns") from None
    syms = [symbols[u] for u in unknowns]
    texts = list(formulation["expressions"])
    if kind in ("solve", "system"):
        parsed = [_equation(t, symbols) for t in texts]
    else:
        parsed = [_parse(t, symbols) for t in texts]
    if any(log_blowup(p) or _huge_number(p) for p in parsed):  # ln(x) = 8589934592 builds exp(8589934592)
        raise Refuse("too_large")
    if any(_high_power(p, set(syms)) for p in parsed):
        raise Refuse("too_hard")
    if kind == "solve":
        gold = _solve(parsed[0], syms[0], declared)
    elif kind == "system":
        gold = _system(parsed, syms)
    elif kind == "evaluate":
        gold = _number_gold(_number(parsed[0], declared), declared)
    elif kind == "differentiate":
        gold = _differentiate(parsed[0], syms[0])
    elif len(parsed) == 3:
        gold = _definite(parsed[0], syms[0], parsed[1], parsed[2], declared)
    else:
        gold = _antiderivative(parsed[0], syms[0])
    # the row's own verifier must accept its gold: d/dx |x| = sign(x) is no name it knows (found by fuzzing)
    if check(gold["answer"], {"method": gold["answer_type"], **gold["verification"]}, 4000)[0] != "correct":
        raise Refuse("gold_does_not_verify")
    # the parser evaluates numbers eagerly, so an evaluate spec keeps its (space-free) text: "(3/4+2)*8", not "22"
    shown = ["".join(t.split()) for t in texts] if kind == "evaluate" else [plain(p) for p in parsed]
    gold["spec"] = {"kind": kind, "unknowns": unknowns, "expressions": shown}
    return gold


def agrees(extracted: dict, expected: dict) -> str | None:
    """None when `extracted` is the same problem as `expected`, else the counted reason.

    `expected` = {kind, unknowns, answer_type, verification, names_matter}. Same problem means:
    the same kind, the same unknowns where names matter (systems, expressions), and an answer
    computed from the extraction (in the expected answer type) that passes the expected gold's
    own verifier: equal solution set, equal value, equivalent expression or antiderivative.
    """
    if extracted["kind"] != expected["kind"]:
        return "extraction_kind_differs"
    if expected.get("names_matter") and list(extracted.get("unknowns") or []) != list(expected["unknowns"]):
        return "extraction_unknowns_differ"
    # numbers are computed as any real and then judged by the expected gold's verifier
    method = expected["answer_type"]
    declared = "expression" if method == "antiderivative" else "real" if method in ("integer", "rational") else method
    try:
        gold = compute(extracted, declared)
    except Refuse as exc:
        return f"extraction_{exc.reason}"
    reason, _ = check(gold["answer"], {"method": expected["answer_type"], **expected["verification"]}, 4000)
    return None if reason == "correct" else "extraction_disagrees"


def run_formulation_job(job: dict) -> dict:
    """Worker entry: {"f": formulation} -> gold; with "expect" -> agreement verdict."""
    try:
        if "expect" in job:
            reason = agrees(job["f"], job["expect"])
            return {"ok": reason is None, "reason": reason}
        return {"ok": True, **compute(job["f"])}
    except Refuse as exc:
        return {"ok": False, "reason": exc.reason}
    except (RecursionError, MemoryError, OverflowError):
        return {"ok": False, "reason": "too_large"}
    except (ValueError, TypeError, ArithmeticError, NotImplementedError, AttributeError, KeyError) as exc:
        return {"ok": False, "reason": "sympy_failed", "detail": f"{type(exc).__name__}: {exc}"[:200]}
