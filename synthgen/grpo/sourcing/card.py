"""What the dataset card and manifest say about model-based sources (--source model/mix, --word-problems)."""

from __future__ import annotations

from typing import Any

from synthgen.grpo.sourcing.formulation import KINDS

KIND_ABOUT = {
    "solve": "model-written equation in one unknown; sympy solves it (unique solution or the full real set)",
    "evaluate": "model-written expression; sympy evaluates it exactly",
    "system": "model-written linear system; sympy finds the unique solution",
    "differentiate": "model-written function; sympy differentiates it",
    "integrate": "model-written integrand; sympy integrates it (antiderivative or definite integral)",
}


def model_families(source: str) -> dict[str, dict[str, Any]]:
    """Manifest `families` entries of the model kinds, for runs where the model proposes problems."""
    if source == "procedural":
        return {}
    return {f"model.{k}": {"version": 1, "group": "model", "about": KIND_ABOUT[k]} for k in KINDS}


def provenance_sentence(config: dict[str, Any]) -> str:
    """Who wrote the rows: the card's opening claim must be true for model-based runs too."""
    sourcing = config.get("sourcing") or {}
    if config.get("source", "procedural") == "procedural" and not sourcing.get("word_problems"):
        return "No language model wrote any of it."
    return (
        "A language model wrote some question texts (see `source` and the section on model sources), "
        "but never an answer: every gold was computed by sympy."
    )


def source_card_section(manifest: dict[str, Any]) -> str:
    """The card paragraph on model sources ("" for procedural runs)."""
    model = (manifest.get("counters") or {}).get("model_source")
    if not model:
        return ""
    config = manifest.get("config", {})
    sourcing = config.get("sourcing") or {}
    info = manifest.get("model") or {}
    rate = model.get("acceptance_rate")
    share = model.get("rows_share")
    return f"""
## Model sources

Model `{info.get("name")}` (sha256 `{info.get("sha256")}`) took part: source `{config.get("source")}`,
word problems {"on" if sourcing.get("word_problems") else "off"}. A model-proposed problem (`source` =
`model`, families `model.*`) is kept only if its formulation parses with synthgen's whitelist parser,
sympy's answer is well posed (finite, real, unique where a number is asked, bounded, not given away by
the question) and the model, shown only the question, re-extracts the same sympy problem. A word
problem (`source` = `word_problem`) keeps its procedural family and gold; it is kept only if every
given number still appears and its extraction maps back to the same problem; the original question is
in `verification.provenance`.

| | |
|---|---|
| model attempts | {model.get("attempts")} |
| accepted | {model.get("accepted")} ({"-" if rate is None else f"{rate:.1%}"}) |
| share of rows from the model | {"-" if share is None else f"{share:.0%}"} |
| model stopped | {model.get("stopped") or "no"} |
"""
