"""`--word-problems`: the model retells a procedural problem as a short word problem, under checks.

A rewrite is kept only if (0) it is not a near-copy of the exercise, (1) every given quantity of
the original exercise still appears in it (as digits, or as a number word up to twenty), (2) it
does not state the answer, and (3) the model, shown only the rewritten question, extracts a
formulation that is the same sympy problem (same kind, and an answer computed by sympy in the
sandbox that passes the ORIGINAL gold's own verifier). The gold is never touched: answer,
solution and verification stay the procedural family's; the row's family stays too, `source`
becomes "word_problem", and the original question is kept in the verification's `provenance`.

Only families whose problem the formulation language can state are rewritten (WORD_FAMILIES).
"""

from __future__ import annotations

import difflib
import re
import time

from synthgen.backends.base import Backend
from synthgen.grpo.loop import Candidate
from synthgen.grpo.sourcing.formulation import FormulationError, answer_appears, answer_form_sentence, solve_in_sandbox
from synthgen.grpo.sourcing.requests import (
    CREATIVE,
    WORD_PROMPT,
    decode_formulation,
    decode_object,
    expected_of,
    extraction_request,
    json_request,
    request_seed,
)
from synthgen.problems.base import MAX_QUESTION_CHARS, Problem, Reject, check_bounds
from synthgen.text.prompts import PromptSet

# family -> formulation kind its problems map to
WORD_FAMILIES = {
    "arith.rational_chain": "evaluate",
    "alg.linear_1d": "solve",
    "alg.poly_roots": "solve",
    "alg.linear_system": "system",
    "calc.derivative": "differentiate",
    "calc.antiderivative": "integrate",
    "calc.definite_integral": "integrate",
}
DEFAULT_SETTINGS = ["shopping", "travel", "cooking", "sports", "a school trip", "gardening", "saving money", "a farm"]
MAX_REWRITE_CHARS = 280
COPY_RATIO = 0.8  # difflib similarity above which a rewrite counts as a copy of the exercise
_WORDS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
_NUMBER_WORDS = {str(i): w for i, w in enumerate((_WORDS + "seventeen eighteen nineteen twenty").split())}
_GIVEN = re.compile(r"(?<!\*\*)(?<![\w.^])\d+(?:\.\d+)?")

WORD_SCHEMA = {
    "type": "object",
    "properties": {"word_problem": {"type": "string", "minLength": 20, "maxLength": MAX_REWRITE_CHARS}},
}


def split_question(question: str) -> tuple[str, str]:
    """(exercise, answer-form tail): the tail is the final sentence starting with Give/List."""
    idx = max(question.rfind(". Give "), question.rfind(". List "))
    if idx < 0:
        return question, ""
    return question[: idx + 1], question[idx + 2 :]


def given_quantities(exercise: str) -> list[str]:
    """Numbers an exercise gives (exponents excluded: "x**2" is a shape, not a quantity)."""
    return list(dict.fromkeys(m.group(0) for m in _GIVEN.finditer(exercise)))


def quantity_appears(quantity: str, text: str) -> bool:
    if re.search(rf"(?<![\d.]){re.escape(quantity)}(?!\d|\.\d)", text):
        return True
    word = _NUMBER_WORDS.get(quantity)
    return word is not None and re.search(rf"\b{word}\b", text, re.IGNORECASE) is not None


def missing_quantities(exercise: str, rewrite: str) -> list[str]:
    """Given quantities of `exercise` that `rewrite` no longer mentions."""
    return [q for q in given_quantities(exercise) if not quantity_appears(q, rewrite)]


def is_copy(exercise: str, rewrite: str) -> bool:
    """A "rewrite" that mostly repeats the exercise is no word problem (small models often echo)."""
    a, b = (re.sub(r"[^a-z0-9]+", " ", t.lower()).strip() for t in (exercise, rewrite))
    return a in b or difflib.SequenceMatcher(None, a, b).ratio() > COPY_RATIO


