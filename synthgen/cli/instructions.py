"""`synthgen instructions`: instruction-response pairs for SFT."""

from __future__ import annotations

from pathlib import Path

import typer

from synthgen.cli import common
from synthgen.cli.shard_options import shard_cli_options

_SERVER = common.server_cli_options()
_SHARDS = shard_cli_options()


def instructions_command(
    n: int = typer.Option(100, "--n", help="Number of rows to produce (exactly this many pass the gates)."),
    out: Path = common.out_option("instructions"),
    model: Path = common.model_option(),
    seed: int = common.seed_option("fixes every row's sampler seed and plan."),
    method: str = typer.Option(
        "mix",
        "--method",
        help="How instructions are written: 'self-instruct' (topic x task type "
        "taxonomy, JSON via grammar), 'magpie' (the model writes its own user turn from its chat "
        "template's pre-query prefix), or 'mix' (half each, by per-row seed).",
    ),
    topics: Path = typer.Option(
        None,
        "--topics",
        help="UTF-8 file, one topic per line; replaces the built-in topic list for self-instruct rows.",
    ),
    prompts: Path = typer.Option(
        None, "--prompts", help="Folder of prompt templates overriding files of the same name in prompts/."
    ),
    system_prompt: str = typer.Option(
        None, "--system-prompt", help="Add this system turn to every row (and to generation). Default: none."
    ),
    min_relevance: float = typer.Option(
        None,
        "--min-relevance",
        help="Score every answer that passed the gates and reject it (response_low_relevance) if its "
        "likelihood relevance is below this: how much more likely, per token in nats, the model finds "
        "the answer's opening after the instruction than after an empty user turn. Off-topic answers and "
        "stock replies score near or below 0; 0 is a reasonable start. Costs two prefills per answer. "
        "Default: off.",
    ),
    parallel: int = common.parallel_option(),
    batch_size: int = typer.Option(
        None,
        "--batch-size",
        help="Most attempts in flight at once (a backend without streaming gets them in chunks of this size). "
        "Default: 4 x --parallel.",
    ),
    convert: str = common.convert_option(),
    base_url: list[str] = _SERVER["base_url"],
    model_name: str = _SERVER["model_name"],
    concurrency: int = _SERVER["concurrency"],
    api_key_env: str = _SERVER["api_key_env"],
    timeout: float = _SERVER["timeout"],
    max_retries: int = _SERVER["max_retries"],
    chat_template_from: Path = _SERVER["chat_template_from"],
    structured_output: str = _SERVER["structured_output"],
    stream: bool = _SERVER["stream"],
    shard_index: int = _SHARDS["shard_index"],
    num_shards: int = _SHARDS["num_shards"],
    executor: str = _SHARDS["executor"],
    overwrite: bool = common.overwrite_option(),
    verbose: bool = common.verbose_option(),
    quiet: bool = common.quiet_option(),
) -> None:
    """Generate instruction-response pairs (TRL conversational `messages`) for SFT."""
    from synthgen.run.folder import default_out
    from synthgen.sft.api import instructions

    out = out or default_out("instructions")
    with common.resumable(out):
        result = instructions(
            n,
            out,
            model=model,
            seed=seed,
            method=method,
            topics=topics,
            prompts=prompts,
            system_prompt=system_prompt,
            min_relevance=min_relevance,
            batch_size=batch_size,
            parallel=parallel,
            convert=convert,
            server=common.server_options(locals()),
            overwrite=overwrite,
            verbose=verbose,
            progress=not quiet,
            shard_index=shard_index,
            num_shards=num_shards,
            executor=executor,
        )
    print_summary(result)


def print_summary(result) -> None:
    """The end-of-run summary: rows, rejections by reason, tokens, wall time, where to load from."""
    from synthgen.run.progress import format_duration

    counters = dict(result.counters)
    rejections = {
        k: v
        for k, v in sorted(counters.items(), key=lambda kv: -kv[1])
        if k not in ("attempts", "accepted", "instruction_parse_retries")
    }
    session = max(result.session_s, 1e-9)
    tokens = result.tokens.get("completion", 0)
    typer.echo(f"done: {result.rows} rows in {result.out}")
    typer.echo(
        f"  attempts {counters.get('attempts', 0)} | generated tokens {tokens} | "
        f"wall {format_duration(result.wall_s)} (this session {format_duration(result.session_s)}, "
        f"{tokens / session:.0f} tok/s)"
    )
    if result.session_s > 0:
        overhead = 100 * (1 - result.backend_s / result.session_s)
        typer.echo(f"  time outside the model: {overhead:.1f}% (parsing, gates, dedup, journal, parquet)")
    rejected = ", ".join(f"{k}={v}" for k, v in rejections.items()) or "none"
    typer.echo(f"  rejected: {rejected}")
    if counters.get("instruction_parse_retries"):
        typer.echo(f"  JSON parse retries: {counters['instruction_parse_retries']}")
    typer.echo(f'  load: datasets.load_dataset("{result.out}", split="train")')
