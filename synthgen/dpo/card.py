"""The dataset card (README.md) of a `preferences` run folder, from its manifest.

Hub YAML (run/card.py) whose `configs` point at the Parquet files (the
DPO rows as `default`, plus `reward` with --export reward) and whose `dataset_info` carries the
sizes, then a body that records how the pairs were made: policy and judge model files, the
candidate principles and temperatures, the rubric, the pair strategy and the drop funnel.
"""

from __future__ import annotations

import json
from typing import Any

from synthgen.run.card import DEFAULT_CONFIG, dataset_info_yaml, front_matter, hub_meta, made_with


def _meta(manifest: dict[str, Any]) -> dict[str, Any]:
    rows = manifest.get("rows", 0)
    model = manifest.get("model", {})
    configs = [{**DEFAULT_CONFIG, "default": True}]
    if manifest.get("data_reward"):
        configs.append(
            {"config_name": "reward", "data_files": [{"split": "train", "path": "data/reward-train-*.parquet"}]}
        )
    meta = hub_meta(
        license="apache-2.0" if model.get("embedded") and manifest.get("judge", {}).get("embedded") else "other",
        pretty_name=f"synthgen preferences ({model.get('name', 'unknown model')})",
        tags=["synthetic", "synthgen", "trl", "dpo", "preference"],
        rows=rows,
        configs=configs,
    )
    if manifest.get("data"):
        from synthgen.dpo.row import PREFERENCE_FEATURES, REWARD_FEATURES

        infos = {"default": (manifest["data"], PREFERENCE_FEATURES)}
        if manifest.get("data_reward"):
            infos["reward"] = (manifest["data_reward"], REWARD_FEATURES)
        meta["dataset_info"] = dataset_info_yaml(infos)
    return meta


def render_preferences_card(manifest: dict[str, Any]) -> str:
    """Markdown card for a `preferences` run folder."""
    rows = manifest.get("rows", 0)
    model, judge = manifest.get("model", {}), manifest.get("judge", {})
    config = manifest.get("config", {})
    counters = manifest.get("counters", {})
    drops = manifest.get("drops", {})
    agreement = manifest.get("judge_agreement", {})
    source = manifest.get("prompt_source", {})
    drop_lines = "\n".join(f"| {k} | {v} |" for k, v in sorted(drops.items())) or "| (none) | 0 |"
    source_line = (
        f"`{source.get('path')}` (column `{source.get('column')}`, {source.get('prompts')} prompts)"
        if source.get("path")
        else f"written fresh by the policy model (instructions method `{source.get('generated')}`)"
    )
    reward = (
        '\nRewardTrainer (implicit prompt, `margin` column): `load_dataset("path/to/this/folder", "reward", '
        'split="train")`.\n'
        if manifest.get("data_reward")
        else ""
    )
    rate = agreement.get("rate")
    rate_text = "n/a" if rate is None else f"{100 * rate:.1f} %"
    same = " (same model)" if judge.get("same_as_policy") else ""
    principles = ", ".join(config.get("principles", []))
    temps = config.get("temperatures")
    return f"""{front_matter(_meta(manifest))}

# synthgen preferences dataset

Preference pairs for DPO and reward modelling, generated locally with
{made_with(manifest.get("synthgen_version"))} on GGUF models through llama.cpp, with an AI judge.
Status: **{manifest.get("status", "running")}**, {rows} pairs.

## Format

TRL conversational preference format with an explicit prompt: `prompt` (messages ending with
the user turn), `chosen` and `rejected` (one assistant message each), which `trl.DPOTrainer`
takes unchanged. Extra columns: `score_chosen`, `score_rejected`, `margin` (mean rubric score,
1-10), `aspects_chosen` / `aspects_rejected` (helpfulness, correctness, instruction_following,
clarity), `rationale_chosen` / `rationale_rejected`, `pairwise_chosen_first` /
`pairwise_chosen_second` (the judge's A/B letter with chosen shown first / second),
`chosen_candidate`, `rejected_candidate`, `candidates` (every candidate: principle, temperature,
seed, text, status, score), `prompt_source`, `id`, `seed`, `attempt`.

```python
from datasets import load_dataset
ds = load_dataset("path/to/this/folder", split="train")
# from trl import DPOTrainer; DPOTrainer(model=..., train_dataset=ds)
```
{reward}
## How it was made

| | |
|---|---|
| policy model | `{model.get("name")}` (sha256 `{model.get("sha256")}`) |
| judge model | `{judge.get("name")}` (sha256 `{judge.get("sha256")}`){same} |
| prompts | {source_line} |
| candidates per prompt | {config.get("candidates")} (principles {principles}; temperatures {temps}) |
| pair strategy | {config.get("strategy")}, min margin {config.get("min_margin")} |
| run seed | {config.get("seed")} |
| config fingerprint | `{manifest.get("fingerprint")}` |
| prompts tried | {counters.get("attempts", 0)} |
| judge order agreement | {agreement.get("orders_agree", 0)}/{agreement.get("pairwise_checks", 0)} ({rate_text}) |
| generated tokens | {manifest.get("tokens", {}).get("completion", 0)} |
| wall time (s) | {manifest.get("timing", {}).get("wall_s", 0)} |

Candidate sampling `{json.dumps(config.get("response_params"))}` (temperature per candidate as
above); judge sampling `{json.dumps(config.get("judge_params"))}`.

Each candidate answers under one system "principle" (UltraFeedback style); the principle is
not part of the row's prompt. The judge scores each candidate on four aspects (1-10) with a
short rationale, as grammar-constrained JSON. Chosen and rejected come from the scores; the pair
is dropped if the two answers are identical or near-identical (character 5-gram Jaccard >=
{config.get("identical_threshold")}), if the margin is zero (`tie`) or under the minimum
(`low_margin`), or if the judge, asked "which is better, A or B" in both orders, picks the same
position twice (`order_disagreement`) or prefers the rejected answer both times
(`pairwise_prefers_rejected`). Prompts are deduplicated within the run. Drops by reason:

| reason | count |
|---|---|
{drop_lines}

The full configuration, library versions and timing are in `manifest.json`.

## Limitations

Both the answers and the judgements were written by language models without human review; a
small judge is noisy and position-biased, and its scores are a weak signal. Inspect the pairs
before training on them. The generator's and judge's licences apply to their outputs.
"""
