"""Shared fixtures: a fake backend factory and helpers to read run folders."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

# Before anything imports `datasets` (it reads these at import): keep its cache out of $HOME and
# make sure no test can reach the Hub.
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="synthgen-test-hf-"))
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

import pytest

from synthgen.backends.fake import FakeBackend
from synthgen.backends.model_file import embedded_model_path


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Keep the sha256 cache out of the user's home; no SYNTHGEN_MODEL leaks in."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("SYNTHGEN_MODEL", raising=False)


@pytest.fixture
def fake() -> FakeBackend:
    return FakeBackend()


def journal_records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def assert_kept_incomplete(out: Path, reason: str) -> list[dict]:
    """A run that stopped early left a dataset that loads, marked incomplete in manifest and card
    with `reason`; returns its rows (as many as the manifest says)."""
    from datasets import load_dataset

    meta = manifest(out)
    assert meta["status"] == "incomplete" and meta["stop"]["reason"] == reason, meta.get("stop")
    assert "**incomplete** (stopped early, " + reason in (out / "README.md").read_text()
    if meta["rows"] == 0:  # `datasets` refuses a split with no rows; the shard still has the columns
        import pyarrow.parquet as pq

        assert pq.read_table(out / "data" / "train-00000-of-00001.parquet").num_rows == 0
        return []
    rows = load_dataset(str(out), split="train").to_list()
    assert len(rows) == meta["rows"]
    return rows


@pytest.fixture(scope="module")
def vocab_model():
    """The embedded model's vocabulary only (no weights): for llama.cpp's grammar parser and sampler."""
    import llama_cpp
    from llama_cpp._internals import LlamaModel

    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = LlamaModel(path_model=str(embedded_model_path()), params=params, verbose=False)
    yield model
    model.close()
