"""The batched engine's decode loop: slots, one `llama_decode` per step, continuous refill.

Every step builds one batch with the next token of each generating slot plus prompt chunks of
newly admitted ones, decodes it, and samples each slot that produced logits with that slot's own
sampler chain. A finished slot is refilled in the next step while the others keep decoding. A
freed slot nothing waits for is closed by moving the highest busy sequence into it, and a gap
that cannot be closed gets a throwaway placeholder token, so each step stays one micro-batch
(step_layout.py). The context, its KV streams and the prefix cache belong to the backend
(llama_batched.py); this loop only schedules requests onto them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from synthgen.backends.base import Completion, GenerationRequest
from synthgen.backends.sequence_sampler import SequenceSampler
from synthgen.backends.step_layout import compaction_moves, placeholder_slots
from synthgen.backends.token_logprobs import ScoreState

PARTIAL_CHECK_EVERY = 8  # generated tokens between calls of the feed's check_partial


@dataclass
class SlotSequence:
    """One request decoding in a slot."""

    index: object  # the caller's key for the request
    request: GenerationRequest
    tokens: list[int]
    sampler: SequenceSampler | None  # None for a scoring request, which samples nothing
    prefilled: int = 0
    pending: int | None = None  # sampled token to feed in the next batch
    generated: int = 0
    decoded: list[int] = field(default_factory=list)  # generated tokens whose KV is in the slot
    out: bytearray = field(default_factory=bytearray)
    row: int = -1  # batch row holding this sequence's logits after the last decode
    promote: int = 0  # prompt prefix to copy into a holder once the prompt is decoded
    score: ScoreState | None = None  # set for a scoring request

    def kv_tokens(self) -> list[int]:
        """The tokens whose KV the slot holds: the decoded prompt and the fed-back samples."""
        return self.tokens[: self.prefilled] + self.decoded


class DecodeLoop:
    """Runs requests from `next_item` through the backend's slots until none are left.

    `next_item()` returns (key, request, prompt tokens) or None; `done(key, completion)` gets
    each result; `wanted(key)`, if given, lets the caller drop requests it no longer needs;
    `check_partial(key, text)` may stop a request early; `deliver_signals()` runs after each step.
    """

    def __init__(self, engine, next_item, done, wanted=None, check_partial=None, deliver_signals=None):
        self.engine = engine
        # acts on a Ctrl-C/SIGTERM recorded during the step (deferred_signals.py says why)
        self.deliver_signals = deliver_signals or (lambda: None)
        self.lib, self.batch, self.memory = engine.lib, engine.batch, engine.memory
        self.cache, self.stats = engine.cache, engine.stats
        self.next_item, self.done, self.wanted = next_item, done, wanted
        self.check_partial = check_partial
        self.slots: list[SlotSequence | None] = [None] * engine.parallel

    def run(self) -> None:
        engine, lib, batch, slots = self.engine, self.lib, self.batch, self.slots
        while True:
            free = [s for s in range(engine.parallel) if slots[s] is None]
            while free:
                item = self.next_item()
                if item is None:
                    break
                s = self.cache.best_slot(free, item[2])
                slots[s] = self._admit(item, s)
                if slots[s] is not None:
                    free.remove(s)
            if not any(slots):
                return
            if free and engine.compact:
                self._compact()
            n, prompts, placeholders = self._fill_batch()
            batch.n_tokens = n
            started = time.perf_counter()
            if lib.llama_decode(engine.ctx, batch) != 0:
                self.deliver_signals()  # a decode aborted for a Ctrl-C/SIGTERM (llama_batched.py): it acts here
                raise RuntimeError("llama_decode failed")
            self._time_step(time.perf_counter() - started, prompts, n)
            for s, pos in placeholders:
                lib.llama_memory_seq_rm(self.memory, s, pos, -1)
            self.cache.settled()
            self.stats["busy_slot_steps"] += sum(seq is not None for seq in slots)
            self._sample_all()
            if self.wanted is not None:
                self._drop_unwanted()
            self.deliver_signals()

    def _fill_batch(self) -> tuple[int, int, list[tuple[int, int]]]:
        """One pass in slot order: a generating slot adds its next token (logits on), an admitted
        one a prompt chunk as far as the batch has room. Returns (tokens, prompt chunks,
        placeholders to remove after the decode).

        With one KV stream per sequence, llama.cpp cuts a batch into micro-batches of consecutive
        sequence ids with equal token counts, so slot order keeps the generating tokens in one
        micro-batch, and an idle slot between busy ones gets a placeholder token
        (step_layout.py). Room for the tokens of later slots is kept free of prompt chunks.
        """
        slots, n_batch = self.slots, self.engine.n_batch
        fill = placeholder_slots([seq is not None for seq in slots])
        reserved = sum(seq is not None and seq.pending is not None for seq in slots) + len(fill)
        n, prompts, placeholders = 0, 0, []
        for s, seq in enumerate(slots):
            if seq is None:
                if s in fill:
                    n = self._placeholder(s, n, placeholders)
                    reserved -= 1
                continue
            if seq.pending is not None:
                n = add_token(self.batch, n, seq.pending, len(seq.tokens) + seq.generated - 1, s, True)
                seq.decoded.append(seq.pending)
                seq.row = n - 1
                seq.pending = None
                reserved -= 1
            elif seq.prefilled < len(seq.tokens) and n + reserved < n_batch:
                n = self._add_prompt_chunk(seq, s, n, n_batch - reserved)
                prompts += 1
        return n, prompts, placeholders

    def _time_step(self, seconds: float, prompts: int, tokens: int) -> None:
        """Account a decode's time, apart for steps carrying prompt chunks: with the run's wall
        time this says where an end-to-end run's time goes, and the cost per token of the
        generation-only steps compares with a raw decode's (benchmarks/throughput.py)."""
        self.stats["decode_calls"] += 1
        self.stats["decoded_tokens"] += tokens
        self.stats["decode_seconds"] += seconds
        if prompts:
            self.stats["prompt_steps"] += 1
            self.stats["prompt_step_seconds"] += seconds
        else:
            self.stats["generation_step_tokens"] += tokens

    def _sample_all(self) -> None:
        for s, seq in enumerate(self.slots):
            if seq is not None and seq.score is not None:
                self._read_scores(seq, s)
                continue
            if seq is None or seq.row < 0:
                continue
            row, seq.row = seq.row, -1
            if seq.promote and seq.prefilled == len(seq.tokens):
                self._promote(seq, s)
            completion = self._step(seq, row)
            if completion is not None:
                self.stats["grammar_resamples"] += seq.sampler.resamples
                self._release(s)
                self.done(seq.index, completion)

    def _read_scores(self, seq: SlotSequence, s: int) -> None:
        """Read a scoring sequence's log-probabilities from this step; finish it once all are read."""
        engine = self.engine
        self.stats["scored_tokens"] += seq.score.read(
            self.lib, engine.ctx, seq.tokens, engine.model.n_vocab, engine.model.end_tokens
        )
        seq.row = -1
        if seq.prefilled < len(seq.tokens):
            return
        if seq.promote:
            self._promote(seq, s)
        self._release(s)
        self.done(
            seq.index,
            Completion(
                text=seq.request.continuation or "",
                prompt_tokens=len(seq.tokens),
                token_logprobs=seq.score.logprobs,
                end_logprob=seq.score.end_logprob,
            ),
        )

    # ---- slots --------------------------------------------------------------------------
    def _admit(self, item, slot: int) -> SlotSequence | None:
        key, request, tokens = item
        engine = self.engine
        start = len(tokens) - len(engine.continuation_tokens(request)) if request.scoring else len(tokens)
        if not tokens or start < 1:
            self.done(key, Completion(finish_reason="error", error="empty prompt"))
            return None
        if len(tokens) >= engine.ctx_per_seq:
            error = f"prompt of {len(tokens)} tokens exceeds the context of {engine.ctx_per_seq} tokens per sequence"
            self.done(key, Completion(finish_reason="error", prompt_tokens=len(tokens), error=error))
            return None
        if request.scoring:
            seq = SlotSequence(index=key, request=request, tokens=tokens, sampler=None, score=ScoreState(start))
            seq.prefilled, seq.promote = self._reuse_kv(slot, tokens, decode_from=start - 1)
            return seq
        grammar = engine.grammar(request.json_schema) if request.json_schema else None
        sampler = SequenceSampler(self.lib, engine.model, request.params, request.seed, grammar)
        seq = SlotSequence(index=key, request=request, tokens=tokens, sampler=sampler)
        seq.prefilled, seq.promote = self._reuse_kv(slot, tokens)
        return seq

    def _reuse_kv(self, slot: int, tokens: list[int], decode_from: int | None = None) -> tuple[int, int]:
        """Start the slot's KV from the best reusable prefix (prefix_cache.py).

        Returns (prompt tokens that need no decoding, prefix to promote into a holder).
        """
        reuse = self.cache.plan(slot, tokens, decode_from)
        if reuse.source is not None:
            self.lib.llama_memory_seq_cp(self.memory, reuse.source, slot, -1, -1)
        self.lib.llama_memory_seq_rm(self.memory, slot, reuse.keep, -1)
        self.stats["prefix_reused_tokens"] += reuse.keep
        return reuse.keep, reuse.promote

    def _promote(self, seq: SlotSequence, slot: int) -> None:
        """Copy a just-decoded prompt's repeated prefix into a holder for later requests."""
        holder = self.cache.promote(seq.tokens[: seq.promote])
        seq.promote = 0
        if holder is not None:
            self.lib.llama_memory_seq_cp(self.memory, slot, holder.seq, -1, -1)
            self.lib.llama_memory_seq_rm(self.memory, holder.seq, len(holder.tokens), -1)
            self.stats["holder_promotions"] += 1

    def _release(self, s: int) -> None:
        """Free slot `s`, remembering which tokens' KV it keeps for the next request."""
        seq = self.slots[s]
        if seq.sampler is not None:
            seq.sampler.close()
        self.cache.released(s, seq.kv_tokens())
        self.slots[s] = None

    def _compact(self) -> None:
        """Move the highest busy sequences into lower free slots (step_layout.py says why).

        The KV stream is copied (llama.cpp performs the copy at the start of the next decode,
        before that decode's tokens are placed), and the sampler, which holds the sequence's
        state, moves with it. The old slot keeps its copy of the KV for prefix reuse.
        """
        slots = self.slots
        busy = [seq is not None for seq in slots]
        movable = [seq is not None and seq.pending is not None and seq.prefilled == len(seq.tokens) for seq in slots]
        for src, dst in compaction_moves(busy, movable):
            seq = slots[src]
            self.lib.llama_memory_seq_cp(self.memory, src, dst, -1, -1)
            slots[dst], slots[src] = seq, None
            self.cache.released(src, seq.kv_tokens())
            self.stats["moves"] += 1

    def _placeholder(self, s: int, n: int, placeholders: list[tuple[int, int]]) -> int:
        """Add a throwaway token for idle slot `s`, removed again right after the decode
        (step_layout.py says why). The slot's kept KV is untouched: the placeholder sits after it."""
        pos = self.lib.llama_memory_seq_pos_max(self.memory, s) + 1
        if pos >= self.engine.ctx_per_seq - 1:  # no room after the kept KV: give it up
            self.lib.llama_memory_seq_rm(self.memory, s, 0, -1)
            self.cache.released(s, [])
            pos = 0
        placeholders.append((s, pos))
        self.stats["placeholders"] += 1
        return add_token(self.batch, n, 0, pos, s, False)

    def _drop_unwanted(self) -> None:
        """Free the slots of requests the feed no longer wants (e.g. the run already has its n rows).

        Without this a finished run would keep decoding its discarded requests to their end.
        """
        for s, seq in enumerate(self.slots):
            if seq is not None and not self.wanted(seq.index):
                self._release(s)
                self.stats["cancelled"] += 1

    # ---- tokens -------------------------------------------------------------------------
    def _add_prompt_chunk(self, seq: SlotSequence, s: int, n: int, limit: int) -> int:
        """Add as much of the prompt as fits below batch position `limit`."""
        take = min(len(seq.tokens) - seq.prefilled, limit - n)
        for k in range(seq.prefilled, seq.prefilled + take):
            last = k == len(seq.tokens) - 1
            scored = seq.score is not None and seq.score.wants_logits(k)
            n = add_token(self.batch, n, seq.tokens[k], k, s, last or scored)
            if scored:
                seq.score.rows.append((k, n - 1))
            if last:
                seq.row = n - 1
        seq.prefilled += take
        self.stats["prefilled_tokens"] += take
        return n

    def _step(self, seq: SlotSequence, row: int) -> Completion | None:
        """Sample one token for `seq`; return its Completion if it has finished."""
        engine = self.engine
        token = seq.sampler.sample(engine.ctx, row)
        params = seq.request.params
        if engine.model.is_eog(token):
            return _finish(seq, "stop")
        seq.generated += 1
        self.stats["generated_tokens"] += 1
        seq.out += engine.model.piece(token)
        if params.stop:
            text = seq.out.decode("utf-8", "ignore")
            cut = min((text.find(s) for s in params.stop if s and s in text), default=-1)
            if cut >= 0:
                return _finish(seq, "stop", text[:cut])
        if seq.generated >= params.max_tokens or len(seq.tokens) + seq.generated >= engine.ctx_per_seq:
            return _finish(seq, "length")
        if self.check_partial is not None and seq.generated % PARTIAL_CHECK_EVERY == 0:
            reason = self.check_partial(seq.index, seq.out.decode("utf-8", "ignore"))
            if reason is not None:
                self.stats["aborted"] += 1
                completion = _finish(seq, "aborted")
                completion.error = reason
                return completion
        seq.pending = token
        return None


def add_token(batch, n: int, token: int, pos: int, seq_id: int, logits: bool) -> int:
    batch.token[n] = token
    batch.pos[n] = pos
    batch.n_seq_id[n] = 1
    batch.seq_id[n][0] = seq_id
    batch.logits[n] = logits
    return n + 1


def _finish(seq: SlotSequence, reason: str, text: str | None = None) -> Completion:
    return Completion(
        text=text if text is not None else seq.out.decode("utf-8", "replace"),
        prompt_tokens=len(seq.tokens),
        completion_tokens=seq.generated,
        finish_reason=reason,
    )
