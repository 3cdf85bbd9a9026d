"""The SFT row: TRL conversational `messages` plus provenance columns, and its Arrow schema.

The features are declared, not inferred, so every run writes the same Parquet schema (a column
that is null in the first rows would otherwise be typed `null` and break concatenation across
shards and runs).
"""

from __future__ import annotations

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
