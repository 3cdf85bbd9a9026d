"""Step 1 of an instruction row: getting the user turn written, by self-instruct or Magpie.

Each writer is a pair of pure functions in the spirit of curator's prompt(row)/parse(row, response):
`request(plan)` builds the backend request, `parse(plan, completion)` returns the user text or a
rejection reason. Keeping them pure is what makes the run loop batchable and testable.
"""

from __future__ import annotations

import json
import random
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from synthgen.backends.base import Completion, GenerationRequest, Message, SamplingParams
from synthgen.backends.json_grammar import load_reply
from synthgen.run.seeds import derive_seed
from synthgen.text.dedup import jaccard, shingles
from synthgen.text.magpie import PreQuery, clean_user_turn
from synthgen.text.prompts import PromptSet
from synthgen.text.taxonomy import TASK_TYPES, TaskType


class WrittenTask(BaseModel):
    """The JSON a model must produce for self-instruct; its schema becomes the grammar."""

    instruction: str = Field(min_length=10, max_length=400)
    input: str = Field(max_length=1200)


WRITTEN_TASK_SCHEMA = WrittenTask.model_json_schema()
COPY_THRESHOLD = 0.5


class Plan(BaseModel):
    """What attempt `index` will try: all of it derived from the attempt's seed alone."""

    index: int
    seed: int
    method: str
    topic: str | None = None
    task: TaskType | None = None


def make_plan(index: int, run_seed: int, method: str, magpie_share: float, topics: list[str]) -> Plan:
    """Deterministic plan for attempt `index`: method (for mix), topic and task type."""
    seed = derive_seed(run_seed, index)
    rng = random.Random(seed)
    if method == "mix":
        method = "magpie" if rng.random() < magpie_share else "self-instruct"
    if method == "magpie":
        return Plan(index=index, seed=seed, method=method)
    return Plan(index=index, seed=seed, method=method, topic=rng.choice(topics), task=rng.choice(TASK_TYPES))


# The templates self_instruct_request reads: SFT and DPO hash and keep exactly these.
SELF_INSTRUCT_FILES = ["self_instruct.txt", "self_instruct_input_rule.txt", "self_instruct_no_input_rule.txt"]


def self_instruct_request(plan: Plan, prompts: PromptSet, params: SamplingParams, retry: int) -> GenerationRequest:
    """Ask the model for one task about plan.topic of plan.task's type, as constrained JSON."""
    task = plan.task
    rule = "self_instruct_input_rule.txt" if task.needs_input else "self_instruct_no_input_rule.txt"
    text = prompts.render(
        "self_instruct.txt",
        topic=plan.topic,
        task_description=task.description,
        input_rule=prompts.text(rule).strip(),
        example_instruction=json.dumps(task.example_instruction),
        example_input=json.dumps(task.example_input),
    )
    return GenerationRequest(
        messages=[Message(role="user", content=text)],
        params=params,
        json_schema=WRITTEN_TASK_SCHEMA,
        seed=plan.seed if retry == 0 else derive_seed(plan.seed, retry, "retry"),
    )


# The rejection reasons meaning the writer gave no user turn at all (the funnel's "parsed" stage in
# the SFT and DPO cards); the other `instruction_*` reasons are gates on a user turn that was read.
NO_USER_TURN = ("instruction_backend_error", "instruction_unparseable", "instruction_truncated")


def parse_self_instruct(plan: Plan, completion: Completion) -> tuple[str | None, str | None]:
    """Return (user turn, None) or (None, reason); "instruction_unparseable" is retried."""
    if completion.finish_reason == "error":
        return None, "instruction_backend_error"
    try:
        task = WrittenTask.model_validate(load_reply(completion.text))
    except (ValueError, ValidationError):
        return None, "instruction_unparseable"
    instruction, passage = task.instruction.strip(), task.input.strip()
    # Small models often copy the one-shot example verbatim; that is a duplicate, not a new task.
    if jaccard(shingles(instruction), shingles(plan.task.example_instruction)) >= COPY_THRESHOLD:
        return None, "instruction_copied_example"
    if plan.task.needs_input:
        if len(passage) < 20:
            return None, "instruction_missing_input"
        return f"{instruction}\n\n{passage}", None
    return instruction, None


def magpie_request(plan: Plan, pre: PreQuery, params: SamplingParams) -> GenerationRequest:
    """Raw completion of the chat template's pre-query prefix: the model writes a user turn."""
    stop = list(dict.fromkeys([*params.stop, pre.end_of_turn]))
    return GenerationRequest(prompt=pre.prefix, params=params.model_copy(update={"stop": stop}), seed=plan.seed)


def parse_magpie(pre: PreQuery, completion: Completion) -> tuple[str | None, str | None]:
    """Return (user turn, None) or (None, reason)."""
    if completion.finish_reason == "error":
        return None, "instruction_backend_error"
    if completion.finish_reason == "length":
        return None, "instruction_truncated"
    return clean_user_turn(completion.text, pre.end_of_turn), None


USER_TURN_RETRIES = 2  # an unparseable written user turn is asked for again this many times


def take_user_turn(attempt: Any, pre: PreQuery | None, completion: Completion) -> tuple[str | None, str | None] | None:
    """(user turn, rejection reason) from an attempt's writer completion, or None to ask again.

    Shared by the SFT and DPO loops: an attempt has a `plan`, a `retry` count, `events` and a
    `user_wanted` flag. Self-instruct JSON that does not parse is asked for again (counted as
    `instruction_parse_retries`) up to USER_TURN_RETRIES times before it counts as a rejection.
    """
    if attempt.plan.method == "magpie":
        user, reason = parse_magpie(pre, completion)
    else:
        user, reason = parse_self_instruct(attempt.plan, completion)
    if reason == "instruction_unparseable" and attempt.retry < USER_TURN_RETRIES:
        attempt.events["instruction_parse_retries"] += 1
        attempt.retry += 1
        attempt.user_wanted = True
        return None
    return user, reason


class WriterSampling(BaseModel):
    """How the user-turn writers sample: one set for every config that writes user turns (SFT, DPO)."""

    instruction_params: SamplingParams = Field(
        default_factory=lambda: SamplingParams(max_tokens=320, temperature=0.9, top_p=0.95)
    )
    magpie_params: SamplingParams = Field(
        default_factory=lambda: SamplingParams(max_tokens=160, temperature=1.0, top_p=1.0, min_p=0.05)
    )
