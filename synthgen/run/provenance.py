"""What every dataset card says about how its rows were made, written once for all kinds.

A card pushed to the Hub is often all a user of the data reads, so each card must name the
model files (hash, quantization, parameters, licence), the library versions, the sampling and
seeds, the prompt templates (kept beside the data in `prompts/`), the rejection funnel and how
to train on the rows. Each section here is a function of the manifest plus what only the kind
knows (its funnel stages, its sampling steps, its trainer), so the three cards say these things
in the same words. Nothing here reads a clock or the machine: the same manifest gives the same
text, which is what lets a second push of an unchanged folder change nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen.backends.server.options import BACKEND_NAME as SERVER_BACKEND
from synthgen.run.card import LOCAL_PATH_PLACEHOLDER
from synthgen.run.folder import PROMPTS_DIR


def keep_templates(folder: Path, templates: Mapping[str, str]) -> dict[str, str]:
    """Write each template into `folder/prompts/<name>` as the run read it; return {name: sha256}.

    The hash is of the bytes written, so `sha256sum prompts/*` checks the card. The texts come
    from the kind (run/ does not read prompt sets), a `--prompts` override included.
    """
    hashes = {}
    for name in sorted(templates):
        data = templates[name].encode("utf-8")
        target = folder / PROMPTS_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        hashes[name] = hashlib.sha256(data).hexdigest()
    return hashes


def _code(value: Any) -> str:
    return f"`{value}`" if value not in (None, "") else "not recorded"


def _params(n: Any) -> str:
    if not isinstance(n, int):
        return "not recorded"
    for size, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if n >= size:
            return f"{n:,} ({n / size:.1f}{suffix})"
    return f"{n:,}"


def _quantization(model: dict[str, Any]) -> str:
    extra = model.get("extra") or {}
    named = extra.get("quantization") or (
        f"`general.file_type` {extra['file_type']}" if extra.get("file_type") else None
    )
    if named is None:
        return "not recorded"
    run_file = extra.get("run_file")
    if run_file and run_file != model.get("name"):
        ran = extra.get("run_quantization") or "another format"
        return f"{named}; ran as its {ran} copy `{run_file}` (sha256 `{extra.get('run_file_sha256')}`)"
    return named


def _file_rows(m: dict[str, Any]) -> list[tuple[str, str]]:
    extra = m.get("extra") or {}
    return [
        ("file", _code(m.get("name"))),
        ("sha256", _code(m.get("sha256"))),
        ("quantization", _quantization(m)),
        ("parameters (llama.cpp)", _params(extra.get("n_params"))),
        ("licence (GGUF `general.license`)", _code(extra.get("license"))),
        ("architecture", _code(extra.get("architecture"))),
        ("embedded in synthgen", "yes" if m.get("embedded") else "no"),
        ("parallel sequences", str(extra.get("parallel", "-"))),
    ]


def _server_rows(m: dict[str, Any]) -> list[tuple[str, str]]:
    """A model reached over HTTP has no file to hash: the card names the model as the server
    reports it, the servers, and what they said about themselves (llama-server's /props)."""
    extra = m.get("extra") or {}
    server = extra.get("server") or {}
    facts = ", ".join(f"{k} {v}" for k, v in server.items()) or "not reported"
    return [
        ("model (as the server names it)", _code(m.get("name"))),
        ("servers", ", ".join(_code(u) for u in extra.get("servers") or []) or "not recorded"),
        ("server facts", facts),
        ("requests in flight", str(extra.get("concurrency", "-"))),
        ("JSON schema sent as", str(extra.get("structured_output", "-"))),
        ("chat template from", _code(extra.get("chat_template_source"))),
    ]


def is_server_model(model: dict[str, Any] | None) -> bool:
    return bool(model) and (model.get("extra") or {}).get("backend") == SERVER_BACKEND


def model_section(models: Mapping[str, dict[str, Any] | None], *, none: str = "No model took part in this run.") -> str:
    """A table of each model that took part ({role: manifest model block}), one column per role:
    a GGUF file's hash, quantization and size, or a served model's name and servers."""
    present = {role: model for role, model in models.items() if model}
    if not present:
        return none
    cells = [dict(_server_rows(m) if is_server_model(m) else _file_rows(m)) for m in present.values()]
    labels = list(dict.fromkeys(label for column in cells for label in column))
    head = f"| | {' | '.join(present)} |\n|---|{'---|' * len(present)}"
    return head + "".join(f"\n| {label} | {' | '.join(c.get(label, '-') for c in cells)} |" for label in labels)


def engine_phrase(model: dict[str, Any] | None) -> str:
    """How the rows were generated, for a card's first paragraph."""
    if is_server_model(model):
        return f"on `{model.get('name')}` served by an OpenAI-compatible server"
    return "on a GGUF model through llama.cpp"


def versions_section(manifest: dict[str, Any], *, model_ran: bool = True) -> str:
    """synthgen and llama-cpp-python first (they make the rows), then every other recorded version."""
    versions = dict(manifest.get("versions") or {})
    llama = versions.pop("llama-cpp-python", None)
    synthgen = manifest.get("synthgen_version") or versions.get("synthgen")
    versions.pop("synthgen", None)
    unused = "" if model_ran else " (installed, not used: no model ran)"
    others = ", ".join(f"{name} {version}" for name, version in versions.items() if version)
    return f"""| library | version |
|---|---|
| synthgen | {synthgen or "not recorded"} |
| llama-cpp-python (with the llama.cpp it bundles) | {llama or "not installed"}{unused} |
| also recorded | {others or "-"} |"""


def sampling_section(steps: Mapping[str, Any], manifest: dict[str, Any], *, row_seeds: str) -> str:
    """The sampling parameters of each step ({label: params}), then the run seed and how seeds derive."""
    seeds = manifest.get("seeds") or {}
    config = manifest.get("config") or {}
    run_seed = seeds.get("run_seed", config.get("seed"))
    lines = "".join(f"\n| {label} | `{json.dumps(params, sort_keys=True)}` |" for label, params in steps.items())
    table = f"| step | sampling parameters |\n|---|---|{lines}\n\n" if steps else ""
    derivation = f" Derivation: `{seeds['derivation']}`." if seeds.get("derivation") else ""
    return f"{table}Run seed **{run_seed}**.{derivation} {row_seeds}"


def prompts_section(manifest: dict[str, Any], *, none: str) -> str:
    """Template names and sha256, and where the files are; `none` when the run used no template."""
    hashes = {k: v for k, v in (manifest.get("prompts") or {}).items() if isinstance(v, str) and len(v) == 64}
    if not hashes:
        return none
    lines = "".join(f"\n| `{name}` | `{digest}` |" for name, digest in sorted(hashes.items()))
    override = (manifest.get("prompt_set") or {}).get("override_dir")
    source = f" (a `--prompts` override from `{override}` included)" if override else ""
    return (
        f"The templates this run used are in `{PROMPTS_DIR}/` beside the data, byte for byte as it read "
        f"them{source}; each file's sha256:\n\n| template | sha256 |\n|---|---|{lines}"
    )


@dataclass(frozen=True)
class Stage:
    """One step of a kind's funnel: what passing it means and which rejection reasons it drops.

    A reason is claimed by the first stage naming it in `reasons`, else by the first stage with a
    matching prefix, else by the `catch_all` stage (the last stage if none is), so a reason added
    later is still counted somewhere.
    """

    name: str
    about: str
    reasons: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    catch_all: bool = False


def funnel(total: int, drops: Mapping[str, int], stages: Sequence[Stage]) -> list[dict[str, Any]]:
    """Each stage with the count that passed it and the drops (by reason) it made.

    The first stage is the total (nothing drops there); each later count is the previous one less
    the drops claimed by that stage, so the last count is what was kept.
    """

    def stage_of(reason: str) -> int:
        for i, stage in enumerate(stages[1:], 1):
            if reason in stage.reasons:
                return i
        for i, stage in enumerate(stages[1:], 1):
            if reason.startswith(stage.prefixes) and stage.prefixes:
                return i
        return next((i for i, stage in enumerate(stages) if stage.catch_all), len(stages) - 1)

    claimed: list[dict[str, int]] = [{} for _ in stages]
    for reason, count in drops.items():
        if count:
            claimed[stage_of(reason)][reason] = count
    out, count = [], total
    for stage, dropped in zip(stages, claimed, strict=True):
        count -= sum(dropped.values())
        ordered = dict(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append({"stage": stage.name, "about": stage.about, "count": count, "dropped": ordered})
    return out


def _reasons(counts: Mapping[str, int]) -> str:
    return ", ".join(f"`{k}` {v}" for k, v in counts.items())


def funnel_section(
    stages: list[dict[str, Any]],
    *,
    kept: int | None = None,
    events: Mapping[str, int] | None = None,
    events_about: str = "retries and per-item events",
) -> str:
    """The funnel as a table; `kept` (the kind's own accepted counter) is checked against the last stage.

    `events` are counted things that dropped nothing (a retried parse, a redrawn problem).
    """
    lines = "".join(
        f"\n| {s['stage']} | {s['about']} | {s['count']} | {_reasons(s['dropped']) or '-'} |" for s in stages
    )
    text = f"| stage | passing it means | count | dropped at this stage, by reason |\n|---|---|---|---|{lines}"
    if kept is not None and stages and kept != stages[-1]["count"]:
        text += f"\n\nThe run's own counter reports {kept} kept; the difference is unaccounted for."
    shown = {k: v for k, v in (events or {}).items() if v}
    if shown:
        text += f"\n\nCounted but not drops ({events_about}): {_reasons(dict(sorted(shown.items())))}."
    return text


_TRAINERS = {
    "sft": ("SFTTrainer", "", ""),
    "dpo": ("DPOTrainer", "", ""),
    "grpo": ("GRPOTrainer", "reward_funcs=[accuracy_reward], ", "from synthgen.rewards import accuracy_reward\n"),
}


def usage_snippet(kind: str, model: str = "Qwen/Qwen2.5-0.5B-Instruct") -> str:
    """Code a user can paste: load this folder (or, once pushed, the repo) and train on it with TRL.

    `synthgen push` replaces the folder placeholder with the repo id (publish/stage.py).
    """
    trainer, args, extra_import = _TRAINERS[kind]
    return f"""```python
from datasets import load_dataset
from trl import {trainer}
{extra_import}
ds = load_dataset("{LOCAL_PATH_PLACEHOLDER}", split="train")
trainer = {trainer}(model="{model}", {args}train_dataset=ds)  # any causal LM id or local path
trainer.train()
```"""
