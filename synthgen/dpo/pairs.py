"""Choosing the pair from judged candidates (the checks that drop a pair are in verdict.py).

Pure functions, so the strategies are tested without any model. Ties in
score are broken by candidate index (the lower index wins the chosen slot and the higher one the
rejected slot), so a pair never depends on anything but the scores and the seed.
"""

from __future__ import annotations

import random

from synthgen.dpo.config import Strategy


def select_pair(scores: dict[int, float], strategy: Strategy, seed: int) -> tuple[int, int]:
    """(chosen index, rejected index) among candidates `scores` ({index: score}, at least two)."""
    if len(scores) < 2:
        raise ValueError("a pair needs at least two scored candidates")
    ranked = sorted(scores, key=lambda i: (-scores[i], i))  # best first; equal scores by index
    chosen = ranked[0]
    if strategy is Strategy.best_worst:
        worst = min(scores.values())
        rejected = max(i for i in scores if scores[i] == worst)
        if rejected == chosen:  # every score equal: keep the two ends of the index order
            rejected = ranked[-1]
    elif strategy is Strategy.best_second:
        rejected = ranked[1]
    else:
        rejected = random.Random(seed).choice(ranked[1:])
    return chosen, rejected
