"""`synthgen.math(...)` and `synthgen.logic(...)`: the Python API equal to `synthgen math|logic`.

Both validate options, prepare (or resume) the run folder, run the problems loop and finalise the
folder into a dataset repository of GRPO rows. Only the procedural source exists here; other
sources and the solve / pass-rate stages plug into `ProblemsLoop(stages=...)`.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synthgen.backends.base import Backend
from synthgen.errors import SynthgenError
from synthgen.grpo.card import render_problems_card
from synthgen.grpo.row import PROBLEM_FEATURES
from synthgen.grpo.solve.setup import (
    DEFAULT_PARALLEL,
    SharedBackend,
    finish_solve,
    loop_options,
    solve_stages,
    take_solve_options,
)
from synthgen.grpo.sources import SOURCES, build_loop, narrow_families, take_source_options
from synthgen.grpo.sourcing.card import model_families
from synthgen.problems import FAMILIES, parse_levels, select_families
from synthgen.run.folder import CARD, MANIFEST, RunFolder, default_out, now_iso
from synthgen.run.journal import Journal
from synthgen.run.progress import Progress
from synthgen.run.session import run_session, timing
from synthgen.run.versions import library_versions, synthgen_version
from synthgen.text.prompts import PromptSet


class ProblemsConfig(BaseModel):
    """All settings of a `math` or `logic` run (the CLI options, validated)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["math", "logic"]
    n: int = Field(..., ge=1)
    out: Path
    seed: int = Field(0, ge=0)
    families: list[str]
    levels: list[int]
    source: Literal["procedural", "model", "mix"] = "procedural"
    max_tries: int = Field(200, ge=1, description="draws per slot before the slot is given up")
    exclude: list[str] = Field(default_factory=list, description="run folders whose ids are excluded")
    exclude_ids_sha256: str | None = None
    solve: dict[str, Any] | None = Field(None, description="--solve K, band and sampling (SolveOptions)")
    model: dict[str, Any] | None = Field(None, description="model file identity, when a model takes part")
    sourcing: dict[str, Any] | None = Field(None, description="--word-problems, --topics, prompts (model sources)")

    def fingerprint(self) -> str:
        """Hash of everything that decides the rows, including each family's generator version."""
        keep = self.model_dump(mode="json", exclude={"n", "out", "exclude"})
        keep["versions"] = {name: FAMILIES[name].version for name in self.families}
        return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:16]


class ProblemsResult(BaseModel):
    """What a finished run produced: the folder, its row count, counters and timing."""

    out: Path
    rows: int
    counters: dict[str, Any]
    wall_s: float
    session_s: float
    solve: dict[str, Any] | None = None  # --solve: pass-rate histograms, attempt verdicts, tokens
    emitted: dict[str, Any] = {}  # --emit-sft / --emit-dpo: folder, rows, problems

    @property
    def data_file(self) -> Path:
        return self.out / "data" / "train-00000-of-00001.parquet"

    def dataset(self):
        """The rows as a `datasets.Dataset`, read offline from the run folder."""
        from datasets import load_dataset

        return load_dataset(str(self.out), split="train")


def read_excluded_ids(folders: list[str | Path]) -> set[str]:
    """Ids of the rows in other run folders (their Parquet data), for cross-run dedup."""
    import pyarrow.parquet as pq

    ids: set[str] = set()
    for folder in folders:
        files = sorted(Path(folder).expanduser().glob("data/*.parquet"))
        if not files:
            raise SynthgenError(f"--exclude {folder}: no data/*.parquet (not a finished synthgen run folder)")
        for file in files:
            table = pq.read_table(file)
            if "id" not in table.column_names:
                raise SynthgenError(f"--exclude {file}: has no 'id' column")
            ids.update(str(v) for v in table.column("id").to_pylist())
    return ids


