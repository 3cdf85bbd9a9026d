"""(b) of the throughput benchmark: the naive sequential peer (benchmarks/throughput.py runs it).

One request at a time through llama-cpp-python's high-level `create_chat_completion`, as most
tools' llama.cpp backends and tutorials do, on the model file as shipped, writing the same kind
of rows as `synthgen instructions` (an instruction as JSON, then an answer).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import llama_cpp

from synthgen.backends.llama_model import high_level_defaults
from synthgen.text.writers import WrittenTask

CORES = os.cpu_count() or 1


def naive_peer(path: Path, rows: int, use_schema: bool, first: int = 0) -> dict:
    """(b) One request at a time through the high-level API, as most tools do."""
    with high_level_defaults():  # the same llama.cpp model parameters as synthgen's engine
        llm = llama_cpp.Llama(
            str(path), n_ctx=2048, n_threads=CORES, n_threads_batch=CORES, flash_attn=True, verbose=False
        )
    prompt = (
        "Write one request that a user might send to an AI assistant about {topic}. "
        'Reply with JSON only, with the fields "instruction" and "input".'
    )
    # The plain schema: llama-cpp-python's converter cannot handle maxLength (it expands it into a
    # grammar llama.cpp refuses), so a user of the high-level API would drop the length bounds.
    plain = {
        "type": "object",
        "properties": {"instruction": {"type": "string"}, "input": {"type": "string"}},
        "required": ["instruction", "input"],
    }
    fmt = {"type": "json_object", "schema": plain} if use_schema else None
    started = time.perf_counter()
    tokens = valid = 0
    for i in range(first, first + rows):
        written = llm.create_chat_completion(
            [{"role": "user", "content": prompt.format(topic=f"subject {i}")}],
            max_tokens=320,
            temperature=0.9,
            seed=i,
            response_format=fmt,
        )
        tokens += written["usage"]["completion_tokens"]
        try:
            task = WrittenTask.model_validate(json.loads(written["choices"][0]["message"]["content"], strict=False))
        except ValueError:
            continue
        answer = llm.create_chat_completion(
            [{"role": "user", "content": task.instruction}], max_tokens=512, temperature=0.7, seed=i
        )
        tokens += answer["usage"]["completion_tokens"]
        valid += 1
    seconds = time.perf_counter() - started
    llm.close()
    return {
        "rows": valid,
        "attempted": rows,
        "seconds": seconds,
        "tokens": tokens,
        "tok_s": tokens / seconds,
        "rows_min": 60 * valid / seconds,
    }


def pooled(*runs: dict) -> dict:
    """One figure for several peer runs: their rows, tokens and seconds added up."""
    rows, seconds, tokens = (sum(r[k] for r in runs) for k in ("rows", "seconds", "tokens"))
    attempted = sum(r["attempted"] for r in runs)
    return {
        "rows": rows,
        "attempted": attempted,
        "seconds": seconds,
        "tok_s": tokens / seconds,
        "rows_min": 60 * rows / seconds,
    }
