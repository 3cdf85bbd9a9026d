"""The batched llama.cpp engine and the Q8_0 conversion, on the real embedded model.

These test correctness of continuous batching, not its speed (benchmarks/throughput.py does that).
"""

from __future__ import annotations

import numpy as np
import pytest

from synthgen.backends.base import Completion, GenerationRequest, Message, SamplingParams
from synthgen.backends.decode_loop import PARTIAL_CHECK_EVERY
from synthgen.backends.llama_batched import HOLDER_BUDGET, MAX_HOLDERS, MIN_HOLDERS, LlamaBatchedBackend
from synthgen.backends.model_convert import Q8_0, SLOW_FILE_TYPES, gguf_file_type, runnable_model
from synthgen.backends.model_file import embedded_model_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def q8_path():
    return runnable_model(embedded_model_path(), "auto", embedded=True)


def _requests(count: int) -> list[GenerationRequest]:
    return [
        GenerationRequest(
            messages=[Message(role="user", content=f"Write a sentence about the number {i}.")],
            params=SamplingParams(max_tokens=3 + 7 * (i % 5), temperature=0.8),
            seed=100 + i,
        )
        for i in range(count)
    ]


def test_refilled_slots_produce_every_completion_exactly_once(q8_path):
    backend = LlamaBatchedBackend(q8_path, parallel=3)
    requests = _requests(11)  # more requests than slots, with different lengths: slots refill
    results = backend.generate(requests)
    assert len(results) == 11 and all(isinstance(c, Completion) for c in results)
    for request, completion in zip(requests, results, strict=True):
        assert completion.finish_reason in ("stop", "length")
        assert completion.completion_tokens <= request.params.max_tokens
        if completion.finish_reason == "length":
            assert completion.completion_tokens == request.params.max_tokens
    assert backend.stats["decode_calls"] > 0 and backend.stats["busy_slot_steps"] > 0
    # completions come back in request order: each is capped by its own request's max_tokens
    assert len({r.params.max_tokens for r in requests}) > 1


def test_step_accounting_adds_up(q8_path):
    """The decode counters the throughput benchmark splits wall time by are consistent."""
    backend = LlamaBatchedBackend(q8_path, parallel=3)
    results = backend.generate(_requests(11))
    stats = backend.stats
    # a sampled token is fed back in the next step unless it ended its sequence; EOS is not counted
    fed = sum(c.completion_tokens - (c.finish_reason == "length") for c in results)
    assert stats["decoded_tokens"] == stats["prefilled_tokens"] + fed + stats["placeholders"]
    assert 1 <= stats["prompt_steps"] <= 11 < stats["decode_calls"]
    assert 0 < stats["generation_step_tokens"] <= fed + stats["placeholders"]
    assert 0 < stats["prompt_step_seconds"] < stats["decode_seconds"]


def test_same_requests_and_parallel_give_identical_completions(q8_path):
    first = LlamaBatchedBackend(q8_path, parallel=4).generate(_requests(9))
    second = LlamaBatchedBackend(q8_path, parallel=4).generate(_requests(9))
    assert [c.text for c in first] == [c.text for c in second]


def test_streaming_feed_serves_requests_that_depend_on_earlier_completions(q8_path):
    backend = LlamaBatchedBackend(q8_path, parallel=2)

    class Chain:
        """Each finished request unlocks the next one: a dependency a list cannot express."""

        def __init__(self):
            self.ready = [0]
            self.done_keys: list[int] = []

        def next_request(self):
            if not self.ready:
                return None
            key = self.ready.pop()
            return key, GenerationRequest(prompt=f"Step {key}:", params=SamplingParams(max_tokens=4), seed=key)

        def done(self, key, completion):
            assert completion.finish_reason != "error"
            self.done_keys.append(key)
            if key < 4:
                self.ready.append(key + 1)

    chain = Chain()
    backend.stream(chain)
    assert chain.done_keys == [0, 1, 2, 3, 4]


def test_conversion_makes_a_cached_q8_0_copy_and_leaves_the_original(q8_path):
    original = embedded_model_path()
    before = original.stat().st_mtime_ns
    assert gguf_file_type(original) in SLOW_FILE_TYPES
    assert gguf_file_type(q8_path) == Q8_0 and q8_path != original
    first = runnable_model(original, "auto", embedded=True)
    made = first.stat().st_mtime_ns
    assert runnable_model(original, "auto", embedded=True) == first  # cached, not redone
    assert first.stat().st_mtime_ns == made
    assert runnable_model(original, "none", embedded=True) == original
    assert runnable_model(original, "auto", embedded=False) == original  # a user's file: opt-in only
    assert original.stat().st_mtime_ns == before


