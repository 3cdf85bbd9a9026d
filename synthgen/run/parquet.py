"""Writing a Parquet shard into a run folder: the DPO rows and the `reward` config's rows.

Like RunFolder.write_parquet (temp file, then rename; the same size facts for the card), but for
any file name under `data/` (so `--overwrite` clears it with the rest of the run's files), and
for zero rows too: a run stopped by an exhausted prompt source still writes a loadable folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

REWARD_FILE = "data/reward-train-00000-of-00001.parquet"


def write_rows(folder: Path, name: str, rows: list[dict[str, Any]], features) -> dict[str, Any]:
    """Write `rows` to `folder/name` as Parquet with `features`; return its size facts."""
    from datasets import Dataset, disable_progress_bars

    disable_progress_bars()
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    if rows:
        dataset = Dataset.from_list(rows, features=features)
    else:  # from_list([]) infers no columns; an empty run still gets its declared schema
        dataset = Dataset.from_dict({name: [] for name in features}, features=features)
    dataset.to_parquet(str(tmp))
    os.replace(tmp, target)
    return {
        "file": name,
        "num_examples": len(dataset),
        "num_bytes": dataset.data.nbytes,
        "download_size": target.stat().st_size,
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
    }
