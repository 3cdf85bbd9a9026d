"""Choosing where a `math` run's problems come from: --source, --word-problems, --topics, --max-attempts.

`procedural` (the default) needs no model, is the fastest and every row is verifiable by
construction; `model` asks the model for new problems and keeps the few that pass every check;
`mix` adds a model share to procedural rows. This module validates those options, narrows the
families for --word-problems, and builds the loop with the model stages, so grpo/api.py only
calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synthgen.backends.base import Backend
from synthgen.errors import SynthgenError
from synthgen.grpo.loop import MAX_SLOTS_FACTOR, ProblemsLoop, slot_budget
from synthgen.grpo.sourcing.loop import SourcedProblemsLoop
from synthgen.grpo.sourcing.model_source import ModelSource
from synthgen.grpo.sourcing.requests import PROMPT_FILES
from synthgen.grpo.sourcing.word_problems import WORD_FAMILIES, WordProblems
from synthgen.problems.base import FAMILIES, Family
from synthgen.run.journal import Journal
from synthgen.run.options import check_choice, check_int
from synthgen.text.prompts import PromptSet
from synthgen.text.topics import read_topics

SOURCES = ("procedural", "model", "mix")


def default_max_attempts(n: int) -> int:
    """Model attempts allowed by default: enough for an acceptance rate of about 1 in 30."""
    return 30 * n + 50


def check_source_options(kind: str, source: Any, word_problems: Any) -> None:
    check_choice("source", source, SOURCES)
    if kind != "math" and (source != "procedural" or word_problems):
        raise SynthgenError("--source model/mix and --word-problems are only available for `synthgen math`")
    if word_problems and source == "model":
        raise SynthgenError("--word-problems rewrites procedural problems; use it with --source procedural or mix")


def read_topic_option(topics: str | Path | list[str] | None) -> list[str]:
    """--topics as a file (one topic per line) or a list; [] means the built-in topics."""
    if topics is None or topics == []:
        return []
    if isinstance(topics, list):
        clean = [str(t).strip() for t in topics if str(t).strip()]
        if not clean:
            raise SynthgenError("--topics: no topic given")
        return list(dict.fromkeys(clean))
    return read_topics(topics)


def word_problem_families(chosen: Sequence[Family], explicit: bool) -> list[Family]:
    """--word-problems works on families the formulation language can state; others are refused."""
    supported = [f for f in chosen if f.name in WORD_FAMILIES]
    unsupported = [f.name for f in chosen if f.name not in WORD_FAMILIES]
    if explicit and unsupported:
        raise SynthgenError(
            f"--word-problems cannot rewrite {', '.join(unsupported)}; it supports {', '.join(WORD_FAMILIES)}"
        )
    if not supported:
        raise SynthgenError(f"--word-problems supports only {', '.join(WORD_FAMILIES)}")
    return supported


def uses_model(source: str, word_problems: bool) -> bool:
    return source != "procedural" or bool(word_problems)


def prompts_fingerprint(prompts: PromptSet) -> str:
    return prompts.fingerprint(PROMPT_FILES)


class SourceOptions(BaseModel):
    """--source, --word-problems, --topics and --max-attempts of a `math` run, validated."""

    model_config = ConfigDict(extra="forbid")

    source: str = "procedural"
    word_problems: bool = False
    topics: list[str] = Field(default_factory=list)
    max_attempts: int | None = Field(None, ge=1, description="model attempts before giving up; not fingerprinted")

    @property
    def uses_model(self) -> bool:
        return uses_model(self.source, self.word_problems)

    def fingerprint_part(self, prompts: PromptSet) -> dict[str, Any] | None:
        """What decides the rows besides the config (None for a procedural run: nothing)."""
        if not self.uses_model:
            return None
        keep = self.model_dump(exclude={"source", "max_attempts"})
        return {**keep, "prompts": prompts_fingerprint(prompts)}


def take_source_options(options: dict[str, Any], kind: str, source: Any) -> SourceOptions:
    """Pop word_problems / topics / max_attempts from `options` and validate them with `source`."""
    word_problems = options.pop("word_problems", False)
    topics = options.pop("topics", None)
    max_attempts = options.pop("max_attempts", None)
    if not isinstance(word_problems, bool):
        raise SynthgenError(f"--word-problems is a flag (True/False), got {word_problems!r}")
    check_source_options(kind, source, word_problems)
    if topics not in (None, []) and not uses_model(source, word_problems):
        raise SynthgenError("--topics only applies to --source model/mix and --word-problems")
    if max_attempts is not None:
        check_int("max_attempts", max_attempts)
    return SourceOptions(
        source=source, word_problems=word_problems, topics=read_topic_option(topics), max_attempts=max_attempts
    )


def narrow_families(chosen: list[str], spec: Any, sourcing: SourceOptions) -> list[str]:
    """The run's procedural family names: none for --source model (the model proposes its own),
    only those --word-problems can rewrite (see word_problems.py), else all chosen."""
    explicit = spec not in (None, "", [])
    if sourcing.source == "model":
        if explicit:
            raise SynthgenError("--families picks procedural families; --source model proposes its own (try mix)")
        return []
    if not sourcing.word_problems:
        return chosen
    return [f.name for f in word_problem_families([FAMILIES[name] for name in chosen], explicit)]


def run_slot_budget(n: int, sourcing: SourceOptions, max_slots_factor: int = MAX_SLOTS_FACTOR) -> int:
    """Slots the loop `build_loop` makes for n rows may use (its limit minus its first slot).

    Shards number their slots after the budgets of the shards before them (run/shards.py), so
    this must follow the loops: the model alone gets `max_attempts` slots, mix adds them to the
    procedural budget. An explicit --max-attempts holds for each shard; the default scales with it.
    """
    attempts = sourcing.max_attempts or default_max_attempts(n)
    if sourcing.source == "model" or sourcing.word_problems:
        return attempts
    return slot_budget(n, max_slots_factor) + (attempts if sourcing.source == "mix" else 0)


def build_loop(
    n: int,
    seed: int,
    families: Sequence[Family],
    levels: Sequence[int],
    journal: Journal,
    *,
    sourcing: SourceOptions,
    backend_factory: Callable[[], Backend] | None,
    prompts: PromptSet | None = None,
    stages: Sequence[Any] = (),
    **loop_options: Any,
) -> ProblemsLoop:
    """The run loop: plain ProblemsLoop for procedural runs, else a SourcedProblemsLoop whose
    model stages come before `stages` (e.g. solving with K samples)."""
    if not sourcing.uses_model:
        return ProblemsLoop(n, seed, families, levels, journal, stages=stages, **loop_options)
    if backend_factory is None:
        raise SynthgenError("--source model/mix and --word-problems need a model backend")
    backend, prompts = backend_factory(), prompts or PromptSet()
    loop = SourcedProblemsLoop(
        n, seed, families, levels, journal, source=sourcing.source, word_problems=sourcing.word_problems,
        max_attempts=sourcing.max_attempts or default_max_attempts(n), **loop_options,
    )  # fmt: skip
    own: list[Any] = []
    if sourcing.source != "procedural":
        own.append(ModelSource(backend, prompts, seed, sourcing.topics, loop.claim))
    if sourcing.word_problems:
        own.append(WordProblems(backend, prompts, seed, sourcing.topics))
    loop.stages = [*own, *stages]
    return loop
