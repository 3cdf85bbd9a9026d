"""The dataset cards of the folders `--emit-sft` and `--emit-dpo` write.

Hub metadata from run/card.py: YAML `configs` pointing at data/train-*.parquet (so
`load_dataset(DIR)` reads only the shard) with `dataset_info`, then a body saying how the rows
were selected (verifier correctness, no judge), from which run, model and sampling.
"""

from __future__ import annotations

import json
from typing import Any

from synthgen.grpo.solve.rows import DPO_FEATURES, SFT_FEATURES
from synthgen.run.card import dataset_info_yaml, front_matter, hub_meta, made_with
from synthgen.run.licensing import card_license

_FORMAT = {
    "sft": """TRL conversational language-modelling format: `messages` is the problem's prompt (system turn
with the answer-format instruction, user turn with the question) followed by one assistant turn,
a completion of the model whose final `\\\\boxed{{}}` answer the verifier scored correct and that
ended on its own. `trl.SFTTrainer` trains on it unchanged (`assistant_only_loss=True` to skip the
prompt). Provenance columns: `problem_id`, `family`, `difficulty`, `answer`, `verification`,
`pass_rate` / `pass_rate_k` (share of the K attempts that were correct), `in_grpo_dataset`,
`source`, `attempt`, `seed` (its sampler seed), `completion_tokens`.""",
    "dpo": """TRL conversational preference format with an explicit prompt: `prompt` (system + user turn, ending
with the user turn), `chosen` (one assistant message: a completion the verifier scored correct)
and `rejected` (one assistant message: a completion of the same prompt scored wrong, unparseable,
without an answer or cut off). `trl.DPOTrainer` takes it unchanged. Each attempt is used in at most
one pair; answered-but-wrong attempts are paired first. Provenance columns: `problem_id`, `family`,
`difficulty`, `answer`, `verification`, `pass_rate`, `pass_rate_k`, `in_grpo_dataset`, `source`,
`chosen_attempt` / `rejected_attempt`, `chosen_seed` / `rejected_seed`, `rejected_reason`.""",
}
_TRAINER = {"sft": "SFTTrainer", "dpo": "DPOTrainer"}


def render_emitted_card(manifest: dict[str, Any]) -> str:
    """Markdown card for an emitted SFT or DPO folder, from its manifest."""
    kind = manifest["kind"]
    rows = manifest.get("rows", 0)
    model = manifest.get("model") or {}
    solve = manifest.get("solve") or {}
    config = manifest.get("config") or {}
    meta = hub_meta(
        license=card_license({"model": model})[0],  # the completions are the model's own text
        pretty_name=f"synthgen {config.get('kind', 'math')} {kind.upper()} from verified attempts",
        tags=["synthetic", "synthgen", "trl", kind, "rejection-sampling", "verifiable-rewards"],
        rows=rows,
    )
    features = SFT_FEATURES if kind == "sft" else DPO_FEATURES
    meta["dataset_info"] = dataset_info_yaml({"default": (manifest["data"], features)})
    unit = "completions" if kind == "sft" else "pairs"
    empty = (
        "\n**This emission is empty**: no attempt qualified (see the verdicts below). The Parquet shard holds "
        "only the schema, and `datasets` refuses to load an empty split; rerun with a stronger `--model`, "
        "more attempts or easier `--difficulty`.\n"
        if rows == 0
        else ""
    )
    return f"""{front_matter(meta)}

# synthgen {kind.upper()} dataset from verified math/logic attempts

{rows} {unit} over {manifest.get("problems", 0)} problems, made by
{made_with(manifest.get("synthgen_version"))} while it measured pass rates (`--solve {solve.get("k")}`). No judge:
every completion's final answer was checked by synthgen's verifier (the same code as its GRPO
`accuracy_reward`), and correctness alone chose the rows.
{empty}
## Format

{_FORMAT[kind]}

```python
from datasets import load_dataset
ds = load_dataset("path/to/this/folder", split="train")
# from trl import {_TRAINER[kind]}; {_TRAINER[kind]}(model=..., train_dataset=ds)
```

## How it was made

| | |
|---|---|
| source run | `{manifest.get("emitted_from")}` (fingerprint `{manifest.get("run_fingerprint")}`) |
| problems | {config.get("kind")}: {", ".join(config.get("families", []))}, levels {config.get("levels")} |
| model file | `{model.get("name")}` (sha256 `{model.get("sha256")}`) |
| attempts per problem | {solve.get("k")} |
| solve settings (K, band, sampling) | `{json.dumps(config.get("solve") or {})}` |
| pass-rate histogram (all solved problems) | `{json.dumps(solve.get("pass_rate_histogram", {}))}` |
| attempt verdicts | `{json.dumps(solve.get("verdicts", {}))}` |

Attempt k of a problem was sampled with seed sha256(run seed | problem id | k), so the rows do
not depend on batching. Problems outside the run's `--keep-pass-rate` band are included
(`in_grpo_dataset` = false); filter on that column to match the GRPO dataset exactly.

## Limitations

A correct final answer does not prove the reasoning before it is sound: a small model can reach
the right number by a wrong route, and the verifier checks only the boxed answer. Completions
are the model's own words, unreviewed. The generator model's licence applies to its outputs.
"""
