"""One request to the fleet, start to finish: pick a server, send, retry, check the JSON.

Everything that can go wrong with a server is handled here, per request, so the backend only
schedules: 429/5xx/timeouts/dropped connections/unreadable replies are retried with backoff on
the least-loaded server that is up (retry.py, endpoints.py); a server that ignores the JSON
schema moves to the next spelling and the request is sent again (structured.py); a server
that cannot score (no prompt log-probabilities, scoring.py) is skipped by scoring requests from
then on, and once none can, they end as error Completions; a 4xx the server will never accept
becomes that request's error Completion, as the contract asks. A request that runs out of
retries while every server is down raises ServersDown, which ends the run (what was journaled
stays; a rerun resumes).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable

import httpx2

from synthgen.backends.base import Completion, GenerationRequest
from synthgen.backends.server.endpoints import Endpoint, EndpointPool
from synthgen.backends.server.retry import RETRYABLE_STATUS, backoff, retry_after_seconds
from synthgen.backends.server.scoring import (
    NO_ECHO,
    ScoreError,
    ScoreJob,
    Scorer,
    Unscorable,
    refuses_scoring,
    score_body,
    score_from,
)
from synthgen.backends.server.structured import PROMPT_RETRIES, SpellingState, valid_json
from synthgen.backends.server.wire import BadReply, StreamState, body, completion_from, path_of
from synthgen.errors import SynthgenError

PARTIAL_CHECK_EVERY = 8  # streamed chunks between calls of the feed's check_partial
FAILURES_BEFORE_DOWN = 3  # 5xx/timeouts in a row that mark a server down (refused: at once)

Partial = Callable[[str], str | None]


class ServersDown(SynthgenError):
    """Every server failed and stayed down through a request's retries."""

    def __init__(self, detail: str):
        super().__init__(
            f"every server is down: {detail}; rows already made are kept, rerun the same command to resume",
            exit_code=1,
        )


class Retryable(Exception):
    def __init__(self, short: str, retry_after: float | None = None, refused: bool = False, detail: str = ""):
        super().__init__(short)
        self.short, self.retry_after, self.refused, self.detail = short, retry_after, refused, detail


def refuses_format(exc: Exception) -> bool:
    """Whether an error reply is about `response_format` (llama-cpp-python's server answers the
    OpenAI spelling with a 500 validation error; others with 400 or 422)."""
    text = getattr(exc, "detail", "") or str(exc)
    return "response_format" in text or "json_schema" in text


def _error_text(reply: bytes, status: int, scrub: Callable[[str], str]) -> str:
    """A short reason from an error reply (the API's error.message when it has one).

    Scrubbed before it is cut short: a cut through an echoed key would leave a piece `scrub` cannot
    recognise, and after JSON decoding, so an escaped spelling of the key is caught too."""
    try:
        data = json.loads(reply)
        message = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(message, dict):
            message = message.get("message", "")
        text = scrub(str(message))
    except ValueError:
        text = scrub(reply[:65536].decode("utf-8", "replace"))[:200]  # bounded: error pages can be huge
    return f"HTTP {status}: {' '.join(text.split())[:200]}"


