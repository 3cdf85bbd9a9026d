"""`Verdict`: the outcome of checking one answer, with a reason a trainer can count."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Reason = Literal["correct", "wrong", "unparseable", "too_long", "timeout", "no_answer", "bad_gold"]


class Verdict(BaseModel):
    """score is 1.0 only for reason "correct"; every other reason scores 0.0.

    `detail` is a short human hint (which element failed, which limit was hit) for logs and
    `synthgen verify` reports; code should branch on `reason` only.
    """

    score: float
    reason: Reason
    detail: str = ""

    @classmethod
    def of(cls, reason: Reason, detail: str = "") -> Verdict:
        return cls(score=1.0 if reason == "correct" else 0.0, reason=reason, detail=detail[:200])