def test_q8_0_copy_agrees_with_the_original_on_next_tokens(q8_path):
    """Teacher-forced greedy next-token agreement between Q4_1 and Q8_0 over fixed texts: >= 90%."""
    from llama_cpp import Llama

    from synthgen.backends.llama_model import high_level_defaults

    texts = [
        "The capital of France is Paris, and the capital of Italy is Rome.",
        "To make a cup of tea, boil water, add a tea bag, and wait three minutes.",
        "Photosynthesis converts sunlight, water and carbon dioxide into sugar and oxygen.",
        "def add(a, b):\n    return a + b\n\nprint(add(2, 3))",
        "In 1969, astronauts landed on the Moon for the first time in human history.",
        "A balanced diet includes vegetables, fruit, whole grains and enough protein.",
    ]

    def argmaxes(path) -> list[np.ndarray]:
        with high_level_defaults():
            llm = Llama(str(path), n_ctx=512, logits_all=True, verbose=False, n_threads=2)
        out = []
        for text in texts:
            tokens = llm.tokenize(text.encode(), add_bos=False)
            llm.reset()
            llm.eval(tokens)
            out.append(np.argmax(np.asarray(llm.scores[: len(tokens)]), axis=-1))
        return out

    original, converted = argmaxes(embedded_model_path()), argmaxes(q8_path)
    same = sum(int((a == b).sum()) for a, b in zip(original, converted, strict=True))
    total = sum(len(a) for a in original)
    assert total > 80
    assert same / total >= 0.90, f"agreement {same}/{total}"


def test_reusing_the_shared_chat_prefix_changes_no_token(q8_path):
    """Chat requests and a raw prompt that is exactly the pre-query prefix (Magpie's case)."""
    from synthgen.backends.llama_model import LlamaModel

    prefix = LlamaModel(q8_path).chat_prefix()
    assert prefix.endswith("<|im_start|>user\n")
    requests = [
        GenerationRequest(
            messages=[Message(role="user", content=q)], params=SamplingParams(max_tokens=24, temperature=0.0)
        )
        for q in ("Name three rivers in Europe.", "What is 2 + 2?", "Say hello in French.")
    ] + [GenerationRequest(prompt=prefix, params=SamplingParams(max_tokens=24, temperature=0.0))]
    reused = LlamaBatchedBackend(q8_path, parallel=2)
    with_reuse = reused.generate(requests)
    without = LlamaBatchedBackend(q8_path, parallel=2, reuse_prefix=False).generate(requests)
    assert reused.stats["prefix_reused_tokens"] > 0
    assert [c.text for c in with_reuse] == [c.text for c in without]
    assert all(c.completion_tokens > 0 for c in with_reuse)


def test_convert_q8_0_is_opt_in_for_a_users_model(tmp_path):
    import shutil

    users = tmp_path / "my-model.gguf"
    shutil.copyfile(embedded_model_path(), users)
    converted = runnable_model(users, "q8_0", embedded=False)
    assert converted != users and gguf_file_type(converted) == Q8_0
    assert gguf_file_type(users) in SLOW_FILE_TYPES  # the user's file is untouched
    assert runnable_model(converted, "q8_0", embedded=False) == converted  # already Q8_0: used as is


class _ListFeed:
    """A streaming feed over a fixed list of requests, with optional cancel / early-stop hooks."""

    def __init__(self, requests):
        self.queue = list(enumerate(requests))
        self.done_keys: dict[int, Completion] = {}

    def next_request(self):
        return self.queue.pop(0) if self.queue else None

    def done(self, key, completion):
        assert key not in self.done_keys, "a completion is reported once"
        self.done_keys[key] = completion


def test_requests_the_feed_no_longer_wants_are_dropped_mid_decode(q8_path):
    backend = LlamaBatchedBackend(q8_path, parallel=4)
    long = SamplingParams(max_tokens=200, temperature=0.8)
    requests = [GenerationRequest(prompt=f"Chapter {i}. Once upon a time", params=long, seed=i) for i in range(4)]
    requests[0] = GenerationRequest(prompt="Say hi.", params=SamplingParams(max_tokens=2), seed=0)

    class StopAfterFirst(_ListFeed):
        def wanted(self, key):
            return not self.done_keys  # once one request finished, nothing else is needed

    feed = StopAfterFirst(requests)
    backend.stream(feed)
    assert list(feed.done_keys) == [0], "dropped requests are never reported"
    assert backend.stats["cancelled"] == 3
    # 2 decode steps for the short request, not ~200 for the long ones
    assert backend.stats["decode_calls"] <= 4


