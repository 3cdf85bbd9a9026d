"""The HTTP backend's parts that need no server: options, retry timing, endpoint choice, the JSON
schema spellings and the request bodies."""

from __future__ import annotations

import email.utils
import random
import time

import pytest

from synthgen.backends.base import GenerationRequest, Message, SamplingParams
from synthgen.backends.server.endpoints import EndpointPool
from synthgen.backends.server.options import ServerOptions, public_url
from synthgen.backends.server.retry import BACKOFF_CAP, RETRY_AFTER_CAP, backoff, retry_after_seconds
from synthgen.backends.server.structured import SpellingState, fits, response_format, valid_json, without_lengths
from synthgen.backends.server.wire import BadReply, StreamState, body, completion_from
from synthgen.errors import SynthgenError
from synthgen.run.options import check_server

SCHEMA = {
    "type": "object",
    "properties": {"instruction": {"type": "string", "maxLength": 10}, "n": {"type": "integer"}},
    "required": ["instruction", "n"],
}


def test_urls_are_normalised_and_checked():
    options = ServerOptions(base_urls=["http://a:8080", "http://b:8000/v1/"])
    assert options.base_urls == ["http://a:8080/v1", "http://b:8000/v1"]
    assert check_server("http://h:1/v1").base_urls == ["http://h:1/v1"]
    assert check_server(None) is None
    with pytest.raises(SynthgenError, match=r"^invalid option --base-url: not an http\(s\) URL: 'gpu1:8080'"):
        check_server(["gpu1:8080"])
    with pytest.raises(SynthgenError, match="^invalid option --judge-base-url: the same URL is given twice"):
        check_server(["http://a/v1", "http://a/v1"], "judge_")
    with pytest.raises(SynthgenError, match="^invalid option --concurrency:"):
        check_server({"base_urls": ["http://a/v1"], "concurrency": 0})
    with pytest.raises(SynthgenError, match="^invalid option --structured-output:"):
        check_server({"base_urls": ["http://a/v1"], "structured_output": "xml"})
    assert public_url("https://user:secret@host:9/v1?key=1") == "https://host:9/v1"


def test_retry_after_seconds_and_http_dates():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("99999") == RETRY_AFTER_CAP
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= retry_after_seconds(date, now=now) <= 31


def test_backoff_is_jittered_capped_and_honours_retry_after():
    rng = random.Random(0)
    waits = [backoff(k, rng=rng) for k in range(1, 12)]
    assert all(0 <= w <= min(BACKOFF_CAP, 0.5 * 2 ** (k - 1)) for k, w in zip(range(1, 12), waits, strict=True))
    assert len({round(w, 6) for w in waits}) == len(waits)  # full jitter: no two alike
    assert backoff(1, retry_after=5.0, rng=rng) == 5.0  # a longer Retry-After wins


def test_least_loaded_endpoint_and_down_marking():
    pool = EndpointPool(["http://a/v1", "http://b/v1"])
    first, second = pool.pick(), pool.pick()
    assert {first.url, second.url} == {"http://a/v1", "http://b/v1"}  # one each while both are busy
    pool.release(first, ok=True)
    assert pool.pick() is first  # fewer in flight
    pool.release(first, ok=True)
    pool.release(second, ok=False, error="connection refused", mark_down=True)
    assert all(pool.pick() is first for _ in range(3))  # b is down for a while
    for _ in range(3):
        pool.release(first, ok=False, error="HTTP 500", mark_down=True)
    assert pool.pick() is None and pool.all_down() and pool.wait_hint() > 0
    assert "http://b/v1 (connection refused)" in pool.describe_down()


def test_schema_check_and_spellings():
    assert valid_json('{"instruction": "hi", "n": 3}', SCHEMA)
    assert not valid_json('{"instruction": "far too long here", "n": 3}', SCHEMA)
    assert not valid_json('{"instruction": "hi"}', SCHEMA)  # required
    assert not valid_json('{"instruction": "hi", "n": true}', SCHEMA)  # a bool is not an integer
    assert not valid_json("Sure! Here is JSON: {", SCHEMA)
    assert fits([1, 2], {"type": "array", "items": {"type": "integer"}})
    assert not fits("x", {"enum": ["a", "b"]})
    assert response_format("json_schema", SCHEMA)["json_schema"]["schema"] == SCHEMA
    loose = response_format("json_object", SCHEMA)
    assert loose["type"] == "json_object" and "maxLength" not in str(loose)
    assert without_lengths(SCHEMA)["properties"]["n"] == {"type": "integer"}
    assert response_format("prompt", SCHEMA) is None
    state = SpellingState()
    assert state.spelling == "json_schema" and state.demote("json_schema") and state.spelling == "json_object"
    assert state.demote("json_schema") and state.spelling == "json_object"  # a late reply moves it once
    state.confirm("json_object")
    assert not state.demote("json_object") and state.spelling == "json_object"
    forced = SpellingState("prompt")
    assert forced.spelling == "prompt" and not forced.demote("prompt")


def test_request_bodies():
    params = SamplingParams(max_tokens=7, temperature=0.3, stop=["<|im_end|>"])
    chat = GenerationRequest(messages=[Message(role="user", content="Q")], params=params, seed=11, json_schema=SCHEMA)
    sent = body(chat, "m", "json_schema", stream=False)
    assert sent["seed"] == 11 and sent["max_tokens"] == 7 and sent["stop"] == ["<|im_end|>"]
    assert sent["response_format"]["type"] == "json_schema" and "stream" not in sent
    prompted = body(chat, "m", "prompt", stream=True)
    assert "response_format" not in prompted and prompted["stream"] is True
    assert prompted["messages"][0]["content"].startswith("Q\n\nReply with one JSON object only")
    assert chat.messages[0].content == "Q"  # the request itself is unchanged
    raw = body(GenerationRequest(prompt="<|im_start|>user\n", params=params), "m", None, stream=False)
    assert raw["prompt"] == "<|im_start|>user\n" and "messages" not in raw


def test_replies_and_streams():
    reply = (
        b'{"choices":[{"message":{"content":"hi"},"finish_reason":"length"}],'
        b'"usage":{"prompt_tokens":4,"completion_tokens":2}}'
    )
    done = completion_from(reply, chat=True)
    assert (done.text, done.finish_reason, done.prompt_tokens, done.completion_tokens) == ("hi", "length", 4, 2)
    with pytest.raises(BadReply):
        completion_from(b"<html>502</html>", chat=True)
    with pytest.raises(BadReply):
        completion_from(b'{"choices": []}', chat=True)
    state = StreamState(chat=True)
    for line in [
        'data: {"choices":[{"delta":{"role":"assistant"}}]}',
        'data: {"choices":[{"delta":{"content":"Hel"}}]}',
        ": keep-alive",
        'data: {"choices":[{"delta":{"content":"lo"},"finish_reason":"stop"}]}',
        "data: [DONE]",
    ]:
        state.feed_line(line)
    assert state.text == "Hello" and state.finished and state.ended and state.completion().completion_tokens == 2
    with pytest.raises(BadReply):
        StreamState(chat=True).feed_line("data: {not json")
