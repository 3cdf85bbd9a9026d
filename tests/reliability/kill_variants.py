"""The runs the kill trials interrupt: one function per command or variant, run in a forked child.

Each takes (out, args) and makes the whole call a user would make, on the fake backend slowed a
few milliseconds per batch (`slowed`) so that a kill at a random moment lands mid-run rather
than after it. A function must be a pure function of its arguments: the uninterrupted reference
run and every resumed run call it the same way, and the trial compares their rows.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import synthgen
from synthgen.backends.fake import FakeBackend

BATCH_SECONDS = 0.004  # per backend call: a few decode steps' worth, so runs last long enough to be hit


def slowed(backend: FakeBackend, seconds: float = BATCH_SECONDS) -> FakeBackend:
    """`backend`, with every generate() call taking `seconds` longer, like a real decode would."""
    plain = backend.generate

    def generate(requests):
        time.sleep(seconds)
        return plain(requests)

    backend.generate = generate
    return backend


def solver(golds: dict[str, str]) -> Callable:
    """A policy for --solve: right, wrong or no answer by a hash of (question, attempt seed)."""

    def respond(request) -> str:
        question = request.messages[-1].content
        h = int(hashlib.sha256(f"{question}|{request.seed}".encode()).hexdigest(), 16)
        if h % 2 and question in golds:
            return f"Work for seed {request.seed}.\nSo the answer is \\boxed{{{golds[question]}}}."
        if h % 4 == 2:
            return f"Guess for seed {request.seed}: \\boxed{{123456789}}"
        return f"I am not sure (seed {request.seed})."

    return respond


def instructions(out: Path, args: dict[str, Any]) -> None:
    synthgen.instructions(args["n"], out, backend=slowed(FakeBackend()), batch_size=4, progress=False,
                          **args.get("options", {}))  # fmt: skip


def preferences(out: Path, args: dict[str, Any]) -> None:
    from preference_fakes import make_judge

    options = dict(args.get("options", {}))
    if "candidates_from" in args:
        options["candidates_from"] = args["candidates_from"]
    synthgen.preferences(args["n"], out, backend=slowed(make_judge()), batch_size=2, progress=False, **options)


def math(out: Path, args: dict[str, Any]) -> None:
    options = dict(args.get("options", {}))
    if "golds" in args:
        golds = json.loads(Path(args["golds"]).read_text())
        options["backend"] = slowed(FakeBackend(responder=solver(golds)))
        for emit in ("emit_sft", "emit_dpo"):
            if emit in args:
                options[emit] = args[emit]
    if options.get("source") == "model":
        from model_source_fakes import ProblemResponder

        options["backend"] = slowed(FakeBackend(ProblemResponder()))
    synthgen.math(args["n"], out, progress=False, **options)


def logic(out: Path, args: dict[str, Any]) -> None:
    synthgen.logic(args["n"], out, progress=False, **args.get("options", {}))


def push(out: Path, args: dict[str, Any]) -> None:
    """Publish the finished run folder `args["folder"]` as `args["repo"]` (out is unused: the Hub is the output)."""
    synthgen.push(args["folder"], args["repo"], test_size=0.25, endpoint=args["endpoint"], token=args["token"])


def cli(out: Path, args: dict[str, Any]) -> None:
    """The command line `synthgen ARGV --out OUT`, through the CLI's own entry point (exit codes, one-line errors)."""
    from synthgen.cli.main import main

    main([*args["argv"], "--out", str(out)])


VARIANTS: dict[str, Callable[[Path, dict[str, Any]], None]] = {
    "instructions": instructions,
    "preferences": preferences,
    "math": math,
    "logic": logic,
    "push": push,
    "cli": cli,
}
