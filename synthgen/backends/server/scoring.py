"""Scoring requests over HTTP: prompt log-probabilities from `/v1/completions` with `echo`.

The OpenAI API has no scoring call; its legacy completions endpoint comes closest: with
`echo: true` and `logprobs: K` the reply lists every prompt token with its log-probability given
the tokens before it (vLLM and llama-cpp-python's server do this; llama.cpp's llama-server
ignores `echo` and reports only the sampled token, so it cannot score). A scoring request is
sent as one such prompt, nothing worth sampling (`max_tokens: 1`, greedy):

    prompt text + continuation + end-of-turn text

The prompt text of chat messages is rendered here with the model's chat template (the one Magpie
uses: from /props or --chat-template-from) plus the generation prompt, as the in-process engine
renders it. The end-of-turn text (ChatML's `<|im_end|>`, Llama 3's `<|eot_id|>`, ...: what the
template writes after an assistant answer; EOS text for raw prompts) is appended so that its own
echoed log-probability is log P(end | prompt, continuation). Reading it from the one generated
token instead fails exactly where it matters: when the model wants to end there, llama-cpp-python's
server stops on the end token and reports no entry for it.

Where the continuation starts: offsets in a reply are not always offsets into the prompt string
(llama-cpp-python and vLLM render special tokens such as `<|im_start|>` as empty text), so the
continuation is located from its end: it ends where the end-of-turn token starts and is
len(continuation) characters long in the reply's own offsets. A token straddling that start
(prompt "Answer:" + continuation " yes" may tokenize as "Answer", ":", " yes", but prompt
"Answer: " + "yes" as "Answer", ":", " yes" too) counts as a continuation token: it carries
continuation text, and dropping it would lose the first word's probability.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError

from synthgen.backends.base import Completion, GenerationRequest, Message, ModelInfo, score_request
from synthgen.backends.chat_template import template_env
from synthgen.backends.server.wire import BadReply

NO_ECHO = "this server does not return prompt log-probabilities (echo + logprobs)"
NO_TEMPLATE = (
    "a chat scoring request needs the model's chat template, which the server does not report "
    "(llama-server's /props does); pass --chat-template-from FILE.gguf|template.jinja"
)
MISALIGNED = (
    "the server's prompt log-probabilities are shifted against the prompt's tokens (llama-cpp-python's "
    "server does this when a prompt does not start with the model's BOS token)"
)
TOP_LOGPROBS = 5  # OpenAI's legacy maximum: no server refuses it, and only the tokens' own values are read
_SENTINEL = "\u2063SYNTHGEN_ANSWER\u2063"
_SPECIAL = re.compile(r"^<[^<>\s]+>$")  # how end-of-turn tokens look: <|im_end|>, <end_of_turn>, </s>


class Unscorable(Exception):
    """A 2xx reply without the prompt's log-probabilities: this server cannot score."""


class ScoreError(Exception):
    """A scoring request that cannot be sent or read (no template, no log-probability): its error."""


def refuses_scoring(exc: Exception) -> bool:
    """Whether an error reply is about `echo` or `logprobs` (an old llama-server answers "Only no
    echo is supported"; llama-cpp-python without logits_all "logprobs is not supported ...")."""
    text = (getattr(exc, "detail", "") or str(exc)).lower()
    return "echo" in text or "logprob" in text


@dataclass(frozen=True)
class ScoreJob:
    """What one scoring request sends: the prompt text, the continuation and the end text."""

    prompt: str
    continuation: str
    end: str

    @property
    def sent(self) -> str:
        return self.prompt + self.continuation + self.end


class Scorer:
    """Turns scoring requests into echo prompts and their replies into Completions (one per backend)."""

    def __init__(self, info: ModelInfo):
        self.info = info
        self._template = None
        self.chat_end = ""
        if info.chat_template:
            try:
                self._template = template_env().from_string(info.chat_template)
            except TemplateError:
                self._template = None
            else:
                self.chat_end = self._turn_end()

    def probe(self) -> GenerationRequest:
        """The tiny scoring request `can_score` sends: a chat one when there is a template (what
        the likelihood judge sends), else a raw prompt."""
        if self._template is not None:
            return score_request("Hello.", messages=[Message(role="user", content="Hi")])
        return score_request(" world.", prompt="Hello")

    def job(self, request: GenerationRequest) -> ScoreJob:
        continuation = request.continuation or ""
        if request.messages is None:
            return ScoreJob(request.prompt or "", continuation, self.info.eos_token)
        if self._template is None:
            raise ScoreError(NO_TEMPLATE)
        try:
            text = self._render([m.model_dump() for m in request.messages], add_generation_prompt=True)
        except TemplateError as exc:
            raise ScoreError(f"cannot render the chat template: {exc}") from None
        return ScoreJob(text, continuation, self.chat_end)

    def _render(self, messages: list[dict], add_generation_prompt: bool) -> str:
        info = self.info
        text = self._template.render(
            messages=messages, add_generation_prompt=add_generation_prompt, bos_token=info.bos_token,
            eos_token=info.eos_token,
        )  # fmt: skip
        # A server adds BOS itself when the model wants one (llama-server drops a rendered one too)
        if info.add_bos_token and info.bos_token and text.startswith(info.bos_token):
            text = text[len(info.bos_token) :]
        return text

    def _turn_end(self) -> str:
        """The text the template writes right after an assistant answer, when it looks like one
        special token; else the EOS text ("" when unknown: no end_logprob then)."""
        messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": _SENTINEL}]
        try:
            after = self._render(messages, add_generation_prompt=False).split(_SENTINEL, 1)[1].split()
        except (TemplateError, IndexError):
            after = []
        if after and (_SPECIAL.match(after[0]) or after[0] == self.info.eos_token):
            return after[0]
        return self.info.eos_token


