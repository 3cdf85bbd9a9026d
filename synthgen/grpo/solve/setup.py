"""Wiring `--solve` into a `math` / `logic` run: options, the one shared backend, stage, emission.

grpo/api.py stays a short sequence of calls into this module: validate the solve options
before anything loads, open the model once (shared with model-based problem sources through
`SharedBackend`), add the SolveStage to the loop, and at the end summarise the journaled
attempts into the manifest and write the --emit-sft / --emit-dpo folders from the journal.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from synthgen.backends.base import Backend
from synthgen.backends.open import DEFAULT_PARALLEL, model_identity, model_meta, open_backend
from synthgen.grpo.solve.export import emit, solve_summary
from synthgen.grpo.solve.options import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, SolveOptions, solve_options
from synthgen.grpo.solve.stage import SolveStage
from synthgen.run.options import check_backend_options

REQUESTS_PER_SLOT = 4  # a stage batch of ~4 x parallel requests keeps the engine's slots full
BAND_SLOTS_FACTOR = 10  # a band may reject most problems: allow 10 x n slots before giving up
SOLVE_KEYS = ("solve", "keep_pass_rate", "emit_sft", "emit_dpo", "solve_temperature", "solve_max_tokens")


def take_solve_options(options: dict[str, Any], out: Path) -> SolveOptions | None:
    """Pop the --solve family of keyword options from `options` and validate them."""
    picked = {key: options.pop(key, None) for key in SOLVE_KEYS}
    return solve_options(
        picked["solve"],
        picked["keep_pass_rate"],
        picked["emit_sft"],
        picked["emit_dpo"],
        DEFAULT_TEMPERATURE if picked["solve_temperature"] is None else picked["solve_temperature"],
        DEFAULT_MAX_TOKENS if picked["solve_max_tokens"] is None else picked["solve_max_tokens"],
        out,
    )


class SharedBackend:
    """A backend factory that loads the model at most once (or hands out a given backend)."""

    def __init__(
        self,
        model: str | Path | None = None,
        parallel: int = DEFAULT_PARALLEL,
        convert: str = "auto",
        backend: Backend | None = None,
        server: Any = None,
    ):
        check_backend_options(parallel, convert)
        self.model, self.parallel, self.convert, self.backend = model, parallel, convert, backend
        self.server = server  # ServerOptions: OpenAI-compatible servers instead of a model file

    def __call__(self) -> Backend:
        if self.backend is None:
            self.backend = open_backend(self.model, self.parallel, self.convert, server=self.server)
        return self.backend

    @property
    def loaded(self) -> bool:
        return self.backend is not None

    def identity(self) -> dict[str, Any]:
        """What the fingerprint needs to know about the model (file hash, file that ran)."""
        return model_identity(self())

    def meta(self) -> dict[str, Any] | None:
        return model_meta(self.backend) if self.backend is not None else None


def solve_stages(options: SolveOptions | None, backends: SharedBackend, run_seed: int) -> list[SolveStage]:
    """[] for a run without --solve, else the one SolveStage (it loads the model)."""
    return [] if options is None else [SolveStage(backends(), options, run_seed)]


def loop_options(options: SolveOptions | None, backends: SharedBackend) -> dict[str, Any]:
    """ProblemsLoop keyword options for a solving run: batch width and slot budget."""
    if options is None:
        return {}
    parallel = getattr(backends(), "parallel", backends.parallel)
    width = max(4, math.ceil(REQUESTS_PER_SLOT * parallel / options.k))
    return {"batch_size": width, **({"max_slots_factor": BAND_SLOTS_FACTOR} if options.band else {})}


def finish_solve(
    options: SolveOptions, records: list[dict[str, Any]], manifest: dict[str, Any], out: Path
) -> dict[str, Any]:
    """Put the attempt summary into `manifest["solve"]` and write the emitted folders."""
    manifest["solve"] = solve_summary(records, options.k)
    emitted: dict[str, Any] = {}
    source = {**manifest, "out": str(out)}
    for kind, target in (("sft", options.emit_sft), ("dpo", options.emit_dpo)):
        if target is not None:
            emitted[kind] = emit(kind, target, records, source)
    manifest["emitted"] = emitted
    return emitted
