"""The problems loop for model-based sources: which slots ask the model, and when to stop asking.

- `--source model`: every slot is a model slot (family "model.<kind>", kinds cycling); the
  ModelSource stage fills it or rejects it with a counted reason.
- `--source mix`: a hash of the slot picks model or procedural slots half and half until the
  model has its quota (MODEL_SHARE of the rows, rounded up), then procedural only; once the
  procedural rows have their share, remaining slots go to the model. If the model is hopeless
  or out of attempts, procedural slots fill the rest, so a mix run always completes; the
  manifest's `model_source` counters give the share actually reached.
- `--word-problems`: procedural slots, each rewritten by the WordProblems stage.

Model attempts are bounded: `max_attempts` slots that ask the model, and HOPELESS_AFTER attempts
without a single accepted problem stop the model early. When only the model can fill the run
(model source, word problems) the run then ends with a one-line error; the rows so far stay in
the journal, and rerunning with a larger --max-attempts resumes. All state is rebuilt from the
journal, so a resumed run schedules exactly as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from synthgen.errors import SynthgenError
from synthgen.grpo.loop import Candidate, ProblemsLoop
from synthgen.grpo.sourcing.model_source import MODEL_FAMILY, slot_kind
from synthgen.problems.base import Problem

MODEL_SHARE = 0.25  # --source mix: the model's target share of rows
HOPELESS_AFTER = 48  # model attempts without one accepted problem before the model is given up


def _mix_coin(seed: int, slot: int) -> bool:
    return hashlib.sha256(f"mix|{seed}|{slot}".encode()).digest()[0] % 2 == 0


class SourcedProblemsLoop(ProblemsLoop):
    """ProblemsLoop whose slots may be model slots; bounded model attempts with a clear stop."""

    def __init__(self, *args: Any, source: str, word_problems: bool, max_attempts: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.source, self.word_problems, self.max_attempts = source, word_problems, max_attempts
        self.model_quota = self.n if source == "model" else math.ceil(self.n * MODEL_SHARE) if source == "mix" else 0
        self.model_attempts = 0
        self.model_rows = 0
        self.model_in_flight = 0  # model slots drawn but not yet accounted (the quota counts them)
        self.only_model = source == "model" or word_problems  # nothing else can fill the run
        if self.only_model:
            self._limit = self.first + max_attempts  # every slot asks the model
        elif source == "mix":
            self._limit += max_attempts  # model slots must not eat the procedural slot budget

    # `limit` ends the base loop: once the model is stopped and nothing else can fill the run,
    # it drops to the next slot, so the loop finishes its batch and gives up.
    @property
    def limit(self) -> int:
        if self.only_model and self.model_stopped:
            return min(self._limit, self.next_slot)
        return self._limit

    @limit.setter
    def limit(self, value: int) -> None:
        self._limit = value

    @property
    def model_stopped(self) -> str | None:
        if self.model_rows == 0 and self.model_attempts >= HOPELESS_AFTER:
            return "hopeless"
        if self.model_attempts >= self.max_attempts:
            return "max_attempts"
        return None

    def claim(self, problem: Problem) -> str | None:
        """Dedup for problems made after drawing (model proposals): the reason, or None and taken."""
        reason = self._fresh(problem)
        if reason is None:
            self.seen.add(problem.id)
        return reason

    def _is_model_slot(self, slot: int) -> bool:
        if self.source == "model":
            return True
        if self.source != "mix" or self.model_stopped or self.model_rows + self.model_in_flight >= self.model_quota:
            return False
        procedural_rows = len(self.rows) - self.model_rows
        return procedural_rows >= self.n - self.model_quota or _mix_coin(self.seed, slot)

    def _draw(self, slot: int) -> Candidate:
        if self._is_model_slot(slot):
            level = self.levels[slot % len(self.levels)]
            self.model_in_flight += 1
            return Candidate(slot=slot, family=MODEL_FAMILY + slot_kind(slot), level=level)
        return super()._draw(slot)

    def _account(self, record: dict[str, Any]) -> None:
        super()._account(record)
        if record["family"].startswith(MODEL_FAMILY):
            self.model_in_flight = max(0, self.model_in_flight - 1)
        if record["family"].startswith(MODEL_FAMILY) or "provenance" in record:
            self.model_attempts += 1
            self.model_rows += record["status"] == "accepted"

    def counters_json(self) -> dict[str, Any]:
        out = super().counters_json()
        attempts = self.model_attempts
        out["model_source"] = {
            "attempts": attempts,
            "accepted": self.model_rows,
            "acceptance_rate": round(self.model_rows / attempts, 4) if attempts else None,
            "rows_share": round(self.model_rows / len(self.rows), 4) if self.rows else None,
            "stopped": self.model_stopped,
        }
        return out

    def run(self) -> None:
        try:
            super().run()
        except SynthgenError:
            if not self.only_model:
                raise
            what = "word-problem rewrites" if self.word_problems else "model proposals"
            top = ", ".join(f"{k}={v}" for k, v in self.counters["rejected_slots"].most_common(3))
            why = (
                f"none accepted in the first {HOPELESS_AFTER}"
                if self.model_stopped == "hopeless"
                else f"--max-attempts {self.max_attempts} reached"
            )
            raise SynthgenError(
                f"{what}: {self.model_rows} of {self.model_attempts} accepted ({why}; top reasons: {top}); "
                f"{len(self.rows)}/{self.n} rows kept; try a larger --model, --source mix or procedural, "
                "or rerun with a larger --max-attempts to resume",
                exit_code=1,
            ) from None
