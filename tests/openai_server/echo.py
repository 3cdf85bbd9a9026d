"""The scripted server's answers to `/v1/completions` with `logprobs`: a toy language model.

Tokens are words with their leading space, punctuation marks, newlines and ChatML special tokens
(`<|im_start|>`, `<|im_end|>`), so a test can write the expected values by hand. A word already
seen earlier in the text is likely (-0.5), a new one less so (-2.0), a word repeating the token
before it unlikely (-6.0); the end token `<|im_end|>` is likely after . ! ? (-0.2) and unlikely
elsewhere (-4.0); other special tokens and a newline after one are near certain (-0.01). These
are the fake backend's rules (synthgen/backends/fake.py `fake_score`), so likelihood signals
behave the same through this server.

How a reply looks depends on which server is imitated (`ScriptedServer(scoring=...)`):
  "echo"           OpenAI's legacy format as vLLM sends it: every prompt token (the first one's
                   value null) and then the sampled token, offsets into the prompt string;
  "hide-specials"  llama-cpp-python's server: special tokens render as empty text and offsets
                   count only rendered text; a sampled end token is not reported at all;
  "no-echo"        the legacy format with `echo` ignored: only the sampled token;
  "llama-server"   llama.cpp's llama-server: `echo` ignored, the chat-style `content` list;
  "refuse"         HTTP 400 "Only no echo is supported" (an older llama-server).
"""

from __future__ import annotations

import re
from typing import Any

END = "<|im_end|>"
SPECIAL = re.compile(r"^<\|[^|<>]+\|>$")
_TOKEN = re.compile(r"<\|[^|<>]+\|>|\n|[ ]?[A-Za-z0-9']+|[ ]?[^\sA-Za-z0-9]|[ \t]+")
_FILLERS = (" the", " and", " of", " to")
MODES = ("echo", "hide-specials", "no-echo", "llama-server", "refuse")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _word(token: str) -> str:
    return token.strip().lower()


def token_logprob(before: list[str], token: str) -> float:
    """log P(token | the tokens before it) under the toy model."""
    previous = before[-1] if before else ""
    if token == END:
        return -0.2 if previous.strip() in (".", "!", "?") else -4.0
    if SPECIAL.match(token) or (token == "\n" and SPECIAL.match(previous)):
        return -0.01
    if previous and _word(token) == _word(previous):
        return -6.0
    return -0.5 if _word(token) in {_word(t) for t in before} else -2.0


def _top(before: list[str], token: str | None, k: int) -> dict[str, float]:
    """The `k` likeliest tokens at a position (the end token and fillers), plus the actual one."""
    options = {END: token_logprob(before, END), **{f: token_logprob(before, f) for f in _FILLERS}}
    top = dict(sorted(options.items(), key=lambda kv: -kv[1])[:k])
    if token is not None:
        top[token] = token_logprob(before, token)
    return top


def sampled(tokens: list[str]) -> str:
    """The greedy next token: a newline after a special token, else the end token or " the"."""
    if tokens and SPECIAL.match(tokens[-1]):
        return "\n"
    return END if token_logprob(tokens, END) > token_logprob(tokens, " the") else " the"


def _shown(token: str, hide: bool) -> str:
    return "" if hide and SPECIAL.match(token) else token


def answer(mode: str, body: dict[str, Any], model: Any) -> tuple[int, dict[str, Any]]:
    """(status, JSON) for a completions request carrying `logprobs`."""
    if mode == "refuse":
        return 400, {"error": {"code": 400, "message": "Only no echo is supported", "type": "invalid_request_error"}}
    prompt = body.get("prompt") if isinstance(body.get("prompt"), str) else ""
    k = int(body.get("logprobs") or 0)
    tokens = tokenize(prompt)
    nxt = sampled(tokens)
    hide = mode == "hide-specials"
    report_next = not (hide and nxt == END)  # llama-cpp-python stops on the end token before reporting it
    finish = "stop" if nxt == END else "length"
    echo = bool(body.get("echo")) and mode in ("echo", "hide-specials")
    listed = (tokens if echo else []) + ([nxt] if report_next else [])
    texts = [_shown(t, hide) for t in listed]
    values: list[float | None] = []
    tops: list[dict[str, float] | None] = []
    offsets, at = [], 0 if echo else len(prompt)
    for i, token in enumerate(listed):
        before = tokens[:i] if echo and i < len(tokens) else tokens
        values.append(token_logprob(before, token))
        tops.append({_shown(t, hide): v for t, v in _top(before, token, k).items()})
        offsets.append(at)
        at += len(texts[i])
    if echo:
        values[0], tops[0] = None, None  # the first token has no context
    text = (prompt if echo else "") + ("" if SPECIAL.match(nxt) else nxt)
    usage = {"prompt_tokens": len(tokens), "completion_tokens": int(report_next), "total_tokens": 0}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    if mode == "llama-server":
        content = [
            {"id": 2, "token": _shown(nxt, True), "bytes": [], "logprob": values[-1],
             "top_logprobs": [{"token": _shown(t, True), "logprob": v} for t, v in tops[-1].items()]},
        ]  # fmt: skip
        logprobs: dict[str, Any] = {"content": content}
    else:
        logprobs = {"tokens": texts, "token_logprobs": values, "top_logprobs": tops, "text_offset": offsets}
    choice = {"text": text, "index": 0, "logprobs": logprobs, "finish_reason": finish}
    reply = {"id": "scripted-score", "object": "text_completion", "model": model, "choices": [choice]}
    return 200, {**reply, "usage": usage}
