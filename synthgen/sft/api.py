"""`synthgen.instructions(...)`: the Python API equal to `synthgen instructions`.

It validates options, resolves the model, prepares (or resumes) the run folder, runs the loop
and finalises the folder into a dataset repository. The CLI is a thin layer over this function.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from synthgen.backends.base import Backend
from synthgen.backends.model_convert import Convert, runnable_model
from synthgen.backends.model_file import embedded_model_path, resolve_model_path
from synthgen.errors import SynthgenError
from synthgen.run.folder import CARD, MANIFEST, RunFolder, default_out, now_iso
from synthgen.run.journal import Journal
from synthgen.run.progress import Progress
from synthgen.run.session import run_session, timing
from synthgen.run.versions import library_versions, synthgen_version
from synthgen.sft.card import render_sft_card
from synthgen.sft.config import InstructionsConfig, Method
from synthgen.sft.loop import InstructionsLoop
from synthgen.sft.row import SFT_FEATURES
from synthgen.text.magpie import pre_query
from synthgen.text.prompts import PromptSet
from synthgen.text.topics import read_topics

DEFAULT_PARALLEL = 16  # measured sweet spot on 2 cores: see benchmarks/throughput.py and the README
BATCH_PER_SLOT = 4  # a wave of 4 x parallel attempts keeps slots busy; the tail is a small share

PROMPT_FILES = ["self_instruct.txt", "self_instruct_input_rule.txt", "self_instruct_no_input_rule.txt"]


class RunResult(BaseModel):
    """What a finished run produced: the folder, its row count, counters and timing."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    out: Path
    rows: int
    counters: dict[str, int]
    tokens: dict[str, int]
    wall_s: float
    session_s: float
    backend_s: float = 0.0

    @property
    def data_file(self) -> Path:
        return self.out / "data" / "train-00000-of-00001.parquet"

    def dataset(self):
        """The rows as a `datasets.Dataset`, read offline from the run folder."""
        from datasets import load_dataset

        return load_dataset(str(self.out), split="train")


