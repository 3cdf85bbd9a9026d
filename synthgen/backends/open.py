"""Opening the in-process llama.cpp backend for a command: model file, optional Q8_0 copy, engine.

The same three steps `synthgen instructions` takes (resolve the file: option > env > embedded;
run slow embedded formats as a cached Q8_0 copy; load LlamaBatchedBackend), shared here so that
`math` / `logic` load one model once for every stage that needs it (solving, model sources).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthgen.backends.base import Backend
from synthgen.backends.model_convert import Convert, runnable_model
from synthgen.backends.model_file import embedded_model_path, resolve_model_path
from synthgen.errors import SynthgenError


def check_backend_options(parallel: Any, convert: Any) -> Convert:
    """Validate --parallel and --convert before anything is loaded; return the Convert value."""
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise SynthgenError(f"--parallel must be a positive integer, got {parallel!r}")
    try:
        return Convert(convert)
    except ValueError:
        choices = ", ".join(c.value for c in Convert)
        raise SynthgenError(f"--convert must be one of {choices}, got {convert!r}") from None


def open_backend(model: str | Path | None, parallel: int, convert: str = "auto", verbose: bool = False) -> Backend:
    """The llama.cpp batched backend on the resolved model file."""
    conversion = check_backend_options(parallel, convert)
    model_path = resolve_model_path(model)
    from synthgen.backends.llama_batched import LlamaBatchedBackend

    embedded = model_path == embedded_model_path()
    run_path = runnable_model(model_path, conversion, embedded)
    return LlamaBatchedBackend(run_path, parallel=parallel, verbose=verbose, source_path=model_path)


def model_meta(backend: Backend) -> dict[str, Any]:
    """The manifest's `model` block: ModelInfo plus whether it is the embedded model."""
    info = backend.model_info()
    meta = info.model_dump()
    try:
        meta["embedded"] = info.path is not None and Path(info.path) == embedded_model_path()
    except SynthgenError:
        meta["embedded"] = False
    return meta
