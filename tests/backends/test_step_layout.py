"""Step layout policy of the batched engine: which sequences move and which idle slots a step
fills (step_layout.py)."""

from __future__ import annotations

from synthgen.backends.step_layout import compaction_moves, placeholder_slots


def _busy(width: int, *idle: int) -> list[bool]:
    return [s not in idle for s in range(width)]


def test_full_or_empty_steps_need_no_placeholder():
    assert placeholder_slots(_busy(16)) == set()
    assert placeholder_slots([False] * 16) == set()


def test_gaps_between_busy_slots_are_filled_and_the_step_is_not_widened():
    assert placeholder_slots(_busy(16, 3, 7, 11)) == {3, 7, 11}
    assert placeholder_slots(_busy(16, 13, 14, 15)) == set()  # 13 wide stays 13 wide
    assert placeholder_slots(_busy(16, 0, 1, 2)) == set()
    assert placeholder_slots(_busy(16, 0, 1, 5, 13, 14, 15)) == {5}


def test_the_highest_busy_sequences_move_into_the_lowest_gaps():
    busy = _busy(8, 1, 4, 7)  # busy 0, 2, 3, 5, 6
    moves = compaction_moves(busy, busy)
    assert moves == [(6, 1), (5, 4)]
    after = list(busy)
    for src, dst in moves:
        assert after[src] and not after[dst]
        after[src], after[dst] = False, True
    assert after == [True] * 5 + [False] * 3  # one run of ids from 0: no placeholder needed
    assert placeholder_slots(after) == set()


def test_nothing_moves_when_the_busy_slots_are_already_one_run_from_zero():
    assert compaction_moves(_busy(8, 5, 6, 7), _busy(8, 5, 6, 7)) == []
    assert compaction_moves([False] * 8, [False] * 8) == []


def test_a_highest_sequence_that_may_not_move_stops_compaction():
    busy = _busy(6, 1, 3)  # busy 0, 2, 4, 5
    movable = [True, False, True, False, True, False]  # slot 5 is still decoding its prompt
    assert compaction_moves(busy, movable) == []
    movable[5] = True
    movable[4] = False
    assert compaction_moves(busy, movable) == [(5, 1)]  # then 4 is highest and may not move
