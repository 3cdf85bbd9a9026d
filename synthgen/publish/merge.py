"""`synthgen merge A B ... --out DIR`: run folders of one kind combined into one run folder.

Rows keep their order (folder by folder, row by row) and are deduplicated by `id`, so merging
runs that share rows (a resumed copy, overlapping shards) keeps each row once. SFT rows are also
checked against the instructions kept so far with the same MinHash index the instructions run
uses, so two runs that wrote near-identical instructions keep only the first. The funnels of the
inputs are summed into the merged manifest and card, with what the merge itself dropped.

A sharded run folder (one with `sharding.json`, run/shards.py) stands for its shard folders in
index order; it is refused, naming the shards without a completion marker, until every shard has
finished, unless `allow_partial` (then the shards that have rows are merged). It may be merged
into itself: its executor does so, so that `load_dataset(R)` reads the whole run.

Refused: runs of different kinds, unfinished runs (unless `allow_partial`), runs made by
different model files (unless `allow_mixed_models`, which the card then records), and configs
whose columns differ.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from synthgen.errors import SynthgenError
from synthgen.publish.merge_card import render_merged_card
from synthgen.publish.source import RunData, read_run
from synthgen.run.folder import CARD, MANIFEST, RunFolder, now_iso
from synthgen.run.shards import Shard, missing_shards, name_indexes, read_sharding, shard_folder
from synthgen.run.versions import library_versions, synthgen_version
from synthgen.text.dedup import NearDuplicateIndex

MERGE_COMMAND = "merge"


class MergeResult(BaseModel):
    """The merged folder, its rows per config, and what the merge dropped."""

    out: Path
    kind: str
    rows: dict[str, int]
    dropped: dict[str, int]
    inputs: int = 0  # run folders merged (a sharded folder counts its shards)


def _model_key(run: RunData) -> str:
    model = run.manifest.get("model") or {}
    return str(model.get("sha256") or model.get("name") or "no model")


def _sum(into: dict[str, Any], counters: dict[str, Any]) -> None:
    """Add `counters` into `into`: numbers add, nested dicts add key by key."""
    for key, value in counters.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            into[key] = into.get(key, 0) + value
        elif isinstance(value, dict):
            _sum(into.setdefault(key, {}), value)


def _check(runs: list[RunData], allow_partial: bool, allow_mixed_models: bool) -> None:
    kinds = {run.kind for run in runs}
    if len(kinds) > 1:
        raise SynthgenError(f"cannot merge runs of different kinds: {', '.join(sorted(kinds))}")
    for run in runs:
        if not run.finished and not allow_partial:
            raise SynthgenError(f"{run.path} is not finished (status {run.status}); finish it or pass --allow-partial")
        if "default" not in run.configs:
            raise SynthgenError(f"{run.path} has no data/train-*.parquet")
    models = {_model_key(run) for run in runs}
    if len(models) > 1 and not allow_mixed_models:
        raise SynthgenError(
            f"the runs were made by {len(models)} different models; pass --allow-mixed-models to merge them anyway"
        )
    for name in runs[0].configs:
        columns = {tuple(run.configs[name].features) for run in runs if name in run.configs}
        if len(columns) > 1:
            raise SynthgenError(f"the runs' {name} configs have different columns; they cannot be one dataset")


def expand_sharded(folder: str | Path, allow_partial: bool) -> tuple[list[Path], dict[str, Any] | None]:
    """The run folders `folder` stands for: itself, or a sharded run's shard folders in index order."""
    path = Path(folder).expanduser()
    sharding = read_sharding(path)
    if sharding is None:
        return [path], None
    count = int(sharding["num_shards"])
    missing = missing_shards(path, count)
    if missing and not allow_partial:
        raise SynthgenError(
            f"{path}: shard(s) {name_indexes(missing)} of {count} have not finished (no completion marker); "
            "run them, or pass --allow-partial to merge the others"
        )
    shards = [(k, shard_folder(path, Shard(k, count))) for k in range(count)]
    kept = [(k, f) for k, f in shards if k not in missing or any(f.glob("data/train-*.parquet"))]
    if not kept:
        raise SynthgenError(f"{path}: no shard has rows yet")
    facts = {"folder": str(path.resolve()), **sharding, "merged": [k for k, _ in kept], "missing": missing}
    return [f for _, f in kept], facts


def _instruction(row: dict[str, Any]) -> str | None:
    return next((m["content"] for m in row.get("messages", []) if m["role"] == "user"), None)


