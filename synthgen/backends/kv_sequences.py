"""Which llama.cpp sequence id (KV stream) each request decodes in, and what KV is kept for reuse.

Prefill costs nearly as much per token as generation on a small CPU (~700 prompt tokens/s
against ~500 generated tokens/s at 16 sequences), so KV that already holds a request's opening
tokens is worth reusing:

- the **holder** keeps the chat template's opening (the default system turn), decoded once; a
  new sequence copies it (llama.cpp copies whole KV streams, so the part past the match is cut);
- a finished request's KV is **parked** in its sequence id instead of being cleared. A later
  request that starts with the same tokens decodes straight on in that sequence id, with no copy
  at all. The common case is a Magpie answer: its prompt is the just-finished user turn plus the
  assistant header, so only the few tokens after the user turn are prefilled.

Sequence ids are therefore decoupled from the engine's slots: `parallel` slots decode at once,
up to `park` finished sequences are kept (least recently parked evicted first), and one more id
is the holder.
"""

from __future__ import annotations

from collections import OrderedDict

MIN_REUSE = 8  # shorter matches are not worth a KV copy
PARK_MARGIN = 8  # a parked sequence is taken over only when it covers this many tokens more than the holder


def common_prefix(a: list[int], b: list[int], limit: int) -> int:
    """Length of the common prefix of `a` and `b`, at most `limit`."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if n >= limit or x != y:
            break
        n += 1
    return n


class KvSequences:
    """Hands out sequence ids, reusing KV from the holder or a parked sequence."""

    def __init__(self, lib, parallel: int, park: int):
        self.lib = lib
        self.park = park
        self.holder = parallel + park
        self.n_seq_max = parallel + park + 1
        self.prefix_tokens: list[int] = []
        self.memory = None
        self.free: list[int] = []
        self.parked: OrderedDict[int, list[int]] = OrderedDict()
        self.stats = {"prefix_reused_tokens": 0, "parked_reused_tokens": 0}

    def reset(self, ctx, prefix_tokens: list[int]) -> None:
        """A new context: every id but the holder is free; the holder holds `prefix_tokens`."""
        self.memory = self.lib.llama_get_memory(ctx)
        self.free = list(range(self.holder - 1, -1, -1))
        self.parked.clear()
        self.prefix_tokens = prefix_tokens

    def acquire(self, tokens: list[int]) -> tuple[int, int]:
        """A sequence id for a prompt of `tokens`, and how many of them are already in its KV.

        At least the last prompt token is always left to decode: its logits start generation.
        """
        limit = len(tokens) - 1
        from_holder = common_prefix(self.prefix_tokens, tokens, limit)
        best, best_shared = None, 0
        for seq_id, kept in self.parked.items():
            shared = common_prefix(kept, tokens, limit)
            if shared > best_shared:
                best, best_shared = seq_id, shared
        if best is not None and best_shared >= max(MIN_REUSE, from_holder + PARK_MARGIN):
            kept = self.parked.pop(best)
            if best_shared < len(kept):
                self.lib.llama_memory_seq_rm(self.memory, best, best_shared, -1)
            self.stats["parked_reused_tokens"] += best_shared
            return best, best_shared
        seq_id = self.free.pop() if self.free else self._evict()
        if from_holder < MIN_REUSE:
            return seq_id, 0
        self.lib.llama_memory_seq_cp(self.memory, self.holder, seq_id, -1, -1)
        if from_holder < len(self.prefix_tokens):
            self.lib.llama_memory_seq_rm(self.memory, seq_id, from_holder, -1)
        self.stats["prefix_reused_tokens"] += from_holder
        return seq_id, from_holder

    def release(self, seq_id: int, kv_tokens: list[int] | None) -> None:
        """A sequence is done: park its KV (the tokens it holds, in order) or, if None, clear it."""
        if kv_tokens is None or self.park == 0:
            self._clear(seq_id)
            return
        self.parked[seq_id] = kv_tokens
        if len(self.parked) > self.park:
            self.free.append(self._evict())

    def _evict(self) -> int:
        """Take the least recently parked sequence id back, its KV cleared."""
        seq_id, _ = self.parked.popitem(last=False)
        self.lib.llama_memory_seq_rm(self.memory, seq_id, -1, -1)
        return seq_id

    def _clear(self, seq_id: int) -> None:
        self.lib.llama_memory_seq_rm(self.memory, seq_id, -1, -1)
        self.free.append(seq_id)
