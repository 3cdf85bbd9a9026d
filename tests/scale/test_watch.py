"""The Ray executor's progress line: rows, rejections and tokens read from the shards' journals."""

from __future__ import annotations

import json

from synthgen.run.shards import Shard, marker, shard_folder
from synthgen.scale.watch import ShardWatch


def line(status: str, tokens: int) -> bytes:
    return (json.dumps({"attempt": 0, "status": status, "tokens": {"prompt": 1, "completion": tokens}}) + "\n").encode()


def test_counts_complete_lines_only_and_a_finished_shard_as_its_share(tmp_path):
    folders = [shard_folder(tmp_path, Shard(k, 2)) for k in range(2)]
    watch = ShardWatch(tmp_path, 2, 10)  # nothing written yet
    assert (watch.done, watch.rejected, watch.tokens) == (0, 0, 0)
    folders[0].mkdir(parents=True)
    journal = folders[0] / "journal.jsonl"
    journal.write_bytes(line("accepted", 5) + line("rejected", 7) + line("accepted", 3)[:10])  # a torn last line
    watch.poll()
    assert (watch.done, watch.rejected, watch.tokens) == (1, 1, 12)
    journal.write_bytes(journal.read_bytes() + line("accepted", 3)[10:] + line("dropped", 1))
    watch.poll()
    assert (watch.done, watch.rejected, watch.tokens) == (2, 2, 16)
    journal.write_bytes(line("accepted", 5))  # a resumed shard cut its journal: counted again from the start
    watch.poll()
    assert (watch.done, watch.rejected, watch.tokens) == (1, 0, 5)
    marker(tmp_path, 1).parent.mkdir(parents=True)
    marker(tmp_path, 1).touch()
    assert watch.done == 1 + 5, "a finished shard counts its whole share"
