"""The same seed gives the same rows: fixed runs of every command against hashes of their rows.

`fixtures/same_rows.json` was written by the code before the package was restructured into
per-kind subpackages (and checked byte-identical then, Parquet file hashes included); a change
that alters any row, column or type of these runs fails here. When a change is meant to alter
rows, rewrite the fixture with `python tests/run/test_same_rows.py --write` and say why in the
commit. Content is hashed (schema + rows), not file bytes, so a pyarrow upgrade that changes
only Parquet metadata does not fail it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import synthgen
from synthgen.backends.fake import FakeBackend

FIXTURE = Path(__file__).parent / "fixtures" / "same_rows.json"


def content_hash(path: Path) -> str:
    table = pq.read_table(path)
    body = json.dumps(
        {"schema": str(table.schema.remove_metadata()), "rows": table.to_pylist()}, sort_keys=True, default=repr
    )
    return hashlib.sha256(body.encode()).hexdigest()


def make_runs(root: Path) -> dict[str, Path]:
    """One small run per command and stage, all deterministic (fake backend or no model)."""
    from model_source_fakes import ProblemResponder
    from preference_fakes import make_judge

    synthgen.instructions(12, root / "sft", backend=FakeBackend(), seed=3, progress=False)
    synthgen.preferences(5, root / "dpo", backend=make_judge(), seed=1, export="reward", progress=False)
    synthgen.math(40, root / "math", seed=2, progress=False)
    synthgen.logic(30, root / "logic", seed=4, progress=False)
    synthgen.math(6, root / "solve", solve=3, emit_sft=root / "solve-sft", emit_dpo=root / "solve-dpo",
                  backend=FakeBackend(), progress=False)  # fmt: skip
    synthgen.math(6, root / "model-src", source="model", backend=FakeBackend(ProblemResponder()),
                  max_attempts=200, progress=False)  # fmt: skip
    return {
        "instructions-fake": root / "sft",
        "preferences-fake": root / "dpo",
        "math": root / "math",
        "logic": root / "logic",
        "math-solve-fake": root / "solve",
        "math-solve-fake-sft": root / "solve-sft",
        "math-solve-fake-dpo": root / "solve-dpo",
        "math-model-source-fake": root / "model-src",
    }


def row_hashes(root: Path) -> dict[str, str]:
    return {
        f"{name}/{file.name}": content_hash(file)
        for name, folder in make_runs(root).items()
        for file in sorted(folder.glob("data/*.parquet"))
    }


@pytest.fixture(scope="module")
def hashes(tmp_path_factory) -> dict[str, str]:
    return row_hashes(tmp_path_factory.mktemp("same-rows"))


def test_every_run_is_covered(hashes):
    assert sorted(hashes) == sorted(json.loads(FIXTURE.read_text()))


@pytest.mark.parametrize("name", sorted(json.loads(FIXTURE.read_text())))
def test_rows_are_unchanged(hashes, name):
    assert hashes.get(name) == json.loads(FIXTURE.read_text())[name]


def test_the_hash_sees_a_changed_value(tmp_path):
    import pyarrow as pa

    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    pq.write_table(pa.table({"x": [1, 2]}), first)
    pq.write_table(pa.table({"x": [1, 3]}), second)
    assert content_hash(first) != content_hash(second)


if __name__ == "__main__" and "--write" in sys.argv:
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    FIXTURE.write_text(json.dumps(row_hashes(Path(tempfile.mkdtemp())), indent=1, sort_keys=True) + "\n")
