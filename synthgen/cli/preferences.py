"""`synthgen preferences`: preference pairs (prompt / chosen / rejected) for DPO and reward models."""

from __future__ import annotations

from pathlib import Path

import typer

from synthgen.cli import common
from synthgen.cli.shard_options import shard_cli_options

_SERVER = common.server_cli_options()
_SHARDS = shard_cli_options()


def preferences_command(
    n: int = typer.Option(100, "--n", help="Number of pairs to produce (exactly this many pass every check)."),
    out: Path = common.out_option("preferences"),
    prompts_from: Path = typer.Option(
        None,
        "--prompts-from",
        help="Prompts to answer: a synthgen SFT run folder, a .jsonl/.json/.parquet file, a text file "
        "(one prompt per line) or a local HF dataset folder. Default: write fresh prompts with the "
        "instructions machinery.",
    ),
    prompt_column: str = typer.Option(
        None, "--prompt-column", help="Column holding the prompts when the source has several candidates."
    ),
    candidates_from: Path = typer.Option(
        None,
        "--candidates-from",
        help="Label answers you already have instead of generating them: a .jsonl/.parquet file or local HF "
        "dataset folder with a prompt (string or message list) and a list of >= 2 responses per row. The judge "
        "picks chosen and rejected among them; rows with fewer than 2 responses are dropped and counted.",
    ),
    responses_column: str = typer.Option(
        None,
        "--responses-column",
        help="Column of --candidates-from holding the list of responses. Default: the first of responses, "
        "completions, candidates, answers.",
    ),
    candidates: int = typer.Option(
        None, "--candidates", help="Responses per prompt (>= 2), made diverse on purpose. Default: 4."
    ),
    candidates_mode: str = typer.Option(
        "principles",
        "--candidates-mode",
        help="'principles': --candidates answers under rotating principles, the judge ranks them; 'contrast': one "
        "answer under a helpful and one under a poor principle (vague, off-topic or careless), so the order is "
        "known by construction and the judge confirms it.",
    ),
    judge: str = typer.Option(
        "auto",
        "--judge",
        help="'likelihood': rank answers by the judge model's token log-probabilities (relevance to the prompt, "
        "fluency, completeness); 'llm': a 1-10 rubric per answer and an A/B check in both orders; 'both': both "
        "must agree; 'auto': likelihood for small judge models, both for large ones (docs/benchmarks.md says "
        "why).",
    ),
    likelihood_margin: float = typer.Option(
        0.5, "--likelihood-margin", help="Least gap between chosen and rejected likelihood scores (nats)."
    ),
    control_every: int = typer.Option(
        10,
        "--control-every",
        help="One prompt in this many also judges two control pairs whose better answer is known; the card "
        "reports the judge's accuracy on them. 0 turns controls off.",
    ),
    model: Path = common.model_option("Policy GGUF model that writes prompts and answers."),
    judge_model: Path = typer.Option(
        None, "--judge-model", help="GGUF model that judges the answers. Default: the policy model."
    ),
    min_margin: float = typer.Option(
        1.0, "--min-margin", help="Least gap between chosen and rejected mean rubric scores (1-10 scale)."
    ),
    strategy: str = typer.Option(
        "best-worst", "--strategy", help="Which candidates form the pair: best-worst, best-second or best-random."
    ),
    seed: int = common.seed_option("fixes every prompt's plan and sampler seeds."),
    prompts: Path = typer.Option(
        None, "--prompts", help="Folder of prompt templates overriding files of the same name in prompts/."
    ),
    system_prompt: str = typer.Option(
        None, "--system-prompt", help="Add this system turn to every prompt. Default: none."
    ),
    parallel: int = common.parallel_option(" (per model, with --judge-model)"),
    batch_size: int = typer.Option(None, "--batch-size", help="Prompts in flight at once. Default: 2 x --parallel."),
    convert: str = common.convert_option("; applies to both models"),
    base_url: list[str] = _SERVER["base_url"],
    model_name: str = _SERVER["model_name"],
    concurrency: int = _SERVER["concurrency"],
    api_key_env: str = _SERVER["api_key_env"],
    timeout: float = _SERVER["timeout"],
    max_retries: int = _SERVER["max_retries"],
    chat_template_from: Path = _SERVER["chat_template_from"],
    structured_output: str = _SERVER["structured_output"],
    stream: bool = _SERVER["stream"],
    judge_base_url: list[str] = common.base_url_option("--judge-base-url", " for the judge"),
    judge_model_name: str = common.model_name_option("--judge-model-name", " for the judge"),
    export: str = typer.Option(
        "dpo",
        "--export",
        help="'dpo': the DPOTrainer rows only; 'reward': also a `reward` config of implicit-prompt rows "
        "(full conversations in chosen/rejected, plus margin) for RewardTrainer.",
    ),
    shard_index: int = _SHARDS["shard_index"],
    num_shards: int = _SHARDS["num_shards"],
    executor: str = _SHARDS["executor"],
    overwrite: bool = common.overwrite_option(),
    verbose: bool = common.verbose_option(),
    quiet: bool = common.quiet_option(),
) -> None:
    """Generate preference pairs (TRL prompt / chosen / rejected) for DPO, or label answers you have."""
    from synthgen.dpo.api import preferences
    from synthgen.run.folder import default_out

    out = out or default_out("preferences")
    with common.resumable(out, "pairs"):
        result = preferences(
            n,
            out,
            prompts_from=prompts_from,
            prompt_column=prompt_column,
            candidates=candidates,
            candidates_from=candidates_from,
            responses_column=responses_column,
            candidates_mode=candidates_mode,
            judge=judge,
            likelihood_margin=likelihood_margin,
            control_every=control_every,
            model=model,
            judge_model=judge_model,
            min_margin=min_margin,
            strategy=strategy,
            seed=seed,
            prompts=prompts,
            system_prompt=system_prompt,
            parallel=parallel,
            batch_size=batch_size,
            convert=convert,
            server=common.server_options(locals()),
            judge_server=common.server_options(locals(), judge=True),
            export=export,
            overwrite=overwrite,
            verbose=verbose,
            progress=not quiet,
            shard_index=shard_index,
            num_shards=num_shards,
            executor=executor,
        )
    print_summary(result)


