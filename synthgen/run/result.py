"""What a finished run returns: its folder, row count, counters and timing, and a loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from synthgen.run.folder import DATA_FILE


class RunResult(BaseModel):
    """A finished run: the folder, its row count, counters, tokens and timing."""

    out: Path
    rows: int
    counters: dict[str, Any]
    tokens: dict[str, int] = {}
    wall_s: float
    session_s: float
    backend_s: float = 0.0

    @property
    def data_file(self) -> Path:
        return self.out / DATA_FILE

    def dataset(self):
        """The rows as a `datasets.Dataset`, read offline from the run folder."""
        from datasets import load_dataset

        return load_dataset(str(self.out), split="train")


class ProblemsResult(RunResult):
    """A finished `math` / `logic` run, plus what `--solve` measured and emitted."""

    solve: dict[str, Any] | None = None  # --solve: pass-rate histograms, attempt verdicts, tokens
    emitted: dict[str, Any] = {}  # --emit-sft / --emit-dpo: folder, rows, problems
