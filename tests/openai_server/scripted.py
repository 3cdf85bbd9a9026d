"""A scripted OpenAI-compatible server on loopback, for the HTTP backend's failure cases.

`ScriptedServer` runs `http.server.ThreadingHTTPServer` in a background thread on a free port
(use it as a context manager, or `start()`/`stop()`). It answers `GET /v1/models`, `GET /props`
(when given), `POST /v1/chat/completions` and `POST /v1/completions`, plain JSON or, when the
body asks for `stream: true`, server-sent events ending in `data: [DONE]`. A completions request
with `logprobs` (a scoring request: `echo: true`) is answered by a toy language model in the
reply format of the server named by `scoring` (echo.py).

By default the reply is a pure function of the request (its messages or prompt and its seed,
as synthgen's fake backend does) and, when a `response_format` spelling the server honours
carries a schema, a JSON object fitting that schema. Faults are scripted in a queue that POSTs
take from in arrival order (`script(status(429, retry_after="1"), ok())`); every request is
recorded (`seen`) with its path, JSON body and headers, and a streamed reply records how many
chunks it sent and whether the client hung up first. `stop()` (or the `die()` fault) takes the
server down: from then on its port refuses connections, as a crashed server's does.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from openai_server import echo
from synthgen.backends.fake import fill_schema, pseudo_sentence

SCHEMA_IN_PROMPT = "matching this JSON schema:\n"  # what synthgen's "prompt" spelling appends
REFUSAL = 'response_format type must be one of "text" or "json_object", but got: json_schema'


@dataclass(frozen=True)
class Fault:
    """What the server does with one POST instead of (or before) answering it normally."""

    kind: str  # ok | status | slow | garbage | drop | plain | echo_auth | die
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    body: str | None = None


def ok() -> Fault:
    """Answer normally (a placeholder in a script)."""
    return Fault("ok")


def status(code: int, retry_after: str | None = None, body: str | None = None) -> Fault:
    """Answer with HTTP `code` (and a `Retry-After` header when given)."""
    return Fault("status", status=code, retry_after=retry_after, body=body)


def slow(seconds: float) -> Fault:
    """Answer normally, but only after `seconds`."""
    return Fault("slow", seconds=seconds)


def garbage() -> Fault:
    """200 with a body that is not JSON."""
    return Fault("garbage")


def drop() -> Fault:
    """Close the connection without any response."""
    return Fault("drop")


def plain() -> Fault:
    """Ignore `response_format` (and any schema in the prompt): answer plain text."""
    return Fault("plain")


def echo_auth(code: int = 400) -> Fault:
    """An error reply whose message echoes the request's Authorization header back."""
    return Fault("echo_auth", status=code)


def die() -> Fault:
    """Drop this request and go down: every later connection is refused."""
    return Fault("die")


@dataclass
class Seen:
    """One request the server received, and what it did with it."""

    method: str
    path: str
    headers: dict[str, str]  # names lowercased
    body: Any = None  # the parsed JSON body of a POST
    fault: str = ""
    answered: int = 0  # the status sent (0: none)
    chunks_sent: int = 0  # streamed replies: text chunks written
    disconnected: bool = False  # the client hung up before the reply was complete
    at: float = field(default_factory=time.monotonic)  # when it arrived


def reply_text(body: dict[str, Any], words: int = 40) -> str:
    """The default answer: a pseudo-sentence chosen by the request's input and seed."""
    source = body.get("messages") if "messages" in body else body.get("prompt")
    digest = hashlib.sha256(f"{body.get('seed')}|{json.dumps(source, sort_keys=True)}".encode()).digest()
    return pseudo_sentence(digest, words=words)


def _digest(body: dict[str, Any]) -> bytes:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest()


