"""The SFT row: TRL conversational `messages` plus provenance columns, and its Arrow schema.

The features are declared, not inferred, so every run writes the same Parquet schema (a column
that is null in the first rows would otherwise be typed `null` and break concatenation across
shards and runs).
"""

from __future__ import annotations

from typing import Any

from datasets import Features, Value
from pydantic import BaseModel

from synthgen.backends.base import Message
from synthgen.run.features import MESSAGES


class SFTRow(BaseModel):
    """One instruction-response example as written to the dataset."""

    messages: list[Message]
    id: str
    method: str
    topic: str | None
    task_type: str | None
    seed: int
    attempt: int
    instruction_tokens: int
    response_tokens: int


SFT_FEATURES = Features(
    {
        "messages": MESSAGES,
        "id": Value("string"),
        "method": Value("string"),
        "topic": Value("string"),
        "task_type": Value("string"),
        "seed": Value("int64"),
        "attempt": Value("int64"),
        "instruction_tokens": Value("int64"),
        "response_tokens": Value("int64"),
    }
)


def attempt_record(attempt: Any, messages: list[Message] | None, id_: str) -> dict[str, Any]:
    """The journal record of a decided attempt (sft/loop.py `_Attempt`), which run/journal.py
    `replay` reads back on resume: status and reason, tokens and events, the answer's relevance
    if it was scored (--min-relevance, kept or not), and the row, or the rejected instruction for
    audit. `messages` are the prompt turns of the row (None if no user turn was written)."""
    plan = attempt.plan
    record: dict[str, Any] = {
        "attempt": plan.index,
        "seed": plan.seed,
        "method": plan.method,
        "status": "rejected" if attempt.reason else "accepted",
        "reason": attempt.reason,
        "dedup_text": attempt.dedup_text,
        "tokens": {"prompt": attempt.tokens["prompt"], "completion": attempt.tokens["completion"]},
        "events": dict(attempt.events),
    }
    if attempt.relevance is not None:
        record["relevance"] = attempt.relevance
    if record["status"] == "accepted":
        record["row"] = SFTRow(
            messages=[*messages, Message(role="assistant", content=attempt.response)],
            id=id_,
            method=plan.method,
            topic=plan.topic,
            task_type=plan.task.name if plan.task else None,
            seed=plan.seed,
            attempt=plan.index,
            instruction_tokens=attempt.instruction_tokens,
            response_tokens=attempt.response_tokens,
        ).model_dump(mode="json")
    elif attempt.user is not None:
        record["instruction"] = attempt.user
    return record
