"""The rows of the `--emit-sft` / `--emit-dpo` datasets, rebuilt from the journaled `--solve` attempts.

Correctness is the signal. SFT (rejection sampling): every distinct attempt the verifier scored
correct and that ended on its own (not cut at max tokens), as TRL conversational `messages` =
the row's prompt + that completion. DPO: per problem, correct attempts paired one-to-one with
wrong ones (answered-but-wrong first, then unparseable / no answer / truncated), in TRL's
explicit-prompt conversational form: `prompt` ends with the user turn, `chosen` / `rejected` are
assistant-only message lists.
"""

from __future__ import annotations

from typing import Any

from datasets import Features, Value

from synthgen.run.features import MESSAGES

_PROVENANCE = {
    "problem_id": Value("string"),
    "family": Value("string"),
    "difficulty": Value("int64"),
    "answer": Value("string"),
    "verification": Value("string"),
    "pass_rate": Value("float64"),
    "pass_rate_k": Value("int64"),
    "in_grpo_dataset": Value("bool"),
    "source": Value("string"),
}
SFT_FEATURES = Features(
    {"messages": MESSAGES, **_PROVENANCE, "attempt": Value("int64"), "seed": Value("int64"),
     "completion_tokens": Value("int64")}
)  # fmt: skip
DPO_FEATURES = Features(
    {"prompt": MESSAGES, "chosen": MESSAGES, "rejected": MESSAGES, **_PROVENANCE,
     "chosen_attempt": Value("int64"), "rejected_attempt": Value("int64"), "chosen_seed": Value("int64"),
     "rejected_seed": Value("int64"), "rejected_reason": Value("string")}
)  # fmt: skip
_WRONG_ORDER = {"wrong": 0, "unparseable": 1, "no_answer": 2, "too_long": 3, "timeout": 4}


def solved_problems(records: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[dict[str, Any]], bool]]:
    """(problem row, attempts, kept in the GRPO dataset) for every journaled slot that was solved."""
    out = []
    for record in records:
        attempts = record.get("attempts")
        row = record.get("row") or record.get("problem_row")
        if attempts and row and record.get("reason") not in ("bad_gold", "solve_error"):
            out.append((row, attempts, record["status"] == "accepted"))
    return out


def _provenance(row: dict[str, Any], kept: bool) -> dict[str, Any]:
    return {
        "problem_id": row["id"],
        "family": row["family"],
        "difficulty": row["difficulty"],
        "answer": row["answer"],
        "verification": row["verification"],
        "pass_rate": row["pass_rate"],
        "pass_rate_k": row.get("pass_rate_k"),
        "in_grpo_dataset": kept,
        "source": row["source"],
    }


def _usable_correct(attempts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Correct, self-terminated attempts, first of each distinct text."""
    seen: set[str] = set()
    good = []
    for a in attempts:
        if a["score"] == 1.0 and a["finish"] == "stop" and a["text"].strip() and a["text"] not in seen:
            seen.add(a["text"])
            good.append(a)
    return good


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def sft_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One SFT row per distinct verified-correct attempt, in slot then attempt order."""
    rows = []
    for row, attempts, kept in solved_problems(records):
        for a in _usable_correct(attempts):
            rows.append({
                "messages": [*row["prompt"], *_assistant(a["text"])], **_provenance(row, kept),
                "attempt": a["attempt"], "seed": a["seed"], "completion_tokens": a["tokens"],
            })  # fmt: skip
    return rows


def dpo_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """min(#correct, #wrong) pairs per problem; each attempt is used at most once."""
    rows = []
    for row, attempts, kept in solved_problems(records):
        wrong = sorted(
            (a for a in attempts if a["score"] == 0.0 and a["text"].strip()),
            key=lambda a: (_WRONG_ORDER.get(a["reason"], 9), a["attempt"]),
        )
        for chosen, rejected in zip(_usable_correct(attempts), wrong, strict=False):
            rows.append({
                "prompt": row["prompt"], "chosen": _assistant(chosen["text"]), "rejected": _assistant(rejected["text"]),
                **_provenance(row, kept), "chosen_attempt": chosen["attempt"], "rejected_attempt": rejected["attempt"],
                "chosen_seed": chosen["seed"], "rejected_seed": rejected["seed"], "rejected_reason": rejected["reason"],
            })  # fmt: skip
    return rows
