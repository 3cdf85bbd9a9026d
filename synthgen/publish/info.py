"""`synthgen info DIR`: what a run folder holds and how it was made, from its manifest and shards.

Kind, rows per config, whether it is finished, the model and its sha256, the seed, the
rejection funnel, timing, and a command line that makes the same run again.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from synthgen.backends.server.options import BACKEND_NAME as SERVER_BACKEND
from synthgen.publish.source import read_run
from synthgen.run.folder import CARD

# The config fields that `synthgen <command>` takes as options of the same name, per command.
_OPTIONS = {
    "instructions": ("seed", "method", "system_prompt"),
    "preferences": ("seed", "candidates", "strategy", "min_margin", "system_prompt", "export"),
    "math": ("seed", "source"),
    "logic": ("seed", "source"),
}
_EVENTS = {"attempts", "accepted", "instruction_parse_retries", "pairwise_checks", "pairwise_orders_agree"}


class RunInfo(BaseModel):
    """The facts `synthgen info` prints."""

    path: Path
    kind: str
    command: str
    status: str
    finished: bool
    rows: dict[str, int]
    splits: dict[str, list[str]]
    model: dict[str, Any] | None
    seed: int | None
    funnel: dict[str, Any]
    wall_s: float | None
    synthgen_version: str | None
    remake: str | None


def _remake(manifest: dict[str, Any]) -> str | None:
    """A `synthgen ...` command line with this run's options (None for emitted folders)."""
    command = manifest.get("command")
    config = manifest.get("config") or {}
    if command not in _OPTIONS:
        return None
    parts = ["synthgen", command, "--n", str(config.get("n")), "--out", str(config.get("out"))]
    if command in ("math", "logic"):
        parts += ["--families", ",".join(config.get("families", [])),
                  "--difficulty", ",".join(str(level) for level in config.get("levels", []))]  # fmt: skip
        solve = config.get("solve") or {}
        if solve.get("k"):
            parts += ["--solve", str(solve["k"])]
    for key in _OPTIONS[command]:
        value = config.get(key)
        if value is not None:
            parts += [f"--{key.replace('_', '-')}", str(value)]
    model = manifest.get("model") or {}
    for url in _servers(model) or []:
        parts += ["--base-url", url]
    if _servers(model):
        parts += ["--model-name", str(model.get("name"))]
    return " ".join(shlex.quote(part) for part in parts)


def _servers(model: dict[str, Any]) -> list[str] | None:
    """The servers a served model ran on (None for a model file)."""
    extra = model.get("extra") or {}
    return list(extra.get("servers") or []) if extra.get("backend") == SERVER_BACKEND else None


def _funnel(manifest: dict[str, Any]) -> dict[str, Any]:
    counters = manifest.get("counters") or {}
    if manifest.get("command") == "emit":
        return {"rows": manifest.get("rows"), "problems": manifest.get("problems")}
    if "slots" in counters:  # math / logic
        return {"slots": counters.get("slots"), "kept": manifest.get("rows"), "skipped": counters.get("rejected_slots")}
    rejected = {k: v for k, v in counters.items() if k not in _EVENTS and not k.startswith("candidate_")}
    funnel = {"attempts": counters.get("attempts"), "kept": counters.get("accepted"), "rejected": rejected}
    if manifest.get("command") == "merge":  # the sources' funnels summed, then what the merge dropped
        funnel |= {"kept": manifest.get("rows"), "dropped_by_merge": manifest["merge"]["dropped"]}
    return funnel


def _splits(path: Path) -> dict[str, list[str]]:
    """{config: its splits} as the card's YAML `configs` declare them (what `load_dataset` reads)."""
    from huggingface_hub import DatasetCard

    try:
        configs = DatasetCard.load(path / CARD).data.get("configs") or []
    except (OSError, ValueError):
        return {}
    return {c["config_name"]: [f["split"] for f in c.get("data_files", []) if isinstance(f, dict)] for c in configs}


def info(folder: str | Path) -> RunInfo:
    """The facts of the run folder `folder`; reads only the Parquet metadata, not the rows."""
    run = read_run(folder, rows=False)
    import pyarrow.parquet as pq

    rows = {name: sum(pq.ParquetFile(f).metadata.num_rows for f in cfg.files) for name, cfg in run.configs.items()}
    manifest = run.manifest
    model = manifest.get("model")
    return RunInfo(
        path=run.path,
        kind=run.kind,
        command=run.command,
        status=run.status,
        finished=run.finished,
        rows=rows,
        splits=_splits(run.path),
        model=(
            {k: model.get(k) for k in ("name", "sha256", "embedded")} | {"servers": _servers(model)} if model else None
        ),
        seed=(manifest.get("config") or {}).get("seed"),
        funnel=_funnel(manifest),
        wall_s=(manifest.get("timing") or {}).get("wall_s"),
        synthgen_version=manifest.get("synthgen_version"),
        remake=_remake(manifest),
    )
