"""In-process llama.cpp backend that decodes many sequences per `llama_decode`.

One context holds `parallel` sequence slots (`n_seq_max`, one KV stream per slot). Requests
stream from a queue into free slots, and each step decodes the next token of every generating
slot together with the prompt chunks of newly admitted ones (continuous batching; the loop
itself is decode_loop.py). This aims at the machine's native ceiling (llama-batched-bench /
llama-server -np N), well above the single-sequence high-level API (measured: docs/benchmarks.md).

A finished request's KV stays in its slot, and a few holder sequences keep prompt prefixes many
requests share; a new request goes to the free slot that shares most of its prompt and decodes
only the rest (prefix_cache.py). On a CPU a prompt token costs nearly as much as a generated
one, so this is throughput: Magpie's answer, for one, decodes only the few tokens after its user turn.

Determinism: the same requests in the same order with the same `parallel` give the same tokens.
llama.cpp does not promise identical tokens for different batch compositions or prefill splits
(reused KV equals a prefill split at the same point), so a different `parallel` may change some
outputs.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from synthgen.backends.base import Completion, GenerationRequest, ModelInfo, RequestFeed
from synthgen.backends.decode_loop import DecodeLoop, add_token
from synthgen.backends.deferred_signals import Deferred, signals_between_steps
from synthgen.backends.json_grammar import schema_to_gbnf
from synthgen.backends.llama_model import LlamaModel, file_type_name, gguf_meta, quiet_stderr
from synthgen.backends.model_file import file_sha256
from synthgen.backends.prefix_cache import PrefixCache

CTX_STEP = 512
# Extra sequences keeping shared prompt prefixes (prefix_cache.py); one is the chat prefix. A
# template with a part per task type (self-instruct has 10) needs a holder for each to reuse
# them all, but each holder is a whole KV stream: as many as fit in HOLDER_BUDGET, within bounds.
MIN_HOLDERS, MAX_HOLDERS = 4, 12
HOLDER_BUDGET = 384 * 2**20  # bytes of KV cache for holders: 12 for SmolLM2-135M at 1,280 tokens


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
            "placeholders": 0,  # throwaway tokens keeping busy sequence ids consecutive (decode_loop.py)
            "moves": 0,  # sequences moved into a lower free slot to narrow the step (decode_loop.py)
            "prefilled_tokens": 0,  # prompt tokens decoded (those copied from the shared prefix excluded)
            "generated_tokens": 0,  # every sampled token, including those of dropped requests
            "scored_tokens": 0,  # continuation tokens of scoring requests (log-probabilities read)
            "decoded_tokens": 0,  # prompt, fed-back sampled and placeholder tokens of all decodes
            "decode_seconds": 0.0,  # time inside llama_decode ...
            "prompt_steps": 0,  # ... of which in decodes that carried prompt chunks
            "prompt_step_seconds": 0.0,
            "generation_step_tokens": 0,  # tokens of the other decodes (one per generating slot)
        }
        self.reuse_prefix = reuse_prefix
        self.compact = compact
        self.cache = PrefixCache(self.parallel, [], enabled=False)
        # llama.cpp asks this between the graph nodes of a decode whether to stop: a long step
        # (a full prefill batch, or any step on an oversubscribed CPU) then ends within
        # milliseconds of a Ctrl-C/SIGTERM instead of seconds later. The signal is recorded by
        # the signals_between_steps block around every decode; it acts in `deliver`.
        self._deliver: Deferred | None = None
        self._abort_callback = self.lib.ggml_abort_callback(lambda data: bool(self._deliver and self._deliver.pending))

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
        lib.llama_set_abort_callback(self.ctx, self._abort_callback, None)
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
            n = add_token(self.batch, n, token, k, holder, False)
        self.batch.n_tokens = n
        if self.lib.llama_decode(self.ctx, self.batch) != 0:
            if self._deliver is not None:
                self._deliver()  # aborted for a Ctrl-C/SIGTERM: it acts here
            raise RuntimeError("llama_decode failed on the shared prefix")
        self.cache.pin(tokens)

    @contextlib.contextmanager
    def _abortable(self, deliver: Deferred) -> Iterator[None]:
        """Within the block a recorded signal aborts the decode in progress (see __init__)."""
        self._deliver = deliver
        try:
            yield
        finally:
            self._deliver = None

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
                    **self._provenance(shown),
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

    def _provenance(self, shown: Path) -> dict[str, object]:
        """What a dataset card says about the model: quantization names, parameters, licence.

        `quantization` and `license` are the named file's (the one the user chose); the file
        that ran may be its Q8_0 copy (`run_quantization`), whose metadata is read from the
        loaded model. The named file's metadata needs only a vocab-only load.
        """
        m = self.model
        ran = m.meta("general.file_type")
        source = {"general.file_type": ran, "general.license": m.meta("general.license")}
        if shown.resolve() != m.path.resolve():
            source = gguf_meta(shown, list(source))
        return {
            "quantization": file_type_name(source["general.file_type"]),
            "run_quantization": file_type_name(ran),
            "n_params": m.n_params,
            "license": source["general.license"],
        }

    def _prompt_tokens(self, request: GenerationRequest) -> list[int]:
        """The request's prompt tokens; for a scoring request, followed by its continuation's
        (tokenized on its own, as generation would have produced it after the prompt)."""
        if request.messages is not None:
            text = self.model.render_chat([m.model_dump() for m in request.messages])
        else:
            text = request.prompt
        tokens = self.model.tokenize(text, add_special=self.model.add_bos)
        if request.continuation is not None:
            tokens += self.continuation_tokens(request)
        return tokens

    def continuation_tokens(self, request: GenerationRequest) -> list[int]:
        return self.model.tokenize(request.continuation or "", add_special=False, parse_special=False)

    def can_score(self) -> bool:
        """Scoring requests are served from the logits of one prefill (decode_loop.py)."""
        return True

    def grammar(self, schema: dict) -> str:
        """The GBNF grammar for a JSON schema, converted once per schema."""
        key = repr(sorted(schema.items()))
        if key not in self._grammars:
            self._grammars[key] = schema_to_gbnf(schema)
        return self._grammars[key]

    def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        results: list[Completion | None] = [None] * len(requests)
        prepared = [(i, request, self._prompt_tokens(request)) for i, request in enumerate(requests)]
        longest = max((len(t) + r.params.max_tokens for _, r, t in prepared), default=1)
        queue = deque(prepared)

        def done(key: int, completion: Completion) -> None:
            results[key] = completion

        with signals_between_steps() as deliver, self._abortable(deliver):
            self._ensure_context(longest)
            DecodeLoop(self, lambda: queue.popleft() if queue else None, done, deliver_signals=deliver).run()
        return results  # type: ignore[return-value]

    def stream(self, feed: RequestFeed) -> None:
        """Decode requests as `feed` makes them ready, refilling each slot the moment it frees."""

        def next_item():
            item = feed.next_request()
            if item is None:
                return None
            key, request = item
            return key, request, self._prompt_tokens(request)

        wanted, check_partial = getattr(feed, "wanted", None), getattr(feed, "check_partial", None)
        with signals_between_steps() as deliver, self._abortable(deliver):
            self._ensure_context(self.stream_ctx_per_seq, step=256)
            DecodeLoop(self, next_item, feed.done, wanted, check_partial, deliver).run()
