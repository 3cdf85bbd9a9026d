"""Signals during C calls that call back into Python (deferred_signals.py)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import threading

import pytest

from synthgen.backends.deferred_signals import signals_between_steps

COMPARE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))


def _sort_signalling_from_the_callback(signum: int, calls: list[int] | None = None) -> list[int]:
    """libc's qsort with a Python comparator that sends `signum` to this process on its first
    call: the handler then runs inside a ctypes callback, as with llama.cpp's log callback.
    `calls` collects one entry per comparator call."""
    calls = [] if calls is None else calls

    @COMPARE
    def compare(a, b):
        calls.append(1)
        if len(calls) == 1:
            os.kill(os.getpid(), signum)
        return a[0] - b[0]

    values = (ctypes.c_int * 5)(5, 3, 4, 1, 2)
    ctypes.CDLL(ctypes.util.find_library("c")).qsort(values, 5, ctypes.sizeof(ctypes.c_int), compare)
    return list(values)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_ctrl_c_inside_a_callback_is_lost_without_deferral():
    # the failure being fixed: ctypes swallows the KeyboardInterrupt raised in the callback (the
    # interrupted comparison returns 0), qsort goes on comparing, and its caller never sees it
    calls: list[int] = []
    _sort_signalling_from_the_callback(signal.SIGINT, calls)
    assert len(calls) > 1


def test_ctrl_c_inside_a_callback_is_delivered_at_the_next_step():
    with pytest.raises(KeyboardInterrupt):
        with signals_between_steps() as deliver:
            assert _sort_signalling_from_the_callback(signal.SIGINT) == [1, 2, 3, 4, 5]
            deliver()
            pytest.fail("deliver() should have raised the recorded Ctrl-C")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_signal_still_pending_at_the_end_is_delivered_then():
    reached_end = []
    with pytest.raises(KeyboardInterrupt):
        with signals_between_steps():
            _sort_signalling_from_the_callback(signal.SIGINT)
            reached_end.append(True)
    assert reached_end == [True]


def test_the_previous_sigterm_handler_is_the_one_that_acts():
    seen = []

    def on_term(signum, frame):
        seen.append(signum)

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        with signals_between_steps() as deliver:
            _sort_signalling_from_the_callback(signal.SIGTERM)
            assert seen == []
            deliver()
            assert seen == [signal.SIGTERM]
            deliver()  # delivered once, not again
            assert seen == [signal.SIGTERM]
        assert signal.getsignal(signal.SIGTERM) is on_term
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_outside_the_main_thread_nothing_is_replaced():
    seen = []

    def worker():
        with signals_between_steps() as deliver:
            seen.append(signal.getsignal(signal.SIGINT))
            deliver()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]
