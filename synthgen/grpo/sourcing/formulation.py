"""The restricted formulation language a model writes next to a problem's text, and its checks.

A formulation is JSON, never code: `kind` (solve | evaluate | system | differentiate |
integrate), `expressions` (plain math strings such as "3*x + 5 = 20"), `unknowns` (single
letters) and the declared `answer_type`. Decoding is grammar-constrained by `json_schema(kind)`,
so the shape is guaranteed; the contents are untrusted. This module only validates shape and
characters (no sympy here): the strings are parsed by the verifier's whitelist parser inside the
sandboxed worker (`formulation_solve.py`), never by eval/sympify/parse_expr.

Per kind:
- solve: one equation "lhs = rhs" (or an expression meaning "= 0") in one unknown; answer_type
  integer/rational/real asks for a unique real solution, set for all real solutions;
- evaluate: one closed expression without unknowns; a number;
- system: 2-3 equations in as many unknowns; the unique solution as a tuple;
- differentiate: f(v) -> f'(v), an expression;
- integrate: [f] -> an antiderivative, or [f, lower, upper] -> the definite integral, a number.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

KINDS = ("solve", "evaluate", "system", "differentiate", "integrate")
ANSWER_TYPES = ("integer", "rational", "real", "set", "tuple", "expression")
NUMBER_TYPES = ("integer", "rational", "real")
LETTERS = ("x", "y", "z", "t", "n", "a", "b", "c")
MAX_EXPRESSION_CHARS = 80
MAX_QUESTION_CHARS = 300

# what each kind may declare, and how many expressions / unknowns it takes (min, max)
TYPES_BY_KIND = {
    "solve": ("integer", "rational", "real", "set"),
    "evaluate": NUMBER_TYPES,
    "system": ("tuple",),
    "differentiate": ("expression",),
    "integrate": ("expression", "integer", "rational", "real"),
}
EXPRESSIONS_BY_KIND = {"solve": (1, 1), "evaluate": (1, 1), "system": (2, 3), "differentiate": (1, 1),
                       "integrate": (1, 3)}  # fmt: skip
UNKNOWNS_BY_KIND = {"solve": (1, 1), "evaluate": (0, 0), "system": (2, 3), "differentiate": (1, 1),
                    "integrate": (1, 1)}  # fmt: skip

_ALLOWED_CHARS = re.compile(r"[0-9A-Za-z+\-*/^().,= ]*")


class Formulation(BaseModel):
    """A machine-readable problem: what to compute, on which expressions, for which unknowns."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["solve", "evaluate", "system", "differentiate", "integrate"]
    expressions: list[str] = Field(min_length=1, max_length=3)
    unknowns: list[str] = Field(default_factory=list, max_length=3)
    answer_type: Literal["integer", "rational", "real", "set", "tuple", "expression"]


class FormulationError(ValueError):
    """A formulation refused before any parsing; `reason` is the counted rejection reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


PROPOSAL_UNKNOWNS = {"solve": ["x"], "evaluate": [], "system": ["x", "y"], "differentiate": ["x"], "integrate": ["x"]}


def formulation_schema(kind: str | None = None) -> dict:
    """JSON schema of a formulation; with `kind` (a proposal), the grammar also fixes the kind, its
    arity and its unknowns (x; x and y for a system, as the prompt asks), which a small model
    otherwise gets wrong far more often than the mathematics."""
    kinds = [kind] if kind else list(KINDS)
    types = list(TYPES_BY_KIND[kind]) if kind else list(ANSWER_TYPES)
    e_lo, e_hi = EXPRESSIONS_BY_KIND[kind] if kind else (1, 3)
    if kind == "system":
        e_lo = e_hi = 2
    unknowns: dict = {"type": "array", "items": {"type": "string", "enum": list(LETTERS)}, "minItems": 0, "maxItems": 3}
    if kind:
        unknowns = {"const": PROPOSAL_UNKNOWNS[kind]}
    return {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": kinds},
            "expressions": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": MAX_EXPRESSION_CHARS},
                "minItems": e_lo,
                "maxItems": e_hi,
            },
            "unknowns": unknowns,
            "answer_type": {"type": "string", "enum": types},
        },
    }


def proposal_schema(kind: str) -> dict:
    """The model's proposal: the question a student reads, then the formulation of that question."""
    return {
        "type": "object",
        "properties": {
            "question": {"type": "string", "minLength": 10, "maxLength": MAX_QUESTION_CHARS},
            "formulation": formulation_schema(kind),
        },
    }


