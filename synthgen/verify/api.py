"""Public checking API (parent side): check_answer, check_answers, check_gold, check_rows.

Cheap refusals (no answer, too long, verification not JSON) are decided here without a round
trip; everything that parses or compares runs in the sandboxed worker pool.
"""

from __future__ import annotations

import json
from typing import Any

from synthgen.verify.limits import MAX_ANSWER_CHARS, MAX_GOLD_CHARS
from synthgen.verify.sandbox import default_pool
from synthgen.verify.verdict import Verdict

DEFAULT_TIMEOUT = 5.0


def load_verification(verification: dict | str | None) -> dict | None:
    """The verification as a dict (it is stored as a JSON string), or None when unusable."""
    if isinstance(verification, dict):
        return verification
    if isinstance(verification, str | bytes):
        try:
            value = json.loads(verification)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    return None


def _precheck(answer: str | None, verification: dict | None, limit: int) -> Verdict | None:
    if verification is None or not isinstance(verification.get("method"), str):
        return Verdict.of("bad_gold", "verification missing or not a JSON object with a method")
    if answer is None or not isinstance(answer, str) or not answer.strip():
        return Verdict.of("no_answer")
    if len(answer) > limit:
        return Verdict.of("too_long", f"{len(answer)} chars")
    return None


def check_answers(
    items: list[tuple[str | None, dict | str | None]],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    batch_timeout: float | None = None,
    gold: bool = False,
) -> list[Verdict]:
    """Verdicts for many (answer_text, verification) pairs in one worker round trip.

    timeout bounds each item; batch_timeout (default: 4 x timeout + 1 s per 10 items) bounds the
    call, so a batch of hostile answers cannot stall a trainer step for long. gold=True allows
    the longer MAX_GOLD_CHARS (our own golds, e.g. long SAT assignments).
    """
    limit = MAX_GOLD_CHARS if gold else MAX_ANSWER_CHARS
    verdicts: list[Verdict | None] = []
    jobs, where = [], []
    for k, (answer, verification) in enumerate(items):
        loaded = load_verification(verification)
        early = _precheck(answer, loaded, limit)
        verdicts.append(early)
        if early is None:
            jobs.append({"k": "check", "a": answer, "v": loaded, "g": gold})
            where.append(k)
    if jobs:
        budget = batch_timeout if batch_timeout is not None else 4 * timeout + len(jobs) / 10
        for k, result in zip(where, default_pool().run(jobs, timeout, budget), strict=True):
            verdicts[k] = Verdict.of(result["reason"], result.get("detail", ""))
    return verdicts  # type: ignore[return-value]


def check_answer(answer_text: str | None, verification: dict | str, *, timeout: float = DEFAULT_TIMEOUT) -> Verdict:
    """Verdict for one final answer (the text inside \\boxed{}, or a whole `$...$` solution)."""
    return check_answers([(answer_text, verification)], timeout=timeout)[0]


def check_rows(rows: list[dict[str, Any]], *, timeout: float = 20.0) -> list[dict]:
    """Worker row self-checks (answer, solution, perturbations) for dataset rows; see row_check."""
    jobs = [{"k": "row", "row": {k: row.get(k) for k in ("answer", "solution", "verification")}} for row in rows]
    results = default_pool().run(jobs, timeout, timeout * max(1, len(jobs)))
    return [r if "answer" in r or "error" in r else {"error": r.get("detail", "timeout")} for r in results]


def check_gold(row: dict[str, Any], *, timeout: float = DEFAULT_TIMEOUT) -> Verdict:
    """Does the row's gold verify against its own verification, through `answer` AND `solution`?

    Score 1.0 / "correct" when both pass (a missing solution is not required); otherwise
    "bad_gold" with the failing form and its reason in `detail`.
    """
    verification = row.get("verification")
    items = [(row.get("answer"), verification)]
    if row.get("solution") is not None:
        items.append((row.get("solution"), verification))
    for form, verdict in zip(("answer", "solution"), check_answers(items, timeout=timeout, gold=True), strict=False):
        if verdict.reason != "correct":
            return Verdict.of("bad_gold", f"{form}: {verdict.reason} {verdict.detail}".strip())
    return Verdict.of("correct")
