"""A deterministic train/test split by a hash of each row's id.

A row's split depends only on its id and the test fraction, never on the other rows, so a row
stays in its split when the dataset grows, is resumed or is merged with another run. Rows
without an `id` column (the emitted `--solve` datasets) are keyed by their content.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from synthgen.errors import SynthgenError
from synthgen.run.options import check_number

_SALT = "synthgen-split-v1"


def check_test_size(test_size: Any) -> float:
    """A fraction 0 <= F < 1, or a one-line error naming --test-size."""
    value = check_number("test_size", test_size)
    if value >= 1:
        raise SynthgenError(f"--test-size must be a fraction below 1, got {test_size!r}")
    return value


def row_key(row: dict[str, Any]) -> str:
    """The row's id, or a hash of its content when it has none."""
    if row.get("id") is not None:
        return str(row["id"])
    return hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()


def in_test(key: str, test_size: float) -> bool:
    """True when the row keyed `key` belongs to the test split for this fraction."""
    digest = hashlib.sha256(f"{_SALT}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < test_size


def split_rows(rows: list[dict[str, Any]], test_size: float) -> dict[str, list[dict[str, Any]]]:
    """{"train": [...], "test": [...]} in the rows' own order; no "test" key when test_size is 0."""
    if not test_size:
        return {"train": list(rows)}
    splits: dict[str, list[dict[str, Any]]] = {"train": [], "test": []}
    for row in rows:
        splits["test" if in_test(row_key(row), test_size) else "train"].append(row)
    return splits
