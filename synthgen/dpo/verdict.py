"""The judge's verdict on two judged answers, before the A/B check: which is better, or why neither.

One function for every pair a run judges: the pair chosen among a prompt's candidates, a
contrastive pair whose order is known, and the control pairs whose better answer is known. So
the control accuracy the card reports is the accuracy of exactly the rules that kept the pairs.
"""

from __future__ import annotations

from typing import Literal

from synthgen.dpo.attempt import Candidate
from synthgen.dpo.config import JudgeKind, PreferencesConfig
from synthgen.text.dedup import jaccard, shingles


def uses_llm(cfg: PreferencesConfig) -> bool:
    return cfg.judge in (JudgeKind.llm, JudgeKind.both)


def uses_likelihood(cfg: PreferencesConfig) -> bool:
    return cfg.judge in (JudgeKind.likelihood, JudgeKind.both)


def ranking_score(cfg: PreferencesConfig, cand: Candidate) -> float:
    """What candidates are ranked by: the likelihood score when the judge reads one, else the rubric."""
    return cand.likelihood if uses_likelihood(cfg) else cand.scores.score


def margin_of(cfg: PreferencesConfig, a: Candidate, b: Candidate) -> float:
    """The row's margin: in the ranking score's units."""
    return round(ranking_score(cfg, a) - ranking_score(cfg, b), 4)


def _gap(gap: float, least: float) -> tuple[Literal["a", "b"] | None, str | None]:
    if gap == 0:
        return None, "tie"
    if abs(gap) < least:
        return None, "low_margin"
    return ("a" if gap > 0 else "b"), None


def pair_verdict(cfg: PreferencesConfig, a: Candidate, b: Candidate) -> tuple[Literal["a", "b"] | None, str | None]:
    """("a" or "b", None) for the answer the judge prefers, or (None, drop reason).

    Reasons: "identical" / "near_identical" (nothing to learn from the pair), "tie" /
    "low_margin" (a score gap too small to trust), "judges_disagree" (with --judge both, the
    rubric and the likelihoods prefer different answers).
    """
    if a.text.strip() == b.text.strip():
        return None, "identical"
    if jaccard(shingles(a.text), shingles(b.text)) >= cfg.identical_threshold:
        return None, "near_identical"
    votes = []
    if uses_likelihood(cfg):
        side, reason = _gap(a.likelihood - b.likelihood, cfg.likelihood_margin)
        if side is None:
            return None, reason
        votes.append(side)
    if uses_llm(cfg):
        side, reason = _gap(a.scores.score - b.scores.score, cfg.min_margin)
        if side is None:
            return None, reason
        votes.append(side)
    if len(set(votes)) > 1:
        return None, "judges_disagree"
    return votes[0], None
