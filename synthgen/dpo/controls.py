"""Control pairs: a share of the judge's work spent on pairs whose better answer is known.

Every `control_every`-th attempt (by index) that has a judged answer also gets its judge asked
about two control pairs, with the run's exact judge, settings and decision rules
(verdict.py): its best-judged answer against the answer to another prompt (the latest
journaled attempt's, so it is the same on a resumed run), and against its own first sentence. A judge
that cannot get these right cannot be trusted with the pairs it kept, and the card says so.
The attempt is journaled once its controls are judged; the results go into its record
(`controls`) and its events (control_pairs, control_right, control_wrong), so a resumed run
counts them as the first session did.
"""

from __future__ import annotations

import re
from typing import Any

from synthgen.dpo.attempt import Attempt, Candidate, PairCheck, build_row
from synthgen.dpo.config import CandidatesMode
from synthgen.dpo.verdict import margin_of, pair_verdict, ranking_score, uses_llm

RELIABLE = 0.75  # control accuracy below this: the summary and the card say the judge is not reliable


def first_sentence(text: str) -> str | None:
    """The first sentence of an answer of three or more sentences (a shorter one makes no clear worse version)."""
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    return parts[0] if len(parts) >= 3 else None


def control_summary(counters: dict[str, int]) -> dict[str, Any]:
    """Control accuracy for the manifest: right among the control pairs the judge decided."""
    right, wrong, pairs = (
        counters.get("control_right", 0),
        counters.get("control_wrong", 0),
        counters.get("control_pairs", 0),
    )
    decided = right + wrong
    accuracy = round(right / decided, 4) if decided else None
    return {
        "pairs": pairs,
        "decided": decided,
        "right": right,
        "accuracy": accuracy,
        "reliable": None if accuracy is None else accuracy >= RELIABLE,
    }


class ControlJudging:
    """The control-pair part of the preferences loop (PreferencesLoop mixes it in)."""

    last_answer: str | None = None

    def remember_answer(self, record: dict[str, Any]) -> None:
        """Keep the latest journaled judged answer: the next control's answer to another prompt."""
        candidates = record["row"]["candidates"] if record.get("row") else record.get("candidates", [])
        text = next((c["text"] for c in candidates if c["status"] == "judged"), None)
        if text:
            self.last_answer = text

    def row_of(self, attempt: Attempt) -> dict[str, Any]:
        cfg = self.config
        source = {CandidatesMode.contrast: "contrast", CandidatesMode.given: "given"}.get(cfg.candidates_mode, "judged")
        chosen, rejected = (attempt.candidates[i] for i in attempt.pair)
        margin = margin_of(cfg, chosen, rejected)
        return build_row(attempt, cfg.seed, self.fingerprint, cfg.judge.value, source, margin, cfg.likelihood_margin)

    def controls_done(self, attempt: Attempt) -> bool:
        """False while the attempt's control pairs are being judged; starts them when it is its turn."""
        if attempt.control_state is None:
            self._start_controls(attempt)
        return attempt.control_state != "pending"

    def _start_controls(self, attempt: Attempt) -> None:
        cfg = self.config
        attempt.control_state = "done"
        own = self._own_answer(attempt)
        if not cfg.control_every or attempt.index % cfg.control_every or own is None:
            return
        worse = {"off_topic": self.last_answer, "truncated": first_sentence(own.text)}
        made = False
        for kind, text in worse.items():
            if text and text.strip() != own.text.strip():
                cand = Candidate(index=len(attempt.candidates), principle="control", temperature=0.0, seed=0)
                cand.text, cand.control = text, kind
                attempt.candidates.append(cand)
                self._candidate_ready(attempt, cand, None)
                made = True
        if made:
            attempt.control_state = "pending"

    def _own_answer(self, attempt: Attempt) -> Candidate | None:
        """The attempt's best-judged answer: the controls degrade it, so it must be a sound answer
        (a cut-off candidate against its own first sentence would have no known better side)."""
        judged = [c for c in attempt.answers if c.status == "judged"]
        return max(judged, key=lambda c: (ranking_score(self.config, c), -c.index), default=None)

    def control_progress(self, attempt: Attempt) -> None:
        """Move the control pairs on: A/B checks once judged, results once every check is done."""
        controls = [c for c in attempt.candidates if c.control]
        if any(c.status in ("planned", "generated") for c in controls):
            return
        own = self._own_answer(attempt)
        if not attempt.checks or all(c.control is None for c in attempt.checks):
            for worse in controls:
                self._control_verdict(attempt, own, worse)
        if any(c.control and c.outcome is None for c in attempt.checks):
            return
        for check in attempt.checks:
            if check.control and not any(r["kind"] == check.control for r in attempt.controls):
                right = attempt.candidates[check.chosen].control is None
                result = {"chosen": "right" if right else "wrong"}.get(check.outcome, "dropped")
                self._control_result(attempt, check.control, result, check.outcome)
        attempt.control_state = "done"

    def _control_verdict(self, attempt: Attempt, own: Candidate, worse: Candidate) -> None:
        if worse.status != "judged":
            self._control_result(attempt, worse.control, "dropped", worse.status)
            return
        side, reason = pair_verdict(self.config, own, worse)
        if side is None:
            self._control_result(attempt, worse.control, "dropped", reason)
        elif uses_llm(self.config):
            winner, loser = (own, worse) if side == "a" else (worse, own)
            attempt.checks.append(PairCheck(winner.index, loser.index, control=worse.control, wanted=[0, 1]))
        else:
            self._control_result(attempt, worse.control, "right" if side == "a" else "wrong", None)

    def _control_result(self, attempt: Attempt, kind: str, result: str, reason: str | None) -> None:
        attempt.controls.append({"kind": kind, "result": result, "reason": reason})
        attempt.events["control_pairs"] += 1
        if result in ("right", "wrong"):
            attempt.events[f"control_{result}"] += 1
