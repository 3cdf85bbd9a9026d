"""The problem record, the family registry and per-item seeding shared by every family.

Each family is answer-first: it samples the answer, builds the question around it, and
self-checks the gold with an independent computation before returning it. A family's
`draw(rng, level)` either returns a `Problem` or raises `Reject(reason)`; `make_problem` retries
from the SAME local `random.Random`, so one item is a pure function of (family, version, run
seed, index) and can be regenerated alone (no global RNG, no `hash()`, no set iteration).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

MAX_QUESTION_CHARS = {"math": 400, "logic": 700}  # logic puzzles need room for their clues
MAX_NUMBER_ANSWER_CHARS = 40
MAX_EXPRESSION_ANSWER_CHARS = 160
MAX_ABS = 10**9  # |numerator|, |denominator| bound for every number in a gold
DEFAULT_TRIES = 200
LEVELS = (1, 2, 3, 4, 5)


class Reject(Exception):
    """A draw that must not become a problem; the reason is counted in the manifest."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Problem(BaseModel):
    """One verified problem: question, gold answer in plain and LaTeX form, how to verify it."""

    family: str
    difficulty: int = Field(ge=1, le=5)
    question: str
    answer: str
    solution: str = Field(description="the answer as LaTeX wrapped in $...$ (TRL accuracy_reward)")
    answer_type: str
    verification: dict[str, Any]
    spec: dict[str, Any] = Field(description="canonical parameters that determine the question; hashed into id")
    seed: int = Field(0, description="the item seed the draw used (60 bits)")
    index: int = 0
    source: Literal["procedural", "model", "word_problem"] = "procedural"

    @property
    def id(self) -> str:
        return problem_id(self.family, self.spec)

    def verification_json(self) -> str:
        return json.dumps({"method": self.answer_type, **self.verification}, sort_keys=True)


def problem_id(family: str, spec: dict[str, Any]) -> str:
    """First 16 hex of sha256 of the canonical spec: equal problems get equal ids across runs."""
    blob = json.dumps({"family": family, "spec": spec}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def item_seed(family: str, version: int, seed: int, index: int) -> int:
    """Per-item seed; hashing (not seed + index) keeps the streams of nearby run seeds apart.

    15 hex digits (60 bits) rather than 16: the seed is stored in the row, and `datasets` cannot
    write Python ints above int64 even into a uint64 column.
    """
    return int(hashlib.sha256(f"{family}|{version}|{seed}|{index}".encode()).hexdigest()[:15], 16)


Draw = Callable[[random.Random, int], Problem]


@dataclass(frozen=True)
class Family:
    """A registered problem family: its name, group (the --families shorthand) and generator."""

    name: str
    group: str
    kind: Literal["math", "logic"]
    version: int
    draw: Draw
    description: str


FAMILIES: dict[str, Family] = {}


def family(name: str, group: str, kind: Literal["math", "logic"], version: int = 1) -> Callable[[Draw], Draw]:
    """Decorator registering `draw` as family `name`; the docstring's first line describes it."""

    def register(draw: Draw) -> Draw:
        doc = (draw.__doc__ or "").strip().splitlines()
        FAMILIES[name] = Family(name, group, kind, version, draw, doc[0] if doc else name)
        return draw

    return register


def make_problem(
    fam: Family,
    seed: int,
    index: int,
    level: int,
    accept: Callable[[Problem], str | None] | None = None,
    tries: int = DEFAULT_TRIES,
    rejections: Counter | None = None,
) -> Problem | None:
    """Draw until a problem passes the family's checks and `accept` (e.g. dedup) returns None.

    Rejection reasons are added to `rejections`. Returns None when `tries` draws all failed.
    """
    s = item_seed(fam.name, fam.version, seed, index)
    rng = random.Random(s)
    for _ in range(tries):
        try:
            problem = fam.draw(rng, level)
            check_bounds(problem, MAX_QUESTION_CHARS[fam.kind])
        except Reject as exc:
            if rejections is not None:
                rejections[exc.reason] += 1
            continue
        problem = problem.model_copy(update={"seed": s, "index": index})
        reason = accept(problem) if accept else None
        if reason is None:
            return problem
        if rejections is not None:
            rejections[reason] += 1
    return None


def check_bounds(problem: Problem, max_question_chars: int) -> None:
    """Length limits every problem must meet (short answers grade reliably)."""
    if len(problem.question) > max_question_chars:
        raise Reject("question_too_long")
    limit = MAX_EXPRESSION_ANSWER_CHARS if problem.answer_type in _LONG_TYPES else MAX_NUMBER_ANSWER_CHARS
    if len(problem.answer) > limit:
        raise Reject("answer_too_long")
    if "mathrm{e}" in problem.solution:
        raise Reject("mathrm_e")


_LONG_TYPES = {"expression", "factored", "antiderivative", "matrix", "sat", "knights", "ordering", "tuple", "set"}


def rational_ok(value) -> bool:
    """A sympy Rational/Integer within the |num|, |den| <= 10^9 bound."""
    return abs(int(value.p)) <= MAX_ABS and abs(int(value.q)) <= MAX_ABS


def bounded(*values) -> None:
    """Reject unless every rational value is within the magnitude bound."""
    for v in values:
        if not rational_ok(v):
            raise Reject("number_too_large")


def nonzero_int(rng: random.Random, lo: int, hi: int) -> int:
    """A uniform integer in [lo, hi] other than 0."""
    while True:
        v = rng.randint(lo, hi)
        if v:
            return v
