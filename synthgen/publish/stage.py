"""The exact file tree a run folder becomes on the Hub, written to a local staging folder first.

Staging locally, then committing the staged files in one commit, keeps one code path for what
is published: the tree can be checked (the card parses, `load_dataset` reads it) before anything
leaves the machine, and the run folder itself is only read, never changed.

The tree:
  README.md                    the run's own card, its `configs` and `dataset_info` rewritten for
                               the splits, its `load_dataset` snippet naming the repo
  data/<split>-00000-of-00001.parquet          rows (train, and test with a test size)
  data/reward-<split>-00000-of-00001.parquet   a preferences run's reward config, split alike
  manifest.json                the run's configuration, provenance and funnel
  prompts/<template>           the prompt templates the run used, when it kept them
  journal.jsonl                only when asked (`include_journal`)
The lock file is never part of it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from synthgen.publish.source import RunData
from synthgen.publish.split import split_rows
from synthgen.run.card import LOCAL_PATH_PLACEHOLDER, configs_yaml, dataset_info_yaml, shard_name
from synthgen.run.folder import CARD, JOURNAL, MANIFEST, PROMPTS_DIR, RunFolder


def staged_card(card_text: str, splits: dict[str, list[str]], infos: dict[str, tuple[dict, Any]], name: str) -> str:
    """The run's card with `configs` and `dataset_info` for these splits, its snippet loading `name`.

    Read and written through `huggingface_hub.DatasetCard`, so every other key of the run's card
    (licence, tags, size, creators) and its body are kept as they are.
    """
    from huggingface_hub import DatasetCard

    card = DatasetCard(card_text)
    card.data["configs"] = configs_yaml(splits)
    card.data["dataset_info"] = dataset_info_yaml(infos)
    card.text = card.text.replace(LOCAL_PATH_PLACEHOLDER, name)
    return str(card)


def stage_tree(run: RunData, staging: Path, *, test_size: float, name: str, include_journal: bool) -> dict[str, int]:
    """Write the Hub tree of `run` into the empty folder `staging`; return rows per split of `default`.

    `name` is what the card's snippet loads (the repo id). Shards are written by the one Parquet
    writer from the rows as stored, split by a hash of each row's id, so the same folder and test
    size always stage byte-identical files, which is what makes a second push a no-op.
    """
    folder = RunFolder(staging)
    splits: dict[str, list[str]] = {}
    infos: dict[str, tuple[dict, Any]] = {}
    counts: dict[str, int] = {}
    for config in run.configs.values():
        parts = split_rows(config.rows, test_size)
        facts = {split: folder.write_parquet(rows, config.features, shard_name(config.name, split))
                 for split, rows in parts.items()}  # fmt: skip
        splits[config.name] = list(parts)
        infos[config.name] = (facts, config.features)
        if config.name == "default":
            counts = {split: len(rows) for split, rows in parts.items()}
    card_text = (run.path / CARD).read_text(encoding="utf-8")
    folder.write_text_atomic(CARD, staged_card(card_text, splits, infos, name))
    shutil.copyfile(run.path / MANIFEST, staging / MANIFEST)
    prompts = run.path / PROMPTS_DIR
    if prompts.is_dir():
        shutil.copytree(prompts, staging / PROMPTS_DIR)
    if include_journal and (run.path / JOURNAL).is_file():
        shutil.copyfile(run.path / JOURNAL, staging / JOURNAL)
    return counts


def tree_files(staging: Path) -> list[str]:
    """Every file of the staged tree as a path in the repo (posix, sorted)."""
    return sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
