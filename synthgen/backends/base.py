"""The backend contract: a list of generation requests in, a list of completions out.

It is batch-first on purpose. The in-process llama.cpp backend may decode many sequences at once,
an HTTP backend may fan requests out to servers, and the fake backend answers from a script; all
of them take the whole list so they can schedule it as they like, and return completions in the
same order as the requests.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Message(BaseModel):
    """One chat turn, in the role/content shape TRL and OpenAI use."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class SamplingParams(BaseModel):
    """Sampling settings, shared by every backend; names follow llama.cpp / OpenAI."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: int = Field(256, ge=1)
    temperature: float = Field(0.8, ge=0.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    top_k: int = Field(40, ge=0)
    min_p: float = Field(0.05, ge=0.0, le=1.0)
    repeat_penalty: float = Field(1.1, ge=0.0)
    stop: list[str] = Field(default_factory=list)


class GenerationRequest(BaseModel):
    """One completion to produce: chat `messages` or a raw `prompt` (exactly one of them).

    `json_schema`, when set, must constrain decoding (a grammar), not merely be asked for in the
    prompt: small models almost never emit valid JSON unconstrained. `seed` is per request so the
    output of a request never depends on what else is in the batch.
    """

    model_config = ConfigDict(extra="forbid")

    messages: list[Message] | None = None
    prompt: str | None = None
    params: SamplingParams = Field(default_factory=SamplingParams)
    json_schema: dict[str, Any] | None = None
    seed: int = Field(0, ge=0)
    continuation: str | None = None

    @model_validator(mode="after")
    def _one_input(self) -> GenerationRequest:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("a request needs exactly one of `messages` or `prompt`")
        if self.continuation is not None and self.json_schema is not None:
            raise ValueError("a scoring request (`continuation`) samples nothing, so it takes no json_schema")
        return self

    @property
    def scoring(self) -> bool:
        return self.continuation is not None


def score_request(
    continuation: str, messages: list[Message] | None = None, prompt: str | None = None
) -> GenerationRequest:
    """A scoring request: the log-probabilities of `continuation` after the prompt, nothing sampled.

    This is the second request kind of the contract. A judge that reads a model's likelihoods
    instead of its sampled verdict (text/likelihood.py) needs only a prefill, which costs a
    fraction of generating; the backend returns one log-probability per continuation token in
    `Completion.token_logprobs` and the log-probability of ending the turn right after it in
    `Completion.end_logprob`.
    """
    return GenerationRequest(messages=messages, prompt=prompt, continuation=continuation)


class Completion(BaseModel):
    """What a backend produced for one request.

    `finish_reason` is "stop" (EOS or a stop string), "length" (max_tokens reached), "error"
    (this request failed, e.g. its prompt exceeds the context; `error` says why) or "aborted" (the
    feed's `check_partial` rejected the text so far; `error` holds its reason). A per-request
    error never fails the batch. A scoring request's completion has `text` = the continuation,
    `token_logprobs` (natural log, one per continuation token), `end_logprob` (log P(end of turn)
    right after the continuation; None where the backend cannot tell) and no completion tokens.
    """

    text: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: Literal["stop", "length", "error", "aborted"] = "stop"
    error: str | None = None
    token_logprobs: list[float] | None = None
    end_logprob: float | None = None


class ModelInfo(BaseModel):
    """What a backend knows about its model, for the manifest, the card and Magpie."""

    name: str
    path: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    chat_template: str | None = None
    bos_token: str = ""
    eos_token: str = ""
    add_bos_token: bool = False
    extra: dict[str, Any] = Field(default_factory=dict)


class RequestFeed(Protocol):
    """A source of requests that may depend on earlier completions (streaming contract).

    `next_request()` returns (key, request), or None when nothing is ready right now;
    `done(key, completion)` reports a finished request. A streaming backend asks for a request
    whenever a decoding slot frees up, so work never waits for the slowest request of a wave.
    A feed may also define `wanted(key) -> bool`: a streaming backend then drops in-flight
    requests the feed no longer needs (a run that has its n rows stops at once); and
    `check_partial(key, text) -> str | None`, which a streaming backend calls now and then with the
    text generated so far and which may return a reason to stop that request early (a looping
    answer that the gates would reject anyway need not run to max_tokens).
    """

    def next_request(self) -> tuple[Any, GenerationRequest] | None: ...

    def done(self, key: Any, completion: Completion) -> None: ...


def run_feed(backend: Backend, feed: RequestFeed, width: int) -> None:
    """Drive `feed` to exhaustion: with `backend.stream` if it has one, else in chunks of `width`.

    The chunked fallback keeps any backend with only `generate` (the fake, an HTTP client)
    usable by streaming generators; it stops when the feed has nothing ready and nothing is
    pending, which is when a feed is finished.
    """
    stream = getattr(backend, "stream", None)
    if stream is not None:
        stream(feed)
        return
    while True:
        chunk = []
        while len(chunk) < width:
            item = feed.next_request()
            if item is None:
                break
            chunk.append(item)
        if not chunk:
            return
        for (key, _), completion in zip(chunk, backend.generate([r for _, r in chunk]), strict=True):
            feed.done(key, completion)


@runtime_checkable
class Backend(Protocol):
    """A backend is one method, `generate`, plus a description of its model.

    Optional methods, looked up with getattr: `stream(feed)` (see `run_feed`), and
    `can_score() -> bool`, whether scoring requests get real log-probabilities here. A backend
    without it is taken to be unable (judge choice, dpo/judge_choice.py). A scoring request a
    backend cannot serve is answered with an error completion, never an exception. An HTTP backend
    finds out by asking a server once (many servers do not return prompt log-probabilities).
    """

    def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        """Return one completion per request, in request order (scoring requests included)."""
        ...

    def model_info(self) -> ModelInfo:
        """Describe the model (name, file hash, chat template) for provenance and Magpie."""
        ...
