"""The dataset card (README.md) of a `preferences` run folder, from its manifest.

Hub YAML (run/card.py) whose `configs` point at the Parquet files (the
DPO rows as `default`, plus `reward` with --export reward) and whose `dataset_info` carries the
sizes, then a body that records how the pairs were made: policy and judge model files (hash,
quantization, parameters, licence), versions, the candidate principles and temperatures,
sampling and seeds, the prompt templates (kept in `prompts/`), the rubric, the pair strategy,
the drop funnel and the diversity of the prompts. The sections every kind shares come from
run/provenance.py, run/diversity.py and run/licensing.py.
"""

from __future__ import annotations

from typing import Any

from synthgen.dpo.card_judge import controls_line, judge_paragraph, judge_rows
from synthgen.run.card import (
    DEFAULT_CONFIG,
    LOCAL_PATH_PLACEHOLDER,
    dataset_info_yaml,
    front_matter,
    hub_meta,
    made_with,
    status_text,
)
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

# The order a prompt meets them: written and read, gated, deduplicated, answered and judged,
# then the pair's own checks (identity, margin) and the judge's A/B check in both orders.
STAGES = (
    Stage("attempted", "a prompt was tried (written fresh or read from the source)"),
    Stage("parsed", "the writer gave a user turn", reasons=NO_USER_TURN),
    Stage("passed gates", "the prompt passed the instruction gates", prefixes=("instruction_",)),
    Stage("deduplicated", "no exact or near duplicate of an earlier prompt", prefixes=("prompt_",)),
    Stage("judged", "at least two candidates answered and were scored", ("too_few_responses", "too_few_candidates")),
    Stage(
        "pair passed",
        "chosen and rejected differ, margin >= minimum, the judges agree",
        ("identical", "near_identical", "tie", "low_margin", "judges_disagree", "judge_contradicts_contrast"),
    ),
    Stage(
        "kept",
        "the judge's A/B verdicts parsed and preferred chosen in both orders",
        ("judge_unparseable", "order_disagreement", "pairwise_prefers_rejected"),
    ),
)
_NOT_DROPS = ("attempts", "accepted", "control_pairs", "control_right", "control_wrong")


