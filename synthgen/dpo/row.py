"""The preference row: TRL's conversational explicit-prompt form plus judge and candidate columns.

`prompt` is the conversation up to and ending with the user turn; `chosen` and `rejected` hold
only the assistant's answer (TRL trainer-formats §1.4), which DPOTrainer takes unchanged. The
Arrow features are declared, not inferred, so every run writes the same schema.
`reward_row` rewrites a row into the implicit-prompt form RewardTrainer recommends: the full
conversation in both `chosen` and `rejected`, plus the `margin` column its loss can use.
"""

from __future__ import annotations

from typing import Any

from datasets import Features, List, Value
from pydantic import BaseModel

from synthgen.backends.base import Message
from synthgen.dpo.judge import ASPECTS
from synthgen.run.features import MESSAGES
from synthgen.text.likelihood import SIGNALS


class CandidateInfo(BaseModel):
    """How one candidate answer was made, and what the judge said about it."""

    index: int
    principle: str
    temperature: float
    seed: int
    text: str
    response_tokens: int
    status: str  # "judged", or why it was left out (e.g. "response_truncated", "judge_unparseable")
    score: float | None = None  # the rubric mean (LLM judge)
    likelihood: float | None = None  # the likelihood score (likelihood judge)
    signals: dict[str, float] | None = None  # relevance, fluency, completeness


class PreferenceRow(BaseModel):
    """One preference pair as written to the dataset."""

    prompt: list[Message]
    chosen: list[Message]
    rejected: list[Message]
    score_chosen: float
    score_rejected: float
    margin: float
    aspects_chosen: dict[str, int] | None
    aspects_rejected: dict[str, int] | None
    rationale_chosen: str | None
    rationale_rejected: str | None
    pairwise_chosen_first: str | None  # the judge's letter with chosen shown as A (LLM judge)
    pairwise_chosen_second: str | None  # ... with chosen shown as B
    judge: str  # "llm", "likelihood" or "both"
    pair_source: str  # "judged" (ranked by the judge), "contrast" (order by construction) or "given"
    signals_chosen: dict[str, float] | None
    signals_rejected: dict[str, float] | None
    decided_by: list[str]  # the likelihood signals that decided the pair (likelihood_judge.py)
    chosen_candidate: int
    rejected_candidate: int
    candidates: list[CandidateInfo]
    prompt_source: str
    id: str
    seed: int
    attempt: int


_ASPECTS = {a: Value("int64") for a in ASPECTS}
_SIGNALS = {s: Value("float64") for s in SIGNALS}

REWARD_FILE = "data/reward-train-00000-of-00001.parquet"  # the `reward` config (--export reward)

PREFERENCE_FEATURES = Features(
    {
        "prompt": MESSAGES,
        "chosen": MESSAGES,
        "rejected": MESSAGES,
        "score_chosen": Value("float64"),
        "score_rejected": Value("float64"),
        "margin": Value("float64"),
        "aspects_chosen": _ASPECTS,
        "aspects_rejected": _ASPECTS,
        "rationale_chosen": Value("string"),
        "rationale_rejected": Value("string"),
        "pairwise_chosen_first": Value("string"),
        "pairwise_chosen_second": Value("string"),
        "judge": Value("string"),
        "pair_source": Value("string"),
        "signals_chosen": _SIGNALS,
        "signals_rejected": _SIGNALS,
        "decided_by": List(Value("string")),
        "chosen_candidate": Value("int64"),
        "rejected_candidate": Value("int64"),
        "candidates": List(
            {
                "index": Value("int64"),
                "principle": Value("string"),
                "temperature": Value("float64"),
                "seed": Value("int64"),
                "text": Value("string"),
                "response_tokens": Value("int64"),
                "status": Value("string"),
                "score": Value("float64"),
                "likelihood": Value("float64"),
                "signals": _SIGNALS,
            }
        ),
        "prompt_source": Value("string"),
        "id": Value("string"),
        "seed": Value("int64"),
        "attempt": Value("int64"),
    }
)

REWARD_FEATURES = Features(
    {
        "chosen": MESSAGES,
        "rejected": MESSAGES,
        "margin": Value("float64"),
        "score_chosen": Value("float64"),
        "score_rejected": Value("float64"),
        "id": Value("string"),
    }
)


def reward_row(row: dict[str, Any]) -> dict[str, Any]:
    """The implicit-prompt (RewardTrainer) form of a preference row: prompt repeated in both."""
    return {
        "chosen": [*row["prompt"], *row["chosen"]],
        "rejected": [*row["prompt"], *row["rejected"]],
        "margin": row["margin"],
        "score_chosen": row["score_chosen"],
        "score_rejected": row["score_rejected"],
        "id": row["id"],
    }
