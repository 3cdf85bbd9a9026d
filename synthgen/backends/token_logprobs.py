"""Reading log-probabilities from a decode's logits, for scoring requests.

A scoring request (backends/base.py `score_request`) decodes prompt + continuation in one
prefill with logits on from the last prompt token; row k's logits predict token k + 1, and the
last row's give the probability of ending the turn right after the continuation. Nothing is
sampled, so the values depend only on the tokens (and llama.cpp's batch arithmetic).
"""

from __future__ import annotations

import numpy as np


def log_normalizer(logits: np.ndarray) -> float:
    """log(sum(exp(logits))), computed stably; float32 arithmetic with a float64 sum."""
    top = logits.max()
    return float(top) + float(np.log(np.exp(logits - top).sum(dtype=np.float64)))


def row_logprob(lib, ctx, row: int, n_vocab: int, tokens: list[int]) -> list[float]:
    """log P(token) of each of `tokens` under batch row `row`'s logits (read in place, not copied)."""
    logits = np.ctypeslib.as_array(lib.llama_get_logits_ith(ctx, row), shape=(n_vocab,))
    norm = log_normalizer(logits)
    return [float(logits[t]) - norm for t in tokens]


class ScoreState:
    """What a scoring sequence has read so far: one log-probability per continuation token."""

    def __init__(self, start: int):
        self.start = start  # index of the first continuation token in the sequence's tokens
        self.rows: list[tuple[int, int]] = []  # (token position, batch row) with logits this step
        self.logprobs: list[float] = []
        self.end_logprob: float | None = None

    def wants_logits(self, position: int) -> bool:
        return position >= self.start - 1

    def read(self, lib, ctx, tokens: list[int], n_vocab: int, end_tokens: list[int]) -> int:
        """Read the rows decoded this step; returns how many continuation tokens were scored."""
        scored = 0
        for position, row in self.rows:
            if position + 1 < len(tokens):
                self.logprobs += row_logprob(lib, ctx, row, n_vocab, [tokens[position + 1]])
                scored += 1
            elif end_tokens:
                ends = row_logprob(lib, ctx, row, n_vocab, end_tokens)
                self.end_logprob = float(np.logaddexp.reduce(ends))
        self.rows.clear()
        return scored
