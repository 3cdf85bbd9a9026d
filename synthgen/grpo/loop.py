"""The math/logic run loop: schedule slots, draw problems, run pipeline stages, journal.

Slot i is assigned family `families[i % F]` at level `levels[(i // F) % L]`, so any prefix of a
run is balanced across families and levels. A slot's problem is drawn from the item seed of
(family, version, run seed, i); a draw that duplicates an earlier problem (or an excluded id) is
redrawn from the same local RNG, so every slot normally yields one row of its family.

Candidates then pass through `stages`, a list of objects with `name` and
`process(batch: list[Candidate]) -> None` that may reject a candidate (set `reason`) or annotate
it (`pass_rate`, `pass_rate_k`; `extra` is journaled with the slot, accepted or not). Procedural
runs have no stages; model-based sources, solving with K samples and pass-rate filters plug in here
without touching scheduling, dedup or journaling.

Slots are journaled in order after each batch (accepted and rejected alike, with the ids they
drew), so resuming rebuilds the same dedup state and continues at the next slot: an interrupted
run resumed gives the same rows as an uninterrupted one.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from synthgen.errors import SynthgenError
from synthgen.grpo.row import problem_row
from synthgen.problems.base import Family, Problem, make_problem
from synthgen.run.journal import Journal
from synthgen.run.progress import Progress

MAX_SLOTS_FACTOR = 3  # slots per row before a run gives up (a --keep-pass-rate band uses more)
SPARE_SLOTS = 100


def slot_budget(n: int, max_slots_factor: int = MAX_SLOTS_FACTOR) -> int:
    """Slots a procedural loop of n rows may use; a shard's span is its share of the run's."""
    return n * max_slots_factor + SPARE_SLOTS


@dataclass
class Candidate:
    """One slot's problem on its way through the pipeline."""

    slot: int
    family: str
    level: int
    problem: Problem | None = None
    reason: str | None = None
    pass_rate: float | None = None
    pass_rate_k: int | None = None
    rejections: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # stage data journaled with the slot (e.g. attempts)


class Stage(Protocol):
    """A pipeline step after generation (e.g. solve K times and filter by pass rate)."""

    name: str

    def process(self, batch: list[Candidate]) -> None: ...


