"""`synthgen info DIR`: what a run folder holds and how it was made."""

from __future__ import annotations

from pathlib import Path

import typer


def info_command(
    folder: Path = typer.Argument(..., help="A synthgen run folder."),
    json_output: bool = typer.Option(False, "--json", help="Print the facts as one JSON object."),
) -> None:
    """Kind, rows, splits, status, model and sha256, seed, rejection funnel and the command that made a run folder."""
    from synthgen.publish.info import info

    facts = info(folder)
    if json_output:
        typer.echo(facts.model_dump_json(indent=2))
        return
    model = facts.model or {}
    typer.echo(f"{facts.path}: {facts.kind} ({facts.command}), {facts.status}")
    typer.echo(f"  rows: {', '.join(f'{name} {n}' for name, n in facts.rows.items()) or 'none written yet'}")
    splits = "; ".join(f"{name}: {', '.join(names)}" for name, names in facts.splits.items())
    typer.echo(f"  splits: {splits or 'none declared in the card'}")
    if model.get("servers"):
        typer.echo(f"  model: {model.get('name')} (served by {', '.join(model['servers'])})")
    else:
        typer.echo(f"  model: {model.get('name', 'none')} (sha256 {model.get('sha256')})")
    typer.echo(f"  seed: {facts.seed} | wall: {facts.wall_s} s | synthgen {facts.synthgen_version}")
    typer.echo(f"  funnel: {', '.join(f'{k}={v}' for k, v in facts.funnel.items())}")
    if facts.remake:
        typer.echo(f"  made by: {facts.remake}")
