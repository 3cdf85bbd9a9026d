"""Self-check of one dataset row (worker side): gold via `answer`, via `solution`, perturbed golds."""

from __future__ import annotations

import json

from synthgen.verify.limits import MAX_GOLD_CHARS
from synthgen.verify.methods import check
from synthgen.verify.perturb import perturbations


def check_row(row: dict) -> dict:
    """{"answer": [reason, detail], "solution": [...], "perturbed": [[label, text, reason, detail]]}."""
    verification = row.get("verification")
    if isinstance(verification, str):
        try:
            verification = json.loads(verification)
        except ValueError as exc:
            return {"error": f"verification is not JSON: {exc}"}
    if not isinstance(verification, dict):
        return {"error": "verification is not an object"}
    answer = row.get("answer")
    out: dict = {"answer": list(check(answer, verification, MAX_GOLD_CHARS))}
    solution = row.get("solution")
    out["solution"] = list(check(solution, verification, MAX_GOLD_CHARS)) if solution is not None else None
    perturbed = []
    try:
        variants = perturbations(verification, answer or "")
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the report must cover every row
        return {**out, "perturbed": [], "error": f"cannot perturb: {type(exc).__name__}: {exc}"}
    for label, text in variants:
        reason, detail = check(text, verification, MAX_GOLD_CHARS)
        perturbed.append([label, text, reason, detail])
    out["perturbed"] = perturbed
    return out