class ProblemsLoop:
    """Produces journal records until `n` slots have been accepted."""

    def __init__(
        self,
        n: int,
        seed: int,
        families: Sequence[Family],
        levels: Sequence[int],
        journal: Journal,
        *,
        stages: Sequence[Stage] = (),
        exclude_ids: set[str] | None = None,
        batch_size: int = 16,
        max_tries: int = 200,
        max_slots_factor: int = MAX_SLOTS_FACTOR,
        progress: Progress | None = None,
        first: int = 0,
    ):
        self.n, self.seed, self.families, self.levels = n, seed, list(families), list(levels)
        self.journal, self.stages, self.batch_size, self.max_tries = journal, list(stages), batch_size, max_tries
        self.exclude = exclude_ids or set()
        self.seen: set[str] = set()
        self.rows: list[dict[str, Any]] = []
        self.first = first  # the first slot: 0, or a shard's first slot (run/shards.py)
        self.next_slot = first
        self.limit = first + slot_budget(n, max_slots_factor)
        self.progress = progress
        self.counters: dict[str, Any] = {
            "slots": 0,
            "accepted": 0,
            "rejected_slots": Counter(),
            "accepted_by_family": Counter(),
            "accepted_by_level": Counter(),
            "draw_rejections": defaultdict(Counter),
            "seconds_by_family": Counter(),
        }

    # ---- schedule and resume ---------------------------------------------------------------
    def assignment(self, slot: int) -> tuple[Family, int]:
        fam = self.families[slot % len(self.families)]
        return fam, self.levels[(slot // len(self.families)) % len(self.levels)]

    def load(self, records: list[dict[str, Any]]) -> None:
        """Rebuild rows, dedup state and counters from journaled slots."""
        for record in records:
            self._account(record)
            self.next_slot = max(self.next_slot, record["slot"] + 1)

    def _account(self, record: dict[str, Any]) -> None:
        c = self.counters
        c["slots"] += 1
        fam = record["family"]
        c["draw_rejections"][fam].update(record.get("rejections", {}))
        c["seconds_by_family"][fam] += record.get("seconds", 0.0)
        if record.get("id"):
            self.seen.add(record["id"])
        if record["status"] == "accepted":
            c["accepted"] += 1
            c["accepted_by_family"][fam] += 1
            c["accepted_by_level"][str(record["level"])] += 1
            self.rows.append(record["row"])
        else:
            c["rejected_slots"][record["reason"]] += 1
            c["draw_rejections"][fam][record["reason"]] += 1

    def counters_json(self) -> dict[str, Any]:
        c = self.counters
        return {
            "slots": c["slots"],
            "accepted": c["accepted"],
            "rejected_slots": dict(sorted(c["rejected_slots"].items())),
            "accepted_by_family": dict(sorted(c["accepted_by_family"].items())),
            "accepted_by_level": dict(sorted(c["accepted_by_level"].items())),
            "rejections_by_family": {f: dict(sorted(r.items())) for f, r in sorted(c["draw_rejections"].items()) if r},
            "rows_per_minute_by_family": {
                f: round(60 * c["accepted_by_family"][f] / s, 1)
                for f, s in sorted(c["seconds_by_family"].items())
                if s > 0 and c["accepted_by_family"][f]
            },
        }

    # ---- main loop ---------------------------------------------------------------------------
    def run(self) -> None:
        """Draw, process and journal batches of slots until `n` rows (or the slot limit)."""
        while len(self.rows) < self.n and self.next_slot < self.limit:
            # a stage that may reject (filters=True, the default) needs spare slots in each batch
            filtering = any(getattr(stage, "filters", True) for stage in self.stages)
            width = self.batch_size if filtering else min(self.batch_size, self.n - len(self.rows))
            batch = [self._draw(slot) for slot in range(self.next_slot, min(self.next_slot + width, self.limit))]
            self.next_slot += len(batch)
            for stage in self.stages:
                stage.process([c for c in batch if c.reason is None])
            records = []
            for candidate in batch:
                if len(self.rows) >= self.n:
                    break  # slots past the n-th acceptance are never journaled
                record = self._record(candidate)
                self._account(record)
                records.append(record)
            self.journal.append(records)
            if self.progress is not None:
                self.progress.update(len(self.rows), 0, self.counters["slots"] - self.counters["accepted"])
        if len(self.rows) < self.n:
            common = self.counters["rejected_slots"].most_common(3)
            top = ", ".join(f"{k}={v}" for k, v in common)
            why = (
                "too few problems fall in the --keep-pass-rate band (widen it or change --difficulty)"
                if common and common[0][0].startswith("pass_rate")
                else "the chosen families/levels have too few distinct problems"
            )
            raise SynthgenError(
                f"gave up after {self.next_slot - self.first} slots with {len(self.rows)}/{self.n} rows "
                f"(top reasons: {top}); {why}; rows so far are kept",
                exit_code=1,
            )

    def _draw(self, slot: int) -> Candidate:
        fam, level = self.assignment(slot)
        candidate = Candidate(slot=slot, family=fam.name, level=level)
        started = time.perf_counter()
        candidate.problem = make_problem(
            fam, self.seed, slot, level, accept=self._fresh, tries=self.max_tries, rejections=candidate.rejections
        )
        candidate.seconds = time.perf_counter() - started
        if candidate.problem is None:
            candidate.reason = "exhausted"
        else:
            self.seen.add(candidate.problem.id)  # later slots of this batch must not repeat it
        return candidate

    def _fresh(self, problem: Problem) -> str | None:
        if problem.id in self.exclude:
            return "excluded"
        return "duplicate" if problem.id in self.seen else None

    def _record(self, c: Candidate) -> dict[str, Any]:
        record: dict[str, Any] = {
            "slot": c.slot,
            "family": c.family,
            "level": c.level,
            "status": "rejected" if c.reason else "accepted",
            "reason": c.reason,
            "id": c.problem.id if c.problem else None,
            "rejections": dict(c.rejections),
            "seconds": round(c.seconds, 6),
        }
        record.update(c.extra)
        if c.reason is None:
            record["row"] = problem_row(c.problem, c.pass_rate, c.pass_rate_k)
        return record
