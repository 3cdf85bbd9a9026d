"""The slot budget a math/logic shard is offset by is exactly the slots its loop may use.

Shard K of a `math` run starts at the sum of the budgets of shards 0..K-1 (grpo/sources.py
run_slot_budget); if that drifted from the loops' own limits, two shards could draw the same slot.
"""

from __future__ import annotations

import pytest

from synthgen.backends.fake import FakeBackend
from synthgen.grpo.sources import SourceOptions, build_loop, run_slot_budget
from synthgen.problems.base import FAMILIES
from synthgen.run.journal import Journal


@pytest.mark.parametrize(
    "sourcing",
    [
        SourceOptions(),
        SourceOptions(source="mix"),
        SourceOptions(source="mix", max_attempts=40),
        SourceOptions(source="model"),
        SourceOptions(source="model", max_attempts=25),
        SourceOptions(word_problems=True),
    ],
    ids=["procedural", "mix", "mix-max-attempts", "model", "model-max-attempts", "word-problems"],
)
@pytest.mark.parametrize("factor", [3, 10])  # 10: a --keep-pass-rate band
@pytest.mark.parametrize("n", [1, 7])
def test_run_slot_budget_is_the_loops_limit(tmp_path, sourcing, factor, n):
    families = [FAMILIES["arith.rational_chain"], FAMILIES["alg.linear_1d"]]
    loop = build_loop(n, 0, families, [1, 2], Journal(tmp_path / "journal.jsonl"), sourcing=sourcing,
                      backend_factory=FakeBackend, first=1234, max_slots_factor=factor)  # fmt: skip
    assert (loop.first, loop.next_slot) == (1234, 1234)
    assert loop.limit - loop.first == run_slot_budget(n, sourcing, factor)