def test_check_partial_stops_a_request_early_with_its_reason(q8_path):
    backend = LlamaBatchedBackend(q8_path, parallel=2)
    params = SamplingParams(max_tokens=300, temperature=0.8)
    requests = [GenerationRequest(prompt=f"Story {i}: It was a dark night", params=params, seed=i) for i in range(2)]

    class AbortSecond(_ListFeed):
        def __init__(self, requests):
            super().__init__(requests)
            self.seen: list[tuple[int, int]] = []

        def check_partial(self, key, text):
            self.seen.append((key, len(text)))
            return "too_dark" if key == 1 else None

    feed = AbortSecond(requests)
    backend.stream(feed)
    aborted = feed.done_keys[1]
    assert aborted.finish_reason == "aborted" and aborted.error == "too_dark"
    assert aborted.completion_tokens == PARTIAL_CHECK_EVERY, "checked every PARTIAL_CHECK_EVERY tokens"
    kept = feed.done_keys[0]
    assert kept.finish_reason in ("stop", "length") and kept.error is None
    if kept.completion_tokens >= PARTIAL_CHECK_EVERY:
        assert any(key == 0 for key, _ in feed.seen), "the other request was checked too and went on"


def test_reusing_slot_kv_and_learned_prefixes_gives_the_same_next_tokens(q8_path, monkeypatch):
    """A continuation of an earlier completion (Magpie's answer after its user turn) and prompts
    sharing a long template part reuse KV instead of decoding it, and predict the same tokens.

    Reused KV is bit-identical to a prefill split at the same point, but llama.cpp gives last-bit
    differences between split and whole prefills (max |logit difference| up to ~0.9 on these
    prompts with no reuse at all, prefilling in 32-token chunks), which can flip a greedy near-tie
    later on. So the first-token logits of every request are compared: same argmax, and
    differences within that bound; a prompt that differs by one word moves them by ~4.
    """
    from synthgen.backends import sequence_sampler

    samplers, original_sample = [], sequence_sampler.SequenceSampler.sample

    def sample(self, ctx, row):
        if not hasattr(self, "first_logits"):
            logits = self.lib.llama_get_logits_ith(ctx, row)
            self.first_logits = np.ctypeslib.as_array(logits, shape=(self.model.n_vocab,)).copy()
            samplers.append(self)
        return original_sample(self, ctx, row)

    monkeypatch.setattr(sequence_sampler.SequenceSampler, "sample", sample)
    template = (
        "Write one request that a user might send to an AI assistant. Reply with JSON only, "
        'with the fields "instruction" and "input". The request is about {}.'
    )
    topics = ("rivers", "cooking", "chess", "taxes", "bees", "trains", "music", "sleep")
    greedy = SamplingParams(max_tokens=12, temperature=0.0)
    first = [
        GenerationRequest(messages=[Message(role="user", content=template.format(t))], params=greedy) for t in topics
    ]
    texts = [c.text for c in LlamaBatchedBackend(q8_path, parallel=2, reuse_prefix=False).generate(first)]
    follow = [
        GenerationRequest(
            messages=[
                Message(role="user", content=template.format(t)),
                Message(role="assistant", content=text),
                Message(role="user", content="Shorter, please."),
            ],
            params=greedy,
        )
        for t, text in zip(topics, texts, strict=True)
    ]

    def first_logits(backend):
        samplers.clear()
        backend.generate(first)
        backend.generate(follow)  # each continuation finds its first request's KV in some slot
        return [s.first_logits for s in samplers]

    reused = LlamaBatchedBackend(q8_path, parallel=2)
    with_reuse = first_logits(reused)
    without = LlamaBatchedBackend(q8_path, parallel=2, reuse_prefix=False)
    plain = first_logits(without)
    assert len(with_reuse) == len(plain) == 16
    for a, b in zip(with_reuse, plain, strict=True):
        assert int(a.argmax()) == int(b.argmax())
        assert float(np.abs(a - b).max()) < 1.5
    assert reused.stats["holder_promotions"] >= 1, "the repeated template part was cached"
    assert reused.stats["prefilled_tokens"] < 0.5 * without.stats["prefilled_tokens"]


