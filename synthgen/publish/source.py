"""Reading a finished run folder of any kind: its manifest, its kind and its Parquet configs.

Everything in publish/ (export, info, push) starts here, so they agree on what a run folder
holds: `default` is data/train-*.parquet, a preferences run with `--export reward` adds the
`reward` config (data/reward-train-*.parquet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthgen.errors import SynthgenError
from synthgen.run.folder import RunFolder

KIND_OF_COMMAND = {"instructions": "sft", "preferences": "dpo", "math": "grpo", "logic": "grpo"}
CONFIG_FILES = {"default": "data/train-*.parquet", "reward": "data/reward-train-*.parquet"}


@dataclass
class RunConfig:
    """One config of a run folder: its rows and declared features."""

    name: str
    rows: list[dict[str, Any]]
    features: Any
    files: list[Path]


@dataclass
class RunData:
    """A run folder as publish/ sees it."""

    path: Path
    manifest: dict[str, Any]
    kind: str  # sft | dpo | grpo
    configs: dict[str, RunConfig] = field(default_factory=dict)

    @property
    def command(self) -> str:
        return self.manifest.get("command", "?")

    @property
    def status(self) -> str:
        """complete | running | interrupted | incomplete; an emitted folder is written whole, at once."""
        return "complete" if self.command == "emit" else str(self.manifest.get("status"))  # merge writes "complete"

    @property
    def finished(self) -> bool:
        return self.status == "complete"


def run_kind(manifest: dict[str, Any]) -> str:
    """sft, dpo or grpo for a run (or an `--emit-sft` / `--emit-dpo` folder)."""
    command = manifest.get("command")
    if command in ("emit", "merge"):  # emitted --solve datasets and merged folders name their kind
        return manifest.get("kind", "sft")
    if command not in KIND_OF_COMMAND:
        raise SynthgenError(f"unknown run kind {command!r} in the manifest")
    return KIND_OF_COMMAND[command]


def read_run(path: str | Path, rows: bool = True) -> RunData:
    """The manifest and every Parquet config of the run folder at `path` (one-line errors)."""
    import pyarrow.parquet as pq
    from datasets import Features

    folder = RunFolder(path)
    if not folder.path.is_dir():
        raise SynthgenError(f"not a folder: {folder.path}")
    manifest = folder.read_manifest()
    if manifest is None:
        raise SynthgenError(f"{folder.path} has no manifest.json (not a synthgen run folder)")
    run = RunData(folder.path, manifest, run_kind(manifest))
    for name, pattern in CONFIG_FILES.items():
        files = sorted(folder.path.glob(pattern))
        if not files:
            continue
        try:
            tables = [pq.read_table(f) for f in files]
        except (OSError, ValueError) as exc:
            raise SynthgenError(f"cannot read {files[0]}: {exc}") from None
        features = Features.from_arrow_schema(tables[0].schema)
        data = [r for t in tables for r in t.to_pylist()] if rows else []
        run.configs[name] = RunConfig(name, data, features, files)
    return run
