"""`synthgen.preferences(...)`: the Python API equal to `synthgen preferences`.

It validates options, reads the prompt source, loads the judge and policy models (the judge
first, so a judge that does not load fails before anything is generated), then runs one
RunSession (run/session.py) with DPO's own config, loop, row schemas and card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthgen.backends.base import Backend
from synthgen.backends.open import DEFAULT_PARALLEL, model_identity, model_meta, open_backend, resolve_model
from synthgen.backends.server.options import ServerOptions
from synthgen.dpo.card import render_preferences_card
from synthgen.dpo.config import POOR_PRINCIPLES, CandidatesMode, Export, JudgeKind, PreferencesConfig, Strategy
from synthgen.dpo.controls import control_summary
from synthgen.dpo.judge import JUDGE_PROMPT_FILES
from synthgen.dpo.judge_choice import resolve_judge
from synthgen.dpo.loop import PreferencesLoop
from synthgen.dpo.row import PREFERENCE_FEATURES, REWARD_FEATURES, REWARD_FILE, reward_row
from synthgen.dpo.sources import load_prompt_source
from synthgen.errors import SynthgenError
from synthgen.run.diversity import DiversitySpec, user_turns
from synthgen.run.engine_stats import engine_stats
from synthgen.run.folder import RunFolder, default_out
from synthgen.run.options import (
    build_config,
    check_backend_options,
    check_batch_size,
    check_choice,
    check_int,
    check_number,
    check_server,
)
from synthgen.run.result import RunResult
from synthgen.run.session import RunSession
from synthgen.run.shards import ShardPart
from synthgen.scale.executor import answered_by_shards
from synthgen.text.magpie import magpie_or_note, pre_query
from synthgen.text.prompts import PromptSet
from synthgen.text.writers import SELF_INSTRUCT_FILES

WINDOW_PER_SLOT = 2  # prompts in flight per decoding slot: each yields k candidates + k judge calls
# What the card's diversity figures measure: the prompts' user turns (the rows have no topic column).
DIVERSITY = DiversitySpec("prompts' user turns", lambda row: user_turns(row["prompt"]))


def _totals(loop: PreferencesLoop) -> dict[str, Any]:
    checks, agree = loop.counters["pairwise_checks"], loop.counters["pairwise_orders_agree"]
    return {
        "counters": dict(loop.counters),
        "drops": drop_counts(loop.counters),
        "judge_agreement": {
            "pairwise_checks": checks,
            "orders_agree": agree,
            "rate": round(agree / checks, 4) if checks else None,
        },
        "tokens": dict(loop.tokens),
        "controls": control_summary(loop.counters),
    }


def _session_facts(loop: PreferencesLoop, seconds: float) -> dict[str, Any]:
    facts: dict[str, Any] = {"backend_seconds": round(loop.backend_seconds, 2)}
    for name, backend in (("engine", loop.backend), ("judge_engine", loop.judge)):
        if (stats := engine_stats(backend)) is not None and (name == "engine" or loop.judge is not loop.backend):
            facts[name] = stats
    return facts


def preferences(
    n: int,
    out: str | Path | None = None,
    *,
    prompts_from: str | Path | None = None,
    prompt_column: str | None = None,
    candidates: int | None = None,
    candidates_from: str | Path | None = None,
    responses_column: str | None = None,
    candidates_mode: str | CandidatesMode = CandidatesMode.principles,
    judge: str | JudgeKind = JudgeKind.auto,
    likelihood_margin: float = 0.5,
    control_every: int = 10,
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
    shard_index: int | None = None,
    num_shards: int | None = None,
    executor: str = "local",
    backend: Backend | None = None,
    judge_backend: Backend | None = None,
    server: ServerOptions | str | list[str] | None = None,
    judge_server: ServerOptions | str | list[str] | None = None,
) -> RunResult:
    """Generate `n` preference pairs (prompt / chosen / rejected) into the run folder `out`.

    Prompts come from `prompts_from` (file, folder or SFT run) or are written fresh. Each gets
    `candidates` answers under different principles and temperatures (`candidates_mode`
    "principles"), or one helpful and one deliberately poor answer ("contrast"), or the answers
    given with the prompts in `candidates_from` (labelled, not generated). The judge
    (`judge_model`, default the policy model) is `judge`: "likelihood" ranks answers by the
    model's likelihood signals (relevance, fluency, completeness; margin `likelihood_margin`),
    "llm" scores each on a 1-10 rubric (margin `min_margin`) and checks the pair in both A/B
    orders, "both" needs both to agree, "auto" picks by the judge model's size
    (dpo/judge_choice.py). The pair is chosen by `strategy` and kept only if the judge's rules
    pass and its answers differ. One attempt in `control_every` also judges control pairs whose
    better answer is known; the manifest and card report that accuracy. Rerunning on the same
    `out` resumes.
    `backend` / `judge_backend` replace the llama.cpp backends (tests); `server` / `judge_server`
    run the policy / the judge on OpenAI-compatible servers (a URL, URLs or ServerOptions).
    `num_shards` splits the run into shards under `out` (run/shards.py; with `prompts_from`, shard
    K takes the K-th contiguous slice of the prompts): `shard_index` makes one, else `executor`
    ("local" or "ray") makes all and merges them into `out`.
    """
    options = dict(locals())  # what every shard of a fanned-out run gets
    part = ShardPart.of("preferences", n, out, shard_index, num_shards, executor, progress)
    if (answer := answered_by_shards(preferences, options, part, RunResult)) is not None:
        return answer
    check_int("n", n)
    if candidates is not None:
        check_int("candidates", candidates, least=2)
    check_int("control_every", control_every, least=0)
    check_number("likelihood_margin", likelihood_margin, least=0.0)
    judge = check_choice("judge", judge, JudgeKind)
    candidates_mode = check_choice("candidates_mode", candidates_mode, CandidatesMode)
    if candidates_from is not None:
        if prompts_from is not None:
            raise SynthgenError("--candidates-from already holds the prompts: drop --prompts-from")
        if candidates_mode is CandidatesMode.contrast:
            raise SynthgenError("--candidates-mode contrast generates answers; --candidates-from gives them")
        candidates_mode = CandidatesMode.given
    elif candidates_mode is CandidatesMode.given:
        raise SynthgenError("--candidates-mode given needs --candidates-from")
    elif responses_column is not None:
        raise SynthgenError("--responses-column needs --candidates-from")
    if candidates_mode is not CandidatesMode.principles and candidates is not None:
        other = "--candidates-from" if candidates_from else "--candidates-mode contrast"
        raise SynthgenError(f"--candidates does not apply with {other}")
    server, judge_server = check_server(server), check_server(judge_server, "judge_")
    if judge_server is not None and judge_model is not None:
        raise SynthgenError("--judge-model and --judge-base-url both name the judge; pass one")
    if batch_size is not None:
        check_batch_size(batch_size)
    convert = check_backend_options(parallel, convert)
    strategy = check_choice("strategy", strategy, Strategy)
    export = check_choice("export", export, Export)
    config = build_config(
        PreferencesConfig,
        n=part.count,
        out=part.out or default_out("preferences"),
        seed=seed,
        candidates=candidates or (2 if candidates_mode is CandidatesMode.contrast else 4),
        candidates_mode=candidates_mode,
        likelihood_margin=likelihood_margin,
        control_every=control_every,
        strategy=strategy,
        min_margin=min_margin,
        system_prompt=system_prompt,
        batch_size=batch_size or WINDOW_PER_SLOT * parallel,
        convert=convert.value,
        export=export,
    )
    if candidates_from is not None:
        source = load_prompt_source(
            candidates_from, prompt_column, with_responses=True, responses_column=responses_column
        )
    else:
        source = load_prompt_source(prompts_from, prompt_column) if prompts_from is not None else None
    if prompt_column is not None and source is None:
        raise SynthgenError("--prompt-column needs --prompts-from or --candidates-from")
    prompt_set = PromptSet(prompts)
    principles = config.principles
    if candidates_mode is CandidatesMode.contrast:
        principles = ["helpful", *POOR_PRINCIPLES]
    elif candidates_mode is CandidatesMode.given:
        principles = []
    files = [*JUDGE_PROMPT_FILES, *(f"principle_{p}.txt" for p in principles)]
    if source is None:
        files += SELF_INSTRUCT_FILES
    prompt_fp = prompt_set.fingerprint(files)
    RunFolder(config.out).check_writable(keep=False)  # fail on a bad --out before loading a model

    # The judge loads first, so a judge that does not load fails before anything is generated.
    policy_path = resolve_model(model, "--model") if backend is None and server is None else None
    if judge_backend is None and judge_server is not None:
        judge_backend = open_backend(None, parallel, server=judge_server)
    elif judge_backend is None and judge_model is not None:
        judge_path = resolve_model(judge_model, "--judge-model")
        if judge_path != policy_path:  # the same file twice: one engine streams everything
            judge_backend = open_backend(judge_path, parallel, convert.value, verbose, option="--judge-model")
    if backend is None:
        backend = open_backend(policy_path, parallel, convert.value, verbose, option="--model", server=server)
    if source is None:
        config = magpie_or_note(config, backend.model_info())
    judge_engine = judge_backend or backend
    judge_kind, judge_why = resolve_judge(judge, judge_engine)
    config = config.model_copy(update={"judge": judge_kind})
    judge_identity = model_identity(judge_engine)
    fingerprint = config.fingerprint(
        {
            **model_identity(backend),
            "judge_sha256": judge_identity["model_sha256"],
            "judge_run_file_sha256": judge_identity["run_file_sha256"],
            "prompts": prompt_fp,
            "source": source.fingerprint if source else None,
        }
    )
    part.claim(fingerprint)
    run = RunSession(
        config.out,
        command="preferences",
        fingerprint=fingerprint,
        overwrite=overwrite,
        render_card=render_preferences_card,
        totals=_totals,
        session_facts=_session_facts,
        templates=prompt_set.texts(files),
        diversity=DIVERSITY,
    )
    with run:
        pre = pre_query(backend.model_info(), config.system_prompt) if source is None else None
        run.describe(
            config.model_dump(mode="json"),
            model=model_meta(backend),
            judge={
                **model_meta(judge_engine),
                "same_as_policy": judge_engine is backend,
                "kind": judge_kind.value,
                "requested": judge.value,
                "why": judge_why,
            },
            prompt_set={"override_dir": str(prompts) if prompts else None, "fingerprint": prompt_fp},
            prompt_source=(
                {
                    "path": source.path,
                    "column": source.column,
                    "prompts": len(source.prompts),
                    "skipped": source.skipped,
                }
                if source
                else {"generated": config.method}
            ),
            magpie_pre_query=pre.model_dump() if pre else None,
            seeds={
                "run_seed": config.seed,
                "derivation": "attempt seed = int(sha256(f'{run_seed}:{attempt}')[:4]) & 0x7fffffff; "
                "candidate i seed = derive_seed(attempt seed, i, 'candidate')",
            },
            **part.section(),
        )
        factor = config.max_attempts_factor
        attempts = part.slice(len(source.prompts)) if source else part.attempts(lambda rows: rows * factor)
        loop = PreferencesLoop(
            config, backend, judge_engine, prompt_set, run.journal, fingerprint, source, pre, attempts
        )
        loop.load(run.records)

        def keep(rows: list[dict[str, Any]]) -> None:
            run.write_data(rows, PREFERENCE_FEATURES)
            if config.export is Export.reward:
                run.write_data([reward_row(r) for r in rows], REWARD_FEATURES, REWARD_FILE, key="data_reward")
            else:
                (run.path / REWARD_FILE).unlink(missing_ok=True)  # left by an earlier --export reward on this folder
                run.manifest["data_reward"] = None

        run.run(loop, range(config.n), progress, keep=keep)
        if len(loop.rows) < config.n:
            drops = sorted(run.totals(loop)["drops"].items(), key=lambda kv: -kv[1])[:3]
            top = ", ".join(f"{k}={v}" for k, v in drops)
            made = f"{len(loop.rows)}/{config.n} pairs made and kept in {run.path} (top drops: {top or 'none'})"
            if source is not None:
                option = "--candidates-from" if candidates_from is not None else "--prompts-from"
                short = SynthgenError(
                    f"{option} {source.path} is exhausted after {len(loop.attempts)} prompts: {made}", exit_code=1
                )
                run.stop(short, reason="exhausted")
            else:
                short = SynthgenError(
                    f"gave up after {loop.next_index - loop.attempts.start} prompts: {made}", exit_code=1
                )
                run.stop(short)
            raise short
        run.keep()
        run.write_manifest("complete")
        part.finish()
        return run.result()


_NOT_DROPS = {
    "attempts",
    "accepted",
    "pairwise_checks",
    "pairwise_orders_agree",
    "judge_retries",
    "candidates_added",
    "control_pairs",
    "control_right",
    "control_wrong",
}


def drop_counts(counters) -> dict[str, int]:
    """The attempt-level drop reasons among `counters` (not events or per-candidate counts)."""
    return {
        k: v
        for k, v in counters.items()
        if k not in _NOT_DROPS and not k.startswith("candidate_") and not k.endswith("_retries")
    }
