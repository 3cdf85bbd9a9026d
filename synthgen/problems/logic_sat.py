"""Satisfiability family: find any assignment that makes a random CNF formula true.

Many assignments may be correct, so the verifier evaluates the formula under the proposed
assignment (method `sat`) instead of comparing with one gold. Formulas are kept only when
satisfiable and when few assignments satisfy them (guessing should rarely pass).
"""

from __future__ import annotations

import itertools
import random

from synthgen.problems.base import Problem, Reject, family

_VARS = {1: 3, 2: 4, 3: 5, 4: 6, 5: 7}
_NAMES = "ABCDEFGH"
MAX_SATISFYING_SHARE = 0.25  # a random guess passes at most this often


def satisfies(assignment: dict[str, bool], clauses: list[list[int]], names: list[str]) -> bool:
    """True when every clause has a literal made true (DIMACS ints, 1-based into `names`)."""
    return all(any(assignment[names[abs(lit) - 1]] == (lit > 0) for lit in clause) for clause in clauses)


def _clause_text(clause: list[int], names: list[str]) -> str:
    lits = [names[abs(lit) - 1] if lit > 0 else f"~{names[abs(lit) - 1]}" for lit in clause]
    return "(" + " | ".join(lits) + ")"


def assignment_text(assignment: dict[str, bool], names: list[str]) -> str:
    return ", ".join(f"{name}={'true' if assignment[name] else 'false'}" for name in names)


@family("logic.sat_assign", "sat", "logic")
def sat_assign(rng: random.Random, level: int) -> Problem:
    """Find a satisfying assignment of a random 2-/3-CNF formula (any satisfying one passes)."""
    n = _VARS[level]
    width = 2 if level == 1 else 3
    count = round(n * (2.0 if width == 2 else 3.6))
    names = list(_NAMES[:n])
    clauses = []
    for _ in range(count):
        variables = rng.sample(range(1, n + 1), width)
        clauses.append(sorted((v if rng.random() < 0.5 else -v for v in variables), key=abs))
    models = []
    for values in itertools.product((False, True), repeat=n):
        assignment = dict(zip(names, values, strict=True))
        if satisfies(assignment, clauses, names):
            models.append(assignment)
    if not models:
        raise Reject("unsatisfiable")
    if len(models) > MAX_SATISFYING_SHARE * 2**n:
        raise Reject("too_many_solutions")
    gold = rng.choice(models)
    formula = " & ".join(_clause_text(c, names) for c in clauses)
    question = (
        f"Find truth values for {', '.join(names)} that make this formula true "
        f"(~ is not, | is or, & is and): {formula}. "
        f"Answer as {names[0]}=true, {names[1]}=false, ... listing every variable."
    )
    answer = assignment_text(gold, names)
    return Problem(
        family="logic.sat_assign",
        difficulty=level,
        question=question,
        answer=answer,
        solution=f"$\\text{{{answer}}}$",
        answer_type="sat",
        verification={"variables": names, "clauses": clauses},
        spec={"clauses": clauses, "n": n},
    )
