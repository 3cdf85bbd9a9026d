"""Zebra-lite ordering puzzles: put n runners in finishing order from clues.

A hidden order is sampled; true clues are added until exactly one permutation satisfies them
all (checked by enumerating every permutation, n <= 7), then clues are removed again while the
solution stays unique, so no clue is redundant. The checker is the enumeration itself.
"""

from __future__ import annotations

import itertools
import random

from synthgen.problems.base import Problem, Reject, family

_SIZE = {1: 3, 2: 4, 3: 5, 4: 6, 5: 7}
_NAMES = ["Ann", "Ben", "Cid", "Dot", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kim", "Lou"]
_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh"]
_KINDS = ["before", "before", "immediately_before", "adjacent", "not_adjacent", "position", "not_position"]

Clue = tuple[str, str, str | int]


def holds(clue: Clue, pos: dict[str, int]) -> bool:
    """Whether `clue` is true for the order given as name -> 0-based position."""
    kind, a, b = clue
    if kind == "before":
        return pos[a] < pos[b]
    if kind == "immediately_before":
        return pos[b] - pos[a] == 1
    if kind == "adjacent":
        return abs(pos[a] - pos[b]) == 1
    if kind == "not_adjacent":
        return abs(pos[a] - pos[b]) != 1
    if kind == "position":
        return pos[a] == b
    return pos[a] != b  # not_position


def clue_text(clue: Clue) -> str:
    kind, a, b = clue
    return {
        "before": f"{a} finished ahead of {b}.",
        "immediately_before": f"{a} finished directly ahead of {b}.",
        "adjacent": f"{a} and {b} finished next to each other.",
        "not_adjacent": f"{a} and {b} did not finish next to each other.",
        "position": f"{a} finished {_ORDINALS[b] if isinstance(b, int) else b}.",
        "not_position": f"{a} did not finish {_ORDINALS[b] if isinstance(b, int) else b}.",
    }[kind]


def _true_clue(rng: random.Random, order: list[str]) -> Clue:
    pos = {name: i for i, name in enumerate(order)}
    kind = rng.choice(_KINDS)
    a, b = rng.sample(order, 2)
    if kind in ("before", "immediately_before"):
        if pos[a] > pos[b]:
            a, b = b, a
        if kind == "immediately_before" and pos[b] - pos[a] != 1:
            kind = "before"
    elif kind == "adjacent" and abs(pos[a] - pos[b]) != 1:
        kind = "not_adjacent"
    elif kind == "not_adjacent" and abs(pos[a] - pos[b]) == 1:
        kind = "adjacent"
    elif kind == "position":
        return (kind, a, pos[a])
    elif kind == "not_position":
        return (kind, a, rng.choice([i for i in range(len(order)) if i != pos[a]]))
    if kind in ("adjacent", "not_adjacent"):
        a, b = sorted((a, b))  # symmetric clues in one canonical form
    return (kind, a, b)


def solutions(names: list[str], clues: list[Clue], limit: int = 2) -> list[tuple[str, ...]]:
    """Orders satisfying every clue, stopping at `limit` (uniqueness needs only 2)."""
    found = []
    for perm in itertools.permutations(names):
        pos = {name: i for i, name in enumerate(perm)}
        if all(holds(c, pos) for c in clues):
            found.append(perm)
            if len(found) >= limit:
                break
    return found


@family("logic.ordering", "ordering", "logic")
def ordering(rng: random.Random, level: int) -> Problem:
    """Finishing order of 3-7 runners from non-redundant clues with a unique solution."""
    names = sorted(rng.sample(_NAMES, _SIZE[level]))
    order = names[:]
    rng.shuffle(order)
    clues: list[Clue] = []
    while len(solutions(names, clues)) > 1:
        clue = _true_clue(rng, order)
        if clue not in clues:
            clues.append(clue)
        if len(clues) > 4 * len(names):
            raise Reject("too_many_clues")
    for clue in rng.sample(clues, len(clues)):  # drop clues that are not needed for uniqueness
        rest = [c for c in clues if c != clue]
        if len(solutions(names, rest)) == 1:
            clues = rest
    found = solutions(names, clues)
    if found != [tuple(order)]:
        raise Reject("self_check_failed")
    text = " ".join(clue_text(c) for c in clues)
    question = (
        f"{len(names)} runners, {', '.join(names)}, finished a race with no ties. {text} "
        "Give the finishing order from first to last as names separated by commas."
    )
    answer = ", ".join(order)
    return Problem(
        family="logic.ordering",
        difficulty=level,
        question=question,
        answer=answer,
        solution=f"$\\text{{{answer}}}$",
        answer_type="ordering",
        verification={"items": names, "solution": order},
        spec={"names": names, "clues": sorted([list(map(str, c)) for c in clues])},
    )