def test_a_long_prompt_admitted_beside_generating_slots_is_prefilled_in_chunks(q8_path):
    """A prompt longer than the batch, admitted into slot 0 while slots 1 and 2 generate: its
    chunks leave room for their tokens (a full batch once overflowed into a NULL pointer)."""
    backend = LlamaBatchedBackend(q8_path, parallel=3, n_batch=64)
    short = [
        GenerationRequest(prompt=f"List {i}:", params=SamplingParams(max_tokens=m, temperature=0.8), seed=i)
        for i, m in enumerate((2, 30, 30))
    ]
    long_text = " ".join(f"word{i}" for i in range(150))
    long = GenerationRequest(prompt=long_text, params=SamplingParams(max_tokens=5, temperature=0.8), seed=9)
    results = backend.generate([*short, long])
    assert all(c.finish_reason in ("stop", "length") and c.error is None for c in results)
    assert results[0].completion_tokens == 2 and results[3].prompt_tokens > 128
    assert max(results[1].completion_tokens, results[2].completion_tokens) > 5, "slots 1-2 still generated"


def _counting_requests() -> list[GenerationRequest]:
    """Three greedy continuations of the same count; the middle one stops after 2 tokens."""
    return [
        GenerationRequest(prompt="1, 2, 3, 4, 5,", params=SamplingParams(max_tokens=m, temperature=0.0), seed=i)
        for i, m in enumerate((24, 2, 24))
    ]


def _kv_matches_the_prefix_cache(backend: LlamaBatchedBackend, slots: int) -> bool:
    memory = backend.lib.llama_get_memory(backend.ctx)
    return all(
        backend.lib.llama_memory_seq_pos_max(memory, s) + 1 == len(backend.cache.history[s]) for s in range(slots)
    )


def test_a_freed_slot_is_closed_by_moving_the_highest_sequence_down(q8_path):
    """Slot 1 finishes first and nothing waits for it: the sequence in slot 2 moves into slot 1
    (its KV stream copied), so each later step is 2 consecutive sequences, not 3 with a
    placeholder. Requests 0 and 2 are the same greedy prompt decoded side by side, so the moved
    one must go on exactly like the one that stayed: a wrong or late KV copy would derail it."""
    backend = LlamaBatchedBackend(q8_path, parallel=3)
    results = backend.generate(_counting_requests())
    assert [c.completion_tokens for c in results] == [24, 2, 24]
    assert backend.stats["moves"] == 1 and backend.stats["placeholders"] == 0
    assert results[2].text == results[0].text
    assert "6, 7, 8" in results[0].text
    assert _kv_matches_the_prefix_cache(backend, 3)
    # the slots stay usable: the same requests again give the same greedy text
    assert [c.text for c in backend.generate(_counting_requests())] == [c.text for c in results]


def test_an_idle_slot_between_busy_ones_gets_a_placeholder_that_leaves_no_kv(q8_path):
    """Without compaction (or while the highest sequence still decodes its prompt), slot 1
    finishing first leaves a gap: a throwaway token keeps the sequence ids consecutive (one
    micro-batch per step), and is removed after each decode, so every slot's KV is exactly the
    tokens the prefix cache believes it holds."""
    backend = LlamaBatchedBackend(q8_path, parallel=3, compact=False)
    requests = _counting_requests()
    results = backend.generate(requests)
    assert [c.completion_tokens for c in results] == [24, 2, 24]
    assert backend.stats["placeholders"] > 0 and backend.stats["moves"] == 0
    assert _kv_matches_the_prefix_cache(backend, 3)
    # the slots stay usable: the same requests again give the same greedy text
    again = backend.generate(requests)
    assert [c.text for c in again] == [c.text for c in results]


def test_holders_take_a_bounded_share_of_memory(q8_path):
    """One holder per self-instruct task type fits for the small model at an instructions-sized
    context; a longer context (or a larger model) gets fewer, never under the minimum."""
    backend = LlamaBatchedBackend(q8_path, parallel=2)
    per_token = backend.model.kv_bytes_per_token
    assert backend._holder_count(1280) == MAX_HOLDERS
    assert backend._holder_count(2048) == HOLDER_BUDGET // (2048 * per_token) < MAX_HOLDERS
    assert backend._holder_count(1_000_000) == MIN_HOLDERS
    backend.generate(_counting_requests()[:1])
    assert len(backend.cache.holders) == backend._holder_count(backend.ctx_per_seq)
    assert backend.lib.llama_n_seq_max(backend.ctx) == 2 + len(backend.cache.holders)
