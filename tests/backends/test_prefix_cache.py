"""The KV reuse policy of the batched engine, as pure logic (the engine test checks the tokens)."""

from __future__ import annotations

from synthgen.backends.prefix_cache import COPY_WORTH, PROMOTE_GAIN, PrefixCache, common_prefix

CHAT = list(range(100, 130))  # a 30-token chat prefix, pinned in the first holder
TEMPLATE = list(range(500, 540))  # a 40-token template part many prompts share


def _cache(slots: int = 3) -> PrefixCache:
    cache = PrefixCache(slots, holder_seqs=[10, 11, 12])
    cache.pin(CHAT)
    return cache


def test_common_prefix_counts_equal_leading_tokens():
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([7, 8], [7, 8]) == 2


def test_a_continuation_keeps_its_slots_own_kv_and_goes_to_that_slot():
    cache = _cache()
    user_turn = [*CHAT, 1, 2, 3]
    cache.plan(1, user_turn)
    cache.released(1, [*user_turn, 4, 5, 6, 7])  # the slot's KV: prompt plus generated tokens
    answer = [*user_turn, 4, 5, 6, 7, 90, 91]
    assert cache.best_slot([0, 1, 2], answer) == 1
    reuse = cache.plan(1, answer)
    assert reuse.source is None and reuse.keep == len(answer) - 2


def test_at_least_the_last_prompt_token_is_always_decoded():
    cache = _cache()
    prompt = [*CHAT, 1, 2]
    cache.plan(0, prompt)
    cache.released(0, [*prompt, 3])
    assert cache.plan(0, prompt).keep == len(prompt) - 1


def test_the_holder_is_copied_only_when_it_saves_enough_over_the_own_kv():
    cache = _cache()
    cache.released(0, CHAT[:25])  # own KV covers 25 of the 30 chat tokens
    reuse = cache.plan(0, [*CHAT, 1, 2])
    assert reuse.source is None and reuse.keep == 25, f"5 < COPY_WORTH={COPY_WORTH}: no copy"
    cache.released(0, CHAT[:10])
    reuse = cache.plan(0, [*CHAT, 1, 2])
    assert reuse.source == 10 and reuse.keep == len(CHAT)


def test_a_repeated_template_part_is_promoted_once_then_reused():
    cache = _cache()
    first = cache.plan(0, [*CHAT, *TEMPLATE, 1, 2, 3])
    assert first.promote == 0, "nothing to repeat yet"
    second = cache.plan(1, [*CHAT, *TEMPLATE, 7, 8, 9])
    assert second.promote == len(CHAT) + len(TEMPLATE) >= len(CHAT) + PROMOTE_GAIN
    holder = cache.promote([*CHAT, *TEMPLATE, 7, 8, 9][: second.promote])
    assert holder is not None and holder.seq in (11, 12) and not holder.ready
    assert cache.plan(2, [*CHAT, *TEMPLATE, 4, 4, 4]).source == 10, "not usable before its copy ran"
    cache.settled()
    third = cache.plan(2, [*CHAT, *TEMPLATE, 5, 5, 5])
    assert third.source == holder.seq and third.keep == len(CHAT) + len(TEMPLATE) and third.promote == 0
    assert cache.promote([*CHAT, *TEMPLATE]) is None, "already held"


def test_the_least_recently_used_learned_holder_is_replaced_and_the_pinned_one_never():
    cache = _cache()
    a = cache.promote([*CHAT, *TEMPLATE])
    b = cache.promote([*CHAT, *range(600, 640)])
    cache.settled()
    cache.plan(0, [*CHAT, *TEMPLATE, 1])  # uses holder a, so b is now least recently used
    c = cache.promote([*CHAT, *range(700, 740)])
    assert c is b and a.tokens[-1] == TEMPLATE[-1]
    assert cache.holders[0].tokens == CHAT and cache.holders[0].pinned


def test_disabled_cache_reuses_nothing():
    cache = PrefixCache(2, holder_seqs=[5], enabled=False)
    cache.released(0, [1, 2, 3, 4])
    reuse = cache.plan(0, [1, 2, 3, 4, 5])
    assert reuse.source is None and reuse.keep == 0 and reuse.promote == 0


def test_a_scoring_request_keeps_no_reused_kv_past_its_continuation_start():
    cache = _cache()
    prompt = [*CHAT, 1, 2, 3]
    scored = [*prompt, 40, 41, 42]  # continuation tokens whose logits are needed
    cache.plan(0, scored)
    cache.released(0, scored)
    again = cache.plan(0, [*prompt, 40, 41, 43], decode_from=len(prompt) - 1)
    assert again.keep == len(prompt) - 1  # the shared prompt is reused, the logits rows are decoded
    assert cache.plan(0, [*prompt, 50], decode_from=len(prompt) - 1).keep <= len(prompt) - 1
