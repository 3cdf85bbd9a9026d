"""A small sharded run on the embedded model through llama.cpp: two shards, merged into the run folder."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from datasets import load_dataset

import synthgen


@pytest.mark.slow
def test_two_shards_of_the_real_model_merge_into_one_dataset(tmp_path):
    root = tmp_path / "run"
    result = synthgen.instructions(4, root, num_shards=2, parallel=4, progress=False)
    rows = load_dataset(str(root), split="train").to_list()
    assert result.rows == len(rows) == 4 and len({r["id"] for r in rows}) == 4
    for k, first_attempt in ((0, 0), (1, 40)):  # shard 1's attempts start after shard 0's budget, 2 x 20
        shard = root / "shards" / f"{k:05d}-of-00002"
        attempts = pq.read_table(shard / "data" / "train-00000-of-00001.parquet").column("attempt").to_pylist()
        assert len(attempts) == 2 and all(first_attempt <= a < first_attempt + 40 for a in attempts)
        assert json.loads((shard / "manifest.json").read_text())["model"]["name"] == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert [r["id"] for r in rows] == [
        r["id"] for k in range(2) for r in pq.read_table(root / "shards" / f"{k:05d}-of-00002" / "data").to_pylist()
    ]
    again = synthgen.instructions(4, root, num_shards=2, parallel=4, progress=False)
    assert again.rows == 4 and load_dataset(str(root), split="train").to_list() == rows
