"""The card's account of how pairs were judged: the judge used and why, and the control pairs."""

from __future__ import annotations

from typing import Any

from synthgen.dpo.controls import RELIABLE

_HOW = {
    "likelihood": (
        "The judge read its own token log-probabilities, not a sampled verdict: each answer's score is "
        "relevance (pointwise mutual information with the prompt, per token) + 0.25 x fluency (mean token "
        "log-probability) + 0.4 x completeness (log-probability of ending the turn after the answer, floored at "
        "-10); the pair is dropped when the scores are equal (`tie`) or their gap is under {likelihood_margin} "
        "(`low_margin`). Each row's `signals_chosen` / `signals_rejected` hold the three values and "
        "`decided_by` the signals that decided it."
    ),
    "llm": (
        "The judge scored each answer on four aspects (1-10) with a short rationale, as grammar-constrained "
        "JSON; the pair is dropped if the mean scores are equal (`tie`) or their gap is under {min_margin} "
        '(`low_margin`), or if the judge, asked "which is better, A or B" in both orders, picks the same '
        "position twice (`order_disagreement`) or prefers the rejected answer both times "
        "(`pairwise_prefers_rejected`)."
    ),
}
_HOW["both"] = (
    "Two judges had to agree. " + _HOW["likelihood"] + " " + _HOW["llm"] + " A pair the two rank differently is "
    "dropped (`judges_disagree`)."
)
_MADE = {
    "principles": "{candidates} answers per prompt under rotating principles; the judge ranked them and the "
    "pair was chosen by strategy `{strategy}`.",
    "contrast": "two answers per prompt, one under a helpful principle and one under a deliberately poor one "
    "(vague, off-topic or careless), so the order is known by construction; the judge had to confirm it "
    "(`judge_contradicts_contrast` when it did not).",
    "given": "the answers given with each prompt (`--candidates-from`), labelled by the judge; rows with fewer "
    "than two answers were dropped (`too_few_responses`).",
}


def controls_line(controls: dict[str, Any]) -> str:
    """The control pairs' accuracy, plainly marked when it is too low to trust the judge."""
    if not controls or not controls.get("pairs"):
        return "no control pairs were judged"
    if controls.get("accuracy") is None:
        return f"{controls['pairs']} control pairs judged, none decided: the judge's accuracy is unknown"
    text = (
        f"{controls['right']}/{controls['decided']} right ({100 * controls['accuracy']:.0f} %) among the "
        f"{controls['decided']} the judge decided, of {controls['pairs']} control pairs"
    )
    if not controls.get("reliable"):
        text += f"; **below {100 * RELIABLE:.0f} %: the judge is not reliable for this data**"
    return text


def judge_rows(manifest: dict[str, Any]) -> str:
    """Rows of the "How it was made" table about the judge."""
    judge = manifest.get("judge") or {}
    config = manifest.get("config", {})
    made = _MADE.get(config.get("candidates_mode", "principles"), "").format(**config)
    return (
        f"| candidates | {made} |\n"
        f"| judge | `{judge.get('kind', config.get('judge'))}` ({judge.get('why', '')}) |\n"
        f"| control pairs | {controls_line(manifest.get('controls') or {})} |"
    )


def judge_paragraph(manifest: dict[str, Any]) -> str:
    """How the judge decided, for the funnel section."""
    config = manifest.get("config", {})
    kind = (manifest.get("judge") or {}).get("kind", config.get("judge", "llm"))
    every = config.get("control_every")
    control = (
        f" One prompt in {every} also had its judge decide two control pairs whose better answer is known (its "
        "answer against another prompt's answer, and against its own first sentence), with the same rules."
        if every
        else ""
    )
    return _HOW.get(kind, _HOW["llm"]).format(**config) + control
