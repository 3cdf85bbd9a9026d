"""The dataset card (README.md) of an `instructions` run folder, from its manifest.

Hub metadata from run/card.py; the body records the provenance rivals leave out: model file
and sha256, sampling, seed, prompts, and the rejection funnel.
"""

from __future__ import annotations

import json
from typing import Any

from synthgen.run.card import dataset_info_yaml, front_matter, hub_meta, made_with


def render_sft_card(manifest: dict[str, Any]) -> str:
    """Markdown card for an `instructions` run folder, from its manifest."""
    rows = manifest.get("rows", 0)
    model = manifest.get("model", {})
    config = manifest.get("config", {})
    counters = manifest.get("counters", {})
    rejections = {k: v for k, v in sorted(counters.items()) if k not in ("accepted", "attempts")}
    meta = hub_meta(
        license="apache-2.0" if model.get("embedded") else "other",
        pretty_name=f"synthgen instructions ({model.get('name', 'unknown model')})",
        tags=["synthetic", "synthgen", "trl", "sft"],
        rows=rows,
    )
    if manifest.get("data"):
        from synthgen.sft.row import SFT_FEATURES

        meta["dataset_info"] = dataset_info_yaml({"default": (manifest["data"], SFT_FEATURES)})
    status = manifest.get("status", "running")
    extra = model.get("extra", {})
    run_file = extra.get("run_file", model.get("name"))
    run_sha = extra.get("run_file_sha256", model.get("sha256"))
    rejection_lines = "\n".join(f"| {k} | {v} |" for k, v in rejections.items()) or "| (none) | 0 |"
    return f"""{front_matter(meta)}

# synthgen instructions dataset

Instruction-response pairs for supervised fine-tuning, generated locally with
{made_with(manifest.get("synthgen_version"))} on a GGUF model through llama.cpp.
Status: **{status}**, {rows} rows.

## Format

TRL conversational language-modelling format: each row has `messages`, a list of
`{{"role", "content"}}` turns (an optional `system` turn, then `user`, then `assistant`), which
`trl.SFTTrainer` trains on without conversion. Extra columns: `id`, `method` (`self-instruct` or
`magpie`), `topic`, `task_type`, `seed` (the row's sampler seed), `attempt` (attempt index),
`instruction_tokens`, `response_tokens`.

```python
from datasets import load_dataset
ds = load_dataset("path/to/this/folder", split="train")
# from trl import SFTTrainer; SFTTrainer(model=..., train_dataset=ds)
```

## How it was made

| | |
|---|---|
| model file | `{model.get("name")}` |
| sha256 | `{model.get("sha256")}` |
| file that ran | `{run_file}` (sha256 `{run_sha}`) |
| parallel sequences | {model.get("extra", {}).get("parallel", 1)} |
| backend | {model.get("extra", {}).get("backend", "")} {model.get("extra", {}).get("llama_cpp_python", "")} |
| method | {config.get("method")} (magpie share {config.get("magpie_share")}) |
| run seed | {config.get("seed")} |
| config fingerprint | `{manifest.get("fingerprint")}` |
| attempts | {counters.get("attempts", 0)} |
| generated tokens | {manifest.get("tokens", {}).get("completion", 0)} |
| wall time (s) | {manifest.get("timing", {}).get("wall_s", 0)} |

Sampling (instruction writing / Magpie user turn / response):
`{json.dumps(config.get("instruction_params"))}` /
`{json.dumps(config.get("magpie_params"))}` /
`{json.dumps(config.get("response_params"))}`.

Every row passed inline gates: non-empty, length bounds, no refusal, no degenerate repetition,
and no exact or near duplicate (character 5-gram Jaccard >= {config.get("dedup_threshold")})
of an earlier instruction. Rejections by reason:

| reason | count |
|---|---|
{rejection_lines}

The full configuration, library versions and timing are in `manifest.json`.

## Limitations

The text was written by a language model without human review. A small model writes simple,
sometimes wrong or odd instructions and answers; filter or judge before relying on it. The
generator model's licence applies to its outputs{"" if model.get("embedded") else " (check it)"}.
"""
