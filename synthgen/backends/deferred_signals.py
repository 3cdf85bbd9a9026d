"""Ctrl-C and SIGTERM while llama.cpp runs: recorded at once, acted on between decode steps.

llama.cpp reports through a log callback that llama-cpp-python implements in Python, and it
calls it ~30 times per `llama_decode` (graph input tensors) and often while a context is built. A
Python signal handler runs at the next bytecode, so a signal that arrives during a decode is
usually handled inside that callback, and the KeyboardInterrupt it raises there is swallowed by
ctypes ("Exception ignored on calling ctypes callback function"). The run then went on to its
end, as if the Ctrl-C had never been pressed.

So while the engine runs, SIGINT and SIGTERM only record themselves, and the engine calls
`deliver()` after each step, which runs the handler that was there before (Python's
KeyboardInterrupt, or the CLI's SIGTERM handler, which raises the same) outside any callback.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Deferred:
    """What `signals_between_steps` yields: call it to act on a recorded signal; `pending` says
    whether one is waiting (a C call with a "go on?" callback, like llama.cpp's model-load
    progress, returns False on it so the call ends early and the signal can act)."""

    def __init__(self, previous: dict[int, Callable]):
        self.previous = previous
        self.recorded: list[tuple[int, object]] = []

    def record(self, signum, frame) -> None:
        self.recorded.append((signum, frame))

    @property
    def pending(self) -> bool:
        return bool(self.recorded)

    def __call__(self) -> None:
        if self.recorded:
            signum, frame = self.recorded[0]
            self.recorded.clear()
            self.previous[signum](signum, frame)


@contextmanager
def signals_between_steps() -> Iterator[Deferred]:
    """Defer SIGINT/SIGTERM within the block; yields `deliver` (a Deferred), which acts on a recorded one.

    A signal still pending when the block ends is delivered then. Only Python-level handlers
    are deferred (SIG_DFL or SIG_IGN act in C, outside any callback), and only in the main
    thread, the one Python runs signal handlers in.
    """
    if threading.current_thread() is not threading.main_thread():
        yield Deferred({})
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    deliver = Deferred({s: h for s, h in previous.items() if callable(h)})
    for s in deliver.previous:
        signal.signal(s, deliver.record)
    try:
        yield deliver
        deliver()
    finally:
        for s, handler in deliver.previous.items():
            signal.signal(s, handler)
