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


@contextmanager
def signals_between_steps() -> Iterator[Callable[[], None]]:
    """Defer SIGINT/SIGTERM within the block; yields `deliver`, which acts on a recorded one.

    A signal still pending when the block ends is delivered then. Only Python-level handlers
    are deferred (SIG_DFL or SIG_IGN act in C, outside any callback), and only in the main
    thread, the one Python runs signal handlers in.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    pending: list[tuple[int, object]] = []
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    previous = {s: h for s, h in previous.items() if callable(h)}

    def record(signum, frame) -> None:
        pending.append((signum, frame))

    def deliver() -> None:
        if pending:
            signum, frame = pending[0]
            pending.clear()
            previous[signum](signum, frame)

    for s in previous:
        signal.signal(s, record)
    try:
        yield deliver
        deliver()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
