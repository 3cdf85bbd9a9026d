"""The dataset card of a merged run folder: Hub metadata, where the rows came from, the summed funnel."""

from __future__ import annotations

import json
from typing import Any

from synthgen.run.card import DEFAULT_CONFIG, dataset_info_yaml, front_matter, hub_meta, made_with
from synthgen.run.licensing import card_license

_TRAINER = {"sft": "SFTTrainer", "dpo": "DPOTrainer", "grpo": "GRPOTrainer"}


def render_merged_card(manifest: dict[str, Any], features: dict[str, Any]) -> str:
    """Markdown card for a `synthgen merge` folder, from its manifest and each config's features."""
    kind = manifest["kind"]
    configs = [{**DEFAULT_CONFIG, "default": True}]
    infos = {"default": (manifest["data"], features["default"])}
    if manifest.get("data_reward"):
        configs.append(
            {"config_name": "reward", "data_files": [{"split": "train", "path": "data/reward-train-*.parquet"}]}
        )
        infos["reward"] = (manifest["data_reward"], features["reward"])
    models = {f"source {i}": src.get("model") for i, src in enumerate(manifest["merged_from"], 1)}
    license, license_note = card_license(models, no_model="apache-2.0")
    meta = hub_meta(
        license=license,
        pretty_name=f"synthgen merged {kind} dataset",
        tags=["synthetic", "synthgen", "trl", kind, "merged"],
        rows=manifest["rows"],
        configs=configs,
    )
    meta["dataset_info"] = dataset_info_yaml(infos)
    sources = "\n".join(
        f"| `{src['path']}` | {src['command']} | {src['rows']} | `{(src.get('model') or {}).get('name')}` | "
        f"`{src.get('fingerprint')}` |"
        for src in manifest["merged_from"]
    )
    dropped = ", ".join(f"{k}={v}" for k, v in manifest["merge"]["dropped"].items()) or "none"
    mixed = (
        "\n**Made by more than one model** (merged with `--allow-mixed-models`): see the sources above.\n"
        if manifest.get("mixed_models")
        else ""
    )
    license_note = f"\n{license_note}\n" if license_note else ""
    trainer = _TRAINER[kind]
    near = " and near-duplicate instructions across runs dropped" if kind == "sft" else ""
    return f"""{front_matter(meta)}

# synthgen merged {kind} dataset

{manifest["rows"]} rows merged by {made_with(manifest.get("synthgen_version"))} from {len(manifest["merged_from"])}
run folders, in order, each row id kept once{near}.
{mixed}
## Sources

| run folder | command | rows | model | fingerprint |
|---|---|---|---|---|
{sources}

Rows in: {manifest["merge"]["input_rows"]}; dropped by the merge: {dropped}.
{license_note}
## Funnel (summed over the sources)

`{json.dumps(manifest.get("counters", {}), sort_keys=True)}`

```python
from datasets import load_dataset
ds = load_dataset("path/to/this/folder", split="train")
# from trl import {trainer}; {trainer}(model=..., train_dataset=ds)
```

Each source folder's own card and manifest say how its rows were made.
"""
