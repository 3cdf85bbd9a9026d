"""`synthgen.math(...)` and `synthgen.logic(...)`: the Python API equal to `synthgen math|logic`.

Both validate options, prepare (or resume) the run folder, run the problems loop and finalise the
folder into a dataset repository of GRPO rows. Only the procedural source exists here; other
sources and the solve / pass-rate stages plug into `ProblemsLoop(stages=...)`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from synthgen.backends.base import Backend
from synthgen.backends.open import DEFAULT_PARALLEL
from synthgen.backends.server.options import ServerOptions
from synthgen.errors import SynthgenError
from synthgen.grpo.card import render_problems_card
from synthgen.grpo.config import ProblemsConfig, read_excluded_ids
from synthgen.grpo.loop import MAX_SLOTS_FACTOR
from synthgen.grpo.row import PROBLEM_FEATURES
from synthgen.grpo.solve.setup import SharedBackend, finish_solve, loop_options, solve_stages, take_solve_options
from synthgen.grpo.sources import SOURCES, build_loop, narrow_families, run_slot_budget, take_source_options
from synthgen.grpo.sourcing.card import model_families
from synthgen.grpo.sourcing.requests import PROMPT_FILES
from synthgen.problems import FAMILIES, parse_levels, select_families
from synthgen.run.diversity import DiversitySpec
from synthgen.run.folder import RunFolder, default_out
from synthgen.run.options import check_choice, check_int, check_server
from synthgen.run.result import ProblemsResult
from synthgen.run.session import RunSession
from synthgen.run.shards import ShardPart
from synthgen.scale.executor import answered_by_shards
from synthgen.text.prompts import PromptSet

__all__ = ["ProblemsConfig", "ProblemsResult", "logic", "math", "run_problems"]

# What the card's diversity figures measure: the question texts, spread over the `family` column.
DIVERSITY = DiversitySpec("questions", lambda row: [row["question"]], column="family")


def _totals(loop) -> dict[str, Any]:
    return {"counters": loop.counters_json()}


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
    shard_index: int | None = None,
    num_shards: int | None = None,
    executor: str = "local",
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
    server: ServerOptions | str | list[str] | None = None,
    **options: Any,
) -> ProblemsResult:
    """Generate `n` verified math problems (GRPO rows) into the run folder `out`.

    `families`: group names (arithmetic, algebra, calculus, number_theory, linear_algebra,
    counting) or exact family names, comma-separated or a list; default all. `difficulty`: levels
    1-5 as "1-3", "2,4" or an int. Families are spread round-robin over the slots. Rerunning with
    the same options on the same `out` resumes; `exclude` skips ids present in other run folders.

    `solve=K` has the model (`model`, default the embedded one; `parallel`, `convert` as in
    `instructions`; a given `backend`; or OpenAI-compatible servers, `server`) attempt each
    problem K times; each attempt is scored by `synthgen.rewards` and `pass_rate` is stored per
    row. `keep_pass_rate="LO-HI"` keeps only problems in that band (still exactly `n` rows);
    `emit_sft` / `emit_dpo` write verified-correct traces / correct-vs-wrong pairs from the same
    attempts as dataset folders.
    `solve_temperature` / `solve_max_tokens` set the attempts' sampling (GRPO's defaults otherwise).

    `source="model"` / `"mix"` has the model propose problems (checked by sympy and re-extraction);
    keyword options `word_problems=True` (retell procedural problems), `topics` (file or list) and
    `max_attempts` (model attempts before giving up) go with them; see synthgen/grpo/sources.py.

    `num_shards` splits the run into shards under `out` (run/shards.py): `shard_index` makes one,
    else `executor` ("local" or "ray") makes all and merges them into `out`.
    """
    solve_options = dict(
        solve=solve, keep_pass_rate=keep_pass_rate, emit_sft=emit_sft, emit_dpo=emit_dpo,
        solve_temperature=solve_temperature, solve_max_tokens=solve_max_tokens,
        model=model, parallel=parallel, convert=convert, backend=backend, server=server,
    )  # fmt: skip
    shards = dict(shard_index=shard_index, num_shards=num_shards, executor=executor)
    return run_problems(
        "math", n, out, families, difficulty, seed, source, exclude, overwrite, progress,
        **solve_options, **shards, **options,
    )  # fmt: skip


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
    shard_index: int | None = None,
    num_shards: int | None = None,
    executor: str = "local",
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
    server: ServerOptions | str | list[str] | None = None,
    **options: Any,
) -> ProblemsResult:
    """Generate `n` verified logic puzzles (sat, knights, ordering) as GRPO rows; see `math`."""
    solve_options = dict(
        solve=solve, keep_pass_rate=keep_pass_rate, emit_sft=emit_sft, emit_dpo=emit_dpo,
        solve_temperature=solve_temperature, solve_max_tokens=solve_max_tokens,
        model=model, parallel=parallel, convert=convert, backend=backend, server=server,
    )  # fmt: skip
    shards = dict(shard_index=shard_index, num_shards=num_shards, executor=executor)
    return run_problems(
        "logic", n, out, families, difficulty, seed, source, exclude, overwrite, progress,
        **solve_options, **shards, **options,
    )  # fmt: skip


def _config(kind, n, out, families, difficulty, seed, source, exclude) -> ProblemsConfig:
    check_int("n", n)
    check_int("seed", seed, least=0)
    check_choice("source", source, SOURCES)
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
    """Shared body of `math` and `logic`; `options`: the --solve family, model, parallel, convert, backend,
    and shard_index, num_shards, executor (run/shards.py)."""
    part = ShardPart.of(kind, n, out, *(options.pop(key, None) for key in ("shard_index", "num_shards")),
                        options.pop("executor", "local"), progress)  # fmt: skip
    if part.num_shards is not None and (options.get("emit_sft") or options.get("emit_dpo")):
        raise SynthgenError("--emit-sft/--emit-dpo cannot be combined with --num-shards; emit from an unsharded run")
    everything = dict(kind=kind, n=n, out=out, families=families, difficulty=difficulty, seed=seed, source=source,
                      exclude=exclude, overwrite=overwrite, progress=progress, **options)  # fmt: skip
    if (answer := answered_by_shards(run_problems, everything, part, ProblemsResult)) is not None:
        return answer
    config = _config(kind, part.count, part.out, families, difficulty, seed, source, exclude)
    solve = take_solve_options(options, config.out)
    sourcing = take_source_options(options, kind, config.source)  # --word-problems, --topics, --max-attempts
    config.families = narrow_families(config.families, families, sourcing)
    if solve is None and not sourcing.uses_model:  # a flag that would silently do nothing
        for key, name in (("model", "--model"), ("server", "--base-url")):
            if options.get(key) is not None:
                raise SynthgenError(
                    f"{name} only applies with --solve or --source model/mix (procedural problems use no model)"
                )
    backends = SharedBackend(options.pop("model", None), options.pop("parallel", DEFAULT_PARALLEL),
                             options.pop("convert", "auto"), options.pop("backend", None),
                             check_server(options.pop("server", None)))  # fmt: skip
    if options:
        raise SynthgenError(f"unknown option(s): {', '.join(sorted(options))}")
    if solve is not None:
        RunFolder(config.out).check_writable(keep=False)  # fail on a bad --out before loading a model
        config.solve, config.model = solve.fingerprint_part(), backends.identity()
    templates: dict[str, str] = {}  # procedural problems use no prompt template
    if sourcing.uses_model:
        RunFolder(config.out).check_writable(keep=False)
        prompt_set = PromptSet()
        config.sourcing, config.model = sourcing.fingerprint_part(prompt_set), backends.identity()
        templates = prompt_set.texts(PROMPT_FILES)
    excluded = read_excluded_ids(config.exclude) if config.exclude else set()
    if excluded:
        config.exclude_ids_sha256 = hashlib.sha256("\n".join(sorted(excluded)).encode()).hexdigest()[:16]
    fingerprint = config.fingerprint()
    part.claim(fingerprint)
    run = RunSession(
        config.out, command=kind, fingerprint=fingerprint, overwrite=overwrite,
        render_card=render_problems_card, totals=_totals, templates=templates, diversity=DIVERSITY,
    )  # fmt: skip
    with run:
        run.describe(
            config.model_dump(mode="json"),
            families={
                name: {
                    "version": FAMILIES[name].version,
                    "group": FAMILIES[name].group,
                    "about": FAMILIES[name].description,
                }
                for name in config.families
            }
            | model_families(config.source),
            seeds={
                "run_seed": config.seed,
                "derivation": "item seed = int(sha256(f'{family}|{version}|{run_seed}|{slot}')[:15], 16) "
                "into a local random.Random; slot i -> families[i % F], levels[(i // F) % L]",
            },
            model=backends.meta(),
            **part.section(),
        )
        families_list = [FAMILIES[name] for name in config.families]
        sizing = loop_options(solve, backends)
        factor = sizing.get("max_slots_factor", MAX_SLOTS_FACTOR)
        first = part.attempts(lambda rows: run_slot_budget(rows, sourcing, factor)).start
        loop = build_loop(
            config.n, config.seed, families_list, config.levels, run.journal,
            exclude_ids=excluded, max_tries=config.max_tries, sourcing=sourcing, backend_factory=backends,
            stages=solve_stages(solve, backends, config.seed), first=first, **sizing,
        )  # fmt: skip
        loop.load(run.records)
        run.run(loop, range(config.n), progress, keep=lambda rows: run.write_data(rows, PROBLEM_FEATURES))
        run.keep()
        if solve is not None:
            finish_solve(solve, run.journal.read(), run.manifest, run.path)
        run.write_manifest("complete")
        part.finish()
        return run.result(ProblemsResult, solve=run.manifest.get("solve"), emitted=run.manifest.get("emitted", {}))