class RequestRunner:
    """Sends requests for one backend; shared state: the pool, spellings per server, counters."""

    def __init__(
        self,
        client: httpx2.AsyncClient,
        pool: EndpointPool,
        model: str,
        headers: dict[str, str],
        timeout: float,
        max_retries: int,
        structured: str,
        stats: Counter,
        scrub: Callable[[str], str],
        spellings: dict[str, SpellingState],
        scorer: Scorer | None = None,
        scorable: dict[str, bool] | None = None,
    ):
        self.client, self.pool, self.model, self.headers = client, pool, model, headers
        self.timeout, self.max_retries, self.structured = timeout, max_retries, structured
        self.stats, self.scrub = stats, scrub
        self.spellings = spellings  # what each server accepts, learnt once per backend
        self.scorer = scorer
        self.scorable = {} if scorable is None else scorable  # per server: can it score, once seen

    def _score_job(self, request: GenerationRequest) -> ScoreJob | Completion:
        """A scoring request's prompt, or its error Completion (no template to render it with)."""
        self.stats["scoring_requests"] += 1
        try:
            if self.scorer is None:
                raise ScoreError(NO_ECHO)
            return self.scorer.job(request)
        except ScoreError as exc:
            self.stats["scoring_failed"] += 1
            return Completion(finish_reason="error", error=str(exc))

    def spelling_state(self, endpoint: Endpoint) -> SpellingState:
        return self.spellings.setdefault(endpoint.url, SpellingState(self.structured))

    async def run(self, request: GenerationRequest, partial: Partial | None = None) -> Completion:
        job = self._score_job(request) if request.scoring else None
        if isinstance(job, Completion):
            return job
        retries = prompt_retries = 0
        while True:
            skip = frozenset(url for url, able in self.scorable.items() if not able) if job is not None else frozenset()
            if len(skip) == len(self.pool.endpoints):  # (only scoring requests skip servers)
                self.stats["scoring_unsupported"] += 1
                return Completion(finish_reason="error", error=NO_ECHO)
            endpoint = self.pool.pick(skip)
            if endpoint is None:  # all down: wait for the first to come back, as a retry
                retries += 1
                if retries > self.max_retries:
                    raise ServersDown(self.scrub(self.pool.describe_down()))
                await asyncio.sleep(max(0.05, self.pool.wait_hint(skip)))
                continue
            state = self.spelling_state(endpoint) if request.json_schema is not None else None
            spelling = state.spelling if state is not None else None
            try:
                completion = await self._send(endpoint, request, spelling, partial, job)
            except (Retryable, _Rejected, Unscorable, ScoreError) as exc:
                failure = exc
            except BaseException:
                self.pool.release(endpoint, ok=True)  # cancelled (the feed no longer wants it), not failed
                raise
            else:
                failure = None
            if failure is not None:
                if job is not None and (isinstance(failure, Unscorable) or refuses_scoring(failure)):
                    self.pool.release(endpoint, ok=True)  # the server works; it cannot score
                    self.scorable[endpoint.url] = False  # ask another server, or end as NO_ECHO
                    continue
                if isinstance(failure, ScoreError):
                    self.pool.release(endpoint, ok=True)
                    self.stats["scoring_failed"] += 1
                    return Completion(finish_reason="error", error=str(failure))
                if state is not None and spelling != "prompt" and refuses_format(failure) and state.demote(spelling):
                    self.pool.release(endpoint, ok=True)
                    self.stats[f"schema_refused_{spelling}"] += 1  # send again in the next spelling
                    continue
                if isinstance(failure, _Rejected):
                    self.pool.release(endpoint, ok=True)  # the server works; this request never will
                    self.stats["rejected_requests"] += 1
                    return Completion(finish_reason="error", error=str(failure))
                down = failure.refused or endpoint.failures + 1 >= FAILURES_BEFORE_DOWN
                self.pool.release(endpoint, ok=False, error=self.scrub(failure.short), mark_down=down)
                self.stats["retries"] += 1
                retries += 1
                if retries > self.max_retries:
                    if self.pool.all_down():
                        raise ServersDown(self.scrub(self.pool.describe_down())) from None
                    self.stats["failed_requests"] += 1
                    return Completion(finish_reason="error", error=self.scrub(failure.short))
                await asyncio.sleep(backoff(retries, failure.retry_after))
                continue
            self.pool.release(endpoint, ok=True)
            if job is not None:
                self.scorable[endpoint.url] = True
                self.stats["scored_tokens"] += len(completion.token_logprobs or [])
            if state is None or completion.finish_reason != "stop":
                return completion
            if valid_json(completion.text, request.json_schema):
                state.confirm(spelling)
                return completion
            if spelling != "prompt" and state.demote(spelling):
                self.stats[f"schema_ignored_{spelling}"] += 1  # send again in the next spelling
                continue
            if spelling == "prompt" and prompt_retries < PROMPT_RETRIES:
                prompt_retries += 1
                self.stats["structured_retries"] += 1
                continue
            return completion

    async def _send(
        self,
        endpoint: Endpoint,
        request: GenerationRequest,
        spelling: str | None,
        partial: Partial | None,
        job: ScoreJob | None = None,
    ) -> Completion:
        chat = request.messages is not None and job is None  # scoring: raw /completions with echo
        stream = partial is not None and chat
        payload = score_body(job, self.model) if job is not None else body(request, self.model, spelling, stream)
        url = endpoint.url + ("/completions" if job is not None else path_of(request))
        self.stats["requests"] += 1
        try:
            async with asyncio.timeout(self.timeout):
                if stream:
                    return await self._streamed(url, payload, partial)
                reply = await self.client.post(url, json=payload, headers=self.headers)
                self._check_status(reply.status_code, reply.content, reply.headers)
                return score_from(reply.content, job) if job is not None else completion_from(reply.content, chat)
        except TimeoutError:
            raise Retryable(f"timeout after {self.timeout:g} s") from None
        except httpx2.ConnectError:
            raise Retryable("connection refused", refused=True) from None
        except httpx2.TimeoutException:
            raise Retryable(f"timeout after {self.timeout:g} s") from None
        except httpx2.TransportError as exc:
            raise Retryable(f"connection dropped ({type(exc).__name__})") from None
        except BadReply as exc:
            raise Retryable(str(exc)) from None

    def _check_status(self, status: int, content: bytes, headers) -> None:
        if status < 400:
            return
        text = self.scrub(_error_text(content, status, self.scrub))
        if status in RETRYABLE_STATUS:
            raise Retryable(f"HTTP {status}", retry_after_seconds(headers.get("retry-after")), detail=text)
        raise _Rejected(text)

    async def _streamed(self, url: str, payload: dict, partial: Partial) -> Completion:
        state = StreamState(chat=True)
        async with self.client.stream("POST", url, json=payload, headers=self.headers) as reply:
            if reply.status_code >= 400:
                self._check_status(reply.status_code, await reply.aread(), reply.headers)
            async for line in reply.aiter_lines():
                if state.feed_line(line) and state.chunks % PARTIAL_CHECK_EVERY == 0:
                    reason = partial(state.text)
                    if reason is not None:
                        self.stats["aborted"] += 1
                        done = state.completion()
                        return done.model_copy(update={"finish_reason": "aborted", "error": reason})
                if state.ended:
                    break
        if not state.finished:  # cut off: llama-cpp-python's server drops a stream when another request comes in
            raise BadReply("stream ended before its finish_reason")
        return state.completion()


class _Rejected(Exception):
    """A 4xx reply: the server will never accept this request."""
