"""`synthgen verify DIR`: re-check a math/logic run folder; exit 1 if any row fails."""

from __future__ import annotations

from pathlib import Path

import typer

MAX_LISTED = 20


def verify_command(
    path: Path = typer.Argument(..., help="Run folder written by `synthgen math` or `synthgen logic`."),
) -> None:
    """Re-check every row: gold via answer and solution scores 1, perturbed golds score 0."""
    from synthgen.verify.verify_dir import verify_dataset

    report = verify_dataset(path)
    typer.echo(f"{'family':32} {'rows':>6} {'ok':>6} {'perturbed':>10}")
    for family, s in sorted(report.families.items()):
        typer.echo(f"{family:32} {s.rows:>6} {s.ok:>6} {s.perturbations:>10}")
    for failure in report.failures[:MAX_LISTED]:
        typer.echo(f"FAIL {failure.id} [{failure.family}]: {failure.problem}")
    if len(report.failures) > MAX_LISTED:
        typer.echo(f"... and {len(report.failures) - MAX_LISTED} more failing rows")
    verdict = "ok" if report.ok else f"{len(report.failures)} failing"
    typer.echo(f"{report.rows} rows checked, {verdict}")
    if not report.ok:
        raise typer.Exit(1)
