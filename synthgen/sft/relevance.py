"""`--min-relevance`: reject answers that the instruction does not make more likely.

The gates in text/gates.py catch the non-answers that have a shape ("How can I help you
today?"); an answer written past the question, or a stock reply worded in a new way, has none.
Its likelihood relevance does show it (text/likelihood.py): how much more likely the model finds
the answer's opening after this user turn than after an empty one, per token. The check costs
two prefills of the answer (no sampling), sent through the same feed as every other request, so
it is off unless asked for.
"""

from __future__ import annotations

from synthgen.backends.base import Completion, GenerationRequest, Message
from synthgen.text.likelihood import signal_requests, signals_from

LOW_RELEVANCE = "response_low_relevance"
SCORING_FAILED = "response_scoring_failed"  # the backend returned no log-probabilities for it


class RelevanceGate:
    """The two scoring requests of an answer, and the verdict on their completions."""

    def __init__(self, threshold: float):
        self.threshold = threshold

    def request(self, messages: list[Message], answer: str, part: int) -> GenerationRequest:
        """Scoring request `part` of `answer`: 0 after its prompt, 1 after an empty user turn."""
        return signal_requests(messages, answer)[part]

    def decide(self, conditional: Completion, unconditional: Completion) -> tuple[float | None, str | None]:
        """(the answer's relevance, rounded as journaled; the rejection reason or None)."""
        signals = signals_from(conditional, unconditional)
        if signals is None:
            return None, SCORING_FAILED
        relevance = round(signals.relevance, 4)
        return relevance, LOW_RELEVANCE if relevance < self.threshold else None
