"""Inline quality gates: cheap checks that reject a text before it becomes a row.

Each gate returns a short reason string (used as a counter key in the manifest and summary) or
None. They are deliberately conservative: a false rejection only costs a top-up attempt, while a
refusal or a looping answer that slips through teaches the trained model to refuse or loop.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

_REFUSAL = re.compile(
    r"^\s*(i'?m sorry|i am sorry|sorry, (but )?i|i apologi[sz]e|as an ai\b|as a language model|"
    r"i (cannot|can'?t|am unable to|am not able to|won'?t) (help|assist|provide|answer|fulfil|comply|do that)|"
    r"i do not have (access|the ability)|i don'?t have (access|the ability))",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)


class GateLimits(BaseModel):
    """Length bounds in characters, and the repetition threshold."""

    min_chars: int = Field(10, ge=0)
    max_chars: int = Field(4000, ge=1)
    max_repeated_ngram_share: float = Field(
        0.3, gt=0, le=1, description="share of word 4-grams that may be repeats before rejection"
    )


def repetition_share(text: str, n: int = 4) -> float:
    """Share of word n-grams that repeat an earlier n-gram: 0 for fresh text, near 1 for loops."""
    words = [w.lower() for w in _WORD.findall(text)]
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if len(grams) < 8:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def has_repeated_line(text: str, times: int = 3) -> bool:
    """True if one non-trivial line occurs `times` or more: a common small-model loop."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        key = line.strip().lower()
        if len(key) >= 12:
            counts[key] = counts.get(key, 0) + 1
            if counts[key] >= times:
                return True
    return False


def repeats_a_complete_line(partial: str) -> bool:
    """`has_repeated_line` on a text that is still growing: its last, unfinished line is left out,
    so a partial answer is rejected exactly when the final gate would reject it at any length."""
    return "\n" in partial and has_repeated_line(partial[: partial.rindex("\n")])


def is_refusal(text: str) -> bool:
    """True if `text` opens with a refusal; decidable from its first few words, so a partial answer
    that starts this way is rejected already."""
    return bool(_REFUSAL.search(text.strip().replace("\u2019", "'")))  # typographic apostrophes too


def check_text(text: str, limits: GateLimits, prefix: str) -> str | None:
    """Return the rejection reason for `text` (e.g. "instruction_too_short") or None if it passes."""
    stripped = text.strip()
    if not stripped:
        return f"{prefix}_empty"
    if len(stripped) < limits.min_chars:
        return f"{prefix}_too_short"
    if len(stripped) > limits.max_chars:
        return f"{prefix}_too_long"
    if is_refusal(stripped):
        return f"{prefix}_refusal"
    if repetition_share(stripped) > limits.max_repeated_ngram_share or has_repeated_line(stripped):
        return f"{prefix}_repetition"
    return None
