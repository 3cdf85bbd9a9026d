"""The dataset card (README.md) of a `math` / `logic` run folder.

Hub metadata from run/card.py (YAML `configs` so `load_dataset(DIR)` finds the Parquet shard and
ignores journal and manifest; `dataset_info` with the declared features), with a body that says
how each family builds and checks its golds and how to plug the rows into TRL's GRPOTrainer,
then the provenance every kind's card records (run/provenance.py, run/diversity.py,
run/licensing.py): the model when one took part, versions, sampling and seeds, the prompt
templates of model sources, the slot funnel and the spread over families.
"""

from __future__ import annotations

import json
from typing import Any

from synthgen.grpo.sourcing.card import provenance_sentence, source_card_section
from synthgen.grpo.sourcing.requests import CREATIVE, PRECISE
from synthgen.run.card import dataset_info_yaml, front_matter, hub_meta, made_with, status_text
from synthgen.run.diversity import diversity_section
from synthgen.run.licensing import card_license, license_section
from synthgen.run.provenance import (
    Stage,
    funnel,
    funnel_section,
    model_section,
    prompts_section,
    sampling_section,
    usage_snippet,
    versions_section,
)

_SOLVE_REASONS = ("bad_gold", "solve_error", "pass_rate_below", "pass_rate_above")


