"""`synthgen push DIR --repo-id OWNER/NAME`: a finished run folder published as a Hub dataset."""

from __future__ import annotations

from pathlib import Path

import typer


def push_command(
    folder: Path = typer.Argument(..., help="A finished synthgen run folder (or a merged or --emit-* folder)."),
    repo_id: str = typer.Option(..., "--repo-id", help="The dataset repo, OWNER/NAME; created if it does not exist."),
    private: bool = typer.Option(
        False,
        "--private",
        help="Create the repo private. Applies only when the repo is created: an existing repo keeps its visibility.",
    ),
    test_size: float = typer.Option(
        0.0,
        "--test-size",
        help="Fraction of rows for a test split, chosen by a hash of each row's id, so a row keeps its split when the "
        "dataset grows or is merged; the card's configs list both splits. Default: train only.",
    ),
    revision: str = typer.Option(
        None, "--revision", help="Branch to commit to (created from main if missing). Default: main."
    ),
    commit_message: str = typer.Option(
        None, "--commit-message", help="Commit title. Default: 'synthgen push: <kind> dataset (<rows per split>)'."
    ),
    create_pr: bool = typer.Option(
        False, "--create-pr", help="Open a pull request with the commit instead of committing to the branch."
    ),
    include_journal: bool = typer.Option(
        False, "--include-journal", help="Also upload journal.jsonl, the record of every attempt (never the lock file)."
    ),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="Push a run that has not finished."),
    timeout: float = typer.Option(
        120.0,
        "--timeout",
        help="Seconds to wait for each Hub request before giving up (by default huggingface_hub waits forever).",
    ),
) -> None:
    """Publish a run folder to the Hugging Face Hub: card, data, manifest and templates in one commit.

    Token: HF_TOKEN, else the saved login (`hf auth login`). Only files that differ are sent: pushing the same folder
    again makes no commit.
    """
    from synthgen.publish.push import push

    result = push(
        folder, repo_id, private=private, test_size=test_size, revision=revision, commit_message=commit_message,
        create_pr=create_pr, include_journal=include_journal, allow_partial=allow_partial, timeout=timeout,
    )  # fmt: skip
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    where = f"{result.repo_id}@{result.revision}"
    rows = ", ".join(f"{split} {n}" for split, n in result.rows.items())
    if not result.changed:
        typer.echo(f"{where} already holds this folder ({rows}): nothing changed, no commit made")
        return
    created = "created the repo, " if result.created_repo else ""
    typer.echo(
        f"pushed {result.kind} rows to {where}: {rows} ({created}{len(result.uploaded)} files uploaded, "
        f"{len(result.deleted)} deleted, {len(result.unchanged)} unchanged)"
    )
    typer.echo(f"  {result.pr_url or result.commit_url}")
    typer.echo(f'  load: datasets.load_dataset("{result.repo_id}", split="train")')
