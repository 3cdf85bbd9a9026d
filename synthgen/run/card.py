"""What every dataset card (README.md) shares: Hub metadata, `dataset_info`, the project link.

The YAML `configs` block is what lets `load_dataset(DIR)` (and the Hub viewer) find the Parquet
files and ignore the journal and manifest beside them; `dataset_info` carries the declared
features and sizes. Each kind writes only its body (format, how it was made, limitations).
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

DEFAULT_CONFIG = {"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*.parquet"}]}
# Where each config's shards live: data/<split>-*.parquet for the rows, data/reward-<split>-*.parquet
# for a preferences run's RewardTrainer view. One pattern per split, so a train pattern never
# matches a test shard.
CONFIG_PREFIX = {"default": "data/", "reward": "data/reward-"}
# What a card's `load_dataset` snippet loads; `synthgen push` puts the repo id in its place.
LOCAL_PATH_PLACEHOLDER = "path/to/this/folder"


def size_category(n: int) -> str:
    """The Hub's size_categories bucket for n rows."""
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return label
    return "100K<n<1M" if n < 1_000_000 else "n>1M"


def shard_name(config: str, split: str) -> str:
    """The one Parquet shard of `split` in `config` (data/train-00000-of-00001.parquet, ...)."""
    return f"{CONFIG_PREFIX[config]}{split}-00000-of-00001.parquet"


def configs_yaml(splits: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The card's `configs` list for {config name: its splits}; `default` is marked as the default."""
    return [
        {
            "config_name": name,
            "data_files": [{"split": split, "path": f"{CONFIG_PREFIX[name]}{split}-*.parquet"} for split in names],
            **({"default": True} if name == "default" and len(splits) > 1 else {}),
        }
        for name, names in splits.items()
    ]


def dataset_info_yaml(configs: dict[str, tuple[dict[str, Any], Any]]) -> Any:
    """The `dataset_info` block for {config name: (size facts, features)}, in the layout `datasets` writes.

    The size facts are one shard's (`num_bytes`, `num_examples`, `download_size`: a train split)
    or {split name: facts} for several splits. One config gives a mapping, several a list,
    exactly as `datasets` itself would.
    """
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict, SplitInfo
    from huggingface_hub import DatasetCardData

    infos = {}
    for name, (data, features) in configs.items():
        by_split = {"train": data} if "num_examples" in data else data
        infos[name] = DatasetInfo(
            features=features,
            splits=SplitDict(
                {
                    split: SplitInfo(name=split, num_bytes=facts["num_bytes"], num_examples=facts["num_examples"])
                    for split, facts in by_split.items()
                }
            ),
            download_size=sum(facts["download_size"] for facts in by_split.values()),
            dataset_size=sum(facts["num_bytes"] for facts in by_split.values()),
        )
    card_data = DatasetCardData()
    DatasetInfosDict(infos).to_dataset_card_data(card_data)
    return card_data.to_dict()["dataset_info"]


def hub_meta(
    *, license: str, pretty_name: str, tags: list[str], rows: int, configs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The card's YAML keys every synthgen dataset has (machine-generated, English, text generation)."""
    return {
        "license": license,
        "language": ["en"],
        "pretty_name": pretty_name,
        "tags": tags,
        "task_categories": ["text-generation"],
        "size_categories": [size_category(rows)],
        "annotations_creators": ["machine-generated"],
        "language_creators": ["machine-generated"],
        "configs": configs or [DEFAULT_CONFIG],
    }


def front_matter(meta: dict[str, Any]) -> str:
    """The YAML header of a card, written through `huggingface_hub.DatasetCardData`.

    Going through the Hub's own typed card data (not a hand-made YAML dump) means the keys are
    the ones the Hub reads, and `DatasetCard.load` reads the card back to the same metadata.
    """
    from huggingface_hub import DatasetCardData

    return f"---\n{DatasetCardData(**meta).to_yaml()}\n---"


def project_url() -> str | None:
    """The project's home from pyproject.toml's [project.urls] (installed metadata), if it has one."""
    try:
        entries = metadata.metadata("synthgen").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    urls = dict(entry.split(", ", 1) for entry in entries if ", " in entry)
    return urls.get("Homepage") or urls.get("Repository") or next(iter(urls.values()), None)


def made_with(version: str | None) -> str:
    """'synthgen 0.1.0', linked to the project when pyproject.toml names its home (never a placeholder)."""
    url = project_url()
    name = f"[synthgen]({url})" if url else "synthgen"
    return f"{name} {version or ''}".rstrip()


def status_text(manifest: dict[str, Any], unit: str = "rows") -> str:
    """The card's status: 'complete', or for a run that stopped early why and how to go on, so a
    reader of an incomplete dataset knows it is one before training on it."""
    status = manifest.get("status", "running")
    stop = manifest.get("stop")
    if status != "incomplete" or not stop:
        return f"**{status}**"
    wanted = (manifest.get("config") or {}).get("n")
    asked = f" before the {wanted} {unit} asked for" if wanted is not None else ""
    return f"**incomplete** (stopped early, {stop.get('reason')}{asked}; rerunning the same command resumes it)"
