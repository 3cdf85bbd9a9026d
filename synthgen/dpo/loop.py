"""The `preferences` run loop: prompt -> k candidates -> rubric per candidate -> pair -> A/B check.

Like the instructions loop it is a RequestFeed (synthgen.backends.base): the backend asks for the
next ready request whenever a slot frees, so requests go out as wide as their data dependencies
allow. All candidates of a ready prompt are issued together, a candidate's rubric request is
ready the moment that candidate exists, and the two pairwise orders the moment all candidates of
the prompt are scored. Decisions are made per attempt, and attempts are journaled strictly in
index order; prompt dedup only looks at earlier attempts. Which attempts become pairs therefore
never depends on scheduling, and a rerun resumes after the last journaled attempt.

With a separate judge model there are two backends: the feed is then driven in alternating
phases, each backend taking every request it can take (`role`), until nothing is left.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from synthgen.backends.base import Backend, Completion, GenerationRequest, Message, run_feed
from synthgen.dpo.attempt import PARSE_RETRIES, Attempt, Candidate, build_row
from synthgen.dpo.config import PreferencesConfig
from synthgen.dpo.judge import pairwise_outcome, parse_pairwise, parse_rubric
from synthgen.dpo.pairs import pair_drop_reason, select_pair
from synthgen.dpo.requests import (
    candidate_request,
    pairwise_for,
    plan_candidates,
    rubric_for,
    user_request,
)
from synthgen.dpo.sources import PromptSource
from synthgen.run.journal import Journal, replay
from synthgen.run.progress import Progress
from synthgen.run.seeds import derive_seed
from synthgen.text.dedup import NearDuplicateIndex
from synthgen.text.gates import check_text, repeats_a_complete_line
from synthgen.text.magpie import PreQuery
from synthgen.text.prompts import PromptSet
from synthgen.text.taxonomy import TOPICS
from synthgen.text.writers import make_plan, take_user_turn


class PreferencesLoop:
    """Produces journal records until `config.n` pairs have been accepted."""

    def __init__(
        self,
        config: PreferencesConfig,
        backend: Backend,
        judge: Backend,
        prompts: PromptSet,
        journal: Journal,
        fingerprint: str,
        source: PromptSource | None,
        pre_query: PreQuery | None,
        attempts: range | None = None,
    ):
        self.config, self.backend, self.judge, self.prompts = config, backend, judge, prompts
        self.journal, self.fingerprint, self.source, self.pre_query = journal, fingerprint, source, pre_query
        self.progress: Progress | None = None
        self.counters: Counter[str] = Counter()
        self.tokens: Counter[str] = Counter()
        self.rows: list[dict[str, Any]] = []
        self.dedup = NearDuplicateIndex(threshold=config.dedup_threshold)
        # The attempt indexes this run may use (with --prompts-from, the source's prompt indexes):
        # all of them, or a shard's span (run/shards.py).
        default = range(len(source.prompts)) if source else range(config.n * config.max_attempts_factor)
        self.attempts = attempts if attempts is not None else default
        self.next_index = self.attempts.start
        self.limit = self.attempts.stop
        self.inflight: list[Attempt] = []
        self.backend_seconds = 0.0
        self.own_seconds = 0.0
        self.role: str | None = None  # which backend the feed is serving: None (both), "policy", "judge"
        self.issued = 0

    # ---- resume -------------------------------------------------------------------------
    def load(self, records: list[dict[str, Any]]) -> None:
        """Rebuild counters, dedup index and rows from journaled attempts."""
        for record in records:
            self._account(record)
            self.next_index = max(self.next_index, record["attempt"] + 1)

    def _account(self, record: dict[str, Any]) -> None:
        replay(record, self.counters, self.tokens, self.dedup, self.rows)

    @property
    def exhausted(self) -> bool:
        """True when no further attempt may start (source used up, or the attempt limit)."""
        return self.next_index >= self.limit

    @property
    def dropped(self) -> int:
        return self.counters["attempts"] - self.counters["accepted"]

    # ---- driving ------------------------------------------------------------------------
    def run(self) -> None:
        """Feed the backend(s) until n pairs are journaled or no attempt may start."""
        self.own_seconds = 0.0
        started = time.perf_counter()
        width = self.config.batch_size * self.config.candidates
        if self.judge is self.backend:
            self.role = None
            if len(self.rows) < self.config.n:
                run_feed(self.backend, self, width=width)
        else:
            while len(self.rows) < self.config.n:
                before = self.issued
                for role, backend in (("policy", self.backend), ("judge", self.judge)):
                    self.role = role
                    run_feed(backend, self, width=width)
                if self.issued == before:
                    break
        self.backend_seconds += time.perf_counter() - started - self.own_seconds

    def next_request(self) -> tuple[tuple[int, str, int], GenerationRequest] | None:
        started = time.perf_counter()
        try:
            item = self._next_request()
            self.issued += item is not None
            return item
        finally:
            self.own_seconds += time.perf_counter() - started

    def _next_request(self):
        cfg = self.config
        if len(self.rows) >= cfg.n:
            return None
        if self.role in (None, "judge"):
            for attempt in self.inflight:
                if attempt.pairwise_wanted:
                    order = attempt.pairwise_wanted.pop(0)
                    return (attempt.index, "pairwise", order), pairwise_for(cfg, self.prompts, attempt, order)
            for attempt in self.inflight:
                if attempt.judge_wanted:
                    i = attempt.judge_wanted.pop(0)
                    return (attempt.index, "judge", i), rubric_for(cfg, self.prompts, attempt, attempt.candidates[i])
        if self.role == "judge":
            return None
        for attempt in self.inflight:
            if attempt.candidates_wanted:
                cand = attempt.candidates[attempt.candidates_wanted.pop(0)]
                return (attempt.index, "candidate", cand.index), candidate_request(cfg, self.prompts, attempt, cand)
        for attempt in self.inflight:
            if attempt.user_wanted:
                attempt.user_wanted = False
                return (attempt.index, "user", attempt.retry), user_request(cfg, self.prompts, self.pre_query, attempt)
        return self._start_attempt()

    def _may_start(self) -> bool:
        cfg = self.config
        rate = max(0.05, (self.counters["accepted"] + 1) / (self.counters["attempts"] + 2))
        wanted = (cfg.n - len(self.rows)) / rate  # attempts likely needed for the missing pairs
        busy = len(self.inflight) >= cfg.batch_size or len(self.inflight) >= wanted
        return not (self.exhausted or busy or len(self.rows) >= cfg.n)

    def _start_attempt(self):
        cfg = self.config
        while self._may_start():
            index = self.next_index
            self.next_index += 1
            if self.source is None:
                plan = make_plan(index, cfg.seed, cfg.method, cfg.magpie_share, TOPICS)
                attempt = Attempt(index=index, seed=plan.seed, plan=plan, prompt_source=f"generated:{plan.method}")
                self.inflight.append(attempt)
                return (index, "user", 0), user_request(cfg, self.prompts, self.pre_query, attempt)
            attempt = Attempt(index=index, seed=derive_seed(cfg.seed, index), prompt_source="file")
            prompt = self.source.prompts[index]
            attempt.prompt = prompt if prompt[0].role == "system" else self._with_system(prompt)
            attempt.user_final = True
            self.inflight.append(attempt)
            self._check_in_order()
            if attempt.candidates_wanted:
                i = attempt.candidates_wanted.pop(0)
                return (index, "candidate", i), candidate_request(cfg, self.prompts, attempt, attempt.candidates[i])
            self._journal_decided_prefix()  # a duplicate prompt is decided at once
        return None

    def wanted(self, key: tuple[int, str, int]) -> bool:
        """Whether a request still matters: False once its attempt was discarded (the run has n pairs)."""
        return any(a.index == key[0] for a in self.inflight)

    def check_partial(self, key: tuple[int, str, int], text: str) -> str | None:
        """Stop a candidate early once it repeats a line: its gate would reject it at any length.

        Only complete lines count (the last one may still grow), so this is exactly as strict
        as the final gate; a looping candidate otherwise runs on to max_tokens.
        """
        if key[1] != "candidate":
            return None
        return "response_repetition" if repeats_a_complete_line(text) else None

    # ---- completions --------------------------------------------------------------------
    def done(self, key: tuple[int, str, int], completion: Completion) -> None:
        started = time.perf_counter()
        try:
            self._done(key, completion)
        finally:
            self.own_seconds += time.perf_counter() - started

    def _done(self, key: tuple[int, str, int], completion: Completion) -> None:
        index, kind, sub = key
        attempt = next((a for a in self.inflight if a.index == index), None)
        if attempt is None:
            return  # the run already reached n; this attempt was discarded
        attempt.tokens.update(prompt=completion.prompt_tokens, completion=completion.completion_tokens)
        if kind == "user":
            self._user_done(attempt, completion)
        elif kind == "candidate":
            self._candidate_done(attempt, attempt.candidates[sub], completion)
        elif kind == "judge":
            self._judge_done(attempt, attempt.candidates[sub], completion)
        else:
            self._pairwise_done(attempt, sub, completion)
        self._journal_decided_prefix()

    def _user_done(self, attempt: Attempt, completion: Completion) -> None:
        taken = take_user_turn(attempt, self.pre_query, completion)
        if taken is None:
            return  # asked again
        user, reason = taken
        attempt.reason = reason
        if user is not None:
            reason = check_text(user, self.config.instruction_limits, "instruction")
            attempt.reason = reason
            attempt.prompt = self._with_system([Message(role="user", content=user)])
        attempt.user_final = True
        self._check_in_order()

    def _check_in_order(self) -> None:
        """Dedup prompts in attempt order, as far as every earlier prompt is final."""
        for attempt in self.inflight:
            if not attempt.user_final:
                return
            if attempt.checked:
                continue
            attempt.checked = True
            if attempt.reason is not None:
                continue
            text = "\n".join(m.content for m in attempt.prompt)
            attempt.reason = self.dedup.check(text)
            if attempt.reason is not None:
                attempt.reason = f"prompt_{attempt.reason}"
                continue
            self.dedup.add(text)
            attempt.dedup_text = text
            attempt.candidates = plan_candidates(self.config, attempt)
            attempt.candidates_wanted = list(range(len(attempt.candidates)))

    def _candidate_done(self, attempt: Attempt, cand: Candidate, completion: Completion) -> None:
        cand.text = completion.text.strip()
        cand.response_tokens = completion.completion_tokens
        if completion.finish_reason == "error":
            cand.status = "response_backend_error"
        elif completion.finish_reason == "aborted":  # check_partial stopped it
            cand.status = completion.error or "response_aborted"
        elif completion.finish_reason == "length":
            cand.status = "response_truncated"
        else:
            cand.status = check_text(completion.text, self.config.response_limits, "response") or "generated"
        if cand.status == "generated":
            attempt.judge_wanted.append(cand.index)
        else:
            attempt.events[f"candidate_{cand.status}"] += 1
        self._maybe_pair(attempt)

    def _judge_done(self, attempt: Attempt, cand: Candidate, completion: Completion) -> None:
        scores = parse_rubric(completion)
        if scores is None and cand.judge_retry < PARSE_RETRIES:
            attempt.events["judge_retries"] += 1
            cand.judge_retry += 1
            attempt.judge_wanted.append(cand.index)
            return
        if scores is None:
            cand.status = "judge_unparseable"
            attempt.events["candidate_judge_unparseable"] += 1
        else:
            cand.status, cand.scores = "judged", scores
        self._maybe_pair(attempt)

    def _maybe_pair(self, attempt: Attempt) -> None:
        """Once every candidate is judged (or out), select the pair or drop the attempt."""
        if any(c.status in ("planned", "generated") for c in attempt.candidates):
            return
        judged = {c.index: c.scores.score for c in attempt.candidates if c.scores is not None}
        if len(judged) < 2:
            attempt.reason = "too_few_candidates"
            return
        chosen, rejected = select_pair(judged, self.config.strategy, derive_seed(attempt.seed, 0, "pair"))
        attempt.pair = (chosen, rejected)
        a, b = attempt.candidates[chosen], attempt.candidates[rejected]
        margin = judged[chosen] - judged[rejected]
        attempt.reason = pair_drop_reason(
            a.text, b.text, margin, self.config.min_margin, self.config.identical_threshold
        )
        if attempt.reason is None:
            attempt.pairwise_wanted = [0, 1]

    def _pairwise_done(self, attempt: Attempt, order: int, completion: Completion) -> None:
        letter = parse_pairwise(completion)
        if letter is None and attempt.pairwise_retry[order] < PARSE_RETRIES:
            attempt.events["judge_retries"] += 1
            attempt.pairwise_retry[order] += 1
            attempt.pairwise_wanted.append(order)
            return
        if letter is None:
            attempt.reason = "judge_unparseable"
            attempt.pairwise_wanted.clear()
            return
        attempt.pairwise[order] = letter
        if None in attempt.pairwise:
            return
        attempt.events["pairwise_checks"] += 1
        outcome = pairwise_outcome(*attempt.pairwise)
        if outcome == "disagree":
            attempt.reason = "order_disagreement"
            return
        attempt.events["pairwise_orders_agree"] += 1
        if outcome == "rejected":
            attempt.reason = "pairwise_prefers_rejected"
            return
        attempt.row = build_row(attempt, self.config.seed, self.fingerprint)

    def _journal_decided_prefix(self) -> None:
        """Journal the longest prefix of decided attempts; stop at the n-th accepted pair."""
        records = []
        while self.inflight and self.inflight[0].decided and len(self.rows) < self.config.n:
            record = self.inflight.pop(0).record()
            self._account(record)
            records.append(record)
        if len(self.rows) >= self.config.n:
            self.inflight.clear()  # attempts past the n-th pair are discarded, never journaled
        if records:
            self.journal.append(records)
            if self.progress is not None:
                self.progress.update(len(self.rows), self.tokens["completion"], self.dropped)

    # ---- requests -----------------------------------------------------------------------
    def _with_system(self, messages: list[Message]) -> list[Message]:
        system = self.config.system_prompt
        return [Message(role="system", content=system), *messages] if system else messages
