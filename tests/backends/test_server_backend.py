"""The HTTP backend against a scripted OpenAI-compatible server: every failure a fleet can show.

Everything goes through the real `ServerBackend` (httpx on loopback, nothing mocked) against
`openai_server.scripted.ScriptedServer`, which answers deterministically and injects faults from
a script: 429 + Retry-After, 5xx, a reply slower than the timeout, malformed JSON, a dropped
connection, a server that ignores or refuses a `response_format` spelling, a server that dies.
The backoff base is shrunk so retries take milliseconds; Retry-After is honoured as sent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

import pytest
from openai_server.scripted import (
    ScriptedServer,
    dead_url,
    die,
    drop,
    echo_auth,
    garbage,
    ok,
    plain,
    reply_text,
    slow,
    status,
)

import synthgen
from synthgen.backends.base import Completion, GenerationRequest, Message, SamplingParams
from synthgen.backends.server import ServerBackend, ServerOptions
from synthgen.backends.server.client import PARTIAL_CHECK_EVERY, ServersDown
from synthgen.backends.server.structured import PROMPT_RETRIES, schema_instruction, valid_json
from synthgen.errors import SynthgenError

SCHEMA = {
    "type": "object",
    "properties": {
        "instruction": {"type": "string", "maxLength": 200},
        "difficulty": {"type": "integer", "minimum": 1, "maximum": 5},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["instruction", "difficulty", "tags"],
}
TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
PROPS = {
    "chat_template": TEMPLATE,
    "bos_token": "<|im_start|>",
    "eos_token": "<|im_end|>",
    "total_slots": 4,
    "model_path": "/models/scripted.gguf",
    "build_info": "b0-scripted",
    "default_generation_settings": {"n_ctx": 2048},
}
CANARY = "sk-canary-5d1e0f7a9b3c"


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch):
    """Retries wait milliseconds, not seconds (a server's Retry-After is still honoured as sent)."""
    monkeypatch.setattr("synthgen.backends.server.retry.BACKOFF_BASE", 0.02)


@pytest.fixture
def serve():
    """Start scripted servers (`serve(**options)`); all are stopped at teardown."""
    started: list[ScriptedServer] = []

    def start(**options) -> ScriptedServer:
        server = ScriptedServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def backend(*urls: str, **options) -> ServerBackend:
    return ServerBackend(ServerOptions(base_urls=list(urls), **{"timeout": 2.0, "max_retries": 2, **options}))


def chat(text: str = "Name a river.", seed: int = 0, **fields) -> GenerationRequest:
    return GenerationRequest(messages=[Message(role="user", content=text)], seed=seed, **fields)


def expected(server: ScriptedServer, seen_index: int = -1) -> str:
    """The text the server answered its `seen_index`-th POST with (no fault)."""
    return reply_text(server.posts()[seen_index].body)


class Feed:
    """A minimal streaming feed: fixed requests, completions by key, optional early stop."""

    def __init__(self, requests: list[GenerationRequest], marker: str | None = None, want_one: bool = False):
        self.pending = deque(enumerate(requests))
        self.results: dict[int, Completion] = {}
        self.partials: list[tuple[int, str]] = []
        self.marker, self.want_one = marker, want_one

    def next_request(self):
        return self.pending.popleft() if self.pending else None

    def done(self, key, completion: Completion) -> None:
        self.results[key] = completion

    def wanted(self, key) -> bool:
        return not (self.want_one and self.results)  # once one is done, nothing else is needed

    def check_partial(self, key, text: str) -> str | None:
        self.partials.append((key, text))
        return "looping answer" if self.marker and self.marker in text else None


def wait_for(condition, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


# ---- 1-4: transient failures are retried ----------------------------------------------------------
def test_429_waits_for_retry_after_then_succeeds(serve):
    server = serve()
    server.script(status(429, retry_after="1"))
    b = backend(server.url)
    [done] = b.generate([chat()])
    first, second = server.posts()
    assert (first.answered, second.answered) == (429, 200)
    assert second.at - first.at >= 1.0  # Retry-After: 1 wins over the (tiny) jittered backoff
    assert done.finish_reason == "stop" and done.error is None and done.text == expected(server)
    assert b.stats["retries"] == 1 and b.stats["requests"] == 2 and "failed_requests" not in b.stats
    [endpoint] = b.pool.endpoints
    assert endpoint.failures == 0 and endpoint.down_until == 0.0 and endpoint.in_flight == 0


@pytest.mark.parametrize(
    "fault, timeout",
    [
        (status(500), 2.0),
        (status(503), 2.0),
        (slow(1.5), 0.4),  # slower than the client's timeout, on the first try only
        (garbage(), 2.0),  # 200 with a body that is not JSON
        (drop(), 2.0),  # connection closed without a response
    ],
    ids=["500", "503", "slower-than-timeout", "malformed-json", "dropped-connection"],
)
def test_transient_failure_is_retried_then_succeeds(serve, fault, timeout):
    server = serve()
    server.script(fault)
    b = backend(server.url, timeout=timeout)
    started = time.monotonic()
    [done] = b.generate([chat()])
    elapsed = time.monotonic() - started
    first, second = server.posts()
    assert first.fault == fault.kind and second.fault == ""
    assert done.finish_reason == "stop" and done.error is None and done.text == expected(server)
    assert b.stats["retries"] == 1 and b.stats["requests"] == 2 and "failed_requests" not in b.stats
    assert b.pool.endpoints[0].failures == 0  # the success reset the streak
    if fault.kind == "slow":
        assert timeout <= elapsed < 1.5  # gave up on the slow reply at the timeout, not after it


def test_500_forever_with_another_server_up_is_that_requests_error(serve):
    """Both servers fail but neither reaches the streak that marks it down (3 in a row): the
    request ends as an error Completion with a one-line reason; the batch goes on."""
    a, b_ = serve(), serve()
    for server in (a, b_):
        server.script(*[status(500)] * 10)
    b = backend(a.url, b_.url, max_retries=2)
    [done] = b.generate([chat()])
    assert done.finish_reason == "error" and done.error == "HTTP 500"
    assert len(a.posts()) == 2 and len(b_.posts()) == 1  # 3 tries, alternating servers
    assert b.stats["retries"] == 3 and b.stats["failed_requests"] == 1
    assert not b.pool.all_down()


def test_500_forever_on_the_only_server_is_servers_down(serve):
    """The third 5xx in a row marks the server down; out of retries with every server down,
    the run stops with ServersDown (exit code 1), naming the server and its last error."""
    server = serve()
    server.script(*[status(500)] * 10)
    b = backend(server.url, max_retries=2)
    with pytest.raises(ServersDown) as caught:
        b.generate([chat()])
    assert isinstance(caught.value, SynthgenError) and caught.value.exit_code == 1
    message = str(caught.value)
    assert message.startswith(f"every server is down: {server.url} (HTTP 500)") and "\n" not in message
    assert "rerun the same command to resume" in message
    assert len(server.posts()) == 3


def test_500_with_max_retries_0_is_an_error_completion(serve):
    server = serve()
    server.script(status(500))
    b = backend(server.url, max_retries=0)
    [done] = b.generate([chat()])
    assert (done.finish_reason, done.error) == ("error", "HTTP 500") and len(server.posts()) == 1


def test_other_4xx_is_not_retried(serve):
    server = serve()
    server.script(status(400, body="the prompt is longer than the context (4096 tokens)"))
    b = backend(server.url)
    [done, fine] = b.generate([chat(seed=1), chat(seed=2)])
    assert len(server.posts()) == 2 and "retries" not in b.stats and b.stats["rejected_requests"] == 1
    failed, good = (done, fine) if done.finish_reason == "error" else (fine, done)
    assert failed.error == "HTTP 400: the prompt is longer than the context (4096 tokens)"
    assert good.finish_reason == "stop" and good.error is None


# ---- 5: structured output spellings --------------------------------------------------------------
def test_server_ignoring_the_schema_moves_spelling_by_spelling_to_the_prompt(serve):
    server = serve(honours=())  # ignores response_format; obeys a schema written in the prompt
    server.script(ok(), ok(), plain())  # ...except once: the first prompt-spelled reply is invalid
    b = backend(server.url)
    [done] = b.generate([chat(json_schema=SCHEMA)])
    assert done.finish_reason == "stop" and valid_json(done.text, SCHEMA)
    posts = server.posts()
    assert [p.body.get("response_format", {}).get("type") for p in posts] == ["json_schema", "json_object", None, None]
    assert posts[0].body["response_format"]["json_schema"]["schema"] == SCHEMA
    assert posts[1].body["response_format"]["schema"]["required"] == SCHEMA["required"]
    for p in posts[2:]:
        assert p.body["messages"][-1]["content"] == "Name a river." + schema_instruction(SCHEMA)
    assert b.stats["schema_ignored_json_schema"] == 1 and b.stats["schema_ignored_json_object"] == 1
    assert b.stats["structured_retries"] == 1 and b.stats["requests"] == 4
    assert "retries" not in b.stats and "failed_requests" not in b.stats  # not server failures
    # learnt once per server: the next request goes straight to the prompt spelling
    [again] = b.generate([chat("Name a lake.", json_schema=SCHEMA)])
    assert valid_json(again.text, SCHEMA) and len(server.posts()) == 5
    assert "response_format" not in server.posts()[-1].body


def test_prompt_spelling_never_obeyed_returns_the_invalid_reply_after_its_retries(serve):
    server = serve(honours=(), schema_in_prompt=False)
    b = backend(server.url)
    [done] = b.generate([chat(json_schema=SCHEMA)])
    assert done.finish_reason == "stop" and not valid_json(done.text, SCHEMA)  # the caller's parser counts it
    assert len(server.posts()) == 2 + 1 + PROMPT_RETRIES
    assert b.stats["structured_retries"] == PROMPT_RETRIES


def test_server_refusing_json_schema_with_a_500_moves_to_json_object(serve):
    server = serve(reject_json_schema=True)  # llama-cpp-python's server
    b = backend(server.url)
    [done] = b.generate([chat(json_schema=SCHEMA)])
    assert done.finish_reason == "stop" and valid_json(done.text, SCHEMA)
    refused, accepted = server.posts()
    assert refused.answered == 500 and refused.body["response_format"]["type"] == "json_schema"
    assert accepted.answered == 200 and accepted.body["response_format"]["type"] == "json_object"
    assert b.stats["schema_refused_json_schema"] == 1
    assert "retries" not in b.stats and "failed_requests" not in b.stats
    [endpoint] = b.pool.endpoints
    assert endpoint.failures == 0 and endpoint.down_until == 0.0  # a refusal is not a server failure
    [again] = b.generate([chat("Name a lake.", json_schema=SCHEMA)])
    assert valid_json(again.text, SCHEMA) and server.posts()[-1].body["response_format"]["type"] == "json_object"
    assert len(server.posts()) == 3


# ---- 6: every server refuses connections ----------------------------------------------------------
def test_connection_refused_on_the_only_server_is_servers_down_quickly(serve):
    server = serve()
    b = backend(server.url, max_retries=1)  # discovery while it is up
    server.stop()
    started = time.monotonic()
    with pytest.raises(ServersDown) as caught:
        b.generate([chat(), chat(seed=1)])
    assert time.monotonic() - started < 2.0
    assert f"{server.url} (connection refused)" in str(caught.value) and caught.value.exit_code == 1


def test_no_server_answers_at_start_is_a_one_line_error():
    url = dead_url()
    with pytest.raises(SynthgenError) as caught:
        backend(url)
    assert str(caught.value) == f"--base-url: no server answers: {url} (ConnectError)"
    assert caught.value.exit_code == 2 and not isinstance(caught.value, ServersDown)


def test_a_missing_or_wrong_key_is_named_at_discovery(serve, monkeypatch):
    server = serve(api_key=CANARY)  # answers 401 without `Authorization: Bearer <CANARY>`
    monkeypatch.setenv("SYNTHGEN_TEST_KEY", "sk-wrong")
    with pytest.raises(SynthgenError) as caught:
        backend(server.url, api_key_env="SYNTHGEN_TEST_KEY")
    message = str(caught.value)
    assert message.startswith(f"--base-url: {server.url}/models answers HTTP 401: the API key is missing or wrong")
    assert "--api-key-env" in message and "sk-wrong" not in message and "\n" not in message
    monkeypatch.setenv("SYNTHGEN_TEST_KEY", CANARY)
    [done] = backend(server.url, api_key_env="SYNTHGEN_TEST_KEY").generate([chat()])
    assert done.finish_reason == "stop"


def test_credentials_in_a_url_stay_out_of_errors(serve):
    def with_password(url: str) -> str:
        return url.replace("http://", "http://user:hunter2@")

    dead = dead_url()
    with pytest.raises(SynthgenError) as caught:
        backend(with_password(dead))
    assert str(caught.value) == f"--base-url: no server answers: {dead} (ConnectError)"
    server = serve(models=["a", "b"])
    with pytest.raises(SynthgenError) as caught:
        backend(with_password(server.url), model_name="c")
    assert str(caught.value).startswith(f"--model-name: {server.url} does not serve 'c'")
    b = backend(with_password(server.url), max_retries=1)
    assert "hunter2" not in b.model_info().model_dump_json()
    server.stop()
    with pytest.raises(ServersDown) as caught:
        b.generate([chat()])
    assert f"{server.url} (connection refused)" in str(caught.value) and "hunter2" not in str(caught.value)


def synthgen_cli(*args: str, env: dict | None = None, timeout: float = 20) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "OPENAI_API_KEY": CANARY, **(env or {})}
    command = [sys.executable, "-m", "synthgen", *args]
    return subprocess.run(command, capture_output=True, env=full_env, timeout=timeout)


def assert_no_canary(proc: subprocess.CompletedProcess, out: Path) -> None:
    assert CANARY.encode() not in proc.stdout + proc.stderr
    for path in out.rglob("*") if out.exists() else []:
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


def assert_one_error_line(proc: subprocess.CompletedProcess, code: int) -> str:
    stderr = proc.stderr.decode()
    assert proc.returncode == code, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("synthgen: error: "), stderr
    assert "Traceback" not in stderr + proc.stdout.decode()
    return lines[0]


def test_cli_with_a_dead_server_fails_in_one_line_without_the_key(tmp_path):
    url, out = dead_url(), tmp_path / "run"
    args = ["instructions", "--n", "2", "--base-url", url, "--max-retries", "1", "--out", str(out), "--quiet"]
    proc = synthgen_cli(*args)
    line = assert_one_error_line(proc, 2)  # refused at discovery: a usage-style error (exit 2)
    assert line == f"synthgen: error: --base-url: no server answers: {url} (ConnectError)"
    assert_no_canary(proc, out)


def test_cli_when_the_server_dies_mid_run_stops_with_servers_down(serve, tmp_path):
    server, out = serve(props=PROPS), tmp_path / "run"
    server.script(die())  # the first generation request takes it down
    args = ["instructions", "--n", "2", "--base-url", server.url, "--max-retries", "1", "--out", str(out), "--quiet"]
    proc = synthgen_cli(*args)
    line = assert_one_error_line(proc, 1)
    assert line.startswith(f"synthgen: error: every server is down: {server.url} (")
    assert server.seen[0].headers["authorization"] == f"Bearer {CANARY}"  # the key was sent...
    assert_no_canary(proc, out)  # ...and is nowhere in the output or the run folder


# ---- 7-8: several servers ------------------------------------------------------------------------
def test_a_dead_server_beside_a_live_one_is_marked_down_not_hammered(serve):
    live, dead = serve(), dead_url()
    b = backend(dead, live.url, concurrency=4)
    done = b.generate([chat(seed=i) for i in range(20)])
    assert all(c.finish_reason == "stop" and c.error is None for c in done)
    assert live.served == 20 and b.stats["requests"] == 20 + b.stats["retries"]
    # only requests already sent there before the first refusal came back touched it
    assert 1 <= b.stats["retries"] <= 4
    down, up = b.pool.endpoints
    assert down.url == dead and down.last_error == "connection refused" and down.down_until > time.monotonic()
    assert down.served == 0 and up.served == 20 and down.in_flight == up.in_flight == 0


def test_least_loaded_server_gets_more_work(serve):
    slow_server, fast_server = serve(delay=0.3), serve()
    b = backend(slow_server.url, fast_server.url, concurrency=4)
    done = b.generate([chat(seed=i) for i in range(20)])
    assert all(c.finish_reason == "stop" for c in done)
    assert slow_server.served + fast_server.served == 20
    assert slow_server.served >= 1 and fast_server.served >= 2 * slow_server.served  # typically 18 to 2


# ---- 9: what each request carries, and the API key -------------------------------------------------
def test_requests_carry_seed_max_tokens_stop_and_the_bearer_key(serve, monkeypatch):
    monkeypatch.setenv("SYNTHGEN_TEST_KEY", CANARY)
    server = serve()
    b = backend(server.url, api_key_env="SYNTHGEN_TEST_KEY")
    params = SamplingParams(max_tokens=7, stop=["END", "\n\n"], temperature=0.3)
    [done] = b.generate([chat(seed=1234, params=params)])
    [post] = server.posts("/v1/chat/completions")
    assert post.body["seed"] == 1234 and post.body["max_tokens"] == 7 and post.body["stop"] == ["END", "\n\n"]
    assert post.body["temperature"] == 0.3 and post.body["model"] == "scripted-model"
    assert done.finish_reason == "length" and len(done.text.split()) == 7  # the server cut at max_tokens
    assert {s.headers.get("authorization") for s in server.seen} == {f"Bearer {CANARY}"}  # GETs too
    assert CANARY not in b.model_info().model_dump_json()
    # a server echoing the header back in an error: the request's error is scrubbed
    server.script(echo_auth(400))
    [rejected] = b.generate([chat(seed=5)])
    assert rejected.finish_reason == "error" and rejected.error.startswith("HTTP 400: ")
    assert "Bearer [API key]" in rejected.error and CANARY not in rejected.error


def test_no_key_in_the_environment_sends_no_authorization(serve, monkeypatch):
    monkeypatch.delenv("SYNTHGEN_TEST_KEY", raising=False)
    server = serve()
    b = backend(server.url, api_key_env="SYNTHGEN_TEST_KEY")
    b.generate([chat()])
    assert len(server.seen) >= 2 and all("authorization" not in s.headers for s in server.seen)


# ---- 10-11: streaming feeds ----------------------------------------------------------------------
def test_streamed_answer_is_aborted_by_check_partial_and_the_connection_dropped(serve):
    words = [f"w{i}" for i in range(300)]
    words[20] = "MARKER"
    short = [f"s{i}" for i in range(30)]
    server = serve(text=lambda body: " ".join(words if body["seed"] == 1 else short), chunk_delay=0.005)
    b = backend(server.url, stream=True)
    feed = Feed([chat(seed=1), chat(seed=2)], marker="MARKER")
    b.stream(feed)
    aborted, finished = feed.results[0], feed.results[1]
    cut = -(-21 // PARTIAL_CHECK_EVERY) * PARTIAL_CHECK_EVERY  # the first check after the marker's chunk
    assert aborted.finish_reason == "aborted" and aborted.error == "looping answer"
    assert aborted.text == " ".join(words[:cut]) and aborted.completion_tokens == cut
    assert [text for key, text in feed.partials if key == 0][-1] == aborted.text
    assert finished.finish_reason == "stop" and finished.text == " ".join(short)
    assert finished.completion_tokens == 30  # from the usage chunk
    assert b.stats["aborted"] == 1
    streamed = {p.body["seed"]: p for p in server.posts()}
    assert all(p.body["stream"] is True for p in streamed.values())
    assert wait_for(lambda: streamed[1].disconnected)  # the server saw the client hang up...
    assert streamed[1].chunks_sent < len(words)  # ...long before the end of its answer
    assert streamed[2].chunks_sent == 30 and not streamed[2].disconnected


def test_requests_the_feed_no_longer_wants_are_cancelled(serve):
    server = serve(delay=lambda body: 0.3 if body["seed"] == 0 else 5.0)
    b = backend(server.url, concurrency=4, timeout=8.0)
    feed = Feed([chat(seed=i) for i in range(4)], want_one=True)
    started = time.monotonic()
    b.stream(feed)
    assert time.monotonic() - started < 2.0  # did not wait for the slow ones
    assert list(feed.results) == [0] and feed.results[0].finish_reason == "stop"
    assert b.stats["cancelled"] == 3 and b.stats["requests"] == 4
    assert len(server.posts()) == 4  # all four were at the server when three were dropped
    assert b.pool.endpoints[0].in_flight == 0


# ---- 12: Magpie, raw completions and the chat template ---------------------------------------------
def test_raw_prompt_goes_to_completions_and_props_give_the_template(serve):
    server = serve(props=PROPS)
    b = backend(server.url)
    info = b.model_info()
    assert (info.chat_template, info.bos_token, info.eos_token) == (TEMPLATE, "<|im_start|>", "<|im_end|>")
    assert info.extra["chat_template_source"] == "server /props" and "no_chat_template" not in info.extra
    assert info.extra["server"] == {
        "model_path": "/models/scripted.gguf",
        "total_slots": 4,
        "n_ctx": 2048,
        "build_info": "b0-scripted",
    }
    request = GenerationRequest(prompt="<|im_start|>user\n", params=SamplingParams(stop=["<|im_end|>"]), seed=3)
    [done] = b.generate([request])
    [post] = server.posts()
    assert post.path == "/v1/completions" and "messages" not in post.body
    assert post.body["prompt"] == "<|im_start|>user\n" and post.body["stop"] == ["<|im_end|>"]
    assert done.finish_reason == "stop" and done.text == expected(server)


def test_chat_template_from_a_jinja_file_runs_magpie(serve, tmp_path):
    server = serve()  # no /props
    template = tmp_path / "chatml.jinja"
    template.write_text(TEMPLATE)
    options = {"base_urls": [server.url], "max_retries": 2, "timeout": 2.0, "chat_template_from": str(template)}
    info = ServerBackend(ServerOptions(**options)).model_info()
    assert info.chat_template == TEMPLATE and info.extra["chat_template_source"] == str(template)
    result = synthgen.instructions(2, tmp_path / "run", method="magpie", server=options, progress=False)
    assert result.rows == 2
    raw = server.posts("/v1/completions")
    assert raw and all(p.body["prompt"] == "<|im_start|>user\n" for p in raw)


def test_without_any_template_magpie_is_refused_and_mix_runs_self_instruct(serve, tmp_path, capsys):
    server = serve()  # no /props, no --chat-template-from
    options = {"base_urls": [server.url], "max_retries": 2, "timeout": 2.0}
    with pytest.raises(SynthgenError) as caught:
        synthgen.instructions(2, tmp_path / "magpie", method="magpie", server=options, progress=False)
    message = str(caught.value)
    assert message.startswith("--method magpie: ") and "--chat-template-from" in message and "\n" not in message
    assert server.posts() == []  # refused before any generation
    result = synthgen.instructions(2, tmp_path / "mix", method="mix", server=options, progress=False)
    assert result.rows == 2
    assert "note: --method mix runs as self-instruct" in capsys.readouterr().err
    assert server.posts() and server.posts("/v1/completions") == []


# ---- 13: kill -9 mid-run, then resume ----------------------------------------------------------------
def test_kill_9_mid_run_then_rerun_resumes_to_exactly_n_rows(serve, tmp_path):
    server, out = serve(props=PROPS, delay=0.1), tmp_path / "run"
    args = ["instructions", "--n", "12", "--base-url", server.url, "--concurrency", "2", "--out", str(out), "--quiet"]
    env = {**os.environ, "OPENAI_API_KEY": CANARY}
    journal = out / "journal.jsonl"
    first = subprocess.Popen([sys.executable, "-m", "synthgen", *args], env=env, stdout=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: journal.exists() and journal.read_bytes().count(b"\n") >= 1, seconds=8)
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=5) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    kept = journal.read_bytes()
    kept = kept[: kept.rfind(b"\n") + 1]  # whole lines (the kill may have cut one short)
    assert 1 <= kept.count(b"\n") < 12
    with journal.open("ab") as fh:  # and as if killed in the middle of writing a line
        fh.write(b'{"attempt": 99, "status": "acc')
    proc = synthgen_cli(*args)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert b"done: 12 rows" in proc.stdout
    assert journal.read_bytes().startswith(kept)  # resumed: what the killed run journaled stays
    lines = journal.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])  # no partial line left
    import pyarrow.parquet as pq

    rows = pq.read_table(out / "data").to_pylist()
    assert len(rows) == 12 and len({r["id"] for r in rows}) == 12
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert_no_canary(proc, out)


# ---- 14: the model name ------------------------------------------------------------------------------
def test_model_name_typo_names_the_served_models(serve):
    server = serve(models=["llama3.2:1b", "qwen2.5:0.5b", "smollm2:135m"])
    with pytest.raises(SynthgenError) as caught:
        backend(server.url, model_name="llama3.2:1B")
    assert str(caught.value) == (
        f"--model-name: {server.url} does not serve 'llama3.2:1B' (it serves: llama3.2:1b, qwen2.5:0.5b, smollm2:135m)"
    )
    b = backend(server.url, model_name="qwen2.5:0.5b")
    b.generate([chat()])
    assert server.posts()[-1].body["model"] == "qwen2.5:0.5b" and b.model_info().name == "qwen2.5:0.5b"
    assert backend(server.url).model == "llama3.2:1b"  # default: the first listed


def test_a_server_listing_no_model_needs_model_name(serve):
    server = serve(models=[])
    with pytest.raises(SynthgenError) as caught:
        backend(server.url)
    assert str(caught.value) == "--model-name: the servers list no model; name the one to use"
    assert backend(server.url, model_name="anything").model == "anything"