def dpo_funnel(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The funnel stages of a preferences run from its `counters` and `drops`."""
    return funnel(manifest.get("counters", {}).get("attempts", 0), manifest.get("drops", {}), STAGES)


def _models(manifest: dict[str, Any]) -> dict[str, Any]:
    """The models whose text is in the rows: the policy, and the judge unless it is the same file."""
    judge = manifest.get("judge") or {}
    return {"policy": manifest.get("model"), "judge": None if judge.get("same_as_policy") else judge or None}


def _meta(manifest: dict[str, Any]) -> dict[str, Any]:
    rows = manifest.get("rows", 0)
    model = manifest.get("model", {})
    configs = [{**DEFAULT_CONFIG, "default": True}]
    if manifest.get("data_reward"):
        configs.append(
            {"config_name": "reward", "data_files": [{"split": "train", "path": "data/reward-train-*.parquet"}]}
        )
    meta = hub_meta(
        license=card_license(_models(manifest))[0],
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
    judge = manifest.get("judge", {})
    config = manifest.get("config", {})
    counters = manifest.get("counters", {})
    drops = manifest.get("drops", {})
    agreement = manifest.get("judge_agreement", {})
    source = manifest.get("prompt_source", {})
    source_line = (
        f"`{source.get('path')}` (column `{source.get('column')}`, {source.get('prompts')} prompts)"
        if source.get("path")
        else f"written fresh by the policy model (instructions method `{source.get('generated')}`)"
    )
    reward = (
        f'\nRewardTrainer (implicit prompt, `margin` column): `load_dataset("{LOCAL_PATH_PLACEHOLDER}", "reward", '
        'split="train")`.\n'
        if manifest.get("data_reward")
        else ""
    )
    rate = agreement.get("rate")
    rate_text = "n/a" if rate is None else f"{100 * rate:.1f} %"
    same = (
        "\n\nThe judge is the same model file as the policy (one engine ran both)."
        if judge.get("same_as_policy")
        else ""
    )
    principles = ", ".join(config.get("principles", []))
    temps = config.get("temperatures")
    models = {"policy": manifest.get("model"), "judge": judge or None}
    sampling = {
        "candidate answers (temperature per candidate as above)": config.get("response_params"),
        "judge (rubric and A/B)": config.get("judge_params"),
    }
    if not source.get("path"):
        sampling = {
            "prompt writing (self-instruct)": config.get("instruction_params"),
            "prompt user turn (Magpie)": config.get("magpie_params"),
            **sampling,
        }
    events = {k: v for k, v in counters.items() if k not in _NOT_DROPS and k not in drops}
    row_seeds = "Each row's attempt seed is its `seed` column; each candidate's sampler seed is in `candidates[].seed`."
    return f"""{front_matter(_meta(manifest))}

# synthgen preferences dataset

Preference pairs for DPO and reward modelling, generated locally with
{made_with(manifest.get("synthgen_version"))} {engine_phrase(manifest.get("model"))}, with an AI judge.
Status: {status_text(manifest, "pairs")}, {rows} pairs.

## Format

TRL conversational preference format with an explicit prompt: `prompt` (messages ending with
the user turn), `chosen` and `rejected` (one assistant message each), which `trl.DPOTrainer`
takes unchanged. Extra columns: `judge` (which judge decided), `pair_source` (judged, contrast or
given), `score_chosen`, `score_rejected`, `margin` (the judge's scores: mean rubric score 1-10
with the LLM judge, else the likelihood score), `signals_chosen` / `signals_rejected`
(relevance, fluency, completeness) and `decided_by`, `aspects_chosen` / `aspects_rejected`
(helpfulness, correctness, instruction_following, clarity), `rationale_chosen` /
`rationale_rejected`, `pairwise_chosen_first` / `pairwise_chosen_second` (the LLM judge's A/B
letter with chosen shown first / second; null without it), `chosen_candidate`,
`rejected_candidate`, `candidates` (every candidate: principle, temperature, seed, text, status,
scores), `prompt_source`, `id`, `seed`, `attempt`.

{usage_snippet("dpo")}
{reward}
## How it was made

| | |
|---|---|
| prompts | {source_line} |
| candidates per prompt | {config.get("candidates")} (principles {principles}; temperatures {temps}) |
| pair strategy | {config.get("strategy")}, min margin {config.get("min_margin")} |
{judge_rows(manifest)}
| config fingerprint | `{manifest.get("fingerprint")}` |
| prompts tried | {counters.get("attempts", 0)} |
| judge order agreement | {agreement.get("orders_agree", 0)}/{agreement.get("pairwise_checks", 0)} ({rate_text}) |
| generated tokens | {manifest.get("tokens", {}).get("completion", 0)} |
| wall time (s) | {manifest.get("timing", {}).get("wall_s", 0)} |

### Models

{model_section(models)}{same}

### Versions

{versions_section(manifest)}

### Sampling and seeds

{sampling_section(sampling, manifest, row_seeds=row_seeds)}

### Prompt templates

{prompts_section(manifest, none="No prompt template was recorded for this run.")}

### Drop funnel

Each generated candidate answers under one system "principle" (UltraFeedback style); the
principle is not part of the row's prompt. A pair is dropped if its two answers are identical or
near-identical (character 5-gram Jaccard >= {config.get("identical_threshold")}).
{judge_paragraph(manifest)} Prompts are deduplicated within the run. Prompts by stage:

{funnel_section(dpo_funnel(manifest), kept=counters.get("accepted"), events=events)}

### Diversity

{diversity_section(manifest)}

The full configuration, library versions and timing are in `manifest.json`.

## Licence

{license_section(_models(manifest))}

## Limitations

Both the answers and the judgements were made by language models without human review. A
likelihood judge sees relevance, fluency and completeness, not whether an answer is correct;
a small LLM judge is noisy and position-biased. The control pairs above measure the judge on
pairs whose order is known ({controls_line(manifest.get("controls") or {})}). Inspect the pairs
before training on them.
"""
