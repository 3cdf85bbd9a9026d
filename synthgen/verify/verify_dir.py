"""`synthgen.verify_dataset(dir)`: re-check every row of a `synthgen math` / `synthgen logic` run.

For each row: the gold must score 1.0 through its `answer` and through its `solution` ($...$)
form, and every perturbed gold (off by one, dropped element, flipped sign, swapped entries, the
unfactored copy, a flipped truth value...) must score 0. A row failing any of these is listed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from synthgen.errors import SynthgenError
from synthgen.verify.api import check_rows

REQUIRED_COLUMNS = ("answer", "solution", "verification")
CHUNK = 64  # rows per worker round trip


class RowFailure(BaseModel):
    id: str | None
    family: str | None
    problem: str  # e.g. "answer: unparseable ..." or "perturbed off_by_one '4' scored correct"


class FamilySummary(BaseModel):
    rows: int = 0
    ok: int = 0
    perturbations: int = 0


class VerifyReport(BaseModel):
    """What `synthgen verify` found; `ok` is True when no row failed."""

    path: Path
    rows: int
    failures: list[RowFailure] = Field(default_factory=list)
    families: dict[str, FamilySummary] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


def _read_rows(folder: Path) -> list[dict[str, Any]]:
    if not folder.is_dir():
        raise SynthgenError(f"not a folder: {folder}")
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except FileNotFoundError:
        manifest = None
    except (OSError, ValueError) as exc:
        raise SynthgenError(f"cannot read {folder / 'manifest.json'}: {exc}") from None
    command = manifest.get("command") if isinstance(manifest, dict) else None
    if command is not None and command not in ("math", "logic"):
        raise SynthgenError(f"{folder} is a synthgen {command} run, not a math/logic run")
    files = sorted((folder / "data").glob("*.parquet"))
    if not files:
        raise SynthgenError(f"{folder} is not a synthgen math/logic run folder (no data/*.parquet)")
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for file in files:
        try:
            table = pq.read_table(file)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is one user-facing line
            raise SynthgenError(f"cannot read {file}: {exc}") from None
        missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
        if missing:
            raise SynthgenError(f"{file} is not a synthgen math/logic dataset (missing columns: {', '.join(missing)})")
        rows.extend(table.to_pylist())
    return rows


def _problems(result: dict) -> list[str]:
    if "error" in result and "answer" not in result:
        return [f"row check failed: {result['error']}"]
    problems = []
    for form in ("answer", "solution"):
        got = result.get(form)
        if got is None:
            problems.append(f"{form}: missing")
        elif got[0] != "correct":
            problems.append(f"{form}: {got[0]} {got[1]}".strip())
    if result.get("error"):
        problems.append(result["error"])
    for label, text, reason, _detail in result.get("perturbed", []):
        if reason == "correct":
            problems.append(f"perturbed {label} {text!r} scored correct")
    if not result.get("perturbed") and not result.get("error"):
        problems.append("no perturbation could be built for this method")
    return problems


def verify_dataset(path: str | Path) -> VerifyReport:
    """Re-check every row of the run folder at `path`; never raises for bad rows (they are listed)."""
    folder = Path(path).expanduser()
    rows = _read_rows(folder)
    report = VerifyReport(path=folder, rows=len(rows))
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        for row, result in zip(chunk, check_rows(chunk), strict=True):
            family = str(row.get("family") or "unknown")
            summary = report.families.setdefault(family, FamilySummary())
            summary.rows += 1
            summary.perturbations += len(result.get("perturbed", []))
            problems = _problems(result)
            if problems:
                report.failures.append(RowFailure(id=row.get("id"), family=family, problem="; ".join(problems)))
            else:
                summary.ok += 1
    return report
