"""Judging a prompt's candidates: the requests each needs, what their answers mean, the pair.

The preferences loop (loop.py) mixes this in. A candidate is judged once every judgement the
run's judge needs has arrived (the rubric for the LLM judge, the two scoring requests of the
likelihood signals for the likelihood judge, both for `both`); then the pair is chosen and
checked by verdict.py, and with the LLM judge its A/B check runs in both orders.
"""

from __future__ import annotations

from synthgen.backends.base import Completion
from synthgen.dpo.attempt import PARSE_RETRIES, Attempt, Candidate, PairCheck
from synthgen.dpo.config import CandidatesMode
from synthgen.dpo.judge import pairwise_outcome, parse_pairwise, parse_rubric
from synthgen.dpo.pairs import select_pair
from synthgen.dpo.verdict import pair_verdict, ranking_score, uses_likelihood, uses_llm
from synthgen.run.seeds import derive_seed
from synthgen.text.likelihood import signals_from


class CandidateJudging:
    """The judging part of the preferences loop."""

    def _candidate_ready(self, attempt: Attempt, cand: Candidate, failed: str | None) -> None:
        """A candidate (or control answer) exists: ask the judge about it, or count why it is out."""
        if failed is not None:
            cand.status = failed
            attempt.events[f"candidate_{failed}"] += 1
            return
        cand.status = "generated"
        if uses_llm(self.config):
            attempt.judge_wanted.append(cand.index)
            cand.pending += 1
        if uses_likelihood(self.config):
            attempt.score_wanted += [(cand.index, 0), (cand.index, 1)]
            cand.pending += 1

    def _judged_part(self, attempt: Attempt, cand: Candidate, failed: str | None) -> None:
        """One judgement of a candidate arrived; it is judged when none is pending."""
        cand.pending -= 1
        if cand.status != "generated":
            return  # an earlier judgement already failed
        if failed is not None:
            cand.status = failed
            attempt.events[f"candidate_{failed}"] += 1
        elif cand.pending == 0:
            cand.status = "judged"
        if cand.status != "generated":
            self.judged(attempt)

    def _judge_done(self, attempt: Attempt, cand: Candidate, completion: Completion) -> None:
        scores = parse_rubric(completion)
        if scores is None and cand.judge_retry < PARSE_RETRIES:
            attempt.events["judge_retries"] += 1
            cand.judge_retry += 1
            attempt.judge_wanted.append(cand.index)
            return
        cand.scores = scores
        self._judged_part(attempt, cand, "judge_unparseable" if scores is None else None)

    def _score_done(self, attempt: Attempt, cand: Candidate, part: int, completion: Completion) -> None:
        cand.score_parts[part] = completion
        if None in cand.score_parts:
            return
        cand.signals = signals_from(*cand.score_parts)
        cand.score_parts = [None, None]  # the log-probabilities are not kept, only the signals
        self._judged_part(attempt, cand, "score_failed" if cand.signals is None else None)

    def judged(self, attempt: Attempt) -> None:
        """A candidate or control answer finished judging."""
        if attempt.control_state == "pending":
            self.control_progress(attempt)
        else:
            self._maybe_pair(attempt)

    def _maybe_pair(self, attempt: Attempt) -> None:
        """Once every issued candidate is judged (or out), select the pair, ask for one more
        candidate (see `more_candidates`), or drop the attempt."""
        cfg = self.config
        answers = attempt.answers[: attempt.issued]
        if attempt.pair is not None or any(c.status in ("planned", "generated") for c in answers):
            return
        judged = {c.index: ranking_score(cfg, c) for c in answers if c.status == "judged"}
        chosen = rejected = side = None
        if len(judged) >= 2:
            if cfg.candidates_mode is CandidatesMode.contrast:
                chosen, rejected = 0, 1  # known by construction; the judge must confirm it
            else:
                chosen, rejected = select_pair(judged, cfg.strategy, derive_seed(attempt.seed, 0, "pair"))
            side, reason = pair_verdict(cfg, attempt.candidates[chosen], attempt.candidates[rejected])
        else:
            reason = "too_few_candidates"
        if side is None and self.more_candidates(attempt):
            return
        attempt.pair = (chosen, rejected) if chosen is not None else None
        attempt.reason = reason
        if side == "b":
            attempt.reason = "judge_contradicts_contrast"
        elif side == "a" and uses_llm(cfg):
            attempt.checks.append(PairCheck(chosen, rejected, wanted=[0, 1]))
        elif side == "a":
            attempt.row = self.row_of(attempt)

    def more_candidates(self, attempt: Attempt) -> bool:
        """Issue the next planned candidate when the issued ones give no pair; False if none is left.

        Candidates are made `candidates_step` at a time (two by default) up to --candidates: a
        prompt whose first two answers already make a pair that passes costs two answers, not
        four. Measured on a 100-pair run, this keeps the pairs of making all four and spends a
        quarter fewer answer tokens per pair (docs/benchmarks.md). Only for best-worst pairs from
        generated candidates (the other strategies choose among the whole set) under the
        likelihood judge, whose verdict is final once the scores are in (the LLM judge's A/B
        check comes after the choice).
        """
        if not self.config.stepwise_candidates or attempt.issued >= len(attempt.answers):
            return False
        attempt.candidates_wanted.append(attempt.issued)
        attempt.issued += 1
        attempt.events["candidates_added"] += 1
        return True

    def _pairwise_done(self, attempt: Attempt, check: PairCheck, order: int, completion: Completion) -> None:
        letter = parse_pairwise(completion)
        if letter is None and check.retry[order] < PARSE_RETRIES:
            attempt.events["judge_retries"] += 1
            check.retry[order] += 1
            check.wanted.append(order)
            return
        if letter is None:
            check.outcome = "judge_unparseable"
            check.wanted.clear()
        else:
            check.letters[order] = letter
            if None in check.letters:
                return
            check.outcome = pairwise_outcome(*check.letters)
        if check.control is not None:
            self.control_progress(attempt)
            return
        if check.outcome == "judge_unparseable":
            attempt.reason = "judge_unparseable"
            return
        attempt.events["pairwise_checks"] += 1
        if check.outcome == "disagree":
            attempt.reason = "order_disagreement"
            return
        attempt.events["pairwise_orders_agree"] += 1
        if check.outcome == "rejected":
            attempt.reason = "pairwise_prefers_rejected"
            return
        attempt.row = self.row_of(attempt)
