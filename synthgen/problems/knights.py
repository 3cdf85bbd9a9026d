"""Knights and knaves: knights always tell the truth, knaves always lie.

Statements are sampled at random and the puzzle is solved by brute force over all 2^n role
assignments; only puzzles with exactly one consistent assignment are kept. The oracle is the
enumeration itself, not hand-written deduction rules (reasoning-gym#536).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

from synthgen.problems.base import Problem, Reject, family

_PEOPLE = {1: 2, 2: 3, 3: 4, 4: 5, 5: 6}
_NAMES = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Oscar"]

Statement = tuple[str, Callable[[dict[str, bool]], bool]]  # text, truth under an assignment (True = knight)


def _statement(rng: random.Random, speaker: str, names: list[str]) -> tuple[list, Statement]:
    """A random statement by `speaker` about others (or itself); returns (spec, (text, truth))."""
    others = [n for n in names if n != speaker]
    x = rng.choice(others)
    y = rng.choice([n for n in names if n != x])
    kind = rng.choice(["is_knight", "is_knave", "both_knights", "one_knave", "same", "different"])
    who = "I" if y == speaker else y
    y_is = "am" if y == speaker else "is"
    one_knave = rng.choice(
        [f"At least one of {x} and {who} is a knave.", f"If {x} is a knight, then {who} {y_is} a knave."]
    )
    table: dict[str, Statement] = {
        "is_knight": (f"{x} is a knight.", lambda a: a[x]),
        "is_knave": (f"{x} is a knave.", lambda a: not a[x]),
        "both_knights": (f"{x} and {who} are both knights.", lambda a: a[x] and a[y]),
        "one_knave": (one_knave, lambda a: not a[x] or not a[y]),  # two phrasings of one truth function
        "same": (f"{x} and {who} are the same kind.", lambda a: a[x] == a[y]),
        "different": (f"{x} and {who} are different kinds.", lambda a: a[x] != a[y]),
    }
    return [speaker, kind, x, y], table[kind]


def solve(names: list[str], statements: list[tuple[str, Callable]]) -> list[dict[str, bool]]:
    """Every assignment where each speaker's statement is true exactly when the speaker is a knight."""
    found = []
    for values in itertools.product((True, False), repeat=len(names)):
        roles = dict(zip(names, values, strict=True))
        if all(roles[speaker] == truth(roles) for speaker, (_, truth) in statements):
            found.append(roles)
    return found


@family("logic.knights_knaves", "knights", "logic")
def knights_knaves(rng: random.Random, level: int) -> Problem:
    """Knights and knaves with 2-6 people; kept only when exactly one role assignment is consistent."""
    names = rng.sample(_NAMES, _PEOPLE[level])
    specs, statements = [], []
    for speaker in names:
        spec, statement = _statement(rng, speaker, names)
        specs.append(spec)
        statements.append((speaker, statement))
    solutions = solve(names, statements)
    if len(solutions) != 1:
        raise Reject("no_solution" if not solutions else "not_unique")
    roles = solutions[0]
    said = " ".join(f'{speaker} says: "{text}"' for speaker, (text, _) in statements)
    question = (
        f"On an island, knights always tell the truth and knaves always lie. You meet {', '.join(names)}. {said} "
        f"Who is a knight and who is a knave? Answer as {names[0]}=knight, {names[1]}=knave, ... for everyone."
    )
    solution = {name: "knight" if roles[name] else "knave" for name in names}
    answer = ", ".join(f"{name}={solution[name]}" for name in names)
    return Problem(
        family="logic.knights_knaves",
        difficulty=level,
        question=question,
        answer=answer,
        solution=f"$\\text{{{answer}}}$",
        answer_type="knights",
        verification={"names": names, "solution": solution},
        spec={"statements": specs},
    )
