"""The request log and fault injection: what the server saw, and how a test makes it misbehave.

Why a file of its own: tests assert on the traffic (`requests`, `requests_to`: method, decoded path, status,
route, whether a valid token came, never the token itself) and script failures per test (`fail_next`, `slow`,
`drop_next` or the general `inject`); the HTTP handler (handler.py) consults `_take_fault` before answering and
records every request with `_log`, so both sides of a request's fate live here together.

A mixin of `HubServer` (server.py), which holds `requests`, `_faults` and `_lock`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class LoggedRequest:
    """One request as the server saw it. `status` is None when the connection was dropped on purpose."""

    method: str
    path: str  # percent-decoded URL path, e.g. /api/datasets/ns/name/commit/main
    query: str
    status: int | None
    route: str  # e.g. "repo_info", "commit", "resolve"; "unknown" for paths the fake does not serve
    auth: str  # "valid", "invalid" or "none": whether a token came and matched (the token itself is never kept)
    fault: str | None = None  # description of the injected fault that applied, if any
    raw_path: str = ""
    error: str | None = None  # set when the answer could not be written (e.g. the client had timed out)


@dataclass
class Fault:
    """An injected failure; `times=None` means every matching request from then on."""

    pattern: re.Pattern[str]
    method: str | None
    status: int | None
    headers: dict[str, str]
    body: Any
    delay: float
    drop: bool
    after: bool
    times: int | None
    hits: int = 0

    def describe(self) -> str:
        what = "drop" if self.drop else (f"status {self.status}" if self.status else f"delay {self.delay}s")
        return f"{what} on {self.method or '*'} {self.pattern.pattern}" + (" (after handling)" if self.after else "")


class RequestLog:
    """Reading the request log and injecting faults into the next matching requests."""

    def requests_to(self, pattern: str = "", method: str | None = None) -> list[LoggedRequest]:
        """Logged requests whose decoded path matches `pattern` (re.search), optionally of one method."""
        regex = re.compile(pattern)
        with self._lock:
            return [r for r in self.requests if regex.search(r.path) and (method is None or r.method == method)]

    def inject(
        self,
        pattern: str,
        *,
        method: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        delay: float = 0.0,
        drop: bool = False,
        after: bool = False,
        times: int | None = 1,
    ) -> Fault:
        """Make the next `times` requests whose decoded path matches `pattern` (re.search) misbehave.

        `delay` sleeps first; then `drop` closes the connection without an answer, or `status` answers that status
        with `headers` and `body` (default `{"error": "..."}`). With `after=True` the request is handled for real
        first (state changes) and only its answer is replaced or lost: "the commit happened but the client never
        heard". Faults are checked in the order they were added; the first matching one applies.
        """
        fault = Fault(re.compile(pattern), method, status, dict(headers or {}), body, delay, drop, after, times)
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail_next(
        self,
        pattern: str,
        status: int,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        *,
        method: str | None = None,
        body: Any = None,
    ) -> Fault:
        """Answer `status` (401, 403, 429, 500...) to the next `times` matching requests, before handling them."""
        return self.inject(pattern, method=method, status=status, headers=headers, body=body, times=times)

    def slow(self, pattern: str, seconds: float, times: int | None = 1, *, method: str | None = None) -> Fault:
        """Sleep `seconds` before handling the next `times` matching requests."""
        return self.inject(pattern, method=method, delay=seconds, times=times)

    def drop_next(
        self, pattern: str, times: int | None = 1, *, method: str | None = None, after: bool = False
    ) -> Fault:
        """Close the connection without answering the next `times` matching requests."""
        return self.inject(pattern, method=method, drop=True, after=after, times=times)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if (fault.method is None or fault.method == method) and fault.pattern.search(path):
                    fault.hits += 1
                    if fault.times is not None and fault.hits >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None

    def _log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)
