"""In-process llama.cpp backend that decodes many sequences per `llama_decode`.

One context holds `parallel` sequence slots (`n_seq_max`, one KV stream per slot). Requests
stream from a queue into free slots; every step builds one batch with the next token of each
generating slot plus prompt chunks of newly admitted ones, decodes it, and samples each slot
that produced logits with that slot's own sampler chain. A finished slot is refilled in the
next step while the others keep decoding (continuous batching). A freed slot nothing waits for
is closed by moving the highest busy sequence into it, and a gap that cannot be closed gets a
throwaway placeholder token, so each step stays one micro-batch (step_layout.py). This
reaches the machine's native ceiling (llama-batched-bench / llama-server -np N) on 2 cores, about twice the
single-sequence high-level API (shared/reference/llamacpp.md §1, §4).

A finished request's KV stays in its slot, and a few holder sequences keep prompt prefixes many
requests share; a new request goes to the free slot that shares most of its prompt and decodes
only the rest (prefix_cache.py). On 2 cores a prompt token costs nearly as much as a generated
one, so this is throughput: Magpie's answer, for one, decodes ~6 prompt tokens instead of ~35.

Determinism: the same requests in the same order with the same `parallel` give the same tokens.
llama.cpp does not promise identical tokens for different batch compositions or prefill splits
(reused KV equals a prefill split at the same point), so a different `parallel` may change some
outputs.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from synthgen.backends.base import Completion, GenerationRequest, ModelInfo, RequestFeed
from synthgen.backends.llama_model import LlamaModel, quiet_stderr
from synthgen.backends.prefix_cache import PrefixCache
from synthgen.backends.sequence_sampler import SequenceSampler
from synthgen.backends.step_layout import compaction_moves, placeholder_slots
from synthgen.json_grammar import schema_to_gbnf
from synthgen.model_file import file_sha256

CTX_STEP = 512
# Extra sequences keeping shared prompt prefixes (prefix_cache.py); one is the chat prefix. A
# template with a part per task type (self-instruct has 10) needs a holder for each to reuse
# them all, but each holder is a whole KV stream: as many as fit in HOLDER_BUDGET, within bounds.
MIN_HOLDERS, MAX_HOLDERS = 4, 12
HOLDER_BUDGET = 384 * 2**20  # bytes of KV cache for holders: 12 for SmolLM2-135M at 1,280 tokens
PARTIAL_CHECK_EVERY = 8  # generated tokens between calls of the feed's check_partial


@dataclass
class _Sequence:
    index: int
    request: GenerationRequest
    tokens: list[int]
    sampler: SequenceSampler
    prefilled: int = 0
    pending: int | None = None  # sampled token to feed in the next batch
    generated: int = 0
    decoded: list[int] = field(default_factory=list)  # generated tokens whose KV is in the slot
    out: bytearray = field(default_factory=bytearray)
    row: int = -1  # batch row holding this sequence's logits after the last decode
    promote: int = 0  # prompt prefix to copy into a holder once the prompt is decoded


class LlamaBatchedBackend:
    """Batch-first llama.cpp backend: `generate(requests)` decodes up to `parallel` at once."""

    def __init__(
        self,
        model_path: str | Path,
        parallel: int = 16,
        n_threads: int | None = None,
        max_ctx_per_seq: int | None = None,
        n_batch: int = 512,
        verbose: bool = False,
        source_path: str | Path | None = None,
        stream_ctx_per_seq: int = 2048,
        reuse_prefix: bool = True,
        compact: bool = True,
    ):
        self.model = LlamaModel(model_path, verbose=verbose)
        self.lib = self.model.lib
        self.parallel = max(1, parallel)
        self.n_threads = n_threads or os.cpu_count() or 1
        self.max_ctx_per_seq = min(max_ctx_per_seq or self.model.n_ctx_train, self.model.n_ctx_train)
        self.n_batch = n_batch
        self.verbose = verbose
        self.source_path = Path(source_path) if source_path else None
        # A stream's requests are not known up front, so its context is sized by this budget.
        self.stream_ctx_per_seq = stream_ctx_per_seq
        self.ctx = None
        self.memory = None  # the context's KV memory handle (llama_get_memory), set with the context
        self.ctx_per_seq = 0
        self.batch = None
        self._grammars: dict[str, str] = {}
        self._info: ModelInfo | None = None
        self.stats = {
            "decode_calls": 0,
            "grammar_resamples": 0,
            "context_builds": 0,
            "busy_slot_steps": 0,
            "prefix_reused_tokens": 0,
            "holder_promotions": 0,
            "cancelled": 0,
            "aborted": 0,
            "placeholders": 0,  # throwaway tokens keeping busy sequence ids consecutive (_placeholder)
            "moves": 0,  # sequences moved into a lower free slot to narrow the step (_compact)
            "prefilled_tokens": 0,  # prompt tokens decoded (those copied from the shared prefix excluded)
            "generated_tokens": 0,  # every sampled token, including those of dropped requests
        }
        self.reuse_prefix = reuse_prefix
        self.compact = compact
        self.cache = PrefixCache(self.parallel, [], enabled=False)
        self.check_partial = None  # the streaming feed's early-stop check, if it has one

    # ---- context ------------------------------------------------------------------------
    def _ensure_context(self, needed_per_seq: int, step: int = CTX_STEP) -> None:
        """A context with at least `needed_per_seq` tokens per slot, rounded up to `step` (a
        coarse step spares rebuilds when later `generate` calls bring longer requests)."""
        needed = min(self.max_ctx_per_seq, -(-needed_per_seq // step) * step)
        if self.ctx is not None and needed <= self.ctx_per_seq:
            return
        self._free_context()
        lib = self.lib
        params = lib.llama_context_default_params()
        holders = self._holder_count(needed)
        params.n_seq_max = self.parallel + holders
        params.n_ctx = needed * (self.parallel + holders)
        params.n_batch = self.n_batch
        params.n_ubatch = self.n_batch
        params.n_threads = self.n_threads
        params.n_threads_batch = self.n_threads
        params.flash_attn_type = lib.LLAMA_FLASH_ATTN_TYPE_ENABLED
        params.kv_unified = False
        params.no_perf = True
        with quiet_stderr(not self.verbose):
            self.ctx = lib.llama_init_from_model(self.model.model, params)
        if not self.ctx:
            raise RuntimeError(f"llama.cpp could not create a context of {needed} x {self.parallel} tokens")
        self.ctx_per_seq = lib.llama_n_ctx_seq(self.ctx)
        self.memory = lib.llama_get_memory(self.ctx)
        self.batch = lib.llama_batch_init(self.n_batch, 0, 1)
        self.cache = PrefixCache(self.parallel, list(range(self.parallel, self.parallel + holders)), self.reuse_prefix)
        self.stats["context_builds"] += 1
        self._prefill_shared_prefix()

    def _holder_count(self, ctx_per_seq: int) -> int:
        stream = max(1, ctx_per_seq * self.model.kv_bytes_per_token)
        return max(MIN_HOLDERS, min(MAX_HOLDERS, HOLDER_BUDGET // stream)) if self.reuse_prefix else 1

    def _prefill_shared_prefix(self) -> None:
        """Decode the chat template's part before the user message once, into the holder sequence.

        Every chat request starts with it (for SmolLM2 a ~25-token default system turn), so an
        admitted sequence copies its KV from the holder instead of prefilling it again.
        """
        text = self.model.chat_prefix() if self.reuse_prefix else ""
        tokens = self.model.tokenize(text, add_special=self.model.add_bos) if text else []
        if len(tokens) < 8 or len(tokens) >= min(self.ctx_per_seq, self.n_batch):
            return
        holder = self.cache.holders[0].seq
        n = 0
        for k, token in enumerate(tokens):
            n = self._add(self.batch, n, token, k, holder, False)
        self.batch.n_tokens = n
        if self.lib.llama_decode(self.ctx, self.batch) != 0:
            raise RuntimeError("llama_decode failed on the shared prefix")
        self.cache.pin(tokens)

    def _free_context(self) -> None:
        if self.batch is not None:
            self.lib.llama_batch_free(self.batch)
            self.batch = None
        if self.ctx:
            self.lib.llama_free(self.ctx)
            self.ctx = None
            self.memory = None

    def close(self) -> None:
        self._free_context()
        self.model.close()

    # ---- contract -----------------------------------------------------------------------
    def model_info(self) -> ModelInfo:
        if self._info is None:
            m = self.model
            shown = self.source_path or m.path
            self._info = ModelInfo(
                name=shown.name,
                path=str(shown),
                sha256=file_sha256(shown),
                size_bytes=shown.stat().st_size,
                chat_template=m.chat_template,
                bos_token=m.token_text(self.lib.llama_vocab_bos(m.vocab)),
                eos_token=m.token_text(self.lib.llama_vocab_eos(m.vocab)),
                add_bos_token=m.add_bos,
                extra={
                    "backend": "llama-cpp-python (batched, low-level)",
                    "llama_cpp_python": self.lib.__version__,
                    "run_file": m.path.name,
                    "run_file_sha256": file_sha256(m.path),
                    "architecture": m.meta("general.architecture"),
                    "file_type": m.meta("general.file_type"),
                    "parallel": self.parallel,
                    "n_threads": self.n_threads,
                    "flash_attn": True,
                    # memory the KV cache takes for a stream: grows with parallel (README, --parallel)
                    "kv_cache_mib": round(
                        (self.parallel + self._holder_count(self.stream_ctx_per_seq))
                        * self.stream_ctx_per_seq
                        * m.kv_bytes_per_token
                        / 2**20
                    ),
                },
            )
        return self._info

    def _prompt_tokens(self, request: GenerationRequest) -> list[int]:
        if request.messages is not None:
            text = self.model.render_chat([m.model_dump() for m in request.messages])
        else:
            text = request.prompt
        return self.model.tokenize(text, add_special=self.model.add_bos)

    def _grammar(self, schema: dict) -> str:
        key = repr(sorted(schema.items()))
        if key not in self._grammars:
            self._grammars[key] = schema_to_gbnf(schema)
        return self._grammars[key]

    def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        results: list[Completion | None] = [None] * len(requests)
        prepared = [(i, request, self._prompt_tokens(request)) for i, request in enumerate(requests)]
        longest = max((len(t) + r.params.max_tokens for _, r, t in prepared), default=1)
        self._ensure_context(longest)
        queue = deque(prepared)

        def done(key: int, completion: Completion) -> None:
            results[key] = completion

        self._run(lambda: queue.popleft() if queue else None, done)
        return results  # type: ignore[return-value]

    def stream(self, feed: RequestFeed) -> None:
        """Decode requests as `feed` makes them ready, refilling each slot the moment it frees."""
        self._ensure_context(self.stream_ctx_per_seq, step=256)

        def next_item():
            item = feed.next_request()
            if item is None:
                return None
            key, request = item
            return key, request, self._prompt_tokens(request)

        self.check_partial = getattr(feed, "check_partial", None)
        try:
            self._run(next_item, feed.done, getattr(feed, "wanted", None))
        finally:
            self.check_partial = None

    # ---- the decode loop ----------------------------------------------------------------
    def _reuse_kv(self, slot: int, tokens: list[int]) -> tuple[int, int]:
        """Start the slot's KV from the best reusable prefix (prefix_cache.py).

        Returns (prompt tokens that need no decoding, prefix to promote into a holder).
        """
        reuse = self.cache.plan(slot, tokens)
        if reuse.source is not None:
            self.lib.llama_memory_seq_cp(self.memory, reuse.source, slot, -1, -1)
        self.lib.llama_memory_seq_rm(self.memory, slot, reuse.keep, -1)
        self.stats["prefix_reused_tokens"] += reuse.keep
        return reuse.keep, reuse.promote

    def _promote(self, seq: _Sequence, slot: int) -> None:
        """Copy a just-decoded prompt's repeated prefix into a holder for later requests."""
        holder = self.cache.promote(seq.tokens[: seq.promote])
        seq.promote = 0
        if holder is not None:
            self.lib.llama_memory_seq_cp(self.memory, slot, holder.seq, -1, -1)
            self.lib.llama_memory_seq_rm(self.memory, holder.seq, len(holder.tokens), -1)
            self.stats["holder_promotions"] += 1

    def _admit(self, item, done, slot: int) -> _Sequence | None:
        key, request, tokens = item
        if not tokens:
            done(key, Completion(finish_reason="error", error="empty prompt"))
            return None
        if len(tokens) >= self.ctx_per_seq:
            error = f"prompt of {len(tokens)} tokens exceeds the context of {self.ctx_per_seq} tokens per sequence"
            done(key, Completion(finish_reason="error", prompt_tokens=len(tokens), error=error))
            return None
        grammar = self._grammar(request.json_schema) if request.json_schema else None
        sampler = SequenceSampler(self.lib, self.model, request.params, request.seed, grammar)
        seq = _Sequence(index=key, request=request, tokens=tokens, sampler=sampler)
        seq.prefilled, seq.promote = self._reuse_kv(slot, tokens)
        return seq

    def _release(self, slots: list[_Sequence | None], s: int) -> None:
        """Free slot `s`, remembering which tokens' KV it keeps for the next request."""
        seq = slots[s]
        seq.sampler.close()
        self.cache.released(s, seq.tokens[: seq.prefilled] + seq.decoded)
        slots[s] = None

    def _run(self, next_item, done, wanted=None) -> None:
        lib, batch = self.lib, self.batch
        slots: list[_Sequence | None] = [None] * self.parallel
        while True:
            free = [s for s in range(self.parallel) if slots[s] is None]
            while free:
                item = next_item()
                if item is None:
                    break
                s = self.cache.best_slot(free, item[2])
                slots[s] = self._admit(item, done, s)
                if slots[s] is not None:
                    free.remove(s)
            if not any(slots):
                return
            if free and self.compact:
                self._compact(slots)
            n = 0
            # One pass in slot order: a generating slot adds its next token (logits on), an admitted
            # one a prompt chunk as far as the batch has room. With one KV stream per sequence,
            # llama.cpp cuts a batch into micro-batches of consecutive sequence ids with equal
            # token counts, so slot order keeps the generating tokens in one micro-batch, and an
            # idle slot between busy ones (or beside them, for an efficient width) gets a
            # placeholder token (step_layout.py). Room for the tokens of later slots is kept
            # free of prompt chunks.
            fill = placeholder_slots([seq is not None for seq in slots])
            reserved = sum(seq is not None and seq.pending is not None for seq in slots) + len(fill)
            placeholders = []
            for s, seq in enumerate(slots):
                if seq is None:
                    if s in fill:
                        n = self._placeholder(s, n, placeholders)
                        reserved -= 1
                    continue
                if seq.pending is not None:
                    n = self._add(batch, n, seq.pending, len(seq.tokens) + seq.generated - 1, s, True)
                    seq.decoded.append(seq.pending)
                    seq.row = n - 1
                    seq.pending = None
                    reserved -= 1
                elif seq.prefilled < len(seq.tokens) and n + reserved < self.n_batch:
                    n = self._add_prompt_chunk(seq, s, n, self.n_batch - reserved)
            batch.n_tokens = n
            if lib.llama_decode(self.ctx, batch) != 0:
                raise RuntimeError("llama_decode failed")
            for s, pos in placeholders:
                lib.llama_memory_seq_rm(self.memory, s, pos, -1)
            self.stats["decode_calls"] += 1
            self.cache.settled()
            self.stats["busy_slot_steps"] += sum(seq is not None for seq in slots)
            for s, seq in enumerate(slots):
                if seq is None or seq.row < 0:
                    continue
                row, seq.row = seq.row, -1
                if seq.promote and seq.prefilled == len(seq.tokens):
                    self._promote(seq, s)
                completion = self._step(seq, row)
                if completion is not None:
                    self.stats["grammar_resamples"] += seq.sampler.resamples
                    self._release(slots, s)
                    done(seq.index, completion)
            if wanted is not None:
                self._drop_unwanted(slots, wanted)

    def _compact(self, slots: list[_Sequence | None]) -> None:
        """Move the highest busy sequences into lower free slots (step_layout.py says why).

        The KV stream is copied (llama.cpp performs the copy at the start of the next decode,
        before that decode's tokens are placed), and the sampler, which holds the sequence's
        state, moves with it. The old slot keeps its copy of the KV for prefix reuse.
        """
        busy = [seq is not None for seq in slots]
        movable = [seq is not None and seq.pending is not None and seq.prefilled == len(seq.tokens) for seq in slots]
        for src, dst in compaction_moves(busy, movable):
            seq = slots[src]
            self.lib.llama_memory_seq_cp(self.memory, src, dst, -1, -1)
            slots[dst], slots[src] = seq, None
            self.cache.released(src, seq.tokens[: seq.prefilled] + seq.decoded)
            self.stats["moves"] += 1

    def _placeholder(self, s: int, n: int, placeholders: list[tuple[int, int]]) -> int:
        """Add a throwaway token for idle slot `s`, removed again right after the decode
        (step_layout.py says why). The slot's kept KV is untouched: the placeholder sits after it."""
        pos = self.lib.llama_memory_seq_pos_max(self.memory, s) + 1
        if pos >= self.ctx_per_seq - 1:  # no room after the kept KV: give it up
            self.lib.llama_memory_seq_rm(self.memory, s, 0, -1)
            self.cache.released(s, [])
            pos = 0
        placeholders.append((s, pos))
        self.stats["placeholders"] += 1
        return self._add(self.batch, n, 0, pos, s, False)

    def _drop_unwanted(self, slots: list[_Sequence | None], wanted) -> None:
        """Free the slots of requests the feed no longer wants (e.g. the run already has its n rows).

        Without this a finished run would keep decoding its discarded requests to their end.
        """
        for s, seq in enumerate(slots):
            if seq is not None and not wanted(seq.index):
                self._release(slots, s)
                self.stats["cancelled"] += 1

    def _add_prompt_chunk(self, seq: _Sequence, s: int, n: int, limit: int) -> int:
        """Add as much of the prompt as fits below batch position `limit`."""
        take = min(len(seq.tokens) - seq.prefilled, limit - n)
        for k in range(seq.prefilled, seq.prefilled + take):
            last = k == len(seq.tokens) - 1
            n = self._add(self.batch, n, seq.tokens[k], k, s, last)
            if last:
                seq.row = n - 1
        seq.prefilled += take
        self.stats["prefilled_tokens"] += take
        return n

    @staticmethod
    def _add(batch, n: int, token: int, pos: int, seq_id: int, logits: bool) -> int:
        batch.token[n] = token
        batch.pos[n] = pos
        batch.n_seq_id[n] = 1
        batch.seq_id[n][0] = seq_id
        batch.logits[n] = logits
        return n + 1

    def _step(self, seq: _Sequence, row: int) -> Completion | None:
        """Sample one token for `seq`; return its Completion if it has finished."""
        token = seq.sampler.sample(self.ctx, row)
        params = seq.request.params
        if self.model.is_eog(token):
            return self._finish(seq, "stop")
        seq.generated += 1
        self.stats["generated_tokens"] += 1
        seq.out += self.model.piece(token)
        if params.stop:
            text = seq.out.decode("utf-8", "ignore")
            cut = min((text.find(s) for s in params.stop if s and s in text), default=-1)
            if cut >= 0:
                return self._finish(seq, "stop", text[:cut])
        if seq.generated >= params.max_tokens or len(seq.tokens) + seq.generated >= self.ctx_per_seq:
            return self._finish(seq, "length")
        if self.check_partial is not None and seq.generated % PARTIAL_CHECK_EVERY == 0:
            reason = self.check_partial(seq.index, seq.out.decode("utf-8", "ignore"))
            if reason is not None:
                self.stats["aborted"] += 1
                completion = self._finish(seq, "aborted")
                completion.error = reason
                return completion
        seq.pending = token
        return None

    @staticmethod
    def _finish(seq: _Sequence, reason: str, text: str | None = None) -> Completion:
        return Completion(
            text=text if text is not None else seq.out.decode("utf-8", "replace"),
            prompt_tokens=len(seq.tokens),
            completion_tokens=seq.generated,
            finish_reason=reason,
        )
