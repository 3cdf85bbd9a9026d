"""The one way to open a model for a command: model file, optional Q8_0 copy, batched engine.

Every command takes the same three steps (resolve the file: option > env > embedded; run a
slow-kernel embedded format as a cached Q8_0 copy; load LlamaBatchedBackend), so they live here
once. Callers check `--parallel` and `--convert` first (run/options.check_backend_options).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthgen.backends.base import Backend
from synthgen.backends.model_convert import Convert, runnable_model
from synthgen.backends.model_file import embedded_model_path, resolve_model_path
from synthgen.errors import SynthgenError

# Sequences llama.cpp decodes at once, for every command. How it was chosen, and how throughput
# moves with it: docs/benchmarks.md.
DEFAULT_PARALLEL = 16


def _named(option: str | None, exc: SynthgenError) -> SynthgenError:
    return SynthgenError(f"{option}: {exc}") if option else exc


def resolve_model(model: str | Path | None, option: str | None = None) -> Path:
    """The model file a command runs (option > SYNTHGEN_MODEL > embedded); errors name `option`."""
    try:
        return resolve_model_path(model)
    except SynthgenError as exc:
        raise _named(option, exc) from None


def open_backend(
    model: str | Path | None,
    parallel: int = DEFAULT_PARALLEL,
    convert: str = "auto",
    verbose: bool = False,
    *,
    option: str | None = None,
    server: Any = None,
    **engine: Any,
) -> Backend:
    """The llama.cpp batched backend on the resolved model file, or the servers in `server`.

    `option` ("--judge-model") prefixes any error so the user knows which model failed; `engine`
    passes sizing options on to LlamaBatchedBackend (e.g. `stream_ctx_per_seq`). `server`
    (ServerOptions, checked by run/options.check_server) replaces the model file with
    OpenAI-compatible servers (backends/server/).
    """
    if server is not None:
        from synthgen.backends.server import ServerBackend

        return ServerBackend(server)
    conversion = Convert(convert)  # callers check options first (run/options.py), with one wording
    model_path = resolve_model(model, option)
    from synthgen.backends.kv_memory import check_parallel_memory
    from synthgen.backends.llama_batched import LlamaBatchedBackend

    try:
        check_parallel_memory(parallel, model_path)  # from the GGUF header, before minutes of loading
        run_path = runnable_model(model_path, conversion, model_path == embedded_model_path())
        return LlamaBatchedBackend(run_path, parallel=parallel, verbose=verbose, source_path=model_path, **engine)
    except SynthgenError as exc:
        raise _named(option, exc) from None


def model_meta(backend: Backend) -> dict[str, Any]:
    """The manifest's `model` block: ModelInfo plus whether it is the embedded model."""
    info = backend.model_info()
    meta = info.model_dump()
    try:
        meta["embedded"] = info.path is not None and Path(info.path) == embedded_model_path()
    except SynthgenError:
        meta["embedded"] = False
    return meta


def model_identity(backend: Backend) -> dict[str, Any]:
    """What a run's fingerprint needs to know about a model: its file hash and the file that ran."""
    info = backend.model_info()
    return {"model_sha256": info.sha256 or info.name, "run_file_sha256": info.extra.get("run_file_sha256")}
