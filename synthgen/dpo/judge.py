"""The LLM judge: a pointwise rubric per candidate and a pairwise A/B check in both orders.

Both outputs are grammar-constrained JSON whose schema comes from the pydantic models below, so
a reply always has the right shape; the models then validate it again (a reply cut off by the
token limit fails there and is retried). Pointwise scoring follows UltraFeedback's four aspects
on a 1-10 scale with a short rationale before the scores. The pairwise check asks "which is
better, A or B" twice with the two answers swapped: a judge that prefers a position rather than
an answer picks the same letter both times, and such pairs are dropped.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from synthgen.backends.base import Completion, GenerationRequest, Message, SamplingParams
from synthgen.backends.json_grammar import load_reply
from synthgen.text.prompts import PromptSet

ASPECTS = ("helpfulness", "correctness", "instruction_following", "clarity")
RATIONALE_MAX_CHARS = 240
JUDGE_PROMPT_FILES = ["judge_rubric.txt", "judge_pairwise.txt"]


class RubricScores(BaseModel):
    """The judge's pointwise verdict on one response; its schema becomes the grammar."""

    rationale: str = Field(min_length=1, max_length=RATIONALE_MAX_CHARS)
    helpfulness: int = Field(ge=1, le=10)
    correctness: int = Field(ge=1, le=10)
    instruction_following: int = Field(ge=1, le=10)
    clarity: int = Field(ge=1, le=10)

    @property
    def score(self) -> float:
        """The overall score: the mean of the four aspects (1.0-10.0, steps of 0.25)."""
        return sum(getattr(self, a) for a in ASPECTS) / len(ASPECTS)

    def aspects(self) -> dict[str, int]:
        return {a: getattr(self, a) for a in ASPECTS}


class PairwiseVerdict(BaseModel):
    """The judge's answer to "which response is better"; an enum, so it is one of two letters."""

    better: Literal["A", "B"]


RUBRIC_SCHEMA = RubricScores.model_json_schema()
PAIRWISE_SCHEMA = PairwiseVerdict.model_json_schema()


def render_conversation(messages: list[Message]) -> str:
    """The prompt conversation as plain text for the judge ("User: ..." lines)."""
    names = {"system": "System", "user": "User", "assistant": "Assistant"}
    return "\n\n".join(f"{names[m.role]}: {m.content.strip()}" for m in messages)


def rubric_request(
    prompts: PromptSet, conversation: list[Message], response: str, params: SamplingParams, seed: int
) -> GenerationRequest:
    """Ask the judge to score `response` to `conversation` on the rubric, as constrained JSON."""
    text = prompts.render("judge_rubric.txt", conversation=render_conversation(conversation), response=response)
    return GenerationRequest(
        messages=[Message(role="user", content=text)], params=params, json_schema=RUBRIC_SCHEMA, seed=seed
    )


def pairwise_request(
    prompts: PromptSet,
    conversation: list[Message],
    response_a: str,
    response_b: str,
    params: SamplingParams,
    seed: int,
) -> GenerationRequest:
    """Ask the judge which of two responses is better, answering {"better": "A"|"B"}."""
    text = prompts.render(
        "judge_pairwise.txt",
        conversation=render_conversation(conversation),
        response_a=response_a,
        response_b=response_b,
    )
    return GenerationRequest(
        messages=[Message(role="user", content=text)], params=params, json_schema=PAIRWISE_SCHEMA, seed=seed
    )


def parse_rubric(completion: Completion) -> RubricScores | None:
    """The validated scores, or None when the reply failed (error, truncated, invalid)."""
    if completion.finish_reason == "error":
        return None
    try:
        return RubricScores.model_validate(load_reply(completion.text))
    except (ValueError, ValidationError):
        return None


def parse_pairwise(completion: Completion) -> Literal["A", "B"] | None:
    """ "A" or "B", or None when the reply failed."""
    if completion.finish_reason == "error":
        return None
    try:
        return PairwiseVerdict.model_validate(load_reply(completion.text)).better
    except (ValueError, ValidationError):
        return None


def pairwise_outcome(chosen_first: str, chosen_second: str) -> Literal["chosen", "rejected", "disagree"]:
    """Combine the two orders: `chosen_first` answers with chosen shown as A, `chosen_second` as B.

    "chosen" when both orders prefer the chosen answer, "rejected" when both prefer the other
    one, "disagree" when the verdict follows the position (same letter both times).
    """
    first = "chosen" if chosen_first == "A" else "rejected"
    second = "chosen" if chosen_second == "B" else "rejected"
    return first if first == second else "disagree"
