"""When to try a request again, and how long to wait first.

Retried: 429 (rate limited), 5xx, timeouts, dropped or refused connections and responses that are
not the JSON they should be. Not retried: other 4xx (a request the server will never accept,
such as a prompt longer than its context), which become that request's error. The wait is
exponential with full jitter (so a fleet of clients does not retry in step), and a server's
`Retry-After` (seconds or an HTTP date) is honoured when it asks for longer, up to a cap.
"""

from __future__ import annotations

import email.utils
import random
import time

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 120.0
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds (it is either a number of seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(RETRY_AFTER_CAP, max(0.0, seconds))


def backoff(attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, ...): full jitter, or Retry-After if longer."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    wait = (rng or random).uniform(0, ceiling)
    return max(wait, retry_after) if retry_after is not None else wait
