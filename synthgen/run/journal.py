"""The append-only JSONL journal that makes a run crash-safe and resumable.

One line per finished attempt, accepted or rejected, written in attempt order and flushed (and
fsynced) as soon as the attempt's batch is decided. A crash, Ctrl-C or kill -9 can only lose the
attempts in flight, plus at most one half-written last line, which `read` drops (and truncates
away) so the next append starts on a clean line.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import jsonlines


class Journal:
    """Appends attempt records to `path`; `read()` returns the complete records already there."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = None
        self._writer: jsonlines.Writer | None = None

    def read(self) -> list[dict[str, Any]]:
        """Complete records in file order; a torn last line is removed from the file."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        good_end = data.rfind(b"\n") + 1  # 0 when there is no complete line
        records: list[dict[str, Any]] = []
        offset = 0
        for raw in data[:good_end].split(b"\n")[:-1]:
            try:
                records.append(json.loads(raw))
            except ValueError:
                # Only a torn write can produce this; keep what precedes it and cut the rest.
                good_end = offset
                break
            offset += len(raw) + 1
        if good_end < len(data):
            with self.path.open("r+b") as fh:
                fh.truncate(good_end)
        return records

    def append(self, records: list[dict[str, Any]]) -> None:
        """Write `records` as lines and make them durable before returning."""
        if not records:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
            self._writer = jsonlines.Writer(self._fh, compact=True, sort_keys=False)
        for record in records:
            self._writer.write(record)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the file; further appends reopen it."""
        if self._writer is not None:
            self._writer.close()
            self._fh.close()
            self._writer = None
            self._fh = None


def replay(record: dict[str, Any], counters: Counter, tokens: Counter, dedup: Any, rows: list) -> None:
    """Add one decided attempt's record to a run's totals, dedup index and rows.

    The SFT and DPO loops journal attempts in this shape (status, reason, events, tokens,
    dedup_text, row) and rebuild their state from it on resume, so a resumed run counts and
    deduplicates exactly as it did when each attempt was decided.
    """
    counters["attempts"] += 1
    counters["accepted" if record["status"] == "accepted" else record["reason"]] += 1
    counters.update(record.get("events", {}))
    tokens.update(record["tokens"])
    if record.get("dedup_text") is not None:
        dedup.add(record["dedup_text"])
    if record["status"] == "accepted":
        rows.append(record["row"])
