"""The in-flight state of one preference attempt, its journal record and its row.

An attempt is one prompt: its user turn (written fresh or read from the source), its k
candidates, their rubric scores, the chosen pair and the two pairwise verdicts. Everything the
loop decides is kept here so the record, accepted or dropped, says exactly why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from synthgen.backends.base import Message
from synthgen.dpo.judge import RubricScores
from synthgen.dpo.row import CandidateInfo, PreferenceRow
from synthgen.run.seeds import row_id
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
        )


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
    judge_wanted: list[int] = field(default_factory=list)
    pair: tuple[int, int] | None = None
    pairwise: list[str | None] = field(default_factory=lambda: [None, None])
    pairwise_wanted: list[int] = field(default_factory=list)
    pairwise_retry: list[int] = field(default_factory=lambda: [0, 0])
    row: dict[str, Any] | None = None
    tokens: Counter = field(default_factory=Counter)
    events: Counter = field(default_factory=Counter)

    @property
    def decided(self) -> bool:
        return self.checked and (self.reason is not None or self.row is not None)

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
            if self.candidates:
                record["candidates"] = [c.info().model_dump() for c in self.candidates]
            if self.pair is not None:
                record["pair"] = list(self.pair)
                record["pairwise"] = list(self.pairwise)
        return record


def build_row(attempt: Attempt, run_seed: int, fingerprint: str) -> dict[str, Any]:
    """The dataset row of an accepted attempt (TRL conversational explicit-prompt form)."""
    chosen, rejected = (attempt.candidates[i] for i in attempt.pair)
    return PreferenceRow(
        prompt=attempt.prompt,
        chosen=[Message(role="assistant", content=chosen.text)],
        rejected=[Message(role="assistant", content=rejected.text)],
        score_chosen=chosen.scores.score,
        score_rejected=rejected.scores.score,
        margin=chosen.scores.score - rejected.scores.score,
        aspects_chosen=chosen.scores.aspects(),
        aspects_rejected=rejected.scores.aspects(),
        rationale_chosen=chosen.scores.rationale,
        rationale_rejected=rejected.scores.rationale,
        pairwise_chosen_first=attempt.pairwise[0],
        pairwise_chosen_second=attempt.pairwise[1],
        chosen_candidate=chosen.index,
        rejected_candidate=rejected.index,
        candidates=[c.info() for c in attempt.candidates],
        prompt_source=attempt.prompt_source,
        id=row_id(run_seed, attempt.index, fingerprint),
        seed=attempt.seed,
        attempt=attempt.index,
    ).model_dump(mode="json")