def print_summary(result) -> None:
    """Pairs, drops by reason, judge agreement, tokens, wall time and pairs/minute."""
    from synthgen.dpo.api import drop_counts
    from synthgen.dpo.controls import control_summary
    from synthgen.run.progress import format_duration

    counters = dict(result.counters)
    drops = sorted(drop_counts(counters).items(), key=lambda kv: -kv[1])
    checks, agree = counters.get("pairwise_checks", 0), counters.get("pairwise_orders_agree", 0)
    session = max(result.session_s, 1e-9)
    typer.echo(f"done: {result.rows} pairs in {result.out}")
    typer.echo(
        f"  prompts tried {counters.get('attempts', 0)} | generated tokens {result.tokens.get('completion', 0)} | "
        f"wall {format_duration(result.wall_s)} (this session {format_duration(result.session_s)}) | "
        f"{60 * result.rows / max(result.wall_s, 1e-9):.1f} pairs/min"
    )
    typer.echo(f"  dropped: {', '.join(f'{k}={v}' for k, v in drops) or 'none'}")
    if checks:
        typer.echo(f"  judge A/B order agreement: {agree}/{checks} ({100 * agree / checks:.1f}%)")
    controls = control_summary(counters)
    if controls["pairs"]:
        accuracy = f"{100 * controls['accuracy']:.0f}%" if controls["accuracy"] is not None else "n/a"
        right = f"{controls['right']}/{controls['decided']} right ({accuracy})"
        typer.echo(f"  control pairs: {right} of {controls['pairs']} judged")
        if controls["reliable"] is False:
            typer.echo(
                "  warning: the judge got under 75% of the control pairs right; it is not reliable for this data"
            )
    if session > 0 and result.backend_s:
        typer.echo(f"  time outside the model: {100 * (1 - result.backend_s / session):.1f}%")
    typer.echo(f'  load: datasets.load_dataset("{result.out}", split="train")')