def dead_url() -> str:
    """A loopback URL nothing listens on (a port bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: ScriptedServer

    def handle_error(self, request, client_address) -> None:  # a client that hung up is expected
        pass


class ScriptedServer:
    """An OpenAI-compatible server that answers from a script; see the module docstring.

    `models`: what `/v1/models` lists. `props`: the `/props` JSON (None: 404). `honours`: the
    `response_format` types whose schema is obeyed (others are ignored: plain text).
    `reject_json_schema`: answer the `json_schema` spelling with a 500 naming `response_format`,
    as llama-cpp-python's server does. `schema_in_prompt`: obey a schema synthgen put in the
    prompt. `delay`: seconds before each POST is answered (a number, or a function of the body).
    `text`: the plain-text answer as a function of the body. `chunk_delay`: seconds between
    streamed chunks. `api_key`: answer any request without `Authorization: Bearer <api_key>`
    with a 401, as OpenAI and vLLM's `--api-key` do. `scoring`: how completions with `logprobs`
    are answered (echo.py MODES: "echo" as vLLM, "hide-specials" as llama-cpp-python, "no-echo",
    "llama-server", "refuse").
    """

    def __init__(
        self,
        models: Iterable[str] = ("scripted-model",),
        props: dict[str, Any] | None = None,
        honours: Iterable[str] = ("json_schema", "json_object"),
        reject_json_schema: bool = False,
        schema_in_prompt: bool = True,
        delay: float | Callable[[dict[str, Any]], float] = 0.0,
        text: Callable[[dict[str, Any]], str] = reply_text,
        chunk_delay: float = 0.0,
        api_key: str | None = None,
        scoring: str = "echo",
    ):
        self.models = list(models)
        self.props = props
        self.honours = set(honours)
        self.reject_json_schema = reject_json_schema
        self.schema_in_prompt = schema_in_prompt
        self.delay = delay
        self.text = text
        self.chunk_delay = chunk_delay
        self.api_key = api_key
        if scoring not in echo.MODES:
            raise ValueError(f"scoring must be one of {echo.MODES}")
        self.scoring = scoring
        self.faults: deque[Fault] = deque()
        self.seen: list[Seen] = []
        self.connections = 0
        self.dead = False
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ---- lifecycle ----------------------------------------------------------------------------
    def start(self) -> ScriptedServer:
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd, self.port = httpd, httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Go down: the listening socket closes (connections are refused) and open ones drop."""
        with self._lock:
            self.dead = True
            httpd, self._httpd = self._httpd, None
        self._stopping.set()
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ---- script and record --------------------------------------------------------------------
    def script(self, *faults: Fault) -> None:
        """Queue faults for the next POSTs, one each, in arrival order."""
        with self._lock:
            self.faults.extend(faults)

    def posts(self, path: str | None = None) -> list[Seen]:
        """The POSTs received (to `path`, e.g. "/v1/completions", when given)."""
        with self._lock:
            return [s for s in self.seen if s.method == "POST" and (path is None or s.path == path)]

    @property
    def served(self) -> int:
        """POSTs answered with 200 and a complete reply."""
        return sum(1 for s in self.posts() if s.answered == 200 and not s.disconnected and s.fault != "garbage")

    def _record(self, seen: Seen) -> Fault:
        with self._lock:
            self.seen.append(seen)
            if seen.method == "POST" and self.faults:
                return self.faults.popleft()
        return ok()

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    # ---- answers ------------------------------------------------------------------------------
    def answer(self, body: dict[str, Any], fault: Fault) -> tuple[str, str]:
        """(text, finish_reason) for a request: JSON for a schema it obeys, else plain text."""
        schema = None if fault.kind == "plain" else self._schema(body)
        if schema is not None:
            return json.dumps(fill_schema(schema, _digest(body))), "stop"
        words = self.text(body).split(" ")
        finish = "stop"
        limit = body.get("max_tokens")
        if isinstance(limit, int) and len(words) > limit:
            words, finish = words[:limit], "length"
        text = " ".join(words)
        for stop in body.get("stop") or []:
            if stop and stop in text:
                text, finish = text.split(stop, 1)[0], "stop"
        return text, finish

    def _schema(self, body: dict[str, Any]) -> dict[str, Any] | None:
        fmt = body.get("response_format")
        if isinstance(fmt, dict) and fmt.get("type") in self.honours:
            if fmt["type"] == "json_schema":
                return (fmt.get("json_schema") or {}).get("schema") or {"type": "object"}
            return fmt.get("schema") or {"type": "object"}
        if self.schema_in_prompt:
            users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
            if users and SCHEMA_IN_PROMPT in users[-1].get("content", ""):
                return json.loads(users[-1]["content"].rsplit(SCHEMA_IN_PROMPT, 1)[1])
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.owner._lock:
            self.server.owner.connections += 1

    def log_message(self, *args: object) -> None:
        pass

    # ---- plumbing -----------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _send(self, seen: Seen, code: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        seen.answered = code

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _json(self, seen: Seen, code: int, data: Any) -> None:
        self._send(seen, code, json.dumps(data).encode())

    def _unauthorized(self, seen: Seen) -> bool:
        """Answer 401 when the server wants a key and the request lacks it."""
        key = self.server.owner.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return False
        self._json(seen, 401, {"error": {"code": 401, "message": "Invalid API key", "type": "invalid_request_error"}})
        return True

    # ---- routes -------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        owner = self.server.owner
        seen = Seen("GET", self.path, self._headers())
        owner._record(seen)
        if owner.dead:
            return self._drop()
        if self._unauthorized(seen):
            return None
        if self.path.rstrip("/") == "/v1/models":
            self._json(seen, 200, {"object": "list", "data": [{"id": m, "object": "model"} for m in owner.models]})
        elif self.path == "/props" and owner.props is not None:
            self._json(seen, 200, owner.props)
        else:
            self._json(seen, 404, {"error": {"code": 404, "message": "File Not Found"}})

    def do_POST(self) -> None:  # noqa: N802
        owner = self.server.owner
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        seen = Seen("POST", self.path, self._headers(), body)
        fault = owner._record(seen)
        seen.fault = fault.kind if fault.kind != "ok" else ""
        try:
            self._post(owner, seen, body, fault)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            seen.disconnected = True
            self.close_connection = True

    def _post(self, owner: ScriptedServer, seen: Seen, body: Any, fault: Fault) -> None:
        if owner.dead:
            return self._drop()
        if fault.kind == "die":
            owner.dead = True
            threading.Thread(target=owner.stop, daemon=True).start()
            return self._drop()
        if fault.kind == "drop":
            return self._drop()
        if self._unauthorized(seen):
            return None
        if self.path not in ("/v1/chat/completions", "/v1/completions") or not isinstance(body, dict):
            return self._json(seen, 404 if isinstance(body, dict) else 400, {"error": {"message": "bad request"}})
        delay = owner.delay(body) if callable(owner.delay) else owner.delay
        owner._sleep(delay + (fault.seconds if fault.kind == "slow" else 0.0))
        if owner.dead:
            return self._drop()
        if fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            message = fault.body or f"scripted HTTP {fault.status}"
            payload = json.dumps({"error": {"code": fault.status, "message": message}}).encode()
            return self._send(seen, fault.status, payload, headers)
        if fault.kind == "echo_auth":
            message = f"bad request; you sent Authorization: {self.headers.get('Authorization', '(none)')}"
            return self._json(seen, fault.status, {"error": {"code": fault.status, "message": message}})
        if fault.kind == "garbage":
            return self._send(seen, 200, b'{"choices": [{"message": ')  # cut off mid-object
        if self.path == "/v1/completions" and body.get("logprobs") is not None:
            return self._json(seen, *echo.answer(owner.scoring, body, body.get("model")))
        fmt = body.get("response_format")
        if owner.reject_json_schema and isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            return self._json(seen, 500, {"error": {"code": 500, "message": REFUSAL, "type": "server_error"}})
        text, finish = owner.answer(body, fault)
        chat = self.path == "/v1/chat/completions"
        usage = {"prompt_tokens": 10, "completion_tokens": len(text.split()), "total_tokens": 10 + len(text.split())}
        if body.get("stream"):
            return self._stream(owner, seen, body, text, finish, chat, usage)
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        kind = "chat.completion" if chat else "text_completion"
        reply = {"id": f"scripted-{len(owner.seen)}", "object": kind, "model": body.get("model"), "choices": [choice]}
        self._json(seen, 200, {**reply, "usage": usage})

    def _stream(
        self, owner: ScriptedServer, seen: Seen, body: dict, text: str, finish: str, chat: bool, usage: dict
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        seen.answered = 200

        def event(data: Any) -> None:
            line = f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()
            self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
            self.wfile.flush()

        def choice(piece: str | None, reason: str | None) -> dict:
            out: dict[str, Any] = {"index": 0, "finish_reason": reason}
            if chat:
                out["delta"] = {"content": piece} if piece is not None else {}
            else:
                out["text"] = piece or ""
            return {"object": "chat.completion.chunk" if chat else "text_completion", "choices": [out]}

        words = text.split(" ")
        for i, word in enumerate(words):
            event(choice(word if i == 0 else " " + word, None))
            seen.chunks_sent += 1
            owner._sleep(owner.chunk_delay)
            if owner.dead:
                return self._drop()
        event(choice(None, finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            event({"choices": [], "usage": usage})
        event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
