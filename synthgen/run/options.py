"""The one option check: every command's numbers, choices and configs, with one wording.

The CLI and the Python API share these, so `synthgen math --n 0` and `synthgen.math(0)` fail
with the same one-line message naming the option as the user typed it (`--max-attempts`).
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from synthgen.backends.model_convert import Convert
from synthgen.backends.server.options import ServerOptions
from synthgen.errors import SynthgenError

E = TypeVar("E", bound=Enum)
M = TypeVar("M", bound=BaseModel)


def flag(name: str) -> str:
    """`max_attempts` -> `--max-attempts`, the spelling the user typed."""
    return "--" + name.lstrip("-").replace("_", "-")


# Most rows one run may be asked for. Every row is held in memory until the run writes its Parquet
# files, so 10**9 rows (at least ~100 GB of rows) is already past what one machine holds; a larger
# dataset is made as several runs or shards and combined with `synthgen merge`.
MAX_ROWS = 10**9
WHY_MAX_ROWS = "a run holds every row in memory until it writes them; make more as several runs and merge them"
# llama.cpp holds at most 256 sequences in one context (llama_max_parallel_sequences()), and the
# batched backend adds up to 12 prefix-holder sequences of its own (llama_batched.MAX_HOLDERS).
MAX_PARALLEL = 256 - 12
WHY_MAX_PARALLEL = "llama.cpp decodes at most 256 sequences at once, 12 of them kept for shared prefixes"
# Attempts in flight (--batch-size): each holds its request in memory while llama.cpp decodes at
# most 256 sequences at once, so more than this only queues.
MAX_IN_FLIGHT = 100_000
WHY_MAX_IN_FLIGHT = "more attempts in flight only queue in memory; llama.cpp decodes at most 256 at once"


def check_int(
    name: str, value: Any, least: int = 1, note: str | None = None, most: int | None = None, why: str = ""
) -> int:
    """`value` unless it is not an int (bools are not), is below `least` or above `most` (`why` says why)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        kind = {1: "a positive integer", 0: "a non-negative integer"}.get(least, f"an integer >= {least}")
        raise SynthgenError(f"{flag(name)} must be {kind}{f' ({note})' if note else ''}, got {value!r}")
    if most is not None and value > most:
        raise SynthgenError(f"{flag(name)} must be at most {most}{f' ({why})' if why else ''}, got {value!r}")
    return value


def check_rows(value: Any) -> int:
    """--n: a positive integer a run can hold (MAX_ROWS)."""
    return check_int("n", value, most=MAX_ROWS, why=WHY_MAX_ROWS)


def check_batch_size(value: Any) -> int:
    """--batch-size: a positive integer up to MAX_IN_FLIGHT."""
    return check_int("batch_size", value, most=MAX_IN_FLIGHT, why=WHY_MAX_IN_FLIGHT)


def check_number(name: str, value: Any, least: float = 0.0) -> float:
    """`value` as a float unless it is not a finite number (bools are not) or is below `least`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < least:
        raise SynthgenError(f"{flag(name)} must be a finite number >= {least:g}, got {value!r}")
    return float(value)


def check_finite(name: str, value: Any) -> float:
    """`value` as a float unless it is not a number (bools are not), NaN or infinite."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SynthgenError(f"{flag(name)} must be a finite number, got {value!r}")
    return float(value)


def check_choice(name: str, value: Any, kind: type[E] | tuple[str, ...]) -> Any:
    """`kind(value)` for an Enum (or `value` for a tuple of names), else a one-line error listing the choices."""
    names = kind if isinstance(kind, tuple) else tuple(str(k.value) for k in kind)
    if isinstance(value, str | Enum) and str(getattr(value, "value", value)) in names:
        return value if isinstance(kind, tuple) else kind(value)
    raise SynthgenError(f"{flag(name)} must be one of {', '.join(names)}, got {value!r}")


def check_backend_options(parallel: Any, convert: Any) -> Convert:
    """--parallel and --convert, checked before any model loads; returns the Convert value."""
    check_int("parallel", parallel, most=MAX_PARALLEL, why=WHY_MAX_PARALLEL)
    return check_choice("convert", convert, Convert)


def check_server(value: Any, prefix: str = "") -> ServerOptions | None:
    """`server=` of every API function: None, a URL, a list of URLs, a dict or ServerOptions,
    checked with one-line errors naming the flag (`--base-url`, or `--judge-base-url` with
    `prefix="judge_"`)."""
    if value is None or isinstance(value, ServerOptions):
        return value
    if isinstance(value, str):
        value = {"base_urls": [value]}
    elif isinstance(value, list | tuple):
        value = {"base_urls": list(value)}
    if not isinstance(value, dict):
        what = "a URL, a list of URLs or ServerOptions"
        raise SynthgenError(f"{flag(prefix + 'base_url')} must be {what}, got {value!r}")
    if isinstance(value.get("timeout"), float):
        check_finite("timeout", value["timeout"])  # inf would wait forever on a stuck server
    try:
        options = ServerOptions(**value)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "base_urls"
        where = "base_url" if field == "base_urls" else field
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SynthgenError(f"invalid option {flag(prefix + where)}: {message}") from None
    if options.chat_template_from is not None:  # read it now: a bad file fails before any connection
        from synthgen.backends.server.discovery import template_from_file

        template_from_file(options.chat_template_from)
    return options


def build_config(cls: type[M], **fields: Any) -> M:
    """`cls(**fields)`, with pydantic's first complaint as one line naming the option."""
    try:
        return cls(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SynthgenError(f"invalid option {flag(where)}: {first['msg']}") from None
