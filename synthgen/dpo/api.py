"""`synthgen.preferences(...)`: the Python API equal to `synthgen preferences`.

It validates options, reads the prompt source, loads the judge and policy models (the judge
first, so a judge that does not load fails before anything is generated), prepares or resumes
the run folder, runs the loop and finalises the folder into a dataset repository.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from synthgen.backends.base import Backend
from synthgen.backends.model_convert import Convert
from synthgen.dpo.card import render_preferences_card
from synthgen.dpo.config import Export, PreferencesConfig, Strategy
from synthgen.dpo.judge import JUDGE_PROMPT_FILES
from synthgen.dpo.loop import PreferencesLoop
from synthgen.dpo.row import PREFERENCE_FEATURES, REWARD_FEATURES, reward_row
from synthgen.dpo.sources import load_prompt_source
from synthgen.errors import SynthgenError
from synthgen.run.folder import CARD, DATA_FILE, MANIFEST, RunFolder, default_out, now_iso
from synthgen.run.journal import Journal
from synthgen.run.parquet import REWARD_FILE, write_rows
from synthgen.run.progress import Progress
from synthgen.run.session import run_session, timing
from synthgen.run.versions import library_versions, synthgen_version
from synthgen.sft.api import DEFAULT_PARALLEL, RunResult
from synthgen.text.magpie import pre_query
from synthgen.text.prompts import PromptSet

WINDOW_PER_SLOT = 2  # prompts in flight per decoding slot: each yields k candidates + k judge calls
INSTRUCTION_PROMPT_FILES = ["self_instruct.txt", "self_instruct_input_rule.txt", "self_instruct_no_input_rule.txt"]


def _positive_int(name: str, value: Any, least: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise SynthgenError(f"--{name} must be an integer >= {least}, got {value!r}")


def _choice(name: str, value: Any, kind):
    try:
        return kind(value)
    except ValueError:
        raise SynthgenError(f"--{name} must be one of {', '.join(k.value for k in kind)}, got {value!r}") from None


def _resolve(model, option: str) -> Path:
    from synthgen.backends.model_file import resolve_model_path

    try:
        return resolve_model_path(model)
    except SynthgenError as exc:
        raise SynthgenError(f"{option}: {exc}") from None


def _load_llama(path: Path, convert: Convert, parallel: int, verbose: bool, option: str):
    """A batched llama.cpp backend for `path`; a load failure is one line naming the option."""
    from synthgen.backends.llama_batched import LlamaBatchedBackend
    from synthgen.backends.model_convert import runnable_model
    from synthgen.backends.model_file import embedded_model_path

    try:
        run_path = runnable_model(path, convert, path == embedded_model_path())
        return LlamaBatchedBackend(run_path, parallel=parallel, verbose=verbose, source_path=path)
    except SynthgenError as exc:
        raise SynthgenError(f"{option}: {exc}") from None


def _model_meta(backend: Backend) -> dict[str, Any]:
    from synthgen.backends.model_file import embedded_model_path

    info = backend.model_info()
    meta = info.model_dump()
    try:
        meta["embedded"] = info.path is not None and Path(info.path) == embedded_model_path()
    except SynthgenError:
        meta["embedded"] = False
    return meta


def preferences(
    n: int,
    out: str | Path | None = None,
    *,
    prompts_from: str | Path | None = None,
    prompt_column: str | None = None,
    candidates: int = 4,
    model: str | Path | None = None,
    judge_model: str | Path | None = None,
    min_margin: float = 1.0,
    strategy: str | Strategy = Strategy.best_worst,
    seed: int = 0,
    prompts: str | Path | None = None,
    system_prompt: str | None = None,
    parallel: int = DEFAULT_PARALLEL,
    batch_size: int | None = None,
    convert: str = "auto",
    export: str | Export = Export.dpo,
    overwrite: bool = False,
    verbose: bool = False,
    progress: bool = True,
    backend: Backend | None = None,
    judge_backend: Backend | None = None,
) -> RunResult:
    """Generate `n` preference pairs (prompt / chosen / rejected) into the run folder `out`.

    Prompts come from `prompts_from` (file, folder or SFT run) or are written fresh. Each gets
    `candidates` answers under different principles and temperatures; the judge (`judge_model`,
    default the policy model) scores each on a 1-10 rubric, the pair is chosen by `strategy`,
    and it is kept only if its margin reaches `min_margin`, its answers differ and the judge
    prefers the chosen answer in both A/B orders. Rerunning on the same `out` resumes.
    `backend` / `judge_backend` replace the llama.cpp backends (tests, HTTP servers).
    """
    _positive_int("n", n)
    _positive_int("candidates", candidates, least=2)
    _positive_int("parallel", parallel)
    if batch_size is not None:
        _positive_int("batch-size", batch_size)
    convert = _choice("convert", convert, Convert)
    strategy = _choice("strategy", strategy, Strategy)
    export = _choice("export", export, Export)
    try:
        config = PreferencesConfig(
            n=n,
            out=Path(out) if out else default_out("preferences"),
            seed=seed,
            candidates=candidates,
            strategy=strategy,
            min_margin=min_margin,
            system_prompt=system_prompt,
            batch_size=batch_size or WINDOW_PER_SLOT * parallel,
            convert=convert.value,
            export=export,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]).replace("_", "-")
        raise SynthgenError(f"invalid option --{where}: {first['msg']}") from None
    source = load_prompt_source(prompts_from, prompt_column) if prompts_from is not None else None
    if prompt_column is not None and prompts_from is None:
        raise SynthgenError("--prompt-column needs --prompts-from")
    prompt_set = PromptSet(prompts)
    files = [*JUDGE_PROMPT_FILES, *(f"principle_{p}.txt" for p in config.principles)]
    if source is None:
        files += INSTRUCTION_PROMPT_FILES
    prompt_fp = prompt_set.fingerprint(files)
    RunFolder(config.out).check_writable(keep=False)  # fail on a bad --out before loading a model

    policy_path = _resolve(model, "--model") if backend is None else None
    if judge_backend is None and judge_model is not None:
        judge_path = _resolve(judge_model, "--judge-model")
        if judge_path != policy_path:  # the same file twice: one engine streams everything
            judge_backend = _load_llama(judge_path, convert, parallel, verbose, "--judge-model")
    if backend is None:
        backend = _load_llama(policy_path, convert, parallel, verbose, "--model")
    judge = judge_backend or backend
    info, judge_info = backend.model_info(), judge.model_info()
    fingerprint = config.fingerprint(
        {
            "model_sha256": info.sha256 or info.name,
            "run_file_sha256": info.extra.get("run_file_sha256"),
            "judge_sha256": judge_info.sha256 or judge_info.name,
            "judge_run_file_sha256": judge_info.extra.get("run_file_sha256"),
            "prompts": prompt_fp,
            "source": source.fingerprint if source else None,
        }
    )
    folder = RunFolder(config.out)
    with folder.locked():
        resuming = folder.prepare(fingerprint, overwrite)
        pre = pre_query(info, config.system_prompt) if source is None else None
        journal = Journal(folder.journal_path)
        records = journal.read() if resuming else []
        previous = (folder.read_manifest() or {}) if resuming else {}
        sessions = previous.get("timing", {}).get("sessions", [])
        manifest: dict[str, Any] = {
            "synthgen_version": synthgen_version(),
            "command": "preferences",
            "status": "running",
            "fingerprint": fingerprint,
            "created": previous.get("created", now_iso()),
            "config": config.model_dump(mode="json"),
            "model": _model_meta(backend),
            "judge": {**_model_meta(judge), "same_as_policy": judge is backend},
            "prompts": {"override_dir": str(prompts) if prompts else None, "fingerprint": prompt_fp},
            "prompt_source": (
                {
                    "path": source.path,
                    "column": source.column,
                    "prompts": len(source.prompts),
                    "skipped": source.skipped,
                }
                if source
                else {"generated": config.method}
            ),
            "magpie_pre_query": pre.model_dump() if pre else None,
            "seeds": {
                "run_seed": config.seed,
                "derivation": "attempt seed = int(sha256(f'{run_seed}:{attempt}')[:4]) & 0x7fffffff; "
                "candidate i seed = derive_seed(attempt seed, i, 'candidate')",
            },
            "versions": library_versions(),
            "data": None,
        }
        loop = PreferencesLoop(config, backend, judge, prompt_set, journal, fingerprint, source, pre)
        loop.load(records)
        started_wall, started = now_iso(), time.monotonic()
        rows_before = len(loop.rows)
        loop.progress = Progress(config.n, done=min(rows_before, config.n), enabled=progress)

        def write_manifest(status: str) -> dict[str, Any]:
            seconds = time.monotonic() - started
            session = {
                "backend_seconds": round(loop.backend_seconds, 2),
                "started": started_wall,
                "ended": now_iso(),
                "seconds": round(seconds, 2),
                "rows_added": max(0, len(loop.rows) - rows_before),
            }
            checks = loop.counters["pairwise_checks"]
            all_sessions = [*sessions, session]
            manifest.update(
                status=status,
                updated=now_iso(),
                rows=min(len(loop.rows), config.n),
                counters=dict(loop.counters),
                drops=drop_counts(loop.counters),
                judge_agreement={
                    "pairwise_checks": checks,
                    "orders_agree": loop.counters["pairwise_orders_agree"],
                    "rate": round(loop.counters["pairwise_orders_agree"] / checks, 4) if checks else None,
                },
                tokens=dict(loop.tokens),
                timing=timing(all_sessions),
            )
            folder.write_json_atomic(MANIFEST, manifest)
            folder.write_text_atomic(CARD, render_preferences_card(manifest))
            return session

        def finalise(status: str) -> dict[str, Any]:
            rows = loop.rows[: config.n]
            manifest["data"] = write_rows(folder.path, DATA_FILE, rows, PREFERENCE_FEATURES)
            reward_path = folder.path / REWARD_FILE
            if config.export is Export.reward:
                reward_rows = [reward_row(r) for r in rows]
                manifest["data_reward"] = write_rows(folder.path, REWARD_FILE, reward_rows, REWARD_FEATURES)
            else:
                reward_path.unlink(missing_ok=True)  # left by an earlier --export reward on this folder
                manifest["data_reward"] = None
            return write_manifest(status)

        run_session(loop, journal, write_manifest)
        if len(loop.rows) < config.n:
            finalise("incomplete")
            top = ", ".join(f"{k}={v}" for k, v in sorted(manifest["drops"].items(), key=lambda kv: -kv[1])[:3])
            made = f"{len(loop.rows)}/{config.n} pairs made and kept in {folder.path} (top drops: {top or 'none'})"
            if source is not None:
                raise SynthgenError(
                    f"--prompts-from {source.path} is exhausted after {len(source.prompts)} prompts: {made}",
                    exit_code=1,
                )
            raise SynthgenError(f"gave up after {loop.next_index} prompts: {made}", exit_code=1)
        session = finalise("complete")
        return RunResult(
            out=folder.path,
            rows=min(len(loop.rows), config.n),
            counters=dict(loop.counters),
            tokens=dict(loop.tokens),
            wall_s=manifest["timing"]["wall_s"],
            session_s=session["seconds"],
            backend_s=session["backend_seconds"],
        )


_NOT_DROPS = {"attempts", "accepted", "pairwise_checks", "pairwise_orders_agree", "judge_retries"}


def drop_counts(counters) -> dict[str, int]:
    """The attempt-level drop reasons among `counters` (not events or per-candidate counts)."""
    return {
        k: v
        for k, v in counters.items()
        if k not in _NOT_DROPS and not k.startswith("candidate_") and not k.endswith("_retries")
    }
