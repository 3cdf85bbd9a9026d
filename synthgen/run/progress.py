"""Progress on stderr: rows done, rows/s, generated tokens/s, ETA, rejections.

On a terminal it redraws one line; when stderr is a file or pipe (CI, nohup) it prints a line at
most every `log_every` seconds, so logs stay readable. No dependency: it is a few lines.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def format_duration(seconds: float) -> str:
    """'1h02m', '3m05s' or '42s'."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class Progress:
    """Tracks rows and tokens made in this session and renders a status line."""

    def __init__(
        self,
        total: int,
        done: int = 0,
        stream: TextIO | None = None,
        enabled: bool = True,
        log_every: float = 10.0,
    ):
        self.total = total
        self.start_done = done
        self.done = done
        self.tokens = 0
        self.rejected = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.is_tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.log_every = log_every
        self.started = time.monotonic()
        self._last = 0.0
        # The first rows take longest (a pipelined run fills its slots before any row is done),
        # so the ETA uses the rate since the first row of this session, not since the start.
        self._first_row_at: float | None = None
        self._first_row_done = done

    def update(self, done: int, tokens: int, rejected: int) -> None:
        """Record absolute counts and redraw if due."""
        now = time.monotonic()
        if self._first_row_at is None and done > self.start_done:
            self._first_row_at, self._first_row_done = now, done
        self.done, self.tokens, self.rejected = done, tokens, rejected
        if not self.enabled:
            return
        if self.is_tty or now - self._last >= self.log_every or done >= self.total:
            self._last = now
            end = "\r" if self.is_tty and done < self.total else "\n"
            self.stream.write(self.line() + ("\x1b[K" if self.is_tty else "") + end)
            self.stream.flush()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        made = self.done - self.start_done
        rate = made / elapsed
        remaining = self.total - self.done
        eta_rate = rate
        if self._first_row_at is not None and self.done > self._first_row_done:
            eta_rate = (self.done - self._first_row_done) / max(time.monotonic() - self._first_row_at, 1e-9)
        eta = format_duration(remaining / eta_rate) if eta_rate > 0 else "?"
        pct = 100.0 * self.done / self.total if self.total else 100.0
        return (
            f"rows {self.done}/{self.total} ({pct:.0f}%) | {rate:.2f} rows/s | "
            f"{self.tokens / elapsed:.0f} tok/s | rejected {self.rejected} | "
            f"elapsed {format_duration(elapsed)} | ETA {eta}"
        )

    def close(self) -> None:
        """End the progress line (once: a run that stops early may close it twice)."""
        if self.enabled and self.is_tty and not getattr(self, "_closed", False):
            self.stream.write("\n")
            self.stream.flush()
        self._closed = True
