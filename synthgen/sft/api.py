"""`synthgen.instructions(...)`: the Python API equal to `synthgen instructions`.

It validates options, opens the model, and runs one RunSession (run/session.py) on the run
folder; this module supplies only what is SFT's own: the config, the loop, the row schema and
the card. The CLI is a thin layer over this function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthgen.backends.base import Backend
from synthgen.backends.open import DEFAULT_PARALLEL, model_identity, model_meta, open_backend
from synthgen.backends.server.options import ServerOptions
from synthgen.errors import SynthgenError
from synthgen.run.diversity import DiversitySpec, user_turns
from synthgen.run.engine_stats import engine_stats
from synthgen.run.folder import RunFolder, default_out
from synthgen.run.options import (
    build_config,
    check_backend_options,
    check_batch_size,
    check_choice,
    check_finite,
    check_int,
    check_server,
)
from synthgen.run.result import RunResult
from synthgen.run.session import RunSession
from synthgen.run.shards import ShardPart
from synthgen.scale.executor import answered_by_shards
from synthgen.sft.card import render_sft_card
from synthgen.sft.config import InstructionsConfig, Method
from synthgen.sft.loop import InstructionsLoop
from synthgen.sft.row import SFT_FEATURES
from synthgen.text.magpie import magpie_or_note, pre_query
from synthgen.text.prompts import PromptSet
from synthgen.text.topics import read_topics
from synthgen.text.writers import SELF_INSTRUCT_FILES

__all__ = ["RunResult", "instructions"]

BATCH_PER_SLOT = 4  # a wave of 4 x parallel attempts keeps slots busy; the tail is a small share

PROMPT_FILES = SELF_INSTRUCT_FILES
# What the card's diversity figures measure: the user turns, spread over the `topic` column.
DIVERSITY = DiversitySpec("user turns", lambda row: user_turns(row["messages"]), column="topic")


def _can_score(backend: Backend) -> bool:
    probe = getattr(backend, "can_score", None)  # a backend without it cannot (backends/base.py)
    return bool(probe()) if probe is not None else False


def _totals(loop: InstructionsLoop) -> dict[str, Any]:
    return {"counters": dict(loop.counters), "tokens": dict(loop.tokens)}


def _session_facts(backend: Backend):
    def facts(loop: InstructionsLoop, seconds: float) -> dict[str, Any]:
        session: dict[str, Any] = {
            "backend_seconds": round(loop.backend_seconds, 2),
            "non_model_share": round(1 - loop.backend_seconds / seconds, 4) if seconds > 0 else None,
            "dropped_in_flight": loop.dropped,
        }
        if (stats := engine_stats(backend)) is not None:  # decode calls and seconds, prefill, dropped tokens
            session["engine"] = stats
        return session

    return facts


def instructions(
    n: int,
    out: str | Path | None = None,
    *,
    model: str | Path | None = None,
    seed: int = 0,
    method: str | Method = Method.mix,
    topics: str | Path | list[str] | None = None,
    prompts: str | Path | None = None,
    system_prompt: str | None = None,
    min_relevance: float | None = None,
    batch_size: int | None = None,
    parallel: int = DEFAULT_PARALLEL,
    convert: str = "auto",
    overwrite: bool = False,
    verbose: bool = False,
    progress: bool = True,
    shard_index: int | None = None,
    num_shards: int | None = None,
    executor: str = "local",
    backend: Backend | None = None,
    server: ServerOptions | str | list[str] | None = None,
) -> RunResult:
    """Generate `n` instruction-response rows for SFT into the run folder `out`.

    Rerunning with the same options on the same `out` resumes; `backend` replaces the llama.cpp
    backend (tests, HTTP servers). `parallel` is the number of sequences llama.cpp decodes at
    once; `batch_size` (default 4 x parallel) how many attempts form one wave of requests;
    `convert` ("auto", "q8_0", "none") whether a slow-kernel model runs as a cached Q8_0 copy.
    `server` runs on OpenAI-compatible servers instead of a model file (a URL, a list of URLs or
    ServerOptions). `min_relevance` scores every answer that passed the gates and rejects those
    whose likelihood relevance (text/likelihood.py) is below it; it needs a backend that can score.
    Returns a RunResult; `result.dataset()` loads the rows.
    `num_shards` splits the run into shards under `out` (run/shards.py): `shard_index` makes one,
    else `executor` ("local" or "ray") makes all and merges them into `out`.
    """
    options = dict(locals())  # what every shard of a fanned-out run gets
    part = ShardPart.of("instructions", n, out, shard_index, num_shards, executor, progress)
    if (answer := answered_by_shards(instructions, options, part, RunResult)) is not None:
        return answer
    topic_list = list(topics) if isinstance(topics, list) else (read_topics(topics) if topics else [])
    conversion = check_backend_options(parallel, convert)
    method = check_choice("method", method, Method)
    check_int("n", n)
    if batch_size is not None:
        check_batch_size(batch_size)
    server = check_server(server)
    if min_relevance is not None:
        min_relevance = check_finite("min_relevance", min_relevance)
    config = build_config(
        InstructionsConfig,
        n=part.count,
        out=part.out or default_out("instructions"),
        seed=seed,
        method=method,
        topics=topic_list,
        system_prompt=system_prompt,
        min_relevance=min_relevance,
        batch_size=batch_size or BATCH_PER_SLOT * parallel,
        convert=conversion.value,
    )
    prompt_set = PromptSet(prompts)
    prompt_fp = prompt_set.fingerprint(PROMPT_FILES)
    RunFolder(config.out).check_writable(keep=False)  # fail on a bad --out before loading a model
    if backend is None:
        backend = open_backend(
            model, parallel, conversion.value, verbose, server=server, stream_ctx_per_seq=config.sequence_tokens()
        )
    info = backend.model_info()
    if min_relevance is not None and not _can_score(backend):
        raise SynthgenError(
            "--min-relevance needs token log-probabilities, which this backend does not return "
            "(a server needs /v1/completions with echo and logprobs)"
        )
    config = magpie_or_note(config, info)
    fingerprint = config.fingerprint({**model_identity(backend), "prompts": prompt_fp})
    part.claim(fingerprint)
    run = RunSession(
        config.out,
        command="instructions",
        fingerprint=fingerprint,
        overwrite=overwrite,
        render_card=render_sft_card,
        totals=_totals,
        session_facts=_session_facts(backend),
        templates=prompt_set.texts(PROMPT_FILES),
        diversity=DIVERSITY,
    )
    with run:
        pre = pre_query(info, config.system_prompt) if config.method in (Method.magpie, Method.mix) else None
        run.describe(
            config.model_dump(mode="json"),
            model=model_meta(backend),
            prompt_set={"override_dir": str(prompts) if prompts else None, "fingerprint": prompt_fp},
            magpie_pre_query=pre.model_dump() if pre else None,
            seeds={
                "run_seed": config.seed,
                "derivation": "attempt seed = int(sha256(f'{run_seed}:{attempt}')[:4]) & 0x7fffffff",
            },
            **part.section(),
        )
        attempts = part.attempts(lambda rows: rows * config.max_attempts_factor)
        loop = InstructionsLoop(config, backend, prompt_set, run.journal, fingerprint, pre, attempts=attempts)
        loop.load(run.records)
        if getattr(backend, "stream", None) is not None:
            loop.hedge = True

        def keep(rows: list[dict[str, Any]]) -> None:
            run.write_data(sorted(rows, key=lambda row: row["attempt"]), SFT_FEATURES)  # however they finished

        run.run(loop, range(config.n), progress, keep=keep)
        run.keep()
        run.write_manifest("complete")
        part.finish()
        return run.result()
