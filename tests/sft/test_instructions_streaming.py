"""The instructions loop against a streaming backend: slots refill, the run stops at the n-th row.

`SlotBackend` simulates the batched engine's scheduling without a model: `parallel` slots, each
request taking a number of steps fixed by its seed, finished slots refilled at once, requests the
feed no longer `wanted` dropped, and the feed's `check_partial` consulted while text "grows".
It tests the loop's logic; tests/test_batched_engine.py tests the real engine's hooks.
"""

from __future__ import annotations

import pytest
from conftest import journal_records, manifest

import synthgen
from synthgen.backends.base import Completion
from synthgen.backends.fake import FakeBackend
from synthgen.sft.loop import InstructionsLoop
from synthgen.text.gates import GateLimits, check_text


class SlotBackend(FakeBackend):
    """FakeBackend texts, delivered through `stream` with the engine's slot semantics."""

    def __init__(self, parallel: int = 4, fail_after_steps: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.parallel = parallel
        self.fail_after_steps = fail_after_steps
        self.cancelled: list = []
        self.steps = 0

    def stream(self, feed) -> None:
        slots: list[list | None] = [None] * self.parallel
        while True:
            for s in range(self.parallel):
                if slots[s] is None:
                    item = feed.next_request()
                    if item is not None:
                        key, request = item
                        self.history.append(request)
                        slots[s] = [key, self._one(request), 1 + request.seed % 5]
            if not any(slots):
                return
            self.steps += 1
            if self.fail_after_steps is not None and self.steps > self.fail_after_steps:
                raise KeyboardInterrupt
            for s, slot in enumerate(slots):
                if slot is None:
                    continue
                slot[2] -= 1
                if slot[2] <= 0:
                    slots[s] = None
                    feed.done(slot[0], slot[1])
            for s, slot in enumerate(slots):
                if slot is not None and not feed.wanted(slot[0]):
                    self.cancelled.append(slot[0])
                    slots[s] = None


def _rows(result) -> list[dict]:
    return result.dataset().to_list()


def test_run_stops_at_the_nth_row_and_drops_what_is_still_in_flight(tmp_path):
    backend = SlotBackend(parallel=6)
    result = synthgen.instructions(12, tmp_path / "run", backend=backend, progress=False)
    rows = _rows(result)
    assert len(rows) == 12
    assert [r["attempt"] for r in rows] == sorted(r["attempt"] for r in rows), "rows are written in attempt order"
    journaled = {r["attempt"] for r in journal_records(tmp_path / "run")}
    assert backend.cancelled, "slots were still busy when the 12th row was accepted"
    assert not {key[0] for key in backend.cancelled} & journaled, "a dropped attempt is never journaled"
    # dropped: the cancelled ones, plus any that finished in the same step as the 12th row
    dropped = manifest(tmp_path / "run")["timing"]["sessions"][-1]["dropped_in_flight"]
    assert dropped >= len({key[0] for key in backend.cancelled})


def test_slots_stay_full_until_the_end(tmp_path):
    """Spare attempts keep every slot busy: no step runs with idle slots while rows are missing."""
    backend = SlotBackend(parallel=6)
    synthgen.instructions(12, tmp_path / "run", backend=backend, progress=False)
    requests_started = len(backend.history)
    # 12 rows need 24 requests; with 6 slots kept full the spare attempts add requests
    assert requests_started > 24


def test_streaming_run_is_reproducible(tmp_path):
    a = _rows(synthgen.instructions(10, tmp_path / "a", backend=SlotBackend(parallel=5), progress=False))
    b = _rows(synthgen.instructions(10, tmp_path / "b", backend=SlotBackend(parallel=5), progress=False))
    assert a == b


def test_resume_redoes_attempts_that_were_in_flight(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        synthgen.instructions(12, out, backend=SlotBackend(parallel=6, fail_after_steps=6), progress=False)
    first = [r["attempt"] for r in journal_records(out)]
    assert 0 < len(first)
    gaps = set(range(max(first) + 1)) - set(first)
    resumed = SlotBackend(parallel=6)
    result = synthgen.instructions(12, out, backend=resumed, progress=False)
    assert result.rows == 12 and len({r["id"] for r in _rows(result)}) == 12
    journaled = [r["attempt"] for r in journal_records(out)]
    assert len(journaled) == len(set(journaled)), "no attempt journaled twice"
    assert journaled[: len(first)] == first, "what was journaled before the interruption is kept"
    assert gaps, "the interruption left attempts unfinished"
    # every attempt the interruption left unfinished was redone: journaled now, or dropped at the end
    assert gaps <= set(journaled) | {key[0] for key in resumed.cancelled}


def test_check_partial_stops_only_answers_that_repeat_a_complete_line():
    loop = InstructionsLoop.__new__(InstructionsLoop)  # check_partial needs no run state
    line = "The answer is to keep trying again.\n"
    assert loop.check_partial((0, "answer"), "Intro text.\n" + line * 3) == "response_repetition"
    assert loop.check_partial((0, "answer"), line * 2 + line.strip()) is None, "the last line may still grow"
    assert loop.check_partial((0, "user"), line * 4) is None, "user turns are judged by the final gates"
    assert loop.check_partial((0, "answer"), "One line.\nAnother line.\nA third one.\n") is None


def test_check_partial_stops_an_answer_that_opens_with_a_refusal():
    loop = InstructionsLoop.__new__(InstructionsLoop)
    for opening in ("I'm sorry, but I can", "  I\u2019m sorry", "As an AI, I", "I cannot help with"):
        assert loop.check_partial((0, "answer"), opening) == "response_refusal", opening
        assert check_text(opening + " do that for you today.", GateLimits(), "response") == "response_refusal"
    assert loop.check_partial((0, "answer"), "Sure! I'm sorry to hear that") is None, "anchored at the start"
    assert loop.check_partial((0, "user"), "I'm sorry, I need help") is None


def test_an_aborted_answer_is_rejected_with_the_reason_the_feed_gave(tmp_path):
    def aborts(request):
        if request.json_schema is None and request.messages and request.messages[-1].role == "user":
            return Completion(
                text="loop\nloop\n", completion_tokens=32, finish_reason="aborted", error="response_repetition"
            )
        return FakeBackend()._one(request)

    with pytest.raises(synthgen.SynthgenError):
        synthgen.instructions(3, tmp_path / "run", backend=FakeBackend(responder=aborts), progress=False)
    counters = manifest(tmp_path / "run")["counters"]
    assert counters["response_repetition"] > 0 and counters.get("accepted", 0) == 0
