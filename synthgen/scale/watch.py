"""How far the shards of a run are, read from their journals: one progress line for all shards.

The shards may run in other processes (Ray workers on a shared folder), so the executor does not
ask them; it reads what each shard's journal gained since the last look (accepted rows, rejected
attempts, generated tokens). A finished shard counts as its full share of rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from synthgen.run.folder import JOURNAL
from synthgen.run.shards import Shard, marker, shard_folder


@dataclass
class _Seen:
    offset: int = 0
    accepted: int = 0
    rejected: int = 0
    tokens: int = 0


class ShardWatch:
    """Rows done, rejections and tokens over every shard of the run in `root` (n rows, `count` shards)."""

    def __init__(self, root: Path, count: int, n: int):
        self.root, self.shards = root, [Shard(k, count) for k in range(count)]
        self.n = n
        self.seen = [_Seen() for _ in self.shards]
        self.poll()

    def poll(self) -> None:
        """Read what every journal gained since the last poll (only complete lines)."""
        for shard, seen in zip(self.shards, self.seen, strict=True):
            path = shard_folder(self.root, shard) / JOURNAL
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if size < seen.offset:  # a resumed shard cut a torn last line: count it again
                seen.__init__()
            with path.open("rb") as fh:
                fh.seek(seen.offset)
                data = fh.read()
            complete = data[: data.rfind(b"\n") + 1]
            seen.offset += len(complete)
            for line in complete.splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                accepted = record.get("status") == "accepted"
                seen.accepted += accepted
                seen.rejected += not accepted
                seen.tokens += (record.get("tokens") or {}).get("completion", 0)

    @property
    def done(self) -> int:
        """Rows made so far: a finished shard's share, else its accepted rows (at most its share)."""
        total = 0
        for shard, seen in zip(self.shards, self.seen, strict=True):
            share = len(shard.rows(self.n))
            total += share if marker(self.root, shard.index).exists() else min(seen.accepted, share)
        return total

    @property
    def rejected(self) -> int:
        return sum(seen.rejected for seen in self.seen)

    @property
    def tokens(self) -> int:
        return sum(seen.tokens for seen in self.seen)
