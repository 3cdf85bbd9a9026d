"""The append-only JSONL journal that makes a run crash-safe and resumable.

One line per finished attempt, accepted or rejected, written in attempt order and flushed (and
fsynced) as soon as the attempt's batch is decided. A crash, Ctrl-C or kill -9 can only lose the
attempts in flight, plus at most one half-written last line, which `read` drops (and truncates
away) so the next append starts on a clean line.
"""

from __future__ import annotations

import errno
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import jsonlines

from synthgen.errors import SynthgenError


class Journal:
    """Appends attempt records to `path`; `read()` returns the complete records already there."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = None
        self._writer: jsonlines.Writer | None = None

    def read(self) -> list[dict[str, Any]]:
        """Complete records in file order; a torn tail is removed from the file.

        A kill -9 can tear only the end: bytes after the last newline, or lines that do not parse
        with nothing valid after them; those are cut. A line that does not parse with valid
        records after it is not a crash but an edit or a damaged disk: the file is left as it is
        and the run refused, since cutting there would throw away the decided attempts after it.
        """
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        good_end = data.rfind(b"\n") + 1  # 0 when there is no complete line
        records: list[dict[str, Any]] = []
        offset, bad_at = 0, None  # bad_at: (line number, byte offset) of the first line that does not parse
        for number, raw in enumerate(data[:good_end].split(b"\n")[:-1], start=1):
            try:
                record = json.loads(raw)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except ValueError:
                bad_at = bad_at or (number, offset)
            else:
                if bad_at is not None:
                    raise SynthgenError(
                        f"{self.path} line {bad_at[0]} is not a journal record, and records follow it (an edit or a "
                        "damaged disk, not a crash); fix or delete that line to resume, or pass --overwrite"
                    )
                records.append(record)
            offset += len(raw) + 1
        if bad_at is not None:
            good_end = bad_at[1]
        if good_end < len(data):
            with self.path.open("r+b") as fh:
                fh.truncate(good_end)
        return records

    def append(self, records: list[dict[str, Any]]) -> None:
        """Write `records` as lines and make them durable before returning.

        A journal removed or replaced under a running run (its folder deleted or moved) is an
        error, not a silent write into a file no one can see any more.
        """
        if not records:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
            self._writer = jsonlines.Writer(self._fh, compact=True, sort_keys=False)
            self._inode = os.fstat(self._fh.fileno()).st_ino
        elif not self._same_file():
            gone = "the journal was removed while the run was writing it"
            raise FileNotFoundError(errno.ENOENT, gone, str(self.path))
        for record in records:
            self._writer.write(record)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def _same_file(self) -> bool:
        try:
            return os.stat(self.path).st_ino == self._inode
        except FileNotFoundError:
            return False

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