def parse_formulation(data: object) -> Formulation:
    """Validate decoded JSON into a Formulation; FormulationError(reason) when it cannot be used.

    Checks shape (pydantic), arity per kind, the declared type per kind, unknown letters, and the
    character set of every expression. Nothing here builds a sympy object.
    """
    try:
        f = Formulation.model_validate(data)
    except ValidationError as exc:
        raise FormulationError("bad_formulation", str(exc.errors()[0]["msg"])) from None
    e_lo, e_hi = EXPRESSIONS_BY_KIND[f.kind]
    u_lo, u_hi = UNKNOWNS_BY_KIND[f.kind]
    if not e_lo <= len(f.expressions) <= e_hi or (f.kind == "integrate" and len(f.expressions) == 2):
        raise FormulationError("wrong_arity", f"{f.kind} with {len(f.expressions)} expressions")
    if not u_lo <= len(f.unknowns) <= u_hi or len(set(f.unknowns)) != len(f.unknowns):
        raise FormulationError("wrong_arity", f"{f.kind} with unknowns {f.unknowns}")
    if f.kind == "system" and len(f.unknowns) != len(f.expressions):
        raise FormulationError("wrong_arity", "a system needs as many equations as unknowns")
    if any(u not in LETTERS for u in f.unknowns):
        raise FormulationError("bad_unknowns", f"{f.unknowns}")
    if f.answer_type not in TYPES_BY_KIND[f.kind]:
        raise FormulationError("type_mismatch", f"{f.kind} cannot answer with {f.answer_type}")
    definite = f.kind == "integrate" and len(f.expressions) == 3
    if f.kind == "integrate" and definite == (f.answer_type == "expression"):
        raise FormulationError("type_mismatch", "indefinite integral -> expression; definite -> a number")
    for text in f.expressions:
        if not text.strip() or len(text) > MAX_EXPRESSION_CHARS:
            raise FormulationError("bad_formulation", "empty or long expression")
        if not _ALLOWED_CHARS.fullmatch(text):
            raise FormulationError("invalid_characters", repr(text[:40]))
        equations = text.count("=")
        if equations > 1 or (equations == 1 and f.kind not in ("solve", "system")):
            raise FormulationError("not_an_equation", repr(text[:40]))
        if f.kind == "system" and equations != 1:
            raise FormulationError("not_an_equation", "system equations need '='")
    return f


def numeric_literals(texts: list[str]) -> set[str]:
    """Numbers written in the expressions ("3", "0.5"), to refuse answers that are given constants."""
    return {m.lstrip("0") or "0" for t in texts for m in re.findall(r"\d+(?:\.\d+)?", t)}


def answer_appears(answer: str, text: str) -> bool:
    """Does the canonical answer occur literally in `text` as a standalone token?"""
    compact = answer.replace(" ", "")
    if not compact:
        return False
    body = r"\s*".join(re.escape(ch) for ch in compact)
    return re.search(r"(?<![\w.])(?<!\d/)" + body + r"(?!\w|\.\d|\s*/\s*\d)", text) is not None


def answer_form_sentence(answer_type: str, unknowns: list[str], antiderivative: bool = False) -> str:
    """The sentence appended to a question so a solver knows the exact answer form asked for."""
    if answer_type == "integer":
        return "Give the answer as an integer."
    if answer_type == "rational":
        return "Give the answer as an integer or a fraction p/q in lowest terms."
    if answer_type == "real":
        return "Give the exact value (a closed form, no decimals)."
    if answer_type == "set":
        return "List every real solution once, separated by commas, in exact form."
    if answer_type == "tuple":
        return f"Give the solution as ({', '.join(unknowns)})."
    var = unknowns[0] if unknowns else "x"
    return f"Give the answer as an expression in {var}" + ("; the constant may be omitted." if antiderivative else ".")


SOLVE_TIMEOUT_S = 10.0  # per formulation; solveset/integrate on a model-written expression can run long


def solve_in_sandbox(jobs: list[dict]) -> list[dict]:
    """Run formulation jobs in the verifier's worker pool: one round trip, a deadline per job.

    A job is {"f": formulation} (compute the gold) or {"f": ..., "expect": ...} (agreement with
    an expected gold, see formulation_solve.agrees). A job that misses its deadline comes back
    as {"ok": False, "reason": "timeout"}; the worker is killed and respawned by the pool.
    """
    from synthgen.verify.sandbox import default_pool

    if not jobs:
        return []
    payload = [{"k": "formulation", **job} for job in jobs]
    results = default_pool().run(payload, SOLVE_TIMEOUT_S, SOLVE_TIMEOUT_S * len(jobs) + 5)
    out = []
    for result in results:
        if "ok" not in result:  # pool-level timeout or a worker-side crash report
            result = {"ok": False, "reason": "timeout" if result.get("reason") == "timeout" else "sympy_failed"}
        out.append(result)
    return out
