"""The HTTP backend's parts that need no server: options, retry timing, endpoint choice, the JSON
schema spellings, the request bodies and the reading of scoring replies."""

from __future__ import annotations

import email.utils
import json
import random
import time

import pytest

from synthgen.backends.base import GenerationRequest, Message, ModelInfo, SamplingParams, score_request
from synthgen.backends.server.endpoints import EndpointPool
from synthgen.backends.server.options import ServerOptions, public_url
from synthgen.backends.server.retry import BACKOFF_CAP, RETRY_AFTER_CAP, backoff, retry_after_seconds
from synthgen.backends.server.scoring import (
    MISALIGNED,
    NO_TEMPLATE,
    ScoreError,
    ScoreJob,
    Scorer,
    Unscorable,
    score_from,
)
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


LLAMA3 = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{{ m['content'] }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}"
    "<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)


def test_scoring_prompts_are_rendered_like_the_engine_renders_them():
    info = ModelInfo(
        name="m", chat_template=LLAMA3, bos_token="<|begin_of_text|>", eos_token="<|end_of_text|>", add_bos_token=True
    )
    scorer = Scorer(info)
    assert scorer.chat_end == "<|eot_id|>"  # what the template writes after an answer, not the EOS text
    job = scorer.job(score_request("Paris.", messages=[Message(role="user", content="Capital?")]))
    # the server adds BOS itself, so the rendered one is dropped
    assert job.prompt == "<|start_header_id|>user<|end_header_id|>\n\nCapital?<|eot_id|>" + (
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )
    assert job.sent == job.prompt + "Paris.<|eot_id|>"
    assert scorer.job(score_request(" Paris.", prompt="Capital:")).end == "<|end_of_text|>"
    with pytest.raises(ScoreError, match=NO_TEMPLATE):
        Scorer(ModelInfo(name="m")).job(score_request("x", messages=[Message(role="user", content="y")]))


def reply(tokens, values, offsets, text, prompt_tokens, completion_tokens=1) -> bytes:
    logprobs = {"tokens": tokens, "token_logprobs": values, "text_offset": offsets, "top_logprobs": None}
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
    return json.dumps(
        {"choices": [{"text": text, "logprobs": logprobs, "finish_reason": "length"}], "usage": usage}
    ).encode()


# What llama-cpp-python's server (0.3) answered for the embedded model (values rounded): it leaves
# out <|im_start|> (the model's BOS token), renders <|im_end|> as "" and counts offsets without them.
CHAT = ScoreJob("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", "Hello world.", "<|im_end|>")
CHAT_REPLY = reply(
    ["user", "\n", "Hi", "", "\n", "ass", "istant", "\n", "Hello", " world", ".", "", "\n"],
    [None, -3.31, -7.34, -9.1, -0.04, -0.05, -0.0, -0.0, -4.3, -7.08, -1.4, -2.13, -0.0],
    [0, 4, 5, 7, 7, 8, 11, 17, 18, 23, 29, 30, 30],
    CHAT.sent + "\n",
    14,
)


def test_scoring_replies_are_cut_at_the_continuation():
    done = score_from(CHAT_REPLY, CHAT)
    assert done.token_logprobs == [-4.3, -7.08, -1.4] and done.end_logprob == -2.13
    assert (done.text, done.prompt_tokens, done.completion_tokens) == ("Hello world.", 13, 0)
    # without text_offset the token texts are laid end to end: the same cut
    data = json.loads(CHAT_REPLY)
    del data["choices"][0]["logprobs"]["text_offset"]
    assert score_from(json.dumps(data).encode(), CHAT).token_logprobs == [-4.3, -7.08, -1.4]
    # a token straddling the prompt's end counts as a continuation token
    straddle = ScoreJob("Answer: ", "yes", "")
    done = score_from(reply(["Answer", ":", " yes", "\n"], [None, -1.0, -2.0, -0.5], [0, 6, 7, 11], "", 3), straddle)
    assert done.token_logprobs == [-2.0] and done.end_logprob is None
    # an end text the server split into plain-text pieces gives no end_logprob, and the same cut
    split = ScoreJob("Q:", " A.", "<e>")
    tokens, offsets = ["Q", ":", " A", ".", "<", "e", ">", "\n"], [0, 1, 2, 4, 5, 6, 7, 8]
    done = score_from(reply(tokens, [None, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0], offsets, "", 7), split)
    assert done.token_logprobs == [-2.0, -3.0] and done.end_logprob is None and done.prompt_tokens == 4


def test_replies_without_usable_prompt_logprobs():
    # llama-server: `echo` ignored, the sampled token only, in the chat-style `content` list
    llama_server = {"choices": [{"text": "", "logprobs": {"content": [{"token": "", "logprob": -0.4}]}}]}
    with pytest.raises(Unscorable):
        score_from(json.dumps(llama_server).encode(), CHAT)
    with pytest.raises(Unscorable):  # the legacy format, but only the sampled token
        score_from(reply(["\n"], [-0.1], [30], "\n", 14), CHAT)
    with pytest.raises(Unscorable):  # no logprobs at all
        score_from(b'{"choices": [{"text": "x"}]}', CHAT)
    with pytest.raises(BadReply):  # not JSON: retried like a server error
        score_from(b"<html>502</html>", CHAT)
    # llama-cpp-python on a prompt not starting with BOS: every value is shifted by one token and the
    # sampled one is missing; caught because the last entry is not the sampled token
    raw = ScoreJob("Hello", " world.", "<|im_end|>")
    shifted = reply(["Hello", " world", ".", ""], [None, -6.57, -14.97, -12.8], [0, 5, 11, 12], raw.sent + "\n", 4)
    with pytest.raises(ScoreError, match="shifted"):
        score_from(shifted, raw)
    assert "llama-cpp-python" in MISALIGNED


def test_a_lone_surrogate_in_a_reply_becomes_a_replacement_character():
    """JSON allows a "\\ud800" escape that is no character; a row holding it could not be written."""
    plain = completion_from(b'{"choices": [{"message": {"content": "a\\ud800b \\ud83d\\ude00"}}]}', chat=True)
    assert plain.text == "a\ufffdb \U0001f600"
    plain.text.encode("utf-8")
    state = StreamState(chat=False)
    assert state.feed_line('data: {"choices": [{"text": "x\\udfff"}]}')
    assert "\ufffd" in state.text and "\udfff" not in state.text
