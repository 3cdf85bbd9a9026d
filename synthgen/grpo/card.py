"""The dataset card (README.md) of a `math` / `logic` run folder.

Hub metadata from run/card.py (YAML `configs` so `load_dataset(DIR)` finds the Parquet shard and
ignores journal and manifest; `dataset_info` with the declared features), with a body that says
how each family builds and checks its golds and how to plug the rows into TRL's GRPOTrainer.
"""

from __future__ import annotations

import json
from typing import Any

from synthgen.grpo.sourcing.card import provenance_sentence, source_card_section
from synthgen.run.card import dataset_info_yaml, front_matter, hub_meta, made_with


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


def render_problems_card(manifest: dict[str, Any]) -> str:
    """Markdown card for a `math` or `logic` run folder, from its manifest."""
    kind = manifest.get("command", "math")
    rows = manifest.get("rows", 0)
    config = manifest.get("config", {})
    counters = manifest.get("counters", {})
    meta = hub_meta(
        license="apache-2.0",
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
    return f"""{front_matter(meta)}

# synthgen {kind} dataset

Verifiable {kind} problems for reinforcement learning with verifiable rewards (GRPO), generated
procedurally by {made_with(manifest.get("synthgen_version"))}: every gold
answer is constructed first and self-checked by an independent computation (sympy, enumeration
or brute force). {provenance_sentence(config)} Status: **{manifest.get("status")}**, {rows} rows.

## Format

TRL prompt-only conversational format: `prompt` is a list of `{{"role", "content"}}` turns, a
system turn with the fixed answer-format instruction (final answer in `\\boxed{{}}`) and a user
turn with the question. Other columns: `question` (raw text), `answer` (canonical plain gold),
`solution` (gold as LaTeX in `$...$`, what `trl.rewards.accuracy_reward` reads), `answer_type`,
`verification` (JSON string: `method` plus its arguments, for `synthgen.verify.check_answer`),
`family`, `difficulty` (1-5), `pass_rate` / `pass_rate_k` (null: not measured), `id` (sha256 prefix of the
canonical problem spec, unique in this dataset), `seed` (item seed) and `source`.

```python
from datasets import load_dataset
ds = load_dataset("path/to/this/folder", split="train")
# from trl import GRPOTrainer; GRPOTrainer(model=..., reward_funcs=[...], train_dataset=ds)
```

Answers with many correct forms are checked by method, not by string: an antiderivative by
differentiating it, a SAT assignment by evaluating the formula, a factorisation by equivalence
plus irreducibility of each factor. Do not score these columns with string equality.

## How it was made

| | |
|---|---|
| families | {", ".join(config.get("families", []))} |
| difficulty levels | {config.get("levels")} |
| source | {config.get("source")} |
| run seed | {config.get("seed")} |
| config fingerprint | `{manifest.get("fingerprint")}` |
| slots drawn | {counters.get("slots", 0)} |
| wall time (s) | {manifest.get("timing", {}).get("wall_s", 0)} |

Slot i belongs to family i mod F at level (i div F) mod L, so the families and levels are
balanced in every prefix. Draw rejections (failed self-checks, degenerate or over-long
problems, duplicates) are redrawn from the same item seed:

| family | what it asks | rows | rows/min | draw rejections |
|---|---|---|---|---|
{family_lines}

Skipped slots: `{json.dumps(counters.get("rejected_slots", {}))}`. The full configuration, library versions
and timing are in `manifest.json`.
{_solve_section(manifest)}{source_card_section(manifest)}
## Limitations

Problems are template-based: wording varies little, and a family's low levels hold a limited
number of distinct problems. Difficulty levels are generator sizes (digits, degree, matrix size,
people, clauses), not measured pass rates.
"""
