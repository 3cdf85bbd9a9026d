"""Run configuration for `synthgen instructions`, validated once at the edge.

Everything that changes which rows a run produces is part of `fingerprint()`; a second run on the
same folder with a different fingerprint is refused (unless --overwrite) instead of mixing rows
of two configurations. `n` is left out on purpose: asking for more rows on a finished folder
simply continues it, because attempts are numbered and seeded independently of `n`.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from pathlib import Path

from pydantic import ConfigDict, Field

from synthgen.backends.base import SamplingParams
from synthgen.text.gates import GateLimits
from synthgen.text.writers import WriterSampling


class Method(StrEnum):
    """How instructions are written."""

    self_instruct = "self-instruct"
    magpie = "magpie"
    mix = "mix"


class InstructionsConfig(WriterSampling):
    """All settings of an `instructions` run (the CLI options, validated)."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(..., ge=1, description="rows to produce")
    out: Path
    seed: int = Field(0, ge=0)
    method: Method = Method.mix
    magpie_share: float = Field(0.5, ge=0.0, le=1.0, description="share of magpie attempts in mix")
    topics: list[str] = Field(default_factory=list, description="user topics (replace built-ins)")
    system_prompt: str | None = None
    batch_size: int = Field(8, ge=1, description="attempts generated per backend call")
    convert: str = Field("auto", description="auto | q8_0 | none: run a fast-kernel Q8_0 copy")
    response_params: SamplingParams = Field(
        default_factory=lambda: SamplingParams(max_tokens=512, temperature=0.7, top_p=0.9)
    )
    instruction_limits: GateLimits = Field(default_factory=lambda: GateLimits(min_chars=15, max_chars=1500))
    response_limits: GateLimits = Field(default_factory=lambda: GateLimits(min_chars=20, max_chars=6000))
    dedup_threshold: float = Field(0.7, gt=0.0, le=1.0)
    min_relevance: float | None = Field(
        None, description="reject answers whose likelihood relevance is below this (None: not scored)"
    )
    max_attempts_factor: int = Field(
        20, ge=1, description="give up after n * this many attempts (a model that never passes)"
    )

    def sequence_tokens(self) -> int:
        """Context one decoding slot needs: the longest request's prompt plus its max_tokens.

        The longest is an answer: template (~40 tokens with a default system turn), the system
        prompt and a user turn the gates allow up to `instruction_limits.max_chars`, counted at 2.5
        characters a token (a safe margin below English prose's ratio), then the response. A larger
        context costs memory and start-up time (docs/architecture.md). A prompt that is longer
        still finishes as truncated.
        """
        system = len(self.system_prompt or "")
        answer = 40 + int((system + self.instruction_limits.max_chars) / 2.5) + self.response_params.max_tokens
        writer = 200 + max(self.instruction_params.max_tokens, self.magpie_params.max_tokens)
        return -(-max(answer, writer) // 256) * 256

    def fingerprint(self, extra: dict) -> str:
        """Hash of the settings that decide the rows, plus `extra` (model hash, prompt hash)."""
        keep = self.model_dump(mode="json", exclude={"n", "out", "batch_size"})
        if keep["min_relevance"] is None:
            del keep["min_relevance"]  # runs made before the option keep their fingerprint
        blob = json.dumps({"config": keep, "extra": extra}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
