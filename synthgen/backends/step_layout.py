"""Which idle slots a decode step fills with placeholder tokens, and why (pure policy).

With one KV stream per sequence (`kv_unified=False`, 30 % faster for many sequences), llama.cpp
cuts a batch into micro-batches of *consecutive* sequence ids with equal token counts. Each
micro-batch is another pass over the weights: ~10-14 ms on 2 cores, against ~1 ms for one more
token in the same micro-batch. An idle slot between busy ones therefore splits every step: the
narrowing end of a run took 53 ms per step against 30 ms for a full 16-wide one. The engine gives
such a slot a throwaway token and removes its KV right after the decode.

The width of the step matters too. llama.cpp's CPU matrix kernels for Q8_0 weights work on 8 rows
at a time; at 200 tokens of KV per sequence (benchmarks/step_cost.py) a 16-wide step took 30 ms,
9 to 15 wide took 30-38 ms, 8 wide 26 ms against 28 for 7, and 1-6 wide were cheaper than 8.
"""

from __future__ import annotations


def padded_width(width: int) -> int:
    """Sequences a step should carry when `width` consecutive ones are busy: above 6, the next
    multiple of 8 (measured above; a wrong guess costs a few placeholder rows, ~1 ms each)."""
    return -(-width // 8) * 8 if width > 6 else width


def placeholder_slots(busy: list[bool]) -> set[int]:
    """Idle slots to fill: those between busy ones, then enough beside them (above first, else
    below) to reach `padded_width`, so the step is one micro-batch of an efficient width."""
    used = [s for s, b in enumerate(busy) if b]
    if not used:
        return set()
    lo, hi = used[0], used[-1]
    extra = min(len(busy), padded_width(hi - lo + 1)) - (hi - lo + 1)
    up = min(extra, len(busy) - 1 - hi)
    hi, lo = hi + up, lo - (extra - up)
    return {s for s in range(lo, hi + 1) if not busy[s]}
