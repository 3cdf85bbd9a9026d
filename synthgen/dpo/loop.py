"""The `preferences` run loop: prompt -> candidates -> judgements -> pair -> (A/B check) -> row.

Candidates are generated, or given (--candidates-from); each is judged as the run's judge
needs (judging.py: a rubric request, two scoring requests, or both); the pair is chosen and
checked (verdict.py); every `control_every`-th attempt also judges control pairs before it is
journaled (controls.py).

Like the instructions loop it is a RequestFeed (synthgen.backends.base): the backend asks for the
next ready request whenever a slot frees, so requests go out as wide as their data dependencies
allow. A ready prompt's first candidates are issued together (more follow only if they make no
pair: judging.py `more_candidates`), a candidate's judge requests are
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
from synthgen.dpo.attempt import Attempt, Candidate
from synthgen.dpo.config import CandidatesMode, PreferencesConfig
from synthgen.dpo.controls import ControlJudging
from synthgen.dpo.judging import CandidateJudging
from synthgen.dpo.requests import (
    candidate_request,
    pairwise_for,
    plan_candidates,
    rubric_for,
    score_for,
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


class PreferencesLoop(CandidateJudging, ControlJudging):
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
            self.remember_answer(record)
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
        if len(self.rows) >= self.config.n:
            return None
        item = self._ready_request()
        if item is None and self.role != "judge":
            item = self._start_attempt() or self._ready_request()  # a started attempt may have judge work
        return item

    def _ready_request(self):
        cfg = self.config
        if self.role in (None, "judge"):
            for attempt in self.inflight:
                for number, check in enumerate(attempt.checks):
                    if check.wanted:
                        order = check.wanted.pop(0)
                        key = (attempt.index, "pairwise", 2 * number + order)
                        return key, pairwise_for(cfg, self.prompts, attempt, check, order)
            for attempt in self.inflight:
                if attempt.score_wanted:
                    i, part = attempt.score_wanted.pop(0)
                    return (attempt.index, "score", 2 * i + part), score_for(attempt, attempt.candidates[i], part)
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
        return None

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
            if self.source.responses is not None:
                attempt.given = self.source.responses[index]
                if len(attempt.given) < 2:
                    attempt.reason = "too_few_responses"
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
        elif kind == "score":
            self._score_done(attempt, attempt.candidates[sub // 2], sub % 2, completion)
        else:
            self._pairwise_done(attempt, attempt.checks[sub // 2], sub % 2, completion)
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
            if self.config.candidates_mode is CandidatesMode.given:
                attempt.issued = len(attempt.candidates)
                for cand in attempt.candidates:
                    self._candidate_ready(attempt, cand, check_text(cand.text, self.config.response_limits, "response"))
                self._maybe_pair(attempt)
            else:
                attempt.issued = self.config.first_candidates
                attempt.candidates_wanted = list(range(attempt.issued))

    def _candidate_done(self, attempt: Attempt, cand: Candidate, completion: Completion) -> None:
        cand.text = completion.text.strip()
        cand.response_tokens = completion.completion_tokens
        if completion.finish_reason == "error":
            status = "response_backend_error"
        elif completion.finish_reason == "aborted":  # check_partial stopped it
            status = completion.error or "response_aborted"
        elif completion.finish_reason == "length":
            status = "response_truncated"
        else:
            status = check_text(completion.text, self.config.response_limits, "response")
        self._candidate_ready(attempt, cand, status)
        self._maybe_pair(attempt)

    def _journal_decided_prefix(self) -> None:
        """Journal the longest prefix of decided attempts; stop at the n-th accepted pair."""
        records = []
        while self.inflight and self.inflight[0].decided and len(self.rows) < self.config.n:
            if not self.controls_done(self.inflight[0]):
                break  # the head attempt's control pairs are being judged
            record = self.inflight.pop(0).record()
            self._account(record)
            self.remember_answer(record)
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
