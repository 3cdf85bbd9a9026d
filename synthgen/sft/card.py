"""The dataset card (README.md) of an `instructions` run folder, from its manifest.

Hub metadata from run/card.py; the body records the provenance rivals leave out: model file,
hash, quantization, parameters and licence, versions, sampling and seeds, the prompt templates
(kept in `prompts/`), the rejection funnel and the diversity of the kept instructions. The
sections shared by every kind come from run/provenance.py, run/diversity.py and
run/licensing.py; this module supplies what is SFT's own: its format, its funnel stages and
its sampling steps.
"""

from __future__ import annotations

from typing import Any

from synthgen.run.card import dataset_info_yaml, front_matter, hub_meta, made_with, status_text
from synthgen.run.diversity import diversity_section
from synthgen.run.licensing import card_license, license_section
from synthgen.run.provenance import (
    Stage,
    engine_phrase,
    funnel,
    funnel_section,
    model_section,
    prompts_section,
    sampling_section,
    usage_snippet,
    versions_section,
)
from synthgen.text.writers import NO_USER_TURN

# The order an attempt meets them: user turn read, its gates, dedup, then the answer and its gates.
STAGES = (
    Stage("attempted", "an attempt started (seeded from the run seed and its index)"),
    Stage("parsed", "the writer gave a user turn", reasons=NO_USER_TURN),
    Stage("passed gates", "the user turn passed the instruction gates", prefixes=("instruction_",)),
    Stage(
        "deduplicated", "no exact or near duplicate of an earlier instruction", ("exact_duplicate", "near_duplicate")
    ),
    Stage("kept", "answered, and the answer passed the response gates", prefixes=("response_",)),
)
_NOT_DROPS = ("attempts", "accepted")
ROW_SEEDS = "Each row's attempt seed is its `seed` column; the seeds of its requests derive from it."


def sft_funnel(counters: dict[str, Any]) -> list[dict[str, Any]]:
    """The funnel stages of an instructions run from its `counters` (retries are events, not drops)."""
    drops = {k: v for k, v in counters.items() if k not in _NOT_DROPS and not k.endswith("_retries")}
    return funnel(counters.get("attempts", 0), drops, STAGES)


def _relevance_note(config: dict[str, Any]) -> str:
    threshold = config.get("min_relevance")
    if threshold is None:
        return ""
    return (
        f" Every answer's likelihood relevance (how much more likely the generating model finds its"
        f" opening after the instruction than after an empty user turn, per token) was at least {threshold}."
    )


def render_sft_card(manifest: dict[str, Any]) -> str:
    """Markdown card for an `instructions` run folder, from its manifest."""
    rows = manifest.get("rows", 0)
    model = manifest.get("model", {})
    config = manifest.get("config", {})
    counters = manifest.get("counters", {})
    models = {"generator": model}
    meta = hub_meta(
        license=card_license(models)[0],
        pretty_name=f"synthgen instructions ({model.get('name', 'unknown model')})",
        tags=["synthetic", "synthgen", "trl", "sft"],
        rows=rows,
    )
    if manifest.get("data"):
        from synthgen.sft.row import SFT_FEATURES

        meta["dataset_info"] = dataset_info_yaml({"default": (manifest["data"], SFT_FEATURES)})
    extra = model.get("extra", {})
    sampling = {
        "instruction writing (self-instruct)": config.get("instruction_params"),
        "user turn (Magpie)": config.get("magpie_params"),
        "response": config.get("response_params"),
    }
    events = {k: v for k, v in counters.items() if k.endswith("_retries")}
    return f"""{front_matter(meta)}

# synthgen instructions dataset

Instruction-response pairs for supervised fine-tuning, generated locally with
{made_with(manifest.get("synthgen_version"))} {engine_phrase(manifest.get("model"))}.
Status: {status_text(manifest)}, {rows} rows.

## Format

TRL conversational language-modelling format: each row has `messages`, a list of
`{{"role", "content"}}` turns (an optional `system` turn, then `user`, then `assistant`), which
`trl.SFTTrainer` trains on without conversion. Extra columns: `id`, `method` (`self-instruct` or
`magpie`), `topic`, `task_type`, `seed` (the row's sampler seed), `attempt` (attempt index),
`instruction_tokens`, `response_tokens`.

{usage_snippet("sft")}

## How it was made

| | |
|---|---|
| method | {config.get("method")} (magpie share {config.get("magpie_share")}) |
| backend | {extra.get("backend", "")} |
| config fingerprint | `{manifest.get("fingerprint")}` |
| attempts | {counters.get("attempts", 0)} |
| generated tokens | {manifest.get("tokens", {}).get("completion", 0)} |
| wall time (s) | {manifest.get("timing", {}).get("wall_s", 0)} |

### Model

{model_section(models)}

### Versions

{versions_section(manifest)}

### Sampling and seeds

{sampling_section(sampling, manifest, row_seeds=ROW_SEEDS)}

### Prompt templates

{prompts_section(manifest, none="No prompt template was recorded for this run.")}

Magpie user turns need no template file: the model continues its own chat template's user-turn
prefix (`magpie_pre_query` in `manifest.json`).

### Rejection funnel

Every row passed inline gates: non-empty, length bounds, no refusal, no degenerate repetition,
no template residue, placeholder or talk about the reply format in the instruction, no answer
that only asks for the input, and no exact or near duplicate (character 5-gram Jaccard >=
{config.get("dedup_threshold")}) of an earlier instruction.{_relevance_note(config)} Attempts by stage:

{funnel_section(sft_funnel(counters), kept=counters.get("accepted"), events=events)}

### Diversity

{diversity_section(manifest)}

The full configuration, library versions and timing are in `manifest.json`.

## Licence

{license_section(models)}

## Limitations

The text was written by a language model without human review. A small model writes simple,
sometimes wrong or odd instructions and answers; filter or judge before relying on it.
"""
