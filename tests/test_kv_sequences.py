"""Sequence-id bookkeeping of the batched engine: holder copies, parking, eviction (no model)."""

from __future__ import annotations

from synthgen.backends.kv_sequences import KvSequences, common_prefix


class RecordingLib:
    """Stands in for llama_cpp's memory calls and records them."""

    def __init__(self):
        self.calls: list[tuple] = []

    def llama_get_memory(self, ctx):
        return "memory"

    def llama_memory_seq_cp(self, memory, src, dst, p0, p1):
        self.calls.append(("cp", src, dst))

    def llama_memory_seq_rm(self, memory, seq_id, p0, p1):
        self.calls.append(("rm", seq_id, p0))


PREFIX = list(range(100, 120))  # 20 tokens of chat template opening


def _kv(parallel=2, park=2):
    lib = RecordingLib()
    kv = KvSequences(lib, parallel, park)
    kv.stats = {"prefix_reused_tokens": 0, "parked_reused_tokens": 0}
    kv.reset("ctx", PREFIX)
    return kv, lib


def test_common_prefix_is_bounded():
    assert common_prefix([1, 2, 3, 4], [1, 2, 3, 9], 10) == 3
    assert common_prefix([1, 2, 3], [1, 2, 3], 2) == 2


def test_new_prompt_copies_the_holder_and_keeps_its_last_token_to_decode():
    kv, lib = _kv()
    seq_id, ready = kv.acquire(PREFIX + [7, 8, 9])
    assert ready == 20 and ("cp", kv.holder, seq_id) in lib.calls
    seq_id2, ready2 = kv.acquire(PREFIX)  # exactly the prefix: its last token must still be decoded
    assert seq_id2 != seq_id and ready2 == 19 and ("rm", seq_id2, 19) in lib.calls
    _, none = kv.acquire([1, 2, 3])
    assert none == 0


def test_a_follow_up_takes_over_the_parked_kv_without_a_copy():
    kv, lib = _kv()
    first, _ = kv.acquire(PREFIX + [1, 2])
    generated = [30 + i for i in range(15)]
    kv.release(first, PREFIX + [1, 2] + generated)
    lib.calls.clear()
    follow_up = PREFIX + [1, 2] + generated[:12] + [99, 98]
    seq_id, ready = kv.acquire(follow_up)
    assert seq_id == first and ready == 20 + 2 + 12
    assert lib.calls == [("rm", first, 34)], "the part past the match is cut; nothing is copied"
    assert kv.stats["parked_reused_tokens"] == 34 and first not in kv.parked


def test_a_small_gain_over_the_holder_does_not_consume_a_parked_sequence():
    kv, _ = _kv()
    first, _ = kv.acquire(PREFIX + [1, 2, 3])
    kv.release(first, PREFIX + [1, 2, 3, 4])
    seq_id, ready = kv.acquire(PREFIX + [1, 2, 3, 5, 6])  # 3 tokens more than the holder gives
    assert seq_id != first and ready == 20 and first in kv.parked


def test_parking_is_bounded_and_evicts_the_oldest():
    kv, lib = _kv(parallel=2, park=2)
    ids = []
    for k in range(3):
        seq_id, _ = kv.acquire(PREFIX + [k] * 12)
        ids.append(seq_id)
        kv.release(seq_id, PREFIX + [k] * 12)
    assert list(kv.parked) == ids[1:], "the oldest was evicted"
    assert ("rm", ids[0], -1) in lib.calls and ids[0] in kv.free


def test_ids_never_run_out_while_slots_are_busy():
    kv, _ = _kv(parallel=3, park=1)
    busy = [kv.acquire(PREFIX + [k] * 10)[0] for k in range(3)]
    assert len(set(busy)) == 3 and kv.holder not in busy
    for round_ in range(20):  # finish one, start one, forever: ids are recycled
        kv.release(busy.pop(0), PREFIX + [round_] * 10)
        busy.append(kv.acquire(PREFIX + [round_ + 50] * 10)[0])
        assert len(set(busy)) == 3 and kv.holder not in busy


def test_a_dropped_sequence_is_cleared_not_parked():
    kv, lib = _kv()
    seq_id, _ = kv.acquire(PREFIX + [5] * 10)
    kv.release(seq_id, None)
    assert seq_id in kv.free and seq_id not in kv.parked and ("rm", seq_id, -1) in lib.calls
