"""Integration tests on the real embedded SmolLM2-135M model through llama.cpp (small n).

Marked slow (tens of seconds each); CI runs them. They check what only the real model can show:
the CLI end to end, grammar-constrained JSON from a real sampler, resume after kill -9 and
Ctrl-C, reproducibility, and the backend contract's per-request limits and errors.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import SYNTHGEN
from jinja2.sandbox import ImmutableSandboxedEnvironment

import synthgen
from synthgen.backends.base import GenerationRequest, Message, SamplingParams
from synthgen.backends.model_file import embedded_model_path, file_sha256

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backend():
    from synthgen.backends.llama_batched import LlamaBatchedBackend

    return LlamaBatchedBackend(embedded_model_path(), parallel=4)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A 6-row run with seed 3 and the default --parallel: what a rerun must reproduce."""
    out = tmp_path_factory.mktemp("ref") / "run"
    result = synthgen.instructions(6, out, seed=3, progress=False)
    return result.dataset().to_list()


def check_trl_conversational(row: dict, template: str) -> None:
    """The TRL SFT contract for conversational LM rows, and that the chat template renders it."""
    messages = row["messages"]
    assert isinstance(messages, list) and messages
    assert all(set(m) == {"role", "content"} for m in messages)
    roles = [m["role"] for m in messages]
    assert roles in (["user", "assistant"], ["system", "user", "assistant"])
    assert all(isinstance(m["content"], str) and m["content"].strip() for m in messages)
    rendered = (
        ImmutableSandboxedEnvironment().from_string(template).render(messages=messages, add_generation_prompt=False)
    )
    assert messages[-2]["content"] in rendered and messages[-1]["content"] in rendered


