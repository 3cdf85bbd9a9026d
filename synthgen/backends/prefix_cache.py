"""Which KV a newly admitted request can reuse instead of decoding its prompt again.

On a CPU a prompt token costs nearly as much as a generated one (the work is the matmuls,
whatever the batch; figures in docs/benchmarks.md), so every prompt token not decoded is
throughput. Two sources of reuse, both exact token prefixes:

- a slot's own KV: a finished request's KV stays in its slot, so a request that continues it
  (Magpie's answer starts with the user turn that slot just wrote) decodes only what follows;
- holder sequences: extra sequences that keep prompt prefixes many requests share. One is
  pinned to the chat template's part before the user message; the others are learned: when a
  prompt repeats a recent prompt's prefix well beyond anything cached (a template's fixed part),
  its KV is copied into the least recently used holder once its prompt is decoded.

This class only decides; the engine does the llama.cpp calls. With one KV stream per sequence
llama.cpp copies whole streams between sequences, so a copy is worth it only when it saves
more prompt tokens than `COPY_WORTH` over trimming the slot's own KV.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

COPY_WORTH = 8  # prompt tokens a holder must save over the slot's own KV to be copied in
PROMOTE_GAIN = 16  # extra shared tokens that make a repeated prefix worth a holder
RECENT = 32  # recent prompts searched for repeated prefixes


def common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    return k


@dataclass
class Holder:
    seq: int
    tokens: list[int] = field(default_factory=list)
    pinned: bool = False
    ready: bool = True  # False until the decode that performs its pending copy has run
    last_used: int = 0


@dataclass
class Reuse:
    """How to start a request's KV in its slot: copy `source` (a holder) first if set, keep `keep`."""

    source: int | None
    keep: int
    promote: int = 0  # prompt prefix length to copy into a holder once the prompt is decoded


class PrefixCache:
    def __init__(self, slots: int, holder_seqs: list[int], enabled: bool = True):
        self.enabled = enabled
        self.history: list[list[int]] = [[] for _ in range(slots)]
        self.holders = [Holder(seq) for seq in holder_seqs]
        self.recent: deque[list[int]] = deque(maxlen=RECENT)
        self.clock = 0

    def pin(self, tokens: list[int]) -> Holder:
        """Give the first holder fixed contents (the chat prefix) that are never evicted."""
        holder = self.holders[0]
        holder.tokens, holder.pinned = tokens, True
        return holder

    def best_slot(self, free: list[int], tokens: list[int]) -> int:
        """The free slot whose kept KV shares the longest prefix with `tokens` (lowest on ties)."""
        return max(free, key=lambda s: (common_prefix(self.history[s], tokens), -s))

    def plan(self, slot: int, tokens: list[int], decode_from: int | None = None) -> Reuse:
        """Decide the reuse for `tokens` admitted into `slot`; at least one prompt token is decoded,
        and every token from `decode_from` on (a scoring request needs their logits)."""
        if not self.enabled:
            self.history[slot] = []
            return Reuse(None, 0)
        self.clock += 1
        limit = len(tokens) - 1 if decode_from is None else min(len(tokens) - 1, decode_from)
        own = min(common_prefix(self.history[slot], tokens), limit)
        best, shared = None, 0
        for holder in self.holders:
            if holder.ready and holder.tokens:
                length = min(common_prefix(holder.tokens, tokens), limit)
                if length > shared:
                    best, shared = holder, length
        if best is not None and shared >= own + COPY_WORTH:
            best.last_used = self.clock
            reuse = Reuse(best.seq, shared)
        else:
            reuse = Reuse(None, own)
        repeated = max((min(common_prefix(r, tokens), limit) for r in self.recent), default=0)
        if repeated >= max(own, shared) + PROMOTE_GAIN:
            reuse.promote = repeated
        self.recent.append(tokens)
        self.history[slot] = tokens[: reuse.keep]
        return reuse

    def released(self, slot: int, kept: list[int]) -> None:
        """A slot's request ended; `kept` are the tokens whose KV the slot still holds."""
        self.history[slot] = kept if self.enabled else []

    def promote(self, tokens: list[int]) -> Holder | None:
        """Choose the holder that will receive `tokens` (a repeated prefix): the least recently used.

        Skipped when a holder already starts with the same prefix.
        """
        if any(h.tokens[: len(tokens)] == tokens for h in self.holders if len(h.tokens) >= len(tokens)):
            return None
        free = [h for h in self.holders if not h.pinned]
        if not free:
            return None
        holder = min(free, key=lambda h: h.last_used)
        self.clock += 1
        holder.tokens, holder.ready, holder.last_used = tokens, False, self.clock
        return holder

    def settled(self) -> None:
        """A decode ran, so every copy queued before it has been performed."""
        for holder in self.holders:
            holder.ready = True
