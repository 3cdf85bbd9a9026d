"""`synthgen math` and `synthgen logic`: verified problems as GRPO rows (TRL prompt-only format)."""

from __future__ import annotations

from pathlib import Path

import typer

from synthgen.cli.common import (
    out_option,
    overwrite_option,
    quiet_option,
    resumable,
    seed_option,
    server_cli_options,
    server_options,
)
from synthgen.cli.shard_options import shard_cli_options
from synthgen.cli.solve_options import echo_solve_summary, solve_cli_options
from synthgen.cli.source_options import SOURCE_HELP, echo_source_summary, source_cli_options

_MATH_GROUPS = "arithmetic, algebra, calculus, number_theory, linear_algebra, counting"
_LOGIC_GROUPS = "sat, knights, ordering"


def _options(kind: str, groups: str):
    """The shared option set; typer reads the help text from these defaults."""
    return dict(
        n=typer.Option(100, "--n", help="Number of rows to produce (exactly this many, all distinct)."),
        out=out_option(kind),
        families=typer.Option(
            None,
            "--families",
            help=f"Comma-separated family groups ({groups}) or exact family names "
            "(see the README for the list). Default: all. Rows are spread round-robin over them.",
        ),
        difficulty=typer.Option(
            "1-3",
            "--difficulty",
            help="Difficulty levels 1-5 as a range '1-3', a list '2,4' or one level '5'. Levels set sizes "
            "(digits, degree, matrix size, people, clauses) and are spread evenly over the rows.",
        ),
        seed=seed_option("each problem is a pure function of it and its slot."),
        source=typer.Option("procedural", "--source", help=SOURCE_HELP),
        exclude=typer.Option(
            None,
            "--exclude",
            help="Earlier run folder whose problem ids must not be repeated (cross-run dedup); repeatable.",
        ),
        overwrite=overwrite_option(),
        quiet=quiet_option(),
        **shard_cli_options(),
        **solve_cli_options(),
        **source_cli_options(),
        **server_cli_options(),
    )


def _run(kind: str, n, out, families, difficulty, seed, source, exclude, overwrite, quiet, **extra) -> None:
    from synthgen.grpo.api import run_problems
    from synthgen.run.folder import default_out

    out = out or default_out(kind)
    with resumable(out):
        result = run_problems(
            kind, n, out, families, difficulty, seed, source, exclude or None, overwrite, not quiet, **extra
        )
    counters = result.counters
    typer.echo(f"done: {result.rows} rows in {result.out}")
    per_family = ", ".join(f"{k}={v}" for k, v in counters.get("accepted_by_family", {}).items())
    typer.echo(f"  slots {counters.get('slots', 0)} | wall {result.wall_s:.1f}s | rows per family: {per_family}")
    skipped = ", ".join(f"{k}={v}" for k, v in counters.get("rejected_slots", {}).items()) or "none"
    typer.echo(f"  skipped slots: {skipped}")
    typer.echo(f'  load: datasets.load_dataset("{result.out}", split="train")')
    echo_solve_summary(result)
    echo_source_summary(result)


_M = _options("math", _MATH_GROUPS)
_L = _options("logic", _LOGIC_GROUPS)


def math_command(
    n: int = _M["n"],
    out: Path = _M["out"],
    families: str = _M["families"],
    difficulty: str = _M["difficulty"],
    seed: int = _M["seed"],
    source: str = _M["source"],
    exclude: list[Path] = _M["exclude"],
    overwrite: bool = _M["overwrite"],
    quiet: bool = _M["quiet"],
    shard_index: int = _M["shard_index"],
    num_shards: int = _M["num_shards"],
    executor: str = _M["executor"],
    solve: int = _M["solve"],
    keep_pass_rate: str = _M["keep_pass_rate"],
    emit_sft: Path = _M["emit_sft"],
    emit_dpo: Path = _M["emit_dpo"],
    solve_temperature: float = _M["solve_temperature"],
    solve_max_tokens: int = _M["solve_max_tokens"],
    model: Path = _M["model"],
    parallel: int = _M["parallel"],
    convert: str = _M["convert"],
    base_url: list[str] = _M["base_url"],
    model_name: str = _M["model_name"],
    concurrency: int = _M["concurrency"],
    api_key_env: str = _M["api_key_env"],
    timeout: float = _M["timeout"],
    max_retries: int = _M["max_retries"],
    chat_template_from: Path = _M["chat_template_from"],
    structured_output: str = _M["structured_output"],
    stream: bool = _M["stream"],
    word_problems: bool = _M["word_problems"],
    topics: Path = _M["topics"],
    max_attempts: int = _M["max_attempts"],
) -> None:
    """Generate verified math problems (answer built first, self-checked) as GRPO rows."""
    _run("math", n, out, families, difficulty, seed, source, exclude, overwrite, quiet,
         solve=solve, keep_pass_rate=keep_pass_rate, emit_sft=emit_sft, emit_dpo=emit_dpo,
         solve_temperature=solve_temperature, solve_max_tokens=solve_max_tokens,
         shard_index=shard_index, num_shards=num_shards, executor=executor,
         model=model, parallel=parallel, convert=convert,
         server=server_options(locals()),
         word_problems=word_problems, topics=topics, max_attempts=max_attempts)  # fmt: skip


def logic_command(
    n: int = _L["n"],
    out: Path = _L["out"],
    families: str = _L["families"],
    difficulty: str = _L["difficulty"],
    seed: int = _L["seed"],
    source: str = _L["source"],
    exclude: list[Path] = _L["exclude"],
    overwrite: bool = _L["overwrite"],
    quiet: bool = _L["quiet"],
    shard_index: int = _L["shard_index"],
    num_shards: int = _L["num_shards"],
    executor: str = _L["executor"],
    solve: int = _L["solve"],
    keep_pass_rate: str = _L["keep_pass_rate"],
    emit_sft: Path = _L["emit_sft"],
    emit_dpo: Path = _L["emit_dpo"],
    solve_temperature: float = _L["solve_temperature"],
    solve_max_tokens: int = _L["solve_max_tokens"],
    model: Path = _L["model"],
    parallel: int = _L["parallel"],
    convert: str = _L["convert"],
    base_url: list[str] = _L["base_url"],
    model_name: str = _L["model_name"],
    concurrency: int = _L["concurrency"],
    api_key_env: str = _L["api_key_env"],
    timeout: float = _L["timeout"],
    max_retries: int = _L["max_retries"],
    chat_template_from: Path = _L["chat_template_from"],
    structured_output: str = _L["structured_output"],
    stream: bool = _L["stream"],
) -> None:
    """Generate logic puzzles (SAT assignments, knights and knaves, orderings) with unique or checkable answers."""
    _run("logic", n, out, families, difficulty, seed, source, exclude, overwrite, quiet,
         solve=solve, keep_pass_rate=keep_pass_rate, emit_sft=emit_sft, emit_dpo=emit_dpo,
         solve_temperature=solve_temperature, solve_max_tokens=solve_max_tokens,
         shard_index=shard_index, num_shards=num_shards, executor=executor,
         model=model, parallel=parallel, convert=convert,
         server=server_options(locals()))  # fmt: skip
