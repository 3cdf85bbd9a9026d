"""The HTTP request handler: reading a request off the socket, applying a fault, sending the answer.

Why a file of its own: this is the only code that speaks HTTP (`http.server`, HTTP/1.1, chunked request bodies,
`Range` on resolve answers); everything it decides is delegated to the `HubServer` it serves (`server.hub`):
routing, the injected fault that applies, the log entry. An answer that cannot be delivered (the client timed out)
is still logged, with its `error`.
"""

from __future__ import annotations

import re
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from .traffic import LoggedRequest
from .wire import Response, json_response

if TYPE_CHECKING:
    from .server import HubServer


_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Handler(BaseHTTPRequestHandler):
    """Serves the requests of one connection for `self.server.hub`."""

    protocol_version = "HTTP/1.1"
    server_version = "fake-hub/1"
    timeout = 60

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._serve()

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_PUT(self) -> None:  # noqa: N802
        self._serve()

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr logging
        pass

    def _serve(self) -> None:
        hub: HubServer = self.server.hub  # type: ignore[attr-defined]
        split = urlsplit(self.path)
        path = unquote(split.path)
        auth = hub._auth_state(self.headers.get("Authorization"))
        body = self._read_body()
        query = parse_qs(split.query, keep_blank_values=True)
        route, handler = hub._route(self.command, split.path, query, auth, body)
        fault = hub._take_fault(self.command, path)
        response: Response | None = None

        def log(status: int | None, error: str | None = None) -> LoggedRequest:
            entry = LoggedRequest(
                method=self.command,
                path=hub._scrub(path),
                query=hub._scrub(split.query),
                status=status,
                route=route,
                auth=auth,
                fault=fault.describe() if fault else None,
                raw_path=hub._scrub(split.path),
                error=error,
            )
            hub._log(entry)
            return entry

        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is None or fault.after:
            response = hub._run(route, handler, auth)
        if fault is not None and fault.drop:
            self.close_connection = True
            log(None)
            return
        if fault is not None and fault.status is not None:
            message = f"Injected failure {fault.status} by the fake Hub"
            payload = fault.body if fault.body is not None else {"error": message}
            headers = {"X-Error-Message": message, **fault.headers}
            if isinstance(payload, bytes):
                response = Response(fault.status, payload, headers, route)
            else:
                response = json_response(fault.status, payload, headers)
                response.route = route
        assert response is not None
        # Logged before the answer goes out, so a client that reads the log right after its
        # answer always finds its request there.
        entry = log(response.status)
        try:
            self._send(response)
        except OSError as err:  # the client went away (timeout, reset): keep the record, drop the connection
            self.close_connection = True
            entry.error = f"answer not delivered: {type(err).__name__}"

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, response: Response) -> None:
        status, body, headers = response.status, response.body, dict(response.headers)
        if response.route == "resolve" and status == 200 and (spec := self.headers.get("Range")):
            status, body, headers = _apply_range(spec, body, headers)
        self.send_response(status)
        headers.setdefault("Content-Type", "application/json")
        headers.setdefault("X-Request-Id", uuid.uuid4().hex)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _apply_range(spec: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    match = _RANGE_RE.match(spec.strip())
    total = len(body)
    if not match or (not match[1] and not match[2]):
        return 200, body, headers  # unsupported (e.g. multi-range): the whole file, as servers may do
    if match[1]:
        start = int(match[1])
        end = min(int(match[2]), total - 1) if match[2] else total - 1
    else:
        start, end = max(total - int(match[2]), 0), total - 1
    if start >= total or start > end:
        return 416, b"", {**headers, "Content-Range": f"bytes */{total}"}
    return 206, body[start : end + 1], {**headers, "Content-Range": f"bytes {start}-{end}/{total}"}
