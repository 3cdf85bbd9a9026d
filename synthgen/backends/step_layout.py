"""How a decode step lays out its sequences, and why (pure policy; the engine does the calls).

With one KV stream per sequence (`kv_unified=False`, 30 % faster for many sequences), llama.cpp
cuts a batch into micro-batches of *consecutive* sequence ids with equal token counts. Each
micro-batch is another pass over the weights, so an idle slot between busy ones splits every
step: at 16 slots with 3 gaps a step took 117 ms against 73 ms for the same 13 sequences side by
side (AMD EPYC, AVX2; on an AVX-512 machine the narrowing end of a run took 53 ms per step
against 30 ms for a full one). Two remedies, in this order:

- compaction: when a slot frees and nothing waits to take it, the sequence in the highest busy
  slot moves into the lowest free one (its KV stream is copied, ~3-8 ms once), so the busy slots
  stay one run of ids and the step gets narrower. On a compute-bound machine a step costs about
  its width (AVX2: 12 ms at 1 sequence, 45 at 8, 76 at 16), so the end of a run, when slots
  empty one by one, gets cheaper step by step instead of paying for idle slots;
- placeholders: a gap compaction cannot close (the highest busy sequence is still decoding its
  prompt) gets a throwaway token, removed right after the decode.

Steps are not padded to a "kernel-friendly" width. On an AVX-512 machine 13-15 sequences took
34-38 ms against 30 for 16, but on AVX2 9 sequences took 51 ms against 76 for 16, and padding
made no measurable difference end to end even where it looked cheaper (README, throughput).
"""

from __future__ import annotations


def compaction_moves(busy: list[bool], movable: list[bool]) -> list[tuple[int, int]]:
    """(from, to) slot moves that close the gaps below the highest busy slot.

    The highest busy slot moves into the lowest idle one, again and again, until the busy slots
    are 0..k-1 or the highest busy one may not move (`movable`: its prompt is still decoding).
    Moving any other sequence would not narrow the step, so none is moved.
    """
    busy, movable = list(busy), list(movable)
    moves = []
    while True:
        top = max((s for s, b in enumerate(busy) if b), default=-1)
        hole = next((s for s in range(top) if not busy[s]), None)
        if hole is None or not movable[top]:
            return moves
        moves.append((top, hole))
        busy[hole], movable[hole] = True, movable[top]
        busy[top] = movable[top] = False


def placeholder_slots(busy: list[bool]) -> set[int]:
    """Idle slots between busy ones: each gets a placeholder so the step stays one micro-batch."""
    used = [s for s, b in enumerate(busy) if b]
    if not used:
        return set()
    return {s for s in range(used[0], used[-1] + 1) if not busy[s]}
