"""A deterministic fake backend for unit tests of synthgen's logic.

It never replaces the integration tests on the real model; it exists so that dedup, top-up,
resume, gates and counters can be tested quickly and exactly. Output is a pure function of the
request (or of a scripted responder), and every request is recorded in `history`.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable

from synthgen.backends.base import Completion, GenerationRequest, ModelInfo

_WORDS = (
    "river light stone garden engine cloud number forest signal letter market planet song bridge "
    "window metal orbit seed paper ocean winter circuit harbor mirror candle thunder valley tower "
    "copper meadow lantern compass glacier falcon ember prism canyon velvet quartz harvest beacon"
).split()

Responder = Callable[[GenerationRequest], str | Completion]


def _digest(request: GenerationRequest) -> bytes:
    body = (
        request.prompt if request.prompt is not None else json.dumps([m.model_dump() for m in request.messages or []])
    )
    return hashlib.sha256(f"{request.seed}|{body}".encode()).digest()


def pseudo_sentence(digest: bytes, words: int = 12) -> str:
    """A sentence of `words` words chosen by `digest`: distinct requests give distinct text."""
    picked = [_WORDS[digest[i % len(digest)] % len(_WORDS)] for i in range(words)]
    picked[0] = picked[0].capitalize()
    return " ".join(picked) + "."


def fill_schema(schema: dict, digest: bytes) -> object:
    """Build a value that satisfies a simple JSON schema (objects, strings, ints, arrays)."""
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {key: fill_schema(sub, hashlib.sha256(digest + key.encode()).digest()) for key, sub in props.items()}
    if kind == "array":
        count = max(1, schema.get("minItems", 1))
        items = schema.get("items", {"type": "string"})
        return [fill_schema(items, hashlib.sha256(digest + bytes([i])).digest()) for i in range(count)]
    if kind == "integer":
        lo = schema.get("minimum", 0)
        hi = schema.get("maximum", lo + 255)
        return lo + digest[0] % (hi - lo + 1)
    if kind == "boolean":
        return bool(digest[0] & 1)
    text = pseudo_sentence(digest)
    limit = schema.get("maxLength")
    return text[:limit] if limit else text


class FakeBackend:
    """Answers requests deterministically; `enqueue` scripts replies, `responder` computes them."""

    def __init__(self, responder: Responder | None = None, chat_template: str | None = None):
        self.responder = responder
        self.queue: deque[str | Completion] = deque()
        self.history: list[GenerationRequest] = []
        self.batches: list[int] = []
        self.chat_template = chat_template or (
            "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
            "{{ message['content'] }}<|im_end|>\n{% endfor %}"
            "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
        )

    def enqueue(self, replies: list[str | Completion]) -> None:
        """Script the next replies, used before the responder or the default generator."""
        self.queue.extend(replies)

    def model_info(self) -> ModelInfo:
        return ModelInfo(name="fake", chat_template=self.chat_template, eos_token="<|im_end|>")

    def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        self.batches.append(len(requests))
        return [self._one(r) for r in requests]

    def _one(self, request: GenerationRequest) -> Completion:
        self.history.append(request)
        if self.queue:
            reply = self.queue.popleft()
        elif self.responder is not None:
            reply = self.responder(request)
        elif request.json_schema is not None:
            reply = json.dumps(fill_schema(request.json_schema, _digest(request)))
        else:
            reply = pseudo_sentence(_digest(request), words=40)
        if isinstance(reply, Completion):
            return reply
        tokens = max(1, len(reply.split()))
        return Completion(text=reply, prompt_tokens=10, completion_tokens=tokens, finish_reason="stop")
