"""The likelihood judge: ranks candidates by the judge model's likelihood signals.

The score of an answer is

    relevance + 0.25 * fluency + 0.4 * max(completeness, -10)

with the signals of text/likelihood.py (nats: per-token PMI, mean token log-probability, and
log P(end of turn) after the answer). Relevance catches answers to another prompt, refusals
and stock replies; completeness catches answers cut off mid-thought, which relevance alone
prefers (a first sentence is the most prompt-specific part of an answer); fluency adds word
salad and degenerate text. The weights and the default margin (0.5) were chosen on 281
known-better pairs of five kinds made from 60 rows of the embedded model (there: 99 % right
among the 93 % kept), and checked on rows of another seed with benchmarks/judge_quality.py
(docs/benchmarks.md has both).
"""

from __future__ import annotations

from synthgen.text.likelihood import SIGNALS, Signals

WEIGHTS = {"relevance": 1.0, "fluency": 0.25, "completeness": 0.4}
COMPLETENESS_FLOOR = -10.0  # below this an answer plainly does not end; deeper is not worse


def contributions(signals: Signals) -> dict[str, float]:
    """Each signal's weighted term of the score."""
    values = signals.values()
    values["completeness"] = max(values["completeness"], COMPLETENESS_FLOOR)
    return {name: WEIGHTS[name] * values[name] for name in SIGNALS}


def likelihood_score(signals: Signals) -> float:
    return round(sum(contributions(signals).values()), 4)


def decided_by(chosen: Signals, rejected: Signals, least: float) -> list[str]:
    """The signals whose weighted terms alone favour the chosen answer by the least margin a pair
    needs, largest first; empty when only their sum did."""
    a, b = contributions(chosen), contributions(rejected)
    gaps = {name: a[name] - b[name] for name in SIGNALS}
    return [name for name in sorted(gaps, key=lambda n: -gaps[n]) if gaps[name] >= least]