def math(
    n: int,
    out: str | Path | None = None,
    *,
    families: str | list[str] | None = None,
    difficulty: str | int | list[int] = "1-3",
    seed: int = 0,
    source: str = "procedural",
    exclude: list[str | Path] | str | Path | None = None,
    overwrite: bool = False,
    progress: bool = True,
    solve: int | None = None,
    keep_pass_rate: str | tuple[float, float] | None = None,
    emit_sft: str | Path | None = None,
    emit_dpo: str | Path | None = None,
    solve_temperature: float = 1.0,
    solve_max_tokens: int = 256,
    model: str | Path | None = None,
    parallel: int = DEFAULT_PARALLEL,
    convert: str = "auto",
    backend: Backend | None = None,
    **options: Any,
) -> ProblemsResult:
    """Generate `n` verified math problems (GRPO rows) into the run folder `out`.

    `families`: group names (arithmetic, algebra, calculus, number_theory, linear_algebra,
    counting) or exact family names, comma-separated or a list; default all. `difficulty`: levels
    1-5 as "1-3", "2,4" or an int. Families are spread round-robin over the slots. Rerunning with
    the same options on the same `out` resumes; `exclude` skips ids present in other run folders.

    `solve=K` has the model (`model`, default the embedded one; `parallel`, `convert` as in
    `instructions`; or a given `backend`) attempt each problem K times; each attempt is scored by
    `synthgen.rewards` and `pass_rate` is stored per row. `keep_pass_rate="LO-HI"` keeps only
    problems in that band (still exactly `n` rows); `emit_sft` / `emit_dpo` write verified-correct
    traces / correct-vs-wrong pairs from the same attempts as dataset folders.
    `solve_temperature` / `solve_max_tokens` set the attempts' sampling (GRPO's defaults otherwise).

    `source="model"` / `"mix"` has the model propose problems (checked by sympy and re-extraction);
    keyword options `word_problems=True` (retell procedural problems), `topics` (file or list) and
    `max_attempts` (model attempts before giving up) go with them; see synthgen/grpo/sources.py.
    """
    solve_options = dict(
        solve=solve, keep_pass_rate=keep_pass_rate, emit_sft=emit_sft, emit_dpo=emit_dpo,
        solve_temperature=solve_temperature, solve_max_tokens=solve_max_tokens,
        model=model, parallel=parallel, convert=convert, backend=backend,
    )  # fmt: skip
    return run_problems(
        "math", n, out, families, difficulty, seed, source, exclude, overwrite, progress, **solve_options, **options
    )


def logic(
    n: int,
    out: str | Path | None = None,
    *,
    families: str | list[str] | None = None,
    difficulty: str | int | list[int] = "1-3",
    seed: int = 0,
    source: str = "procedural",
    exclude: list[str | Path] | str | Path | None = None,
    overwrite: bool = False,
    progress: bool = True,
    solve: int | None = None,
    keep_pass_rate: str | tuple[float, float] | None = None,
    emit_sft: str | Path | None = None,
    emit_dpo: str | Path | None = None,
    solve_temperature: float = 1.0,
    solve_max_tokens: int = 256,
    model: str | Path | None = None,
    parallel: int = DEFAULT_PARALLEL,
    convert: str = "auto",
    backend: Backend | None = None,
    **options: Any,
) -> ProblemsResult:
    """Generate `n` verified logic puzzles (sat, knights, ordering) as GRPO rows; see `math`."""
    solve_options = dict(
        solve=solve, keep_pass_rate=keep_pass_rate, emit_sft=emit_sft, emit_dpo=emit_dpo,
        solve_temperature=solve_temperature, solve_max_tokens=solve_max_tokens,
        model=model, parallel=parallel, convert=convert, backend=backend,
    )  # fmt: skip
    return run_problems(
        "logic", n, out, families, difficulty, seed, source, exclude, overwrite, progress, **solve_options, **options
    )


