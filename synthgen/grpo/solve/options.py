"""The `--solve K` options of `math` / `logic`: attempts, pass-rate band, sampling, emitted datasets.

Validated here, before any model loads, so a bad option costs one line and exit code 2. The
sampling defaults are GRPOTrainer's own (temperature 1.0, no top-p/top-k/min-p cut, no repeat
penalty, at most 256 completion tokens): the pass rate is meant to predict what GRPO will see
when the same model samples these prompts, so it is measured under the distribution GRPO
samples from.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synthgen.backends.base import SamplingParams
from synthgen.errors import SynthgenError
from synthgen.run.options import check_int, check_number

BAND_EPSILON = 1e-9  # pass rates are c/K; "0.33" should keep 1/3
DEFAULT_TEMPERATURE = 1.0  # GRPOConfig.temperature
DEFAULT_MAX_TOKENS = 256  # GRPOConfig.max_completion_length
# Absurd sizes refused up front: a pass rate over K attempts moves in steps of 1/K, so beyond 4096
# attempts it changes by less than 0.03 % while the run costs K times the tokens; and no GGUF
# model's context holds a 2**20-token answer.
MAX_SOLVE, WHY_MAX_SOLVE = 4096, "a pass rate over more attempts changes by under 0.03 %; each costs a full answer"
MAX_TOKENS, WHY_MAX_TOKENS = 2**20, "more than any model's context holds"


class SolveOptions(BaseModel):
    """How each problem is attempted and which pass rates are kept."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(..., ge=1, description="attempts per problem")
    band: tuple[float, float] | None = Field(None, description="keep pass rates in [lo, hi] (inclusive)")
    temperature: float = Field(DEFAULT_TEMPERATURE, ge=0.0)
    max_tokens: int = Field(DEFAULT_MAX_TOKENS, ge=16)
    emit_sft: Path | None = None
    emit_dpo: Path | None = None

    def sampling(self) -> SamplingParams:
        return SamplingParams(
            max_tokens=self.max_tokens, temperature=self.temperature, top_p=1.0, top_k=0, min_p=0.0, repeat_penalty=1.0
        )

    def fingerprint_part(self) -> dict[str, Any]:
        """What decides the rows (the emitted folders do not: they are derived from the journal)."""
        return self.model_dump(mode="json", exclude={"emit_sft", "emit_dpo"})

    def keeps(self, pass_rate: float) -> str | None:
        """None when the band keeps `pass_rate`, else the rejection reason."""
        if self.band is None:
            return None
        lo, hi = self.band
        if pass_rate < lo - BAND_EPSILON:
            return "pass_rate_below"
        if pass_rate > hi + BAND_EPSILON:
            return "pass_rate_above"
        return None


def parse_band(text: str) -> tuple[float, float]:
    """'0.1-0.9' -> (0.1, 0.9); one-line error for anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*-\s*(\d+(?:\.\d*)?|\.\d+)\s*", str(text))
    if not match:
        raise SynthgenError(f"--keep-pass-rate must be LO-HI with 0 <= LO <= HI <= 1, e.g. 0.1-0.9; got {text!r}")
    lo, hi = float(match.group(1)), float(match.group(2))
    if not (0.0 <= lo <= 1.0 and 0.0 <= hi <= 1.0):
        raise SynthgenError(f"--keep-pass-rate bounds must lie in [0, 1], got {text!r}")
    if lo > hi:
        raise SynthgenError(f"--keep-pass-rate LO-HI needs LO <= HI, got {text!r}")
    return lo, hi


def solve_options(
    solve: int | None,
    keep_pass_rate: str | tuple[float, float] | None = None,
    emit_sft: str | Path | None = None,
    emit_dpo: str | Path | None = None,
    temperature: float = DEFAULT_TEMPERATURE,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    out: Path | None = None,
) -> SolveOptions | None:
    """SolveOptions from the command options, or None when --solve is not given."""
    if solve is None:
        for given, name in ((keep_pass_rate, "--keep-pass-rate"), (emit_sft, "--emit-sft"), (emit_dpo, "--emit-dpo")):
            if given is not None:
                raise SynthgenError(f"{name} needs --solve K (it uses the K attempts per problem)")
        return None
    check_int("solve", solve, note="attempts per problem", most=MAX_SOLVE, why=WHY_MAX_SOLVE)
    check_number("solve_temperature", temperature)
    check_int("solve_max_tokens", max_tokens, least=16, most=MAX_TOKENS, why=WHY_MAX_TOKENS)
    if keep_pass_rate is not None and not isinstance(keep_pass_rate, str):
        keep_pass_rate = "-".join(str(v) for v in keep_pass_rate)
    band = parse_band(keep_pass_rate) if keep_pass_rate is not None else None
    sft = Path(emit_sft).expanduser() if emit_sft is not None else None
    dpo = Path(emit_dpo).expanduser() if emit_dpo is not None else None
    _check_emit_targets(sft, dpo, out)
    return SolveOptions(k=solve, band=band, temperature=float(temperature), max_tokens=max_tokens,
                        emit_sft=sft, emit_dpo=dpo)  # fmt: skip


def _check_emit_targets(sft: Path | None, dpo: Path | None, out: Path | None) -> None:
    """Emitted folders must differ from --out and from each other, and may only replace an emission."""
    from synthgen.grpo.solve.export import check_emit_folder

    resolved = [p.resolve() for p in (sft, dpo, out) if p is not None]
    if len(set(resolved)) != len(resolved):
        raise SynthgenError("--emit-sft, --emit-dpo and --out must be three different folders")
    for path, flag in ((sft, "--emit-sft"), (dpo, "--emit-dpo")):
        if path is not None:
            check_emit_folder(path, flag)
            existing = next(p for p in path.absolute().parents if p.exists())
            if not path.exists() and not existing.is_dir():  # the run would fail only after solving
                raise SynthgenError(f"{flag} cannot be created: {existing} is not a folder")
