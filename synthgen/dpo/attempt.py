"""The in-flight state of one preference attempt, its journal record and its row.

An attempt is one prompt: its user turn (written fresh or read from the source), its k
candidates, their rubric scores, the chosen pair and the two pairwise verdicts. Everything the
loop decides is kept here so the record, accepted or dropped, says exactly why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from synthgen.backends.base import Completion, Message
from synthgen.dpo.judge import RubricScores
from synthgen.dpo.likelihood_judge import decided_by, likelihood_score
from synthgen.dpo.row import CandidateInfo, PreferenceRow
from synthgen.run.seeds import row_id
from synthgen.text.likelihood import Signals
from synthgen.text.writers import Plan

PARSE_RETRIES = 2


@dataclass
class Candidate:
    """One candidate answer: how it is made, what came back, what the judge said."""

    index: int
    principle: str
    temperature: float
    seed: int
    text: str = ""
    response_tokens: int = 0
    status: str = "planned"  # planned -> generated -> judged, or the reason it dropped out
    scores: RubricScores | None = None
    judge_retry: int = 0
    signals: Signals | None = None
    score_parts: list[Completion | None] = field(default_factory=lambda: [None, None])
    pending: int = 0  # judgements still awaited (the rubric, the likelihood signals)
    control: str | None = None  # for a control answer: "better", or the kind of worse answer

    @property
    def likelihood(self) -> float | None:
        return likelihood_score(self.signals) if self.signals else None

    def info(self) -> CandidateInfo:
        return CandidateInfo(
            index=self.index,
            principle=self.principle,
            temperature=self.temperature,
            seed=self.seed,
            text=self.text,
            response_tokens=self.response_tokens,
            status=self.status,
            score=self.scores.score if self.scores else None,
            likelihood=self.likelihood,
            signals=self.signals.values() if self.signals else None,
        )


@dataclass
class PairCheck:
    """The A/B check of one pair (the attempt's pair, or a control pair) in both orders."""

    chosen: int  # candidate indexes
    rejected: int
    control: str | None = None  # the control kind ("off_topic", "truncated"); None for the pair itself
    letters: list[str | None] = field(default_factory=lambda: [None, None])
    wanted: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=lambda: [0, 0])
    outcome: str | None = None  # "chosen" / "rejected" / "disagree" / "unparseable", or a pre-check drop reason


@dataclass
class Attempt:
    """One prompt on its way to a pair (or a drop reason)."""

    index: int
    seed: int
    prompt_source: str
    plan: Plan | None = None
    prompt: list[Message] | None = None
    retry: int = 0
    user_wanted: bool = False
    user_final: bool = False
    checked: bool = False
    dedup_text: str | None = None
    reason: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    candidates_wanted: list[int] = field(default_factory=list)
    issued: int = 0  # candidates asked for so far (judging.py `more_candidates`)
    judge_wanted: list[int] = field(default_factory=list)
    pair: tuple[int, int] | None = None
    checks: list[PairCheck] = field(default_factory=list)
    score_wanted: list[tuple[int, int]] = field(default_factory=list)  # (candidate, 0 = after prompt, 1 = none)
    given: list[str] | None = None  # --candidates-from: the answers to label
    controls: list[dict[str, Any]] = field(default_factory=list)  # results of the control pairs
    control_state: str | None = None  # None, "pending" (judging), "done"
    row: dict[str, Any] | None = None
    tokens: Counter = field(default_factory=Counter)
    events: Counter = field(default_factory=Counter)

    @property
    def decided(self) -> bool:
        return self.checked and (self.reason is not None or self.row is not None)

    @property
    def pair_check(self) -> PairCheck | None:
        return next((c for c in self.checks if c.control is None), None)

    @property
    def answers(self) -> list[Candidate]:
        """The prompt's own candidates (control answers excluded)."""
        return [c for c in self.candidates if c.control is None]

    @property
    def made(self) -> list[Candidate]:
        """The prompt's candidates that were asked for (a planned spare never issued is left out)."""
        return self.answers[: self.issued]

    def record(self) -> dict[str, Any]:
        """The journal line: status, reason, counters and the row (or what was made, for audit)."""
        record: dict[str, Any] = {
            "attempt": self.index,
            "seed": self.seed,
            "prompt_source": self.prompt_source,
            "status": "accepted" if self.reason is None else "dropped",
            "reason": self.reason,
            "dedup_text": self.dedup_text,
            "tokens": {"prompt": self.tokens["prompt"], "completion": self.tokens["completion"]},
            "events": dict(self.events),
        }
        if self.reason is None:
            record["row"] = self.row
        else:
            if self.prompt is not None:
                record["prompt"] = [m.model_dump() for m in self.prompt]
            if self.made:
                record["candidates"] = [c.info().model_dump() for c in self.made]
            if self.pair is not None:
                record["pair"] = list(self.pair)
                check = self.pair_check
                record["pairwise"] = list(check.letters) if check else [None, None]
        if self.controls:
            record["controls"] = self.controls
        return record


def build_row(
    attempt: Attempt, run_seed: int, fingerprint: str, judge: str, pair_source: str, margin: float, least: float
) -> dict[str, Any]:
    """The dataset row of an accepted attempt (TRL conversational explicit-prompt form).

    `score_*` are the judge's scores: the rubric mean with the LLM judge, the likelihood score
    otherwise; rubric columns are null without the LLM judge, signal columns without likelihoods.
    `least` is the likelihood margin a pair needs; a signal whose gap alone reaches it decided the pair.
    """
    chosen, rejected = (attempt.candidates[i] for i in attempt.pair)
    check = attempt.pair_check
    letters = check.letters if check else [None, None]
    by_rubric = judge == "llm"
    return PreferenceRow(
        prompt=attempt.prompt,
        chosen=[Message(role="assistant", content=chosen.text)],
        rejected=[Message(role="assistant", content=rejected.text)],
        score_chosen=chosen.scores.score if by_rubric else chosen.likelihood,
        score_rejected=rejected.scores.score if by_rubric else rejected.likelihood,
        margin=margin,
        aspects_chosen=chosen.scores.aspects() if chosen.scores else None,
        aspects_rejected=rejected.scores.aspects() if rejected.scores else None,
        rationale_chosen=chosen.scores.rationale if chosen.scores else None,
        rationale_rejected=rejected.scores.rationale if rejected.scores else None,
        pairwise_chosen_first=letters[0],
        pairwise_chosen_second=letters[1],
        judge=judge,
        pair_source=pair_source,
        signals_chosen=chosen.signals.values() if chosen.signals else None,
        signals_rejected=rejected.signals.values() if rejected.signals else None,
        decided_by=decided_by(chosen.signals, rejected.signals, least) if chosen.signals and not by_rubric else [],
        chosen_candidate=chosen.index,
        rejected_candidate=rejected.index,
        candidates=[c.info() for c in attempt.made],
        prompt_source=attempt.prompt_source,
        id=row_id(run_seed, attempt.index, fingerprint),
        seed=attempt.seed,
        attempt=attempt.index,
    ).model_dump(mode="json")