def problems_funnel(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Slots drawn -> kept, with the --solve and model-source stages where the run has them.

    Slot rejections come from `counters.rejected_slots`; a model-source run's many proposal and
    extraction reasons fall to its model stage (the catch-all), a procedural run's to the draw.
    """
    counters = manifest.get("counters", {})
    model_source = bool(counters.get("model_source"))
    stages = [
        Stage("slots drawn", "a slot was assigned a family and level"),
        Stage(
            "problem made", "a fresh, self-checked problem within the tries", ("exhausted",), catch_all=not model_source
        ),
    ]
    if model_source:
        stages.append(Stage("model checks", "a model-written problem or rewrite passed every check", catch_all=True))
    if manifest.get("solve") or (manifest.get("config") or {}).get("solve"):
        stages.append(
            Stage("pass rate", "solved K times; pass rate within the kept band", _SOLVE_REASONS, ("pass_rate_",))
        )
    stages.append(Stage("kept", "written as a row"))
    return funnel(counters.get("slots", 0), counters.get("rejected_slots", {}), stages)


def redraws(counters: dict[str, Any]) -> dict[str, int]:
    """Draw rejections that were redrawn inside their slot (not slot losses), summed over families.

    `rejections_by_family` counts every draw rejection and also each slot's final reason, so the
    slot reasons (`rejected_slots`) are taken out again.
    """
    total: dict[str, int] = {}
    for reasons in (counters.get("rejections_by_family") or {}).values():
        for reason, count in reasons.items():
            total[reason] = total.get(reason, 0) + count
    for reason, count in (counters.get("rejected_slots") or {}).items():
        total[reason] = total.get(reason, 0) - count
    return {k: v for k, v in sorted(total.items()) if v > 0}


def _solve_section(manifest: dict[str, Any]) -> str:
    """The pass-rate paragraph of a --solve run ("" otherwise)."""
    solve = manifest.get("solve")
    if not solve:
        return ""
    settings = manifest.get("config", {}).get("solve") or {}
    model = manifest.get("model") or {}
    band = settings.get("band")
    emitted = ", ".join(f"{k}: `{v['path']}` ({v['rows']} rows)" for k, v in manifest.get("emitted", {}).items())
    kept = (
        f"Only problems with {band[0]} <= pass_rate <= {band[1]} were kept (`--keep-pass-rate`); "
        "the others count as skipped slots above."
        if band
        else "No band filter."
    )
    return f"""
## Pass rates

`pass_rate` was measured with `--solve {solve["k"]}`: model `{model.get("name")}` (sha256
`{model.get("sha256")}`) attempted every problem {solve["k"]} times (temperature
{settings.get("temperature")}, at most {settings.get("max_tokens")} tokens, seed per attempt from the
run seed, problem id and attempt index); each attempt was scored by `synthgen.rewards` (the same
code as the GRPO reward). `pass_rate_k` holds K. {kept}

| | |
|---|---|
| pass rates, all solved problems | `{json.dumps(solve["pass_rate_histogram"])}` |
| pass rates, kept rows | `{json.dumps(solve["pass_rate_histogram_kept"])}` |
| attempt verdicts | `{json.dumps(solve["verdicts"])}` |
| attempts / generated tokens | {solve["attempts"]} / {solve["completion_tokens"]} |
| emitted datasets | {emitted or "none"} |
"""


def _sampling(manifest: dict[str, Any]) -> dict[str, Any]:
    """The sampling steps a math/logic run had: model sources' proposals and extractions, --solve attempts."""
    config = manifest.get("config", {})
    steps: dict[str, Any] = {}
    if config.get("sourcing"):
        steps["model proposals and word-problem rewrites"] = CREATIVE.model_dump(mode="json")
        steps["re-extraction"] = PRECISE.model_dump(mode="json")
    solve = config.get("solve") or {}
    if solve:
        steps[f"--solve attempts (K={solve.get('k')})"] = {
            "temperature": solve.get("temperature"),
            "max_tokens": solve.get("max_tokens"),
        }
    return steps


def render_problems_card(manifest: dict[str, Any]) -> str:
    """Markdown card for a `math` or `logic` run folder, from its manifest."""
    kind = manifest.get("command", "math")
    rows = manifest.get("rows", 0)
    config = manifest.get("config", {})
    counters = manifest.get("counters", {})
    model = manifest.get("model")
    writers = {"model": model if config.get("sourcing") else None}  # --solve only measures, writes no row text
    meta = hub_meta(
        license=card_license(writers)[0],
        pretty_name=f"synthgen {kind} problems",
        tags=["synthetic", "synthgen", "trl", "grpo", "verifiable-rewards", kind],
        rows=rows,
    )
    if manifest.get("data"):
        from synthgen.grpo.row import PROBLEM_FEATURES

        meta["dataset_info"] = dataset_info_yaml({"default": (manifest["data"], PROBLEM_FEATURES)})
    by_family = counters.get("accepted_by_family", {})
    speed = counters.get("rows_per_minute_by_family", {})
    rejections = counters.get("rejections_by_family", {})
    family_lines = "\n".join(
        f"| `{name}` | {info.get('about', '')} | {by_family.get(name, 0)} | {speed.get(name, '')} | "
        f"{', '.join(f'{k}={v}' for k, v in rejections.get(name, {}).items()) or '-'} |"
        for name, info in manifest.get("families", {}).items()
    )
    no_prompts = (
        "No prompt templates: procedural problems are built by code (`synthgen/problems`), and a `--solve` "
        "attempt sees only the row's own `prompt` column."
    )
    redrawn, redrawn_about = redraws(counters), "draw rejections redrawn inside their slot"
    row_seeds = "Each row's item seed is its `seed` column." + (
        " Each model request is seeded from the run seed, its slot and its phase." if config.get("sourcing") else ""
    )
    return f"""{front_matter(meta)}

# synthgen {kind} dataset

Verifiable {kind} problems for reinforcement learning with verifiable rewards (GRPO), generated
procedurally by {made_with(manifest.get("synthgen_version"))}: every gold
answer is constructed first and self-checked by an independent computation (sympy, enumeration
or brute force). {provenance_sentence(config)} Status: {status_text(manifest)}, {rows} rows.

## Format

TRL prompt-only conversational format: `prompt` is a list of `{{"role", "content"}}` turns, a
system turn with the fixed answer-format instruction (final answer in `\\boxed{{}}`) and a user
turn with the question. Other columns: `question` (raw text), `answer` (canonical plain gold),
`solution` (gold as LaTeX in `$...$`, what `trl.rewards.accuracy_reward` reads), `answer_type`,
`verification` (JSON string: `method` plus its arguments, for `synthgen.verify.check_answer`),
`family`, `difficulty` (1-5), `pass_rate` / `pass_rate_k` (null: not measured), `id` (sha256 prefix of the
canonical problem spec, unique in this dataset), `seed` (item seed) and `source`.

{usage_snippet("grpo")}

`accuracy_reward` is synthgen's verifier behind TRL's reward contract. Answers with many correct
forms are checked by method, not by string: an antiderivative by differentiating it, a SAT
assignment by evaluating the formula, a factorisation by equivalence plus irreducibility of each
factor. Do not score these columns with string equality.

## How it was made

| | |
|---|---|
| families | {", ".join(config.get("families", []))} |
| difficulty levels | {config.get("levels")} |
| source | {config.get("source")} |
| config fingerprint | `{manifest.get("fingerprint")}` |
| slots drawn | {counters.get("slots", 0)} |
| wall time (s) | {manifest.get("timing", {}).get("wall_s", 0)} |

Slot i belongs to family i mod F at level (i div F) mod L, so the families and levels are
balanced in every prefix. Draw rejections (failed self-checks, degenerate or over-long
problems, duplicates) are redrawn from the same item seed:

| family | what it asks | rows | rows/min | draw rejections |
|---|---|---|---|---|
{family_lines}

### Model

{model_section({"model": model}, none="No model took part: every row is procedural.")}

### Versions

{versions_section(manifest, model_ran=bool(model))}

### Sampling and seeds

{sampling_section(_sampling(manifest), manifest, row_seeds=row_seeds)}

### Prompt templates

{prompts_section(manifest, none=no_prompts)}

### Slot funnel

{funnel_section(problems_funnel(manifest), kept=counters.get("accepted"), events=redrawn, events_about=redrawn_about)}

### Diversity

{diversity_section(manifest)}

The full configuration, library versions and timing are in `manifest.json`.
{_solve_section(manifest)}{source_card_section(manifest)}
## Licence

{license_section(writers)}

## Limitations

Problems are template-based: wording varies little, and a family's low levels hold a limited
number of distinct problems. Difficulty levels are generator sizes (digits, degree, matrix size,
people, clauses), not measured pass rates.
"""
