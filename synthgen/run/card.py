"""What every dataset card (README.md) shares: Hub metadata, `dataset_info`, the project link.

The YAML `configs` block is what lets `load_dataset(DIR)` (and the Hub viewer) find the Parquet
files and ignore the journal and manifest beside them; `dataset_info` carries the declared
features and sizes. Each kind writes only its body (format, how it was made, limitations).
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

import yaml

DEFAULT_CONFIG = {"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*.parquet"}]}


def size_category(n: int) -> str:
    """The Hub's size_categories bucket for n rows."""
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return label
    return "100K<n<1M" if n < 1_000_000 else "n>1M"


def dataset_info_yaml(configs: dict[str, tuple[dict[str, Any], Any]]) -> Any:
    """The `dataset_info` block for {config name: (size facts, features)}, in the layout `datasets` writes.

    One config gives a mapping, several a list, exactly as `datasets` itself would.
    """
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict, SplitInfo
    from huggingface_hub import DatasetCardData

    infos = {}
    for name, (data, features) in configs.items():
        infos[name] = DatasetInfo(
            features=features,
            splits=SplitDict(
                {"train": SplitInfo(name="train", num_bytes=data["num_bytes"], num_examples=data["num_examples"])}
            ),
            download_size=data["download_size"],
            dataset_size=data["num_bytes"],
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
    """The YAML header of a card."""
    return f"---\n{yaml.safe_dump(meta, sort_keys=False).strip()}\n---"


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
