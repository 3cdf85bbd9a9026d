"""Placeholder policy of the batched engine: which idle slots a step fills (step_layout.py)."""

from __future__ import annotations

from synthgen.backends.step_layout import padded_width, placeholder_slots


def _busy(width: int, *idle: int) -> list[bool]:
    return [s not in idle for s in range(width)]


def test_padded_width_rounds_up_to_8_above_6_only():
    assert [padded_width(w) for w in range(1, 7)] == [1, 2, 3, 4, 5, 6]
    assert [padded_width(w) for w in (7, 8, 9, 15, 16, 17)] == [8, 8, 16, 16, 16, 24]


def test_full_or_empty_steps_need_no_placeholder():
    assert placeholder_slots(_busy(16)) == set()
    assert placeholder_slots([False] * 16) == set()


def test_gaps_between_busy_slots_are_filled():
    assert placeholder_slots(_busy(16, 3, 7, 11)) == {3, 7, 11}


def test_a_step_is_widened_to_an_efficient_width_above_then_below():
    # busy 0..12: 13 wide, padded to 16 with the three slots above
    assert placeholder_slots(_busy(16, 13, 14, 15)) == {13, 14, 15}
    # busy 3..15: nothing above, so the slots below are used
    assert placeholder_slots(_busy(16, 0, 1, 2)) == {0, 1, 2}
    # busy 2..12 with a gap at 5: 11 wide, padded to 16 using 13..15 and then 0..1
    assert placeholder_slots(_busy(16, 0, 1, 5, 13, 14, 15)) == {0, 1, 5, 13, 14, 15}


def test_narrow_steps_are_left_narrow_and_the_width_is_capped_by_the_slots():
    assert placeholder_slots(_busy(16, *range(4, 16))) == set()  # 4 busy: cheaper than 8
    assert placeholder_slots(_busy(10, 9)) == {9}  # 9 wide would pad to 16, only 10 slots exist