def test_cli_end_to_end_on_the_embedded_model(tmp_path, backend):
    out = tmp_path / "run"
    proc = subprocess.run(
        [SYNTHGEN, "instructions", "--n", "6", "--out", str(out), "--seed", "11"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "done: 6 rows" in proc.stdout and "rejected:" in proc.stdout
    assert "rows 6/6" in proc.stderr and "ETA" in proc.stderr
    assert "llama_model_loader" not in proc.stderr and "llama_context" not in proc.stderr

    from datasets import load_dataset

    ds = load_dataset(str(out), split="train")
    assert len(ds) == 6 and len(set(ds["id"])) == 6
    template = backend.model_info().chat_template
    for row in ds:
        check_trl_conversational(row, template)
        assert row["response_tokens"] > 0 and row["seed"] >= 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["model"]["sha256"] == file_sha256(embedded_model_path())
    assert manifest["model"]["embedded"] is True
    # the file that actually ran is the cached Q8_0 copy, recorded beside the shipped one
    assert manifest["model"]["extra"]["run_file"].endswith(".q8_0.gguf")
    assert manifest["model"]["extra"]["run_file_sha256"] != manifest["model"]["sha256"]
    assert manifest["counters"]["accepted"] == 6
    assert "license: apache-2.0" in (out / "README.md").read_text()


def test_same_seed_reproduces_the_dataset(tmp_path, reference):
    again = synthgen.instructions(6, tmp_path / "again", seed=3, progress=False).dataset().to_list()
    assert again == reference


def _wait_for_lines(path: Path, count: int, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= count:
            return
        if proc.poll() is not None:
            pytest.fail(f"run ended before {count} journal lines: {proc.stderr.read()}")
        time.sleep(0.2)
    pytest.fail("journal did not grow in time")


def test_kill_9_then_resume_finishes_with_exactly_n_unique_rows(tmp_path):
    out = tmp_path / "run"
    cmd = [SYNTHGEN, "instructions", "--n", "12", "--seed", "3", "--out", str(out), "--parallel", "4"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_lines(out / "journal.jsonl", 2, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    before = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    assert len(before) >= 2
    assert not (out / "data").exists(), "the run was killed before it could finish"
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    from datasets import load_dataset

    rows = load_dataset(str(out), split="train").to_list()
    assert len(rows) == 12 and len({r["id"] for r in rows}) == 12
    users = [r["messages"][0]["content"] for r in rows]
    assert len(set(users)) == 12, "no instruction repeated across the restart"
    after = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    assert after[: len(before)] == before, "what was journaled before the kill is kept as it was"
    attempts = [r["attempt"] for r in after]
    assert len(attempts) == len(set(attempts)), "every attempt journaled at most once"
    kept = {r["row"]["id"]: r["row"] for r in before if r["status"] == "accepted"}
    assert all(kept[r["id"]] == r for r in rows if r["id"] in kept) and set(kept) <= {r["id"] for r in rows}


def test_ctrl_c_exits_130_with_one_line_and_keeps_rows(tmp_path):
    out = tmp_path / "run"
    cmd = [SYNTHGEN, "instructions", "--n", "50", "--out", str(out), "--parallel", "2", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_lines(out / "journal.jsonl", 1, proc)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0] and str(out) in lines[0], stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["stop"]["reason"] == "interrupted"
    assert manifest["counters"]["attempts"] >= 1


def test_grammar_constrained_output_always_parses(backend):
    from synthgen.text.writers import WRITTEN_TASK_SCHEMA, WrittenTask

    requests = [
        GenerationRequest(
            messages=[Message(role="user", content=f"Write a task about topic number {i}. Reply in JSON.")],
            params=SamplingParams(max_tokens=400, temperature=1.0),
            json_schema=WRITTEN_TASK_SCHEMA,
            seed=i,
        )
        for i in range(8)
    ]
    for completion in backend.generate(requests):
        if completion.finish_reason == "stop":
            WrittenTask.model_validate(json.loads(completion.text))  # strict: no raw control chars


def test_max_tokens_stop_strings_and_eos_are_honoured(backend):
    prompt = [Message(role="user", content="Count from 1 to 50, separated by commas.")]
    limited, stopped, free = backend.generate(
        [
            GenerationRequest(messages=prompt, params=SamplingParams(max_tokens=5), seed=1),
            GenerationRequest(messages=prompt, params=SamplingParams(max_tokens=200, stop=["5"]), seed=1),
            GenerationRequest(
                messages=[Message(role="user", content="Say hi.")], params=SamplingParams(max_tokens=300), seed=1
            ),
        ]
    )
    assert limited.finish_reason == "length" and limited.completion_tokens == 5
    assert stopped.finish_reason == "stop" and "5" not in stopped.text
    assert free.finish_reason == "stop" and free.completion_tokens < 300


def test_a_prompt_longer_than_the_context_fails_alone(tmp_path):
    from synthgen.backends.llama_batched import LlamaBatchedBackend

    small = LlamaBatchedBackend(embedded_model_path(), parallel=2, max_ctx_per_seq=256)
    long_prompt = "word " * 600
    ok_before, too_long, ok_after = small.generate(
        [
            GenerationRequest(prompt="The capital of France is", params=SamplingParams(max_tokens=4), seed=1),
            GenerationRequest(prompt=long_prompt, params=SamplingParams(max_tokens=4), seed=1),
            GenerationRequest(prompt="The capital of Italy is", params=SamplingParams(max_tokens=4), seed=1),
        ]
    )
    assert too_long.finish_reason == "error" and "context" in too_long.error
    assert ok_before.finish_reason != "error" and ok_after.finish_reason != "error"
    assert ok_after.completion_tokens > 0


def test_model_info_reads_the_gguf(backend):
    info = backend.model_info()
    assert info.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert "<|im_start|>" in info.chat_template and info.eos_token == "<|im_end|>"
    assert info.extra["n_threads"] == (os.cpu_count() or 1)
    assert info.add_bos_token is False
    from synthgen.text.magpie import pre_query

    # SmolLM2's BOS text is "<|im_start|>": the prefix must keep it, it opens the system turn.
    assert pre_query(info).prefix.startswith("<|im_start|>system\n")


def test_magpie_writes_user_turns_from_the_gguf_template(tmp_path):
    result = synthgen.instructions(3, tmp_path / "run", method="magpie", progress=False)
    rows = result.dataset().to_list()
    assert {r["method"] for r in rows} == {"magpie"}
    for row in rows:
        user = row["messages"][0]["content"]
        assert "<|im_start|>" not in user and "<|im_end|>" not in user and user.strip()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
