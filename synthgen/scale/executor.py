"""`--num-shards N` without `--shard-index`: run every shard, then merge them into the run folder.

`local` runs the shards in this process one after another; `ray` runs one Ray task per shard
(ray_executor.py). Either way each shard is exactly the call `--shard-index K` makes
(task.run_shard), so a shard a Slurm array task made by hand and one an executor made are the
same, and a shard whose completion marker exists is skipped. When every shard is done they are
merged into the run folder itself (R/data, R/README.md, R/manifest.json), so
`datasets.load_dataset(R)` reads the whole run; the card's `configs` point at R/data only, so the
shards' own Parquet files under R/shards/ are not read twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from synthgen.publish.merge import merge
from synthgen.run.shards import Shard, ShardPart, executor_merges, shard_folder
from synthgen.scale.task import run_shard


def answered_by_shards(fn: Callable[..., Any], options: dict[str, Any], part: ShardPart, result_cls: type) -> Any:
    """What a kind's API function returns before doing any work of its own, or None.

    Every shard of a run (`fan_out`): run them all and merge. A shard whose marker exists: its
    earlier result, no model loaded. Otherwise None: this call makes the run or its one shard.
    """
    if part.fan_out:
        return run_shards(fn, options, part)
    if part.done:
        return part.skipped(result_cls)
    return None


def run_shards(fn: Callable[..., Any], options: dict[str, Any], part: ShardPart) -> Any:
    """Run every shard of `part` as `fn(**options, shard_index=K)`, merge them into `part.root`.

    Returns a result of the shards' result class for the merged folder: its rows after the merge
    (ids repeated across shards, and SFT near-duplicate instructions across shards, are dropped),
    the shards' counters and tokens summed, and this call's wall time.
    """
    options = {**options, "out": part.root, "num_shards": part.num_shards, "executor": "local"}
    started = time.monotonic()
    if part.executor == "ray":
        from synthgen.scale.ray_executor import run_on_ray

        results = run_on_ray(fn, options, part)
    else:
        results = []
        with executor_merges():
            for k in range(part.num_shards):
                part.say(f"shard {k} of {part.num_shards}: {shard_folder(part.root, Shard(k, part.num_shards))}")
                results.append(run_shard(fn, {**options, "shard_index": k}))
    merged = merge([part.root], part.root)
    dropped = ", ".join(f"{k}={v}" for k, v in merged.dropped.items()) or "none"
    rows = merged.rows["default"]
    part.say(f"merged {part.num_shards} shards into {part.root}: {rows} rows (dropped by the merge: {dropped})")
    return merged_result(results, part, rows, time.monotonic() - started)


def merged_result(results: list[Any], part: ShardPart, rows: int, seconds: float) -> Any:
    """The shards' result class for the merged folder; the model's share of time as over the shards."""
    from synthgen.run.folder import RunFolder

    manifest = RunFolder(part.root).read_manifest() or {}
    session = sum(r.session_s for r in results)
    backend = sum(r.backend_s for r in results)
    return type(results[0])(
        out=part.root,
        rows=rows,
        counters=manifest.get("counters", {}),
        tokens=manifest.get("tokens", {}),
        wall_s=round(seconds, 2),
        session_s=round(seconds, 2),
        backend_s=round(seconds * backend / session, 2) if session > 0 else 0.0,
    )
