"""--shard-index, --num-shards and --executor: the options every generating command takes to split a run.

The API checks them (run/shards.py: one-line errors, exit 2), so these carry no `min=`.
"""

from __future__ import annotations

import typer


def shard_index_option() -> typer.models.OptionInfo:
    return typer.Option(
        None,
        "--shard-index",
        metavar="K",
        help="Make only shard K (0 to N-1) of --num-shards N: a fixed slice of the rows, seeded by its "
        "global attempt numbers, so every shard can run on another machine (a Slurm array task each, "
        "K=$SLURM_ARRAY_TASK_ID) with the same --out. It writes OUT/shards/K-of-N and, once finished, the "
        "marker OUT/completions/K; rerunning it then does nothing. `synthgen merge OUT --out DIR` combines "
        "the shards once all are finished.",
    )


def num_shards_option() -> typer.models.OptionInfo:
    return typer.Option(
        None,
        "--num-shards",
        metavar="N",
        help="Split the run into N shards under --out. With --shard-index, make that one shard; without it, "
        "--executor makes every shard (skipping finished ones) and merges them into --out, which "
        "datasets.load_dataset then reads as one dataset.",
    )


def executor_option() -> typer.models.OptionInfo:
    return typer.Option(
        "local",
        "--executor",
        help="How --num-shards without --shard-index makes the shards: 'local' runs them one after another "
        "in this process; 'ray' runs one Ray task per shard on the cluster ray.init(address='auto') finds "
        "(else a local one), with one progress line and a failed shard retried. Ray is an optional extra: "
        'pip install "synthgen[ray]"; every worker must see --out at the same path.',
    )


def shard_cli_options() -> dict[str, typer.models.OptionInfo]:
    """The three options, keyed by the API's keyword names."""
    return dict(shard_index=shard_index_option(), num_shards=num_shards_option(), executor=executor_option())