def formulation_unknowns(problem: Problem) -> list[str]:
    """The unknowns an extraction of `problem` must declare."""
    if problem.family == "arith.rational_chain":
        return []
    if problem.family == "alg.linear_1d":
        return [str(problem.spec["var"])]
    if problem.family == "alg.linear_system":
        return list(problem.verification["names"])
    return ["x"]


class WordProblems:
    """Pipeline stage rewriting procedural candidates as word problems (or rejecting the slot)."""

    name = "word_problems"

    def __init__(self, backend: Backend, prompts: PromptSet, run_seed: int, topics: list[str]):
        self.backend, self.prompts, self.run_seed = backend, prompts, run_seed
        self.topics = topics or DEFAULT_SETTINGS

    def process(self, batch: list[Candidate]) -> None:
        todo = [c for c in batch if c.problem is not None and c.problem.source == "procedural"]
        if not todo:
            return
        started = time.perf_counter()
        for c in todo:
            if c.problem.family not in WORD_FAMILIES:
                c.reason = "no_word_form"
        todo = [c for c in todo if c.reason is None]
        replies = self.backend.generate([self._rewrite_request(c) for c in todo]) if todo else []
        rewritten: list[tuple[Candidate, Problem]] = []
        for c, completion in zip(todo, replies, strict=True):
            c.extra["provenance"] = {"kind": "word_problem", "rewrite": completion.text[:800]}
            reason, problem = self._rewritten(c.problem, completion)
            if reason:
                c.reason = reason
                continue
            rewritten.append((c, problem))
        requests = [extraction_request(self.prompts, p.question, self.run_seed, c.slot) for c, p in rewritten]
        replies = self.backend.generate(requests) if requests else []
        jobs, waiting = [], []
        for (c, problem), completion in zip(rewritten, replies, strict=True):
            c.extra["provenance"]["extraction"] = completion.text[:600]
            try:
                extracted = decode_formulation(completion)
            except FormulationError as exc:
                c.reason = f"extraction_{exc.reason}"
                continue
            kind = WORD_FAMILIES[problem.family]
            expect = expected_of(kind, formulation_unknowns(c.problem), problem.answer_type, c.problem.verification)
            jobs.append({"f": extracted.model_dump(), "expect": expect})
            waiting.append((c, problem))
        for (c, problem), verdict in zip(waiting, solve_in_sandbox(jobs), strict=True):
            if not verdict["ok"]:
                c.reason = verdict["reason"] if verdict["reason"].startswith("extraction_") else "extraction_failed"
                continue
            c.problem = problem
        share = (time.perf_counter() - started) / len(todo) if todo else 0.0
        for c in todo:
            c.seconds += share

    def _rewrite_request(self, c: Candidate):
        exercise, _ = split_question(c.problem.question)
        topic = self.topics[c.slot % len(self.topics)]
        prompt = self.prompts.render(WORD_PROMPT, topic=topic, exercise=exercise)
        return json_request(prompt, WORD_SCHEMA, CREATIVE, request_seed(self.run_seed, c.slot, "rewrite"))

    def _rewritten(self, original: Problem, completion) -> tuple[str | None, Problem | None]:
        """(reason, None) or (None, the word-problem version of `original`)."""
        try:
            text = str(decode_object(completion).get("word_problem", "")).strip()
        except FormulationError as exc:
            return exc.reason, None
        exercise, tail = split_question(original.question)
        if len(text) < 20:
            return "no_rewrite", None
        if is_copy(exercise, text):
            return "not_rewritten", None
        if missing_quantities(exercise, text):
            return "quantity_missing", None
        if answer_appears(original.answer, text) and not answer_appears(original.answer, exercise):
            return "answer_in_question", None
        tail = tail or answer_form_sentence(original.answer_type, formulation_unknowns(original))
        text = text if text.endswith((".", "?", "!")) else text + "."
        provenance = {"original_question": original.question}
        problem = original.model_copy(
            update={
                "question": f"{text} {tail}",
                "source": "word_problem",
                "verification": {**original.verification, "provenance": provenance},
            }
        )
        try:
            check_bounds(problem, MAX_QUESTION_CHARS["math"])
        except Reject as exc:
            return exc.reason, None
        return None, problem