def score_body(job: ScoreJob, model: str) -> dict[str, Any]:
    return {
        "model": model, "prompt": job.sent, "max_tokens": 1, "temperature": 0.0, "echo": True,
        "logprobs": TOP_LOGPROBS, "seed": 0,
    }  # fmt: skip


def _entries(choice: dict[str, Any]) -> tuple[list[str], list[Any], list[int]]:
    """(token texts, log-probabilities, start offsets) of a legacy `logprobs` object; Unscorable
    when there is none (llama-server answers with the chat-style `content` list instead)."""
    data = choice.get("logprobs")
    tokens = data.get("tokens") if isinstance(data, dict) else None
    values = data.get("token_logprobs") if isinstance(data, dict) else None
    if not isinstance(tokens, list) or not isinstance(values, list) or len(tokens) != len(values) or not tokens:
        raise Unscorable(NO_ECHO)
    texts = [t if isinstance(t, str) else "" for t in tokens]
    offsets = data.get("text_offset")
    if not (
        isinstance(offsets, list)
        and len(offsets) == len(texts)
        and all(isinstance(o, int) for o in offsets)
        and all(a <= b for a, b in zip(offsets, offsets[1:], strict=False))
    ):
        offsets, at = [], 0  # no usable offsets: the token texts laid end to end
        for text in texts:
            offsets.append(at)
            at += len(text)
    return texts, values, offsets


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def score_from(reply: bytes, job: ScoreJob) -> Completion:
    """A scoring reply as a Completion. BadReply (retried) when it is not the API's JSON,
    Unscorable when it lacks the echoed prompt, ScoreError when a needed value is missing."""
    try:
        data = json.loads(reply)
        choice = data["choices"][0]
        usage = data.get("usage") or {}
        if not isinstance(choice, dict) or not isinstance(usage, dict):
            raise TypeError
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise BadReply(f"unreadable reply ({type(exc).__name__})") from None
    texts, values, starts = _entries(choice)
    n = len(texts)
    generated = usage.get("completion_tokens")
    if not isinstance(generated, int):
        generated = 1 if choice.get("finish_reason") == "length" else 0
    echoed = n - min(max(generated, 0), 1)  # echoed prompt entries come first, the sampled one last
    if echoed < 1:
        raise Unscorable(NO_ECHO)
    text = choice.get("text")
    if echoed < n and isinstance(text, str) and text.startswith(job.sent):
        sampled = text[len(job.sent) :]  # the echo is the prompt, then the sampled token
        if sampled and texts[-1] != sampled:
            raise ScoreError(MISALIGNED)  # the last entry is not the sampled token: values shifted
    ends = [starts[i + 1] if i + 1 < n else starts[i] + len(texts[i]) for i in range(n)]
    last = echoed - 1
    end_logprob = None
    if job.end and texts[last] in (job.end, ""):  # the end token, kept whole (specials may render empty)
        end_logprob, stop = _number(values[last]), starts[last]
    else:  # no end text, or the server split it into plain-text pieces: no end_logprob
        stop = ends[last] - len(job.end)
    start = stop - len(job.continuation)
    if start < 0:
        raise Unscorable(NO_ECHO)  # the reply's tokens do not cover what was sent: not an echo
    picked = [i for i in range(echoed) if starts[i] < stop and ends[i] > start]
    logprobs = [_number(values[i]) for i in picked]
    if any(v is None or not math.isfinite(v) for v in logprobs):
        raise ScoreError("the server gave no log-probability for a continuation token")
    after = sum(1 for i in range(echoed) if starts[i] >= stop)  # echoed entries after the continuation
    prompt_tokens = usage.get("prompt_tokens")
    prompt_tokens = (prompt_tokens if isinstance(prompt_tokens, int) else echoed) - after
    return Completion(
        text=job.continuation,
        prompt_tokens=max(0, prompt_tokens),
        completion_tokens=0,
        finish_reason="stop",
        token_logprobs=logprobs,
        end_logprob=end_logprob if end_logprob is None or math.isfinite(end_logprob) else None,
    )
