"""Request bodies and replies of the OpenAI-compatible API, in the spellings servers accept.

Chat requests go to `/chat/completions`; raw prompts (Magpie's pre-query text) to `/completions`.
Sampling names follow OpenAI where it has one (temperature, top_p, max_tokens, seed, stop) and
llama.cpp's otherwise (top_k, min_p, repeat_penalty), which llama-server, llama-cpp-python's
server and vLLM read and Ollama ignores.
"""

from __future__ import annotations

import json
from typing import Any

from synthgen.backends.base import Completion, GenerationRequest
from synthgen.backends.server.structured import response_format, schema_instruction


class BadReply(Exception):
    """A 2xx reply that is not the JSON the API promises (retried like a server error)."""


def path_of(request: GenerationRequest) -> str:
    return "/chat/completions" if request.messages is not None else "/completions"


def body(request: GenerationRequest, model: str, spelling: str | None, stream: bool) -> dict[str, Any]:
    """The JSON body for `request`; `spelling` says how its schema is sent (structured.py)."""
    p = request.params
    out: dict[str, Any] = {
        "model": model,
        "max_tokens": p.max_tokens,
        "temperature": p.temperature,
        "top_p": p.top_p,
        "top_k": p.top_k,
        "min_p": p.min_p,
        "repeat_penalty": p.repeat_penalty,
        "seed": request.seed,
    }
    if p.stop:
        out["stop"] = list(p.stop)
    if request.messages is not None:
        messages = [m.model_dump() for m in request.messages]
        if request.json_schema is not None and spelling == "prompt":
            last = next(i for i in range(len(messages) - 1, -1, -1) if messages[i]["role"] == "user")
            asked = messages[last]["content"] + schema_instruction(request.json_schema)
            messages[last] = {**messages[last], "content": asked}
        out["messages"] = messages
    else:
        out["prompt"] = request.prompt
    if request.json_schema is not None and spelling is not None:
        fmt = response_format(spelling, request.json_schema)
        if fmt is not None:
            out["response_format"] = fmt
    if stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def _finish(reason: Any) -> str:
    return "length" if reason == "length" else "stop"


def _text(choice: dict[str, Any], chat: bool) -> str:
    if chat:
        message = choice.get("message") or choice.get("delta") or {}
        text = message.get("content")
    else:
        text = choice.get("text")
    return _utf8(text) if isinstance(text, str) else ""


def _utf8(text: str) -> str:
    """`text` with lone surrogates (a JSON "\\ud800" escape a server may send) made U+FFFD: they are
    not UTF-8, and a row holding one could not be written to Parquet."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text


def completion_from(reply: bytes, chat: bool) -> Completion:
    """A non-streamed reply as a Completion; BadReply when it is not the API's JSON."""
    try:
        data = json.loads(reply)
        choice = data["choices"][0]
        text = _text(choice, chat)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise BadReply(f"unreadable reply ({type(exc).__name__})") from None
    usage = data.get("usage") or {}
    return Completion(
        text=text,
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        finish_reason=_finish(choice.get("finish_reason")),
    )


class StreamState:
    """Accumulates a streamed (server-sent events) reply chunk by chunk."""

    def __init__(self, chat: bool):
        self.chat = chat
        self.parts: list[str] = []
        self.chunks = 0
        self.finish = "stop"
        self.finished = False  # a chunk carried finish_reason
        self.usage: dict[str, Any] = {}
        self.ended = False

    def feed_line(self, line: str) -> bool:
        """Take one SSE line; True when it added text."""
        if not line.startswith("data:"):
            return False
        payload = line[5:].strip()
        if payload == "[DONE]":
            self.ended = True
            return False
        try:
            data = json.loads(payload)
        except ValueError:
            raise BadReply("unreadable stream chunk") from None
        if not isinstance(data, dict):
            raise BadReply("unreadable stream chunk")
        if isinstance(data.get("usage"), dict):
            self.usage = data["usage"]
        choices = data.get("choices") or []
        if not choices or not isinstance(choices[0], dict):
            return False
        choice = choices[0]
        if choice.get("finish_reason"):
            self.finish = _finish(choice["finish_reason"])
            self.finished = True
        text = _text(choice, self.chat)
        if text:
            self.parts.append(text)
            self.chunks += 1
            return True
        return False

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def completion(self) -> Completion:
        """The reply so far; without a usage chunk, a chunk counts as a token (llama.cpp servers
        send one token per chunk)."""
        return Completion(
            text=self.text,
            prompt_tokens=int(self.usage.get("prompt_tokens") or 0),
            completion_tokens=int(self.usage.get("completion_tokens") or self.chunks),
            finish_reason=self.finish,
        )
