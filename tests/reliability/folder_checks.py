"""What a run folder must look like after any interruption: whole files, counters that add up, rows.

Shared by the kill trials and the signal tests, so a promise is written down once. Parquet is
read with pyarrow directly (milliseconds; `datasets.load_dataset` would cost more than a trial).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq


def assert_whole_files(folder: Path, context: str = "") -> None:
    """No file under `folder` is cut short: every .jsonl ends with a newline and every line parses,
    every .json parses, and no temporary file of an atomic write (`*.tmp`) is left behind."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        where = f"{context}{path.relative_to(folder)}"
        assert not path.name.endswith(".tmp"), f"{where}: a temporary file left behind"
        if path.suffix == ".jsonl":
            data = path.read_bytes()
            assert not data or data.endswith(b"\n"), f"{where}: the last line is torn"
            for number, line in enumerate(data.splitlines(), 1):
                try:
                    json.loads(line)
                except ValueError:
                    raise AssertionError(f"{where}: line {number} does not parse: {line[:80]!r}") from None
        elif path.suffix == ".json":
            try:
                json.loads(path.read_text())
            except ValueError as exc:
                raise AssertionError(f"{where}: not valid JSON ({exc})") from None


def parquet_rows(folder: Path, split: str = "train") -> list[dict[str, Any]]:
    """The rows of `folder/data/<split>-*.parquet`, in file order."""
    rows: list[dict[str, Any]] = []
    for path in sorted((folder / "data").glob(f"{split}-*.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def journal(folder: Path) -> list[dict[str, Any]]:
    path = folder / "journal.jsonl"
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def assert_counters_add_up(folder: Path, rows: int) -> dict[str, Any]:
    """The manifest's counters are the journal's records counted, and add up; returns the manifest.

    SFT and DPO (`attempts`): one journal record per attempt; `accepted` the accepted records;
    each reject reason the records rejected for it; DPO's `drops` sum with `accepted` to
    `attempts`. Math and logic (`slots`): one record per slot; `accepted` plus the rejected slots
    is `slots`, and the per-family and per-level counts sum to `accepted`. Either way at least
    as many were accepted as there are rows (attempts in flight past the n-th row are kept in
    the journal but not written).
    """
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["rows"] == rows, f"manifest rows {manifest['rows']} != {rows}"
    records, counters = journal(folder), manifest["counters"]
    accepted = sum(r["status"] == "accepted" for r in records)
    assert counters["accepted"] == accepted >= rows, (counters, accepted, rows)
    if "attempts" in counters:
        assert counters["attempts"] == len(records), (counters["attempts"], len(records))
        reasons = Counter(r["reason"] for r in records if r["status"] != "accepted")
        for reason, count in reasons.items():
            assert counters.get(reason) == count, (reason, counters.get(reason), count)
        if "drops" in manifest:
            assert accepted + sum(manifest["drops"].values()) == len(records), manifest["drops"]
    else:
        assert counters["slots"] == len(records), (counters["slots"], len(records))
        assert counters["accepted"] + sum(counters["rejected_slots"].values()) == counters["slots"], counters
        assert sum(counters["accepted_by_family"].values()) == accepted, counters["accepted_by_family"]
        assert sum(counters["accepted_by_level"].values()) == accepted, counters["accepted_by_level"]
    return manifest


def assert_complete_run(folder: Path, n: int, reference: list[dict[str, Any]] | None = None) -> list[dict]:
    """A finished run: whole files, exactly `n` rows with unique ids, counters that add up, and
    (given) the same rows as the uninterrupted `reference`. Returns the rows."""
    assert_whole_files(folder)
    rows = parquet_rows(folder)
    assert len(rows) == n, f"{len(rows)} rows, asked {n}"
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == n, f"duplicate ids: {[i for i, c in Counter(ids).items() if c > 1][:5]}"
    if (folder / "journal.jsonl").exists():
        manifest = assert_counters_add_up(folder, n)
    else:  # a merged folder (sharded runs) has no journal of its own
        manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete", manifest["status"]
    if reference is not None:
        assert rows == reference, "the resumed rows differ from the uninterrupted run's"
    return rows


def assert_stopped_cleanly(out: Path) -> dict[str, Any]:
    """A run stopped by SIGINT/SIGTERM: whole files, a manifest and card that say it stopped early
    (incomplete, interrupted), and the rows made so far as a dataset `datasets` loads."""
    from conftest import assert_kept_incomplete

    assert_whole_files(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert_kept_incomplete(out, "interrupted")
    return manifest
