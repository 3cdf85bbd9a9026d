"""Scripted FakeBackend responders for the model problem sources (proposals, rewrites, extractions).

A proposal reply is chosen by the request's kind (the grammar's enum) and its seed, so slots get
distinct problems; every question written is remembered with its formulation, and an extraction
request (which shows only the question) is answered with that formulation, or a scripted wrong one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from synthgen.backends.base import GenerationRequest


def good_proposal(kind: str, seed: int) -> tuple[str, dict]:
    """(question, formulation) of a well-posed problem that differs per seed."""
    k = 10 + seed % 900
    if kind == "solve":
        return f"Find x when {k} times x plus 1 equals {7 * k + 1}.", _f(
            kind, [f"{k}*x + 1 = {7 * k + 1}"], ["x"], "integer"
        )
    if kind == "evaluate":
        return f"What is {k} times 3/4 plus 1/4?", _f(kind, [f"{k} * 3/4 + 1/4"], [], "rational")
    if kind == "system":
        return (f"Two numbers x and y have sum {2 * k + 3} and difference x - y = 3.",
                _f(kind, [f"x + y = {2 * k + 3}", "x - y = 3"], ["x", "y"], "tuple"))  # fmt: skip
    if kind == "differentiate":
        return f"Differentiate {k}*x**3 + sin(x) with respect to x.", _f(
            kind, [f"{k}*x**3 + sin(x)"], ["x"], "expression"
        )
    return f"Integrate {k}*x from 0 to 2.", _f(kind, [f"{k}*x", "0", "2"], ["x"], "integer")


def _f(kind, expressions, unknowns, answer_type) -> dict:
    return {"kind": kind, "expressions": expressions, "unknowns": unknowns, "answer_type": answer_type}


def request_kind(request: GenerationRequest) -> str:
    props = request.json_schema["properties"]
    if "question" in props:
        return "propose"
    if "word_problem" in props:
        return "rewrite"
    return "extract"


class ProblemResponder:
    """Answers proposals with `propose(kind, seed) -> (question, formulation) | raw str`, and
    extractions with the formulation remembered for the question (after `mutate`, if given)."""

    def __init__(
        self,
        propose: Callable[[str, int], tuple[str, dict] | str] = good_proposal,
        mutate: Callable[[dict], dict | str] | None = None,
        rewrite: Callable[[str, int], str] | None = None,
    ):
        self.propose, self.mutate, self.rewrite = propose, mutate, rewrite
        self.known: dict[str, dict] = {}
        self.prompts: list[str] = []

    def __call__(self, request: GenerationRequest) -> str:
        text = request.messages[0].content
        self.prompts.append(text)
        which = request_kind(request)
        if which == "propose":
            kind = request.json_schema["properties"]["formulation"]["properties"]["kind"]["enum"][0]
            made = self.propose(kind, request.seed)
            if isinstance(made, str):
                return made
            question, formulation = made
            self.known[question] = formulation
            return json.dumps({"question": question, "formulation": formulation})
        if which == "rewrite":
            exercise = text.split("Exercise: ", 1)[1].strip()
            story = self.rewrite(exercise, request.seed)
            if (formulation := exercise_formulation(exercise)) is not None:
                self.known[story.rstrip(".")] = formulation
            return json.dumps({"word_problem": story})
        for question, formulation in self.known.items():
            if question in text:
                out = self.mutate(formulation) if self.mutate else formulation
                return out if isinstance(out, str) else json.dumps(out)
        return json.dumps(_f("evaluate", ["1 + 1"], [], "integer"))


def exercise_formulation(exercise: str) -> dict | None:
    """The formulation of a procedural exercise, read back from its text (for word-problem fakes)."""
    if m := re.match(r"Solve for (\w): (.*)\.$", exercise):
        return _f("solve", [m.group(2)], [m.group(1)], "rational")
    if m := re.match(r"Compute the exact value of (.*)\.$", exercise):
        return _f("evaluate", [m.group(1)], [], "rational")
    if m := re.match(r"Solve the system of equations: (.*)\.$", exercise):
        equations = m.group(1).split("; ")
        names = [n for n in ["x", "y", "z", "w"] if any(n in e for e in equations)][: len(equations)]
        return _f("system", equations, names, "tuple")
    return None
