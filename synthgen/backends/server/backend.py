"""`ServerBackend`: the batch-first contract over OpenAI-compatible HTTP servers.

Requests run concurrently on an asyncio loop (httpx2's AsyncClient: the HTTP client
huggingface_hub already brings, with HTTP keep-alive and async streaming; the `openai`
package would hide the per-server health, the spelling of `response_format` and the streamed
early stop this needs, and adds parsing cost per request). `generate` sends a list and
returns it in order; `stream` keeps `concurrency` requests in flight from a feed, hands each
completion back the moment it arrives, drops the ones the feed no longer wants, and (with
`stream`) streams chat answers so the feed's `check_partial` can stop a bad one early. The API key comes from
an environment variable and appears nowhere else: not in errors, the manifest or the card.
Scoring requests go out as echoed `/v1/completions` prompts (scoring.py); `can_score` asks one
server once whether it returns prompt log-probabilities, so `--judge auto` can choose before a run.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from typing import Any

import httpx2

from synthgen.backends.base import Completion, GenerationRequest, ModelInfo, RequestFeed
from synthgen.backends.server.client import RequestRunner
from synthgen.backends.server.discovery import discover, pick_model, template_from_file
from synthgen.backends.server.endpoints import EndpointPool
from synthgen.backends.server.options import BACKEND_NAME, ServerOptions, public_url, url_secret_forms
from synthgen.backends.server.scoring import MISALIGNED, NO_ECHO, Scorer
from synthgen.backends.server.structured import SpellingState
from synthgen.errors import scrub_secrets, secret_forms

NO_TEMPLATE = (
    "the server does not report its chat template (llama-server's /props does); "
    "pass --chat-template-from FILE.gguf|template.jinja, or use --method self-instruct"
)


class ServerBackend:
    """Generation on one or more servers serving the same model."""

    def __init__(self, options: ServerOptions, option: str = "--base-url"):
        self.options = options
        self.option = option
        self._key = os.environ.get(options.api_key_env) or ""
        self.headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        self._secrets = [(secret_forms(self._key), "[API key]")]
        self._secrets += [(url_secret_forms(url), "[credentials]") for url in options.base_urls]
        self.pool = EndpointPool(options.base_urls)
        found = discover(options.base_urls, [e.root for e in self.pool.endpoints], self.headers)
        self.model = pick_model(options.model_name, found["models"])
        self.props = found["props"] or {}
        self.template = template_from_file(options.chat_template_from) if options.chat_template_from else None
        self.parallel = options.concurrency  # what callers size batches by, as with llama.cpp's slots
        self.stats: Counter = Counter()
        self.spellings: dict[str, SpellingState] = {}  # per server: the JSON-schema spelling it accepts
        self.scorable: dict[str, bool] = {}  # per server: whether it returned prompt log-probabilities
        self._info: ModelInfo | None = None
        self._scorer: Scorer | None = None
        self._can_score: bool | None = None

    def scrub(self, text: str) -> str:
        """`text` without the API key or URL credentials in any spelling (a server may echo a header back)."""
        for forms, mask in self._secrets:
            text = scrub_secrets(text, forms, mask)
        return text

    # ---- contract ---------------------------------------------------------------------------
    def model_info(self) -> ModelInfo:
        if self._info is None:
            props, template = self.props, self.template or {}
            settings = props.get("default_generation_settings") or {}
            chat_template = template.get("chat_template") or props.get("chat_template") or None
            extra: dict[str, Any] = {
                "backend": BACKEND_NAME,
                "servers": [public_url(url) for url in self.options.base_urls],
                "model_name": self.model,
                "concurrency": self.options.concurrency,
                "timeout_s": self.options.timeout,
                "max_retries": self.options.max_retries,
                "structured_output": self.options.structured_output,
                "stream": self.options.stream,
                "chat_template_source": template.get("source") or ("server /props" if props else None),
            }
            if props:
                extra["server"] = {
                    key: value
                    for key, value in {
                        "model_path": props.get("model_path"),
                        "total_slots": props.get("total_slots"),
                        "n_ctx": settings.get("n_ctx"),
                        "build_info": props.get("build_info"),
                    }.items()
                    if value is not None
                }
            if not chat_template:
                extra["no_chat_template"] = NO_TEMPLATE
            self._info = ModelInfo(
                name=self.model,
                chat_template=chat_template,
                bos_token=template.get("bos_token", props.get("bos_token", "")) or "",
                eos_token=template.get("eos_token", props.get("eos_token", "")) or "",
                add_bos_token=bool(template.get("add_bos_token", False)),
                extra=extra,
            )
        return self._info

    def can_score(self) -> bool:
        """Whether scoring requests work on these servers: known from any scoring request answered
        so far, else one tiny scoring request to one server (the fleet serves one model, usually on
        one kind of server). A reply without usable prompt log-probabilities (none, or shifted) is
        a lasting False; a probe lost to server errors says False this time and asks again next time."""
        if self._can_score is None:
            if any(self.scorable.values()):
                self._can_score = True
            elif len(self.scorable) == len(self.pool.endpoints):  # every server answered without them
                self._can_score = False
            else:
                self.stats["scoring_probes"] += 1
                [probe] = self.generate([self.scorer.probe()])
                if probe.finish_reason != "error" or probe.error in (NO_ECHO, MISALIGNED):
                    self._can_score = probe.finish_reason != "error"
                return probe.finish_reason != "error"
        return self._can_score

    def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        """Send every request (at most `concurrency` at once); completions in request order."""
        if not requests:
            return []

        async def all_of() -> list[Completion]:
            async with self._client() as client:
                runner = self._runner(client)
                limit = asyncio.Semaphore(self.options.concurrency)

                async def one(request: GenerationRequest) -> Completion:
                    async with limit:
                        return await runner.run(request)

                return list(await asyncio.gather(*(one(r) for r in requests)))

        return asyncio.run(all_of())

    def stream(self, feed: RequestFeed) -> None:
        """Keep `concurrency` requests from `feed` in flight until it has nothing more."""
        asyncio.run(self._stream(feed))

    # ---- internals --------------------------------------------------------------------------
    def _client(self) -> httpx2.AsyncClient:
        size = self.options.concurrency + 4
        return httpx2.AsyncClient(
            timeout=httpx2.Timeout(self.options.timeout),
            limits=httpx2.Limits(max_connections=size, max_keepalive_connections=size),
        )

    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            self._scorer = Scorer(self.model_info())  # the chat template Magpie uses renders scored chats
        return self._scorer

    def _runner(self, client: httpx2.AsyncClient) -> RequestRunner:
        return RequestRunner(
            client, self.pool, self.model, self.headers, self.options.timeout, self.options.max_retries,
            self.options.structured_output, self.stats, self.scrub, self.spellings, self.scorer, self.scorable,
        )  # fmt: skip

    async def _stream(self, feed: RequestFeed) -> None:
        wanted = getattr(feed, "wanted", None)
        check = getattr(feed, "check_partial", None)
        tasks: dict[asyncio.Task, Any] = {}
        async with self._client() as client:
            runner = self._runner(client)
            try:
                while True:
                    while len(tasks) < self.options.concurrency:
                        item = feed.next_request()
                        if item is None:
                            break
                        key, request = item
                        partial = None
                        if self.options.stream and check is not None and request.json_schema is None:
                            partial = lambda text, key=key: check(key, text)  # noqa: E731
                        tasks[asyncio.create_task(runner.run(request, partial))] = key
                    if not tasks:
                        return
                    finished, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    for task in finished:
                        feed.done(tasks.pop(task), task.result())
                    if wanted is not None:
                        for task, key in list(tasks.items()):
                            if not wanted(key):
                                task.cancel()
                                del tasks[task]
                                self.stats["cancelled"] += 1
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        """Nothing to free: clients live only while a call runs."""
