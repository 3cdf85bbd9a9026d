"""One shard as a picklable call: a kind's API function and its keyword options.

The executors (local and Ray) run every shard through `run_shard`, so they run exactly what
`synthgen <command> --shard-index K --num-shards N` runs by hand. A Ray task cannot carry a live
llama.cpp engine, so `backend` / `judge_backend` may also be a zero-argument factory, called in
the process that runs the shard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

BACKEND_KEYS = ("backend", "judge_backend")


def is_factory(value: Any) -> bool:
    """A backend factory: callable and not itself a backend (a backend has `generate`)."""
    return callable(value) and not hasattr(value, "generate")


def run_shard(fn: Callable[..., Any], options: dict[str, Any]) -> Any:
    """`fn(**options)` with every backend factory among `options` called first."""
    options = dict(options)
    for key in BACKEND_KEYS:
        if is_factory(options.get(key)):
            options[key] = options[key]()
    return fn(**options)
