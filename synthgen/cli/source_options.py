"""CLI options of the model-based problem sources (`synthgen math`): help texts and the summary line."""

from __future__ import annotations

import typer

SOURCE_HELP = (
    "Where problems come from: 'procedural' (default: built-in families, no model, fastest, every row "
    "verifiable by construction), 'model' (the model proposes problems about --topics; sympy computes the "
    "answer; kept only if well posed and the model re-extracts the same problem from the text; few pass with "
    "the embedded 135M model) or 'mix' (about a quarter of the rows from the model, the rest procedural)."
)


def source_cli_options() -> dict:
    """--word-problems, --topics, --max-attempts (math only)."""
    return dict(
        word_problems=typer.Option(
            False,
            "--word-problems",
            help="Have the model retell each procedural problem as a short word problem; kept only if every "
            "given number still appears and the model's extraction maps back to the same sympy problem "
            "(the answer always comes from sympy). Families: rational chains, linear equations/systems, "
            "polynomial roots, derivatives, antiderivatives, definite integrals.",
        ),
        topics=typer.Option(
            None,
            "--topics",
            help="Text file, one topic per line, for --source model/mix problems and word-problem settings. "
            "Default: built-in topics per problem kind.",
        ),
        max_attempts=typer.Option(
            None,
            "--max-attempts",
            help="Model attempts (proposals or rewrites) before giving up; default 30 x n + 50. After 48 "
            "attempts without one accepted problem the model is given up. Rerun with a larger value to resume.",
        ),
    )


def echo_source_summary(result) -> None:
    """One line on the model's share, when a model source took part."""
    model = result.counters.get("model_source")
    if model:
        rate = model.get("acceptance_rate")
        share = model.get("rows_share")
        typer.echo(
            f"  model: {model['accepted']}/{model['attempts']} attempts accepted"
            + (f" ({rate:.0%})" if rate is not None else "")
            + (f" | model rows share {share:.0%}" if share is not None else "")
            + (f" | stopped: {model['stopped']}" if model.get("stopped") else "")
        )
