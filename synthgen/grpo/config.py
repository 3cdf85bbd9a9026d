"""Run configuration of `synthgen math` / `synthgen logic`, validated once at the edge."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synthgen.errors import SynthgenError
from synthgen.problems import FAMILIES


class ProblemsConfig(BaseModel):
    """All settings of a `math` or `logic` run (the CLI options, validated)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["math", "logic"]
    n: int = Field(..., ge=1)
    out: Path
    seed: int = Field(0, ge=0)
    families: list[str]
    levels: list[int]
    source: Literal["procedural", "model", "mix"] = "procedural"
    max_tries: int = Field(200, ge=1, description="draws per slot before the slot is given up")
    exclude: list[str] = Field(default_factory=list, description="run folders whose ids are excluded")
    exclude_ids_sha256: str | None = None
    solve: dict[str, Any] | None = Field(None, description="--solve K, band and sampling (SolveOptions)")
    model: dict[str, Any] | None = Field(None, description="model file identity, when a model takes part")
    sourcing: dict[str, Any] | None = Field(None, description="--word-problems, --topics, prompts (model sources)")

    def fingerprint(self) -> str:
        """Hash of everything that decides the rows, including each family's generator version."""
        keep = self.model_dump(mode="json", exclude={"n", "out", "exclude"})
        keep["versions"] = {name: FAMILIES[name].version for name in self.families}
        return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:16]


def read_excluded_ids(folders: list[str | Path]) -> set[str]:
    """Ids of the rows in other run folders (their Parquet data), for cross-run dedup."""
    import pyarrow.parquet as pq

    ids: set[str] = set()
    for folder in folders:
        files = sorted(Path(folder).expanduser().glob("data/*.parquet"))
        if not files:
            raise SynthgenError(f"--exclude {folder}: no data/*.parquet (not a finished synthgen run folder)")
        for file in files:
            table = pq.read_table(file)
            if "id" not in table.column_names:
                raise SynthgenError(f"--exclude {file}: has no 'id' column")
            ids.update(str(v) for v in table.column("id").to_pylist())
    return ids
