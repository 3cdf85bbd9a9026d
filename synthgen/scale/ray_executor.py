"""`--executor ray`: one Ray task per shard, one progress line for all of them, failed shards retried.

The only module of synthgen that imports Ray, and only when it runs (`pip install
"synthgen[ray]"`). It joins the cluster `ray.init(address="auto")` finds (RAY_ADDRESS, or a
`ray start` on this machine) or starts a local one, and shuts down only a cluster it started.
Each task runs `task.run_shard`, the very call `--shard-index K` makes, on the shared run
folder: workers must see the same filesystem path and have synthgen installed (a local cluster's
workers use this interpreter). A task that crashes or loses its worker is retried (`RETRIES`),
and resumes from its journal; a SynthgenError (a bad option, a run that gave up) comes back as
a value instead, because running it again would only fail again. The progress line is read from
the shards' journals (watch.py), so tasks need no channel back to the driver.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synthgen.errors import SynthgenError
from synthgen.run.progress import Progress
from synthgen.run.shards import ShardPart
from synthgen.scale.task import run_shard
from synthgen.scale.watch import ShardWatch

RETRIES = 2  # a shard whose task fails is run up to 1 + RETRIES times
POLL_S = 1.0  # how often the progress line reads the journals
INSTALL = 'pip install "synthgen[ray]"'


def ray_module() -> Any:
    """The `ray` module, or a one-line error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise SynthgenError(f"--executor ray needs Ray, an optional extra: {INSTALL}") from None
    return ray


def connect(ray: Any) -> bool:
    """Join a running cluster, else start a local one; True when this call started it."""
    if ray.is_initialized():
        return False
    quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
    try:
        ray.init(address="auto", **quiet)
    except ConnectionError:
        ray.init(include_dashboard=False, **quiet)
    return True


def shard_task(fn: Callable[..., Any], options: dict[str, Any]) -> Any:
    """The Ray task: one shard; a SynthgenError returns as ("error", message, exit code)."""
    try:
        return run_shard(fn, options)
    except SynthgenError as exc:
        return ("error", str(exc), exc.exit_code)


def run_on_ray(fn: Callable[..., Any], options: dict[str, Any], part: ShardPart) -> list[Any]:
    """Run every shard of `part` as a Ray task; return their results in shard order."""
    ray = ray_module()
    started_here = connect(ray)
    try:
        remote = ray.remote(max_retries=RETRIES, retry_exceptions=True)(shard_task)
        options = {**absolute(options), "out": part.root.resolve(), "progress": False}
        refs = [remote.remote(fn, {**options, "shard_index": k}) for k in range(part.num_shards)]
        watch = ShardWatch(part.root, part.num_shards, part.n)
        progress = Progress(part.n, done=watch.done, enabled=part.progress)
        pending = list(refs)
        try:
            while pending:
                _, pending = ray.wait(pending, num_returns=len(pending), timeout=POLL_S)
                watch.poll()
                progress.update(watch.done, watch.tokens, watch.rejected)
        except KeyboardInterrupt:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        progress.close()
        return [_outcome(ray, ref, k) for k, ref in enumerate(refs)]
    finally:
        if started_here:
            ray.shutdown()


def absolute(options: dict[str, Any]) -> dict[str, Any]:
    """Path options (as the CLI passes them) made absolute: a worker of a cluster started
    elsewhere does not run in this directory. Plain strings are left as given."""

    def fix(value: Any) -> Any:
        if isinstance(value, Path):
            return value.expanduser().resolve()
        if isinstance(value, list | tuple) and value and all(isinstance(v, Path) for v in value):
            return [fix(v) for v in value]
        return value

    return {key: fix(value) for key, value in options.items()}


def _outcome(ray: Any, ref: Any, index: int) -> Any:
    try:
        result = ray.get(ref)
    except ray.exceptions.RayError as exc:
        cause = str(getattr(exc, "cause", None) or exc).strip().splitlines()
        raise SynthgenError(
            f"shard {index} failed after {1 + RETRIES} tries ({cause[-1] if cause else type(exc).__name__}); "
            "rerun the same command to resume it",
            exit_code=1,
        ) from None
    if isinstance(result, tuple) and result[:1] == ("error",):
        raise SynthgenError(f"shard {index}: {result[1]}", exit_code=result[2])
    return result
