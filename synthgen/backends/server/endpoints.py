"""The servers of a run: which one gets the next request, and which are down for now.

Least-loaded: a request goes to the server with the fewest requests in flight (ties to the one
used least recently), so a fast server takes more of the work and a slow one is not flooded. A
server that refuses connections or keeps failing is marked down for a while (doubling, capped)
and tried again after that; while one server is up the run goes on. Only when every server is
down and stays down does the run stop, with one line naming each server and why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from synthgen.backends.server.options import public_url

DOWN_FIRST = 2.0  # seconds a server is left alone after its first failure in a row
DOWN_MAX = 60.0


@dataclass
class Endpoint:
    """One server: its base URL (ending in /v1), load and health."""

    url: str
    in_flight: int = 0
    served: int = 0
    failures: int = 0  # failures in a row; a success resets it
    down_until: float = 0.0
    last_error: str = ""
    last_used: float = field(default=0.0)

    @property
    def root(self) -> str:
        """The server's root (llama-server's /props and /health live there, not under /v1)."""
        return self.url[: -len("/v1")] if self.url.endswith("/v1") else self.url

    def up(self, now: float) -> bool:
        return now >= self.down_until


class EndpointPool:
    """Picks servers for requests and keeps their health."""

    def __init__(self, urls: list[str]):
        self.endpoints = [Endpoint(url) for url in urls]

    def pick(self, skip: frozenset[str] = frozenset()) -> Endpoint | None:
        """The least-loaded server that is up, or None when all are down (see `wait_hint`).
        Servers whose URL is in `skip` (known unable to serve this kind of request) are left out."""
        now = time.monotonic()
        up = [e for e in self.endpoints if e.up(now) and e.url not in skip]
        if not up:
            return None
        chosen = min(up, key=lambda e: (e.in_flight, e.last_used))
        chosen.in_flight += 1
        chosen.last_used = now
        return chosen

    def release(self, endpoint: Endpoint, ok: bool, error: str = "", mark_down: bool = False) -> None:
        """A request on `endpoint` ended; `mark_down` after a connection failure or a 5xx streak."""
        endpoint.in_flight -= 1
        if ok:
            endpoint.served += 1
            endpoint.failures = 0
            endpoint.down_until = 0.0
            return
        endpoint.failures += 1
        endpoint.last_error = error
        if mark_down:
            pause = min(DOWN_MAX, DOWN_FIRST * 2 ** (endpoint.failures - 1))
            endpoint.down_until = time.monotonic() + pause

    def wait_hint(self, skip: frozenset[str] = frozenset()) -> float:
        """Seconds until the first down server (not in `skip`) may be tried again."""
        now = time.monotonic()
        return max(0.0, min((e.down_until for e in self.endpoints if e.url not in skip), default=0.0) - now)

    def all_down(self) -> bool:
        now = time.monotonic()
        return all(not e.up(now) for e in self.endpoints)

    def describe_down(self) -> str:
        return "; ".join(f"{public_url(e.url)} ({e.last_error or 'down'})" for e in self.endpoints)
