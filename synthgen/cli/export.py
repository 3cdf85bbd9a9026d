"""`synthgen export DIR`: a finished run's rows in another trainer's layout (JSONL, Parquet, folders)."""

from __future__ import annotations

from pathlib import Path

import typer

from synthgen.publish.formats import FORMATS


def export_command(
    folder: Path = typer.Argument(..., help="A finished synthgen run folder (or an --emit-sft / --emit-dpo folder)."),
    format: str = typer.Option(
        ...,
        "--format",
        help=f"Target layout: {', '.join(FORMATS)}. trl: the rows as stored; alpaca and sharegpt: SFT (sharegpt also "
        "DPO, LLaMA-Factory's ranking form); openai: chat fine-tuning JSONL, the OpenAI DPO form "
        "(preferred_output / non_preferred_output) for a preferences run, messages + reference_answer for math/logic; "
        "llama-factory: sharegpt files plus their dataset_info.json entries; axolotl: JSONL plus a config snippet; "
        "kto: a preferences run as unpaired rows with a boolean label.",
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        help="A .jsonl or .parquet file (with --test-size: NAME-train / NAME-test beside it), or a folder: a dataset "
        "folder that datasets.load_dataset reads for trl and kto, split .jsonl files plus the tool's config otherwise.",
    ),
    test_size: float = typer.Option(
        0.0,
        "--test-size",
        help="Fraction of rows for a test split, chosen by a hash of each row's id, so a row keeps its split when the "
        "dataset grows or is merged. Default: no test split.",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace --out if it exists."),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="Export a run that has not finished."),
) -> None:
    """Export a run folder's rows as alpaca, sharegpt, OpenAI, LLaMA-Factory, axolotl, KTO or TRL data."""
    from synthgen.publish.export import export

    result = export(folder, format, out, test_size=test_size, overwrite=overwrite, allow_partial=allow_partial)
    rows = ", ".join(f"{split} {n}" for split, n in result.rows.items())
    typer.echo(f"exported {result.kind} rows as {result.format}: {rows}")
    for file in result.files:
        typer.echo(f"  {file}")
