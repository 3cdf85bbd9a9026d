"""`--source model`: the model proposes problems; sympy computes and checks them; the model re-reads them.

Per batch of model slots, in phases as wide as the dependencies allow:
1. propose (one backend.generate call): question text + formulation, JSON under a grammar that
   fixes the slot's kind;
2. compute (one sandbox round trip): parse with the whitelist parser, compute the gold with sympy,
   check well-posedness (formulation_solve.py);
3. parent checks: the answer is not written in the question nor one of the given constants;
4. re-extract (one backend.generate call): the model sees ONLY the final question text and writes
   a formulation;
5. agree (one sandbox round trip): the extraction must be the same sympy problem.
The answer always comes from sympy. Every failure sets the candidate's `reason`, which the loop
counts per family ("model.solve", ...); the journal keeps the proposal and extraction as `provenance`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from synthgen.backends.base import Backend
from synthgen.grpo.loop import Candidate
from synthgen.grpo.sourcing.formulation import (
    KINDS,
    TYPES_BY_KIND,
    FormulationError,
    answer_appears,
    answer_form_sentence,
    numeric_literals,
    parse_formulation,
    proposal_schema,
    solve_in_sandbox,
)
from synthgen.grpo.sourcing.requests import (
    CREATIVE,
    PROPOSE_PROMPT,
    decode_formulation,
    decode_object,
    expected_of,
    extraction_request,
    json_request,
    request_seed,
)
from synthgen.problems.base import MAX_QUESTION_CHARS, Problem, Reject, check_bounds
from synthgen.text.prompts import PromptSet

MODEL_FAMILY = "model."  # model rows are families model.solve, model.evaluate, ...
LEVEL_WORDS = {1: "very easy", 2: "easy", 3: "medium", 4: "hard", 5: "very hard"}
KIND_HINTS = {  # (what the exercise is, how its expressions list looks)
    "solve": (
        "an equation with one unknown to solve, for example 3*x + 4 = 19.",
        'a list with the equation, like ["3*x + 4 = 19"]',
    ),
    "evaluate": (
        "a number to compute from an expression, for example (3/4 + 2) * 8.",
        'a list with the expression, like ["(3/4 + 2) * 8"]',
    ),
    "system": (
        "two linear equations in x and y, for example x + y = 10 and x - y = 2.",
        'a list of the equations, like ["x + y = 10", "x - y = 2"]',
    ),
    "differentiate": (
        "a function of x to differentiate, for example x**3 + 2*sin(x).",
        'a list with the function, like ["x**3 + 2*sin(x)"]',
    ),
    "integrate": (
        "a function of x to integrate, for example 3*x**2 + 1, or the same from 0 to 3.",
        'a list with the function, like ["3*x**2 + 1"], or from 0 to 3 ["3*x**2 + 1", "0", "3"]',
    ),
}
DEFAULT_TOPICS = {
    "solve": ["ages", "shopping and prices", "distance and speed", "saving money", "the area of a garden"],
    "evaluate": ["fractions", "a recipe", "percentages", "a shop bill", "the average of test scores"],
    "system": ["tickets for adults and children", "coins", "two numbers with a given sum and difference"],
    "differentiate": ["polynomials", "the speed of a moving object", "trigonometric functions", "growth rates"],
    "integrate": ["the area under a curve", "polynomials", "distance from a velocity", "trigonometric functions"],
}


def slot_kind(slot: int) -> str:
    """Kinds cycle over model slots so every prefix of a run is balanced across them."""
    return KINDS[slot % len(KINDS)]


def slot_topic(slot: int, kind: str, topics: list[str]) -> str:
    pool = topics or DEFAULT_TOPICS[kind]
    return pool[(slot // len(KINDS)) % len(pool)]


class ModelSource:
    """Pipeline stage that fills model slots (candidates without a problem) with checked problems."""

    name = "model_source"

    def __init__(
        self,
        backend: Backend,
        prompts: PromptSet,
        run_seed: int,
        topics: list[str],
        claim: Callable[[Problem], str | None],
    ):
        self.backend, self.prompts, self.run_seed, self.topics = backend, prompts, run_seed, topics
        self.claim = claim  # dedup: None and the id is taken, or the reason ("duplicate", "excluded")

    def process(self, batch: list[Candidate]) -> None:
        todo = [c for c in batch if c.problem is None and c.family.startswith(MODEL_FAMILY)]
        if not todo:
            return
        started = time.perf_counter()
        replies = self.backend.generate([self._propose_request(c) for c in todo])
        proposals: list[tuple[Candidate, str, dict]] = []
        for c, completion in zip(todo, replies, strict=True):
            c.extra["provenance"] = note = {"kind": "model", "proposal": completion.text[:1200]}
            try:
                reply = decode_object(completion)
                question = str(reply.get("question", "")).strip()
                formulation = parse_formulation(reply.get("formulation"))
            except FormulationError as exc:
                c.reason = exc.reason
                continue
            if len(question) < 10:
                c.reason = "no_question"
                continue
            proposals.append((c, question, formulation.model_dump()))
            note["formulation"] = formulation.model_dump()
        golds = solve_in_sandbox([{"f": f} for _, _, f in proposals])
        built: list[tuple[Candidate, Problem, dict]] = []
        for (c, question, f), gold in zip(proposals, golds, strict=True):
            if not gold["ok"]:
                c.reason = gold["reason"]
                continue
            reason = _trivial(gold, question, f)
            problem = None if reason else _problem(c, question, f, gold, self.run_seed)
            if problem is not None:
                try:
                    check_bounds(problem, MAX_QUESTION_CHARS["math"])
                except Reject as exc:
                    reason = exc.reason
            if reason:
                c.reason = reason
                continue
            built.append((c, problem, f))
        self._agree(built)
        share = (time.perf_counter() - started) / len(todo)
        for c in todo:
            c.seconds += share

    def _propose_request(self, c: Candidate):
        kind = c.family[len(MODEL_FAMILY) :]
        hint, expressions_hint = KIND_HINTS[kind]
        prompt = self.prompts.render(
            PROPOSE_PROMPT,
            level_word=LEVEL_WORDS[c.level],
            topic=slot_topic(c.slot, kind, self.topics),
            kind=kind,
            kind_hint=hint,
            expressions_hint=expressions_hint,
            answer_types=", ".join(TYPES_BY_KIND[kind]),
        )
        return json_request(prompt, proposal_schema(kind), CREATIVE, request_seed(self.run_seed, c.slot, "propose"))

    def _agree(self, built: list[tuple[Candidate, Problem, dict]]) -> None:
        """Re-extraction from the question text alone must give the same sympy problem."""
        requests = [extraction_request(self.prompts, p.question, self.run_seed, c.slot) for c, p, _ in built]
        replies = self.backend.generate(requests) if requests else []
        jobs, waiting = [], []
        for (c, problem, f), completion in zip(built, replies, strict=True):
            c.extra["provenance"]["extraction"] = completion.text[:600]
            try:
                extracted = decode_formulation(completion)
            except FormulationError as exc:
                c.reason = f"extraction_{exc.reason}"
                continue
            expect = expected_of(f["kind"], f["unknowns"], problem.answer_type, problem.verification)
            jobs.append({"f": extracted.model_dump(), "expect": expect})
            waiting.append((c, problem))
        for (c, problem), verdict in zip(waiting, solve_in_sandbox(jobs), strict=True):
            if not verdict["ok"]:
                c.reason = verdict["reason"] if verdict["reason"].startswith("extraction_") else "extraction_failed"
                continue
            reason = self.claim(problem)
            if reason:
                c.reason = reason
                continue
            c.problem = problem


def _trivial(gold: dict, question: str, f: dict) -> str | None:
    """Refuse answers the question already gives away (verifiers.md section 8)."""
    kind = gold["answer_type"]
    if kind in ("set", "tuple"):
        values = gold["verification"]["values"]
        if all(answer_appears(v, question) for v in values):
            return "answer_in_question"
        if kind == "tuple" and all(v in numeric_literals(f["expressions"]) for v in values):
            return "trivial"
        return None
    if answer_appears(gold["answer"], question):
        return "answer_in_question"
    if kind in ("integer", "rational", "real") and gold["answer"] in numeric_literals(f["expressions"]):
        return "trivial"
    return None


def _problem(c: Candidate, question: str, f: dict, gold: dict, run_seed: int) -> Problem:
    antiderivative = gold["answer_type"] == "antiderivative"
    sentence = answer_form_sentence(gold["answer_type"], f["unknowns"], antiderivative)
    text = question if question.endswith((".", "?", "!")) else question + "."
    return Problem(
        family=f"{MODEL_FAMILY}{f['kind']}",
        difficulty=c.level,
        question=f"{text} {sentence}",
        answer=gold["answer"],
        solution=gold["solution"],
        answer_type=gold["answer_type"],
        verification={**gold["verification"], "provenance": {"formulation": f}},
        spec=gold["spec"],
        seed=request_seed(run_seed, c.slot, "propose"),
        index=c.slot,
        source="model",
    )
