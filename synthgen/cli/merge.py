"""`synthgen merge A B ... --out DIR`: run folders of one kind combined, deduplicated across runs."""

from __future__ import annotations

from pathlib import Path

import typer


def merge_command(
    folders: list[Path] = typer.Argument(
        ..., help="Run folders of one kind (instructions, preferences or math/logic)."
    ),
    out: Path = typer.Option(..., "--out", help="The merged run folder (a dataset repository)."),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="Also merge runs that have not finished."),
    allow_mixed_models: bool = typer.Option(
        False, "--allow-mixed-models", help="Merge runs made by different model files (the card records it)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier merge in --out."),
) -> None:
    """Merge run folders: rows in order, each id once, SFT near-duplicates across runs dropped, funnels summed."""
    from synthgen.publish.merge import merge

    result = merge(folders, out, allow_partial=allow_partial, allow_mixed_models=allow_mixed_models,
                   overwrite=overwrite)  # fmt: skip
    rows = ", ".join(f"{name} {n}" for name, n in result.rows.items())
    dropped = ", ".join(f"{k}={v}" for k, v in result.dropped.items()) or "none"
    typer.echo(f"merged {result.inputs} {result.kind} runs into {result.out}: {rows} rows (dropped: {dropped})")
    typer.echo(f'  load: datasets.load_dataset("{result.out}", split="train")')
