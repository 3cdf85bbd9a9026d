"""A deterministic fake backend for unit tests of synthgen's logic.

It never replaces the integration tests on the real model; it exists so that dedup, top-up,
resume, gates and counters can be tested quickly and exactly. Output is a pure function of the
request (or of a scripted responder), and every request is recorded in `history`.
"""

from __future__ import annotations

import hashlib
import json
import re
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


_TOKEN = re.compile(r"\w+|[^\w\s]")


def fake_score(request: GenerationRequest) -> Completion:
    """Deterministic log-probabilities that behave like a language model's in the ways tests need.

    One token per word or punctuation mark. A word that also occurs in the prompt is likely
    (-0.5), any other word less so (-2.0), a word repeating the one before it unlikely (-6.0,
    degenerate text). Ending the turn is likely after a closing . ! or ? (-0.2), unlikely
    elsewhere (-4.0). So relevance, fluency and completeness each separate a constructed better
    answer from a worse one, without a model.
    """
    body = request.prompt if request.prompt is not None else " ".join(m.content for m in request.messages or [])
    seen = {w.lower() for w in _TOKEN.findall(body)}
    tokens = _TOKEN.findall(request.continuation or "")
    logprobs = []
    for i, token in enumerate(tokens):
        if i and token.lower() == tokens[i - 1].lower():
            logprobs.append(-6.0)
        else:
            logprobs.append(-0.5 if token.lower() in seen else -2.0)
    ended = bool(tokens) and tokens[-1] in (".", "!", "?")
    return Completion(
        text=request.continuation or "",
        prompt_tokens=len(_TOKEN.findall(body)) + len(tokens),
        token_logprobs=logprobs,
        end_logprob=-0.2 if ended else -4.0,
    )


class FakeBackend:
    """Answers requests deterministically; `enqueue` scripts replies, `responder` computes them."""

    def __init__(
        self,
        responder: Responder | None = None,
        chat_template: str | None = None,
        scoring: bool = False,
        n_params: int | None = None,
    ):
        self.responder = responder
        # Whether it says it can score (it always answers scoring requests), and the model size
        # it reports: together they decide what `--judge auto` picks (dpo/judge_choice.py).
        self.scoring, self.n_params = scoring, n_params
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
        extra = {"n_params": self.n_params} if self.n_params is not None else {}
        return ModelInfo(name="fake", chat_template=self.chat_template, eos_token="<|im_end|>", extra=extra)

    def can_score(self) -> bool:
        return self.scoring

    def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        self.batches.append(len(requests))
        return [self._one(r) for r in requests]

    def _one(self, request: GenerationRequest) -> Completion:
        self.history.append(request)
        if request.scoring:
            return fake_score(request)
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