def _config(n: int, out: str | Path | None, **options: Any) -> InstructionsConfig:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SynthgenError(f"--n must be a positive integer, got {n!r}")
    try:
        return InstructionsConfig(n=n, out=Path(out) if out else default_out("instructions"), **options)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SynthgenError(f"invalid option {where}: {first['msg']}") from None


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
    batch_size: int | None = None,
    parallel: int = DEFAULT_PARALLEL,
    convert: str = "auto",
    overwrite: bool = False,
    verbose: bool = False,
    progress: bool = True,
    backend: Backend | None = None,
) -> RunResult:
    """Generate `n` instruction-response rows for SFT into the run folder `out`.

    Rerunning with the same options on the same `out` resumes; `backend` replaces the llama.cpp
    backend (tests, HTTP servers). `parallel` is the number of sequences llama.cpp decodes at
    once; `batch_size` (default 4 x parallel) how many attempts form one wave of requests;
    `convert` ("auto", "q8_0", "none") whether a slow-kernel model runs as a cached Q8_0 copy.
    Returns a RunResult; `result.dataset()` loads the rows.
    """
    topic_list = list(topics) if isinstance(topics, list) else (read_topics(topics) if topics else [])
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise SynthgenError(f"--parallel must be a positive integer, got {parallel!r}")
    try:
        convert = Convert(convert)
    except ValueError:
        raise SynthgenError(f"--convert must be one of {', '.join(c.value for c in Convert)}") from None
    batch_size = batch_size or BATCH_PER_SLOT * parallel
    try:
        method = Method(method)
    except ValueError:
        raise SynthgenError(f"--method must be one of {', '.join(m.value for m in Method)}, got {method!r}") from None
    config = _config(
        n,
        out,
        seed=seed,
        method=method,
        topics=topic_list,
        system_prompt=system_prompt,
        batch_size=batch_size,
        convert=convert.value,
    )
    prompt_set = PromptSet(prompts)
    prompt_fp = prompt_set.fingerprint(PROMPT_FILES)
    RunFolder(config.out).check_writable(keep=False)  # fail on a bad --out before loading a model
    if backend is None:
        model_path = resolve_model_path(model)
        from synthgen.backends.llama_batched import LlamaBatchedBackend

        embedded = model_path == embedded_model_path()
        run_path = runnable_model(model_path, convert, embedded)
        backend = LlamaBatchedBackend(
            run_path,
            parallel=parallel,
            verbose=verbose,
            source_path=model_path,
            stream_ctx_per_seq=config.sequence_tokens(),
        )
    info = backend.model_info()
    model_meta = info.model_dump()
    try:
        model_meta["embedded"] = info.path is not None and Path(info.path) == embedded_model_path()
    except SynthgenError:
        model_meta["embedded"] = False
    fingerprint = config.fingerprint(
        {
            "model_sha256": info.sha256 or info.name,
            "run_file_sha256": info.extra.get("run_file_sha256"),
            "prompts": prompt_fp,
        }
    )
    folder = RunFolder(config.out)
    with folder.locked():  # before prepare(), which may delete an old run's files
        resuming = folder.prepare(fingerprint, overwrite)
        needs_magpie = config.method in (Method.magpie, Method.mix)
        pre = pre_query(info, config.system_prompt) if needs_magpie else None

        journal = Journal(folder.journal_path)
        records = journal.read() if resuming else []
        previous = (folder.read_manifest() or {}) if resuming else {}
        sessions = previous.get("timing", {}).get("sessions", [])
        manifest: dict[str, Any] = {
            "synthgen_version": synthgen_version(),
            "command": "instructions",
            "status": "running",
            "fingerprint": fingerprint,
            "created": previous.get("created", now_iso()),
            "config": config.model_dump(mode="json"),
            "model": model_meta,
            "prompts": {"override_dir": str(prompts) if prompts else None, "fingerprint": prompt_fp},
            "magpie_pre_query": pre.model_dump() if pre else None,
            "seeds": {
                "run_seed": config.seed,
                "derivation": "attempt seed = int(sha256(f'{run_seed}:{attempt}')[:4]) & 0x7fffffff",
            },
            "versions": library_versions(),
            "data": None,
        }
        loop = InstructionsLoop(config, backend, prompt_set, journal, fingerprint, pre)
        loop.load(records)
        if getattr(backend, "stream", None) is not None:
            loop.hedge = True
        started_wall, started = now_iso(), time.monotonic()
        rows_before = len(loop.rows)
        loop.progress = Progress(config.n, done=min(rows_before, config.n), enabled=progress)

        def write_manifest(status: str) -> dict[str, Any]:
            seconds = time.monotonic() - started
            session = {
                "backend_seconds": round(loop.backend_seconds, 2),
                "non_model_share": round(1 - loop.backend_seconds / seconds, 4) if seconds > 0 else None,
                "started": started_wall,
                "ended": now_iso(),
                "seconds": round(time.monotonic() - started, 2),
                "rows_added": max(0, len(loop.rows) - rows_before),
                "dropped_in_flight": loop.dropped,
            }
            if isinstance(getattr(backend, "stats", None), dict):
                # decode calls and seconds, prefill, tokens of dropped requests
                session["engine"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in backend.stats.items()}
            manifest.update(
                status=status,
                updated=now_iso(),
                rows=min(len(loop.rows), config.n),
                counters=dict(loop.counters),
                tokens=dict(loop.tokens),
                timing=timing([*sessions, session]),
            )
            folder.write_json_atomic(MANIFEST, manifest)
            folder.write_text_atomic(CARD, render_sft_card(manifest))
            return session

        run_session(loop, journal, write_manifest)
        rows = sorted(loop.rows[: config.n], key=lambda row: row["attempt"])  # same order however they finished
        manifest["data"] = folder.write_parquet(rows, SFT_FEATURES)
        session = write_manifest("complete")
        return RunResult(
            out=folder.path,
            rows=min(len(loop.rows), config.n),
            counters=dict(loop.counters),
            tokens=dict(loop.tokens),
            wall_s=manifest["timing"]["wall_s"],
            session_s=session["seconds"],
            backend_s=session["backend_seconds"],
        )
