"""Run configuration for `synthgen preferences`, validated once at the edge.

As for instructions, everything that changes which pairs a run produces goes into
`fingerprint()` (plus the model, judge and prompt-source hashes passed as `extra`), so a rerun
with other options never mixes pairs of two configurations into one folder. `n`, `out`,
`batch_size` and `export` are left out: they change how much is made, or how it is written, not
which pairs attempt i yields.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from pathlib import Path

from pydantic import ConfigDict, Field, model_validator

from synthgen.backends.base import SamplingParams
from synthgen.text.gates import GateLimits
from synthgen.text.writers import WriterSampling

PRINCIPLES = ("helpful", "concise", "thorough", "honest")


class Strategy(StrEnum):
    """Which two judged candidates form the pair."""

    best_worst = "best-worst"  # the widest margin: the clearest signal
    best_second = "best-second"  # the two best: harder pairs, smaller margins
    best_random = "best-random"  # the best against a seeded random other candidate


class JudgeKind(StrEnum):
    """How candidates are judged (dpo/judge_choice.py resolves `auto`)."""

    auto = "auto"  # likelihood for small judge models, both above (judge_choice.py says why)
    llm = "llm"  # the rubric per candidate and the two-order A/B check (judge.py)
    likelihood = "likelihood"  # the judge model's likelihood signals (likelihood_judge.py)
    both = "both"  # both, and a pair is kept only when they agree


class CandidatesMode(StrEnum):
    """How a prompt's candidates are made."""

    principles = "principles"  # k answers under rotating principles and temperatures
    contrast = "contrast"  # two answers, under a helpful and a poor principle: the order is known
    given = "given"  # read from --candidates-from, not generated


POOR_PRINCIPLES = ("vague", "off_topic", "careless")


class Export(StrEnum):
    """Extra layouts written beside the DPO rows."""

    dpo = "dpo"  # only the TRL explicit-prompt preference rows (the default config)
    reward = "reward"  # also a `reward` config: implicit-prompt rows for trl.RewardTrainer


class PreferencesConfig(WriterSampling):
    """All settings of a `preferences` run (the CLI options, validated)."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(..., ge=1, description="pairs to produce")
    out: Path
    seed: int = Field(0, ge=0)
    candidates: int = Field(4, ge=2, le=16, description="responses per prompt")
    strategy: Strategy = Strategy.best_worst
    min_margin: float = Field(1.0, ge=0.0, le=9.0, description="least score gap (mean of 4 aspects, 1-10)")
    system_prompt: str | None = None
    batch_size: int = Field(32, ge=1, description="attempts (prompts) in flight at once")
    convert: str = "auto"
    export: Export = Export.dpo
    principles: list[str] = Field(default_factory=lambda: list(PRINCIPLES))
    temperatures: list[float] = Field(default_factory=lambda: [0.7, 1.0, 0.5, 0.9])
    method: str = Field("mix", description="how fresh prompts are written (instructions --method)")
    magpie_share: float = Field(0.5, ge=0.0, le=1.0)
    response_params: SamplingParams = Field(
        default_factory=lambda: SamplingParams(max_tokens=400, temperature=0.7, top_p=0.9)
    )
    judge_params: SamplingParams = Field(
        default_factory=lambda: SamplingParams(max_tokens=160, temperature=0.0, repeat_penalty=1.0)
    )
    judge_retry_temperature: float = Field(0.7, gt=0.0, description="a failed greedy verdict is resampled")
    pairwise_temperature: float = Field(
        1.0,
        ge=0.0,
        description="A/B verdicts are sampled: greedy, a small judge's letter is a pure function of position "
        "(measured: SmolLM2-135M answers A in 100% of greedy checks), so the two-order check could never pass; "
        "sampled, a position-biased judge still agrees with itself rarely (p(A) * p(B)), a consistent one often",
    )
    instruction_limits: GateLimits = Field(default_factory=lambda: GateLimits(min_chars=15, max_chars=1500))
    response_limits: GateLimits = Field(default_factory=lambda: GateLimits(min_chars=2, max_chars=6000))
    dedup_threshold: float = Field(0.7, gt=0.0, le=1.0, description="prompt near-duplicate Jaccard")
    identical_threshold: float = Field(0.9, gt=0.0, le=1.0, description="chosen/rejected near-identical Jaccard")
    max_attempts_factor: int = Field(50, ge=1, description="give up after n * this many prompts")
    judge: JudgeKind = JudgeKind.likelihood  # resolved: never `auto` here (judge_choice.py)
    candidates_mode: CandidatesMode = CandidatesMode.principles
    likelihood_margin: float = Field(
        0.5, ge=0.0, description="least gap between chosen and rejected likelihood scores (likelihood_judge.py)"
    )
    control_every: int = Field(10, ge=0, description="one attempt in this many also judges control pairs; 0: none")
    candidates_step: int = Field(
        2, ge=2, description="best-worst candidates are made this many first, then one at a time (judging.py)"
    )

    @property
    def stepwise_candidates(self) -> bool:
        """Best-worst pairs from principles under the likelihood judge: candidates come a few at a
        time (judging.py `more_candidates`)."""
        return (
            self.strategy is Strategy.best_worst
            and self.candidates_mode is CandidatesMode.principles
            and self.judge is JudgeKind.likelihood
        )

    @property
    def first_candidates(self) -> int:
        """Candidates asked for at once."""
        return min(self.candidates, self.candidates_step) if self.stepwise_candidates else self.candidates

    @model_validator(mode="after")
    def _lists(self) -> PreferencesConfig:
        if not self.principles or not self.temperatures:
            raise ValueError("principles and temperatures must not be empty")
        return self

    def fingerprint(self, extra: dict) -> str:
        """Hash of the settings that decide the pairs, plus `extra` (models, prompts, source)."""
        keep = self.model_dump(mode="json", exclude={"n", "out", "batch_size", "export"})
        blob = json.dumps({"config": keep, "extra": extra}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
