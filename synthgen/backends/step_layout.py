"""How a decode step lays out its sequences, and why (pure policy; the engine does the calls).

With one KV stream per sequence (`kv_unified=False`, faster for many sequences), llama.cpp
cuts a batch into micro-batches of *consecutive* sequence ids with equal token counts. Each
micro-batch is another pass over the weights, so an idle slot between busy ones splits every
step and makes it markedly slower than the same sequences side by side (measured:
docs/architecture.md, "Measured design notes"). Two remedies, in this order:

- compaction: when a slot frees and nothing waits to take it, the sequence in the highest busy
  slot moves into the lowest free one (its KV stream is copied once, cheaply), so the busy slots
  stay one run of ids and the step gets narrower. On a compute-bound machine a step costs about
  its width, so the end of a run, when slots
  empty one by one, gets cheaper step by step instead of paying for idle slots;
- placeholders: a gap compaction cannot close (the highest busy sequence is still decoding its
  prompt) gets a throwaway token, removed right after the decode.

Steps are not padded to a "kernel-friendly" width: padding made no measurable difference end
to end, even on the machine where a full width looked cheaper (docs/architecture.md).
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