def _kept_rows(runs: list[RunData], dropped: Counter) -> list[dict[str, Any]]:
    """The default config's rows, in order, without repeated ids or (SFT) near-duplicate instructions."""
    seen: set[str] = set()
    index = NearDuplicateIndex() if runs[0].kind == "sft" else None
    kept = []
    for run in runs:
        for row in run.configs["default"].rows:
            key = str(row.get("id"))
            if key in seen:
                dropped["duplicate_id"] += 1
                continue
            text = _instruction(row) if index is not None else None
            if text is not None:
                reason = index.check(text)
                if reason is not None:
                    dropped[f"cross_run_{reason}"] += 1
                    continue
                index.add(text)
            seen.add(key)
            kept.append(row)
    return kept


def merge(
    folders: list[str | Path],
    out: str | Path,
    *,
    allow_partial: bool = False,
    allow_mixed_models: bool = False,
    overwrite: bool = False,
) -> MergeResult:
    """Merge the run folders `folders` (one kind) into the new run folder `out`."""
    if len(folders) < 1:
        raise SynthgenError("merge needs at least one run folder")
    expanded = [expand_sharded(folder, allow_partial) for folder in folders]
    runs = [read_run(path) for paths, _ in expanded for path in paths]
    _check(runs, allow_partial, allow_mixed_models)
    target = RunFolder(out)
    resolved = {run.path.resolve() for run in runs}
    if target.path.resolve() in resolved:
        raise SynthgenError(f"--out {target.path} is one of the runs being merged")
    sharded = [facts for _, facts in expanded if facts is not None]
    into_itself = target.path.resolve() in {Path(s["folder"]) for s in sharded}  # a sharded run merged in place
    existing = target.read_manifest() if target.path.is_dir() else None
    if target.path.is_dir() and any(target.path.iterdir()) and not into_itself:
        if existing is None or existing.get("command") != MERGE_COMMAND:
            raise SynthgenError(f"--out is a non-empty folder that synthgen merge did not write: {target.path}")
        if not overwrite:
            raise SynthgenError(f"--out {target.path} holds an earlier merge; use --overwrite to replace it")
    target.check_writable()
    dropped: Counter = Counter()
    rows = _kept_rows(runs, dropped)
    kept_ids = {str(row.get("id")) for row in rows}
    manifest: dict[str, Any] = {
        "synthgen_version": synthgen_version(),
        "command": MERGE_COMMAND,
        "kind": runs[0].kind,
        "status": "complete",
        "created": now_iso(),
        "merged_from": [
            {
                "path": str(run.path.resolve()),
                "command": run.command,
                "fingerprint": run.manifest.get("fingerprint"),
                "status": run.status,
                "rows": len(run.configs["default"].rows),
                "model": run.manifest.get("model"),
            }
            for run in runs
        ],
        "mixed_models": len({_model_key(run) for run in runs}) > 1,
        "model": runs[0].manifest.get("model"),
        "config": runs[0].manifest.get("config"),
        "counters": {},
        "tokens": {},
        "merge": {"input_rows": sum(len(run.configs["default"].rows) for run in runs), "dropped": dict(dropped)},
        "rows": len(rows),
        "versions": library_versions(),
        **({"sharded": sharded} if sharded else {}),
    }
    for run in runs:
        _sum(manifest["counters"], run.manifest.get("counters") or {})
        _sum(manifest["tokens"], run.manifest.get("tokens") or {})
    manifest["data"] = target.write_parquet(rows, runs[0].configs["default"].features)
    written = {"default": len(rows)}
    if all("reward" in run.configs for run in runs):
        reward, reward_seen = [], set()
        for run in runs:
            for row in run.configs["reward"].rows:
                if str(row.get("id")) in kept_ids and row.get("id") not in reward_seen:
                    reward_seen.add(row.get("id"))
                    reward.append(row)
        name = "data/reward-train-00000-of-00001.parquet"
        manifest["data_reward"] = target.write_parquet(reward, runs[0].configs["reward"].features, name)
        written["reward"] = len(reward)
    elif into_itself:
        (target.path / "data/reward-train-00000-of-00001.parquet").unlink(missing_ok=True)  # an earlier merge's
    features = {name: runs[0].configs[name].features for name in written}
    target.write_json_atomic(MANIFEST, manifest)
    target.write_text_atomic(CARD, render_merged_card(manifest, features))
    return MergeResult(out=target.path, kind=runs[0].kind, rows=written, dropped=dict(dropped), inputs=len(runs))