def _config(kind, n, out, families, difficulty, seed, source, exclude) -> ProblemsConfig:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SynthgenError(f"--n must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SynthgenError(f"--seed must be a non-negative integer, got {seed!r}")
    if source not in SOURCES:
        raise SynthgenError(f"--source must be one of {', '.join(SOURCES)}, got {source!r}")
    chosen = select_families(families, kind)
    levels = parse_levels(difficulty)
    folders = [exclude] if isinstance(exclude, str | Path) else list(exclude or [])
    return ProblemsConfig(
        kind=kind,
        n=n,
        out=Path(out) if out else default_out(kind),
        seed=seed,
        families=[f.name for f in chosen],
        levels=levels,
        source=source,
        exclude=[str(f) for f in folders],
    )


def run_problems(
    kind, n, out, families, difficulty, seed, source, exclude, overwrite, progress, **options: Any
) -> ProblemsResult:
    """Shared body of `math` and `logic`; `options`: the --solve family, model, parallel, convert, backend."""
    config = _config(kind, n, out, families, difficulty, seed, source, exclude)
    solve = take_solve_options(options, config.out)
    sourcing = take_source_options(options, kind, config.source)  # --word-problems, --topics, --max-attempts
    config.families = narrow_families(config.families, families, sourcing)
    backends = SharedBackend(options.pop("model", None), options.pop("parallel", DEFAULT_PARALLEL),
                             options.pop("convert", "auto"), options.pop("backend", None))  # fmt: skip
    if options:
        raise SynthgenError(f"unknown option(s): {', '.join(sorted(options))}")
    if solve is not None:
        RunFolder(config.out).check_writable(keep=False)  # fail on a bad --out before loading a model
        config.solve, config.model = solve.fingerprint_part(), backends.identity()
    if sourcing.uses_model:
        RunFolder(config.out).check_writable(keep=False)
        config.sourcing, config.model = sourcing.fingerprint_part(PromptSet()), backends.identity()
    excluded = read_excluded_ids(config.exclude) if config.exclude else set()
    if excluded:
        config.exclude_ids_sha256 = hashlib.sha256("\n".join(sorted(excluded)).encode()).hexdigest()[:16]
    fingerprint = config.fingerprint()
    folder = RunFolder(config.out)
    with folder.locked():
        resuming = folder.prepare(fingerprint, overwrite)
        journal = Journal(folder.journal_path)
        records = journal.read() if resuming else []
        previous = (folder.read_manifest() or {}) if resuming else {}
        sessions = previous.get("timing", {}).get("sessions", [])
        manifest: dict[str, Any] = {
            "synthgen_version": synthgen_version(),
            "command": kind,
            "status": "running",
            "fingerprint": fingerprint,
            "created": previous.get("created", now_iso()),
            "config": config.model_dump(mode="json"),
            "families": {
                name: {
                    "version": FAMILIES[name].version,
                    "group": FAMILIES[name].group,
                    "about": FAMILIES[name].description,
                }
                for name in config.families
            }
            | model_families(config.source),
            "seeds": {
                "run_seed": config.seed,
                "derivation": "item seed = int(sha256(f'{family}|{version}|{run_seed}|{slot}')[:15], 16) "
                "into a local random.Random; slot i -> families[i % F], levels[(i // F) % L]",
            },
            "versions": library_versions(),
            "model": backends.meta(),
            "data": None,
        }
        families_list = [FAMILIES[name] for name in config.families]
        loop = build_loop(
            config.n, config.seed, families_list, config.levels, journal,
            exclude_ids=excluded, max_tries=config.max_tries, sourcing=sourcing, backend_factory=backends,
            stages=solve_stages(solve, backends, config.seed), **loop_options(solve, backends),
        )  # fmt: skip
        loop.load(records)
        rows_before = len(loop.rows)
        loop.progress = Progress(config.n, done=min(rows_before, config.n), enabled=progress)
        started_wall, started = now_iso(), time.monotonic()

        def write_manifest(status: str) -> dict[str, Any]:
            session = {
                "started": started_wall,
                "ended": now_iso(),
                "seconds": round(time.monotonic() - started, 2),
                "rows_added": max(0, len(loop.rows) - rows_before),
            }
            all_sessions = [*sessions, session]
            manifest.update(
                status=status,
                updated=now_iso(),
                rows=min(len(loop.rows), config.n),
                counters=loop.counters_json(),
                timing=timing(all_sessions),
            )
            folder.write_json_atomic(MANIFEST, manifest)
            folder.write_text_atomic(CARD, render_problems_card(manifest))
            return session

        run_session(loop, journal, write_manifest)
        manifest["data"] = folder.write_parquet(loop.rows[: config.n], PROBLEM_FEATURES)
        if solve is not None:
            finish_solve(solve, journal.read(), manifest, folder.path)
        session = write_manifest("complete")
        return ProblemsResult(
            out=folder.path,
            rows=min(len(loop.rows), config.n),
            counters=manifest["counters"],
            wall_s=manifest["timing"]["wall_s"],
            session_s=session["seconds"],
            solve=manifest.get("solve"),
            emitted=manifest.get("emitted", {}),
        )
