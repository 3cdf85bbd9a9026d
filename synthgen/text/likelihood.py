"""Likelihood signals: what a model's token log-probabilities say about an answer to a prompt.

A small model's sampled verdicts ("which answer is better: A or B") are close to coin flips, but
the probabilities it assigns to a given text are a steady signal, and for the failures that
spoil synthetic data they are strong (measured: docs/benchmarks.md, benchmarks/judge_quality.py):

- relevance: pointwise mutual information between prompt and the answer's opening, per token:
  mean over its first tokens (RELEVANCE_CHARS of text) of log P(token | prompt, earlier tokens)
  - log P(token | no prompt, earlier). An answer written for another prompt gains nothing from
  this prompt; a refusal or a stock reply ("I'm ready to assist you") is as likely without the
  prompt as with it. Both show in the opening, so the prompt-free request scores only that
  (on a CPU it would otherwise cost as much as the answer's own scoring).
- fluency: the mean log-probability of the answer's tokens given the prompt. Word salad and
  degenerate text score low.
- completeness: log P(end of turn) right after the answer. An answer cut off mid-thought is
  unlikely to end there.

Each signal needs one scoring request (backends/base.py `score_request`): relevance needs a
second one, the answer's opening after the same chat frame with an empty user turn.
"""

from __future__ import annotations

from pydantic import BaseModel

from synthgen.backends.base import Completion, GenerationRequest, Message, score_request

SIGNALS = ("relevance", "fluency", "completeness")
NO_PROMPT = [Message(role="user", content="")]  # "no prompt": the chat frame with an empty user turn
RELEVANCE_CHARS = 200  # the answer's opening that relevance is measured on (about 50 tokens)
END_FLOOR = -20.0  # completeness when a backend cannot tell (or says -inf): a clear "does not end here"


class Signals(BaseModel):
    """The likelihood signals of one answer (natural logs, per token where it says so)."""

    relevance: float
    fluency: float
    completeness: float
    tokens: int

    def values(self) -> dict[str, float]:
        return {name: round(getattr(self, name), 4) for name in SIGNALS}


def signal_requests(prompt: list[Message], answer: str) -> list[GenerationRequest]:
    """The two scoring requests of one answer: after its prompt, and after no prompt.

    A system turn of the prompt is kept in the unconditional request too, so relevance measures
    what the user turn adds, not what the system turn does.
    """
    system = [m for m in prompt if m.role == "system"][:1]
    return [score_request(answer, messages=prompt), score_request(opening(answer), messages=[*system, *NO_PROMPT])]


def opening(answer: str) -> str:
    """The answer's first RELEVANCE_CHARS characters, cut before a space so the tokens are those of
    the full answer's start (a word-initial token carries its leading space)."""
    if len(answer) <= RELEVANCE_CHARS:
        return answer
    cut = answer.rfind(" ", 0, RELEVANCE_CHARS + 1)
    return answer[: cut if cut > 0 else RELEVANCE_CHARS]


def signals_from(conditional: Completion, unconditional: Completion) -> Signals | None:
    """The answer's signals from its two scoring completions, or None if either failed."""
    if conditional.finish_reason == "error" or unconditional.finish_reason == "error":
        return None
    cond, uncond = conditional.token_logprobs, unconditional.token_logprobs
    if not cond or not uncond or len(uncond) > len(cond):
        return None
    n, m = len(cond), len(uncond)
    end = conditional.end_logprob
    return Signals(
        relevance=(sum(cond[:m]) - sum(uncond)) / m,
        fluency=sum(cond) / n,
        completeness=END_FLOOR if end is None else max(END_FLOOR, end),
        tokens=n,
    )
