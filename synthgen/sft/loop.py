"""The `instructions` run loop: plan attempts, write user turns, answer them, gate, journal.

Attempts are numbered 0, 1, 2, ... and each is seeded from (run seed, attempt index) alone. The
loop is a request feed (synthgen.backends.base.RequestFeed): whenever the backend has a free
decoding slot it asks for the next ready request: an answer for an instruction that passed its
gates, a retry of unparseable JSON, or the first request of a new attempt. So slots never idle
waiting for the slowest request of a wave. With --min-relevance, an answer that passed its gates
is followed by its two scoring requests (sft/relevance.py), sent before any new work because
they are what decides the attempt.

Attempts are decided (gated, deduplicated, journaled) in the order they finish, and the run stops
the moment the n-th row is accepted; the attempts still in flight are dropped from the backend.
Deciding in attempt order instead would make the end of every run wait for its slowest needed
attempt with most slots idle, which cost ~25% of a 64-row run (benchmarks/throughput.py). The
order in which attempts finish is fixed by the seeds and `--parallel`, so a rerun reproduces the
rows; a resumed run first redoes the attempts that were in flight when it stopped.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from synthgen.backends.base import Backend, Completion, GenerationRequest, Message, run_feed
from synthgen.errors import SynthgenError
from synthgen.run.journal import Journal, replay
from synthgen.run.progress import Progress
from synthgen.run.seeds import derive_seed, row_id
from synthgen.sft.config import InstructionsConfig
from synthgen.sft.relevance import RelevanceGate
from synthgen.sft.row import attempt_record
from synthgen.text.dedup import NearDuplicateIndex
from synthgen.text.gates import check_text, instruction_defect, is_refusal, repeats_a_complete_line, response_defect
from synthgen.text.magpie import PreQuery
from synthgen.text.prompts import PromptSet
from synthgen.text.taxonomy import TOPICS
from synthgen.text.writers import Plan, magpie_request, make_plan, self_instruct_request, take_user_turn


@dataclass
class _Attempt:
    """The in-flight state of one attempt."""

    plan: Plan
    tokens: Counter = field(default_factory=Counter)
    events: Counter = field(default_factory=Counter)
    retry: int = 0
    user: str | None = None
    user_final: bool = False
    user_wanted: bool = True  # a user-turn request (first try or retry) is ready to send
    checked: bool = False  # gates + dedup applied
    answer_wanted: bool = False
    reason: str | None = None
    dedup_text: str | None = None
    response: str | None = None
    instruction_tokens: int = 0
    response_tokens: int = 0
    scoring: bool = False  # --min-relevance: the answer's scoring requests are not all back
    score_wanted: list[int] = field(default_factory=list)  # scoring requests ready to send
    scores: dict[int, Completion] = field(default_factory=dict)
    relevance: float | None = None

    @property
    def decided(self) -> bool:
        return self.checked and not self.scoring and (self.reason is not None or self.response is not None)


class InstructionsLoop:
    """Produces journal records until `config.n` attempts have been accepted."""

    def __init__(
        self,
        config: InstructionsConfig,
        backend: Backend,
        prompts: PromptSet,
        journal: Journal,
        fingerprint: str,
        pre_query: PreQuery | None,
        progress: Progress | None = None,
        attempts: range | None = None,
    ):
        self.config, self.backend, self.prompts, self.journal = config, backend, prompts, journal
        self.fingerprint = fingerprint
        self.pre_query = pre_query
        self.progress = progress
        self.topics = config.topics or TOPICS
        self.counters: Counter[str] = Counter()
        self.tokens: Counter[str] = Counter()
        self.rows: list[dict[str, Any]] = []
        self.dedup = NearDuplicateIndex(threshold=config.dedup_threshold)
        self.relevance = RelevanceGate(config.min_relevance) if config.min_relevance is not None else None
        # The attempt indexes this run may use: range(n * factor), or a shard's span (run/shards.py).
        self.attempts = attempts if attempts is not None else range(config.n * config.max_attempts_factor)
        self.next_index = self.attempts.start
        self.backend_seconds = 0.0  # time inside the backend: the rest is synthgen's own overhead
        self.own_seconds = 0.0  # time spent in this feed's callbacks while the backend runs
        self.limit = self.attempts.stop
        self.inflight: list[_Attempt] = []
        self.redo: list[int] = []  # attempts in flight when an earlier session stopped
        # Start spare attempts beyond the n - rows still needed (see _spare); set by the caller for
        # streaming backends. Off for chunked backends, where a spare attempt costs a whole chunk.
        self.hedge = False
        self.dropped = 0  # attempts still in flight when the n-th row was accepted

    # ---- resume -------------------------------------------------------------------------
    def load(self, records: list[dict[str, Any]]) -> None:
        """Rebuild counters, dedup index and rows from journaled attempts."""
        for record in records:
            self._account(record)
            self.next_index = max(self.next_index, record["attempt"] + 1)
        journaled = {record["attempt"] for record in records}
        self.redo = [i for i in range(self.attempts.start, self.next_index) if i not in journaled]

    def _account(self, record: dict[str, Any]) -> None:
        replay(record, self.counters, self.tokens, self.dedup, self.rows)

    @property
    def rejected(self) -> int:
        return self.counters["attempts"] - self.counters["accepted"]

    # ---- main loop ----------------------------------------------------------------------
    def run(self) -> None:
        """Feed the backend until `n` rows are journaled (or the attempt limit is reached)."""
        cfg = self.config
        self.own_seconds = 0.0
        started = time.perf_counter()
        if len(self.rows) < cfg.n:
            run_feed(self.backend, self, width=cfg.batch_size)
        self.backend_seconds += time.perf_counter() - started - self.own_seconds
        if len(self.rows) < cfg.n:
            top = ", ".join(f"{k}={v}" for k, v in self._rejections().most_common(3))
            raise SynthgenError(
                f"gave up after {self.next_index - self.attempts.start} attempts with {len(self.rows)}/{cfg.n} rows "
                f"passing the gates (top rejections: {top}); rows so far are kept",
                exit_code=1,
            )

    def next_request(self) -> tuple[tuple[int, str], GenerationRequest] | None:
        """The next ready request: answers first, then user-turn retries, then a new attempt."""
        started = time.perf_counter()
        try:
            return self._next_request()
        finally:
            self.own_seconds += time.perf_counter() - started

    def _next_request(self):
        cfg = self.config
        if len(self.rows) >= cfg.n:
            return None
        for attempt in self.inflight:
            if attempt.score_wanted:  # a prefill that decides an attempt: before anything new
                part = attempt.score_wanted.pop(0)
                messages = self._messages(attempt.user)
                return (attempt.plan.index, f"score{part}"), self.relevance.request(messages, attempt.response, part)
        for attempt in self.inflight:
            if attempt.answer_wanted:
                attempt.answer_wanted = False
                return (attempt.plan.index, "answer"), self._answer_request(attempt.plan, attempt.user)
        for attempt in self.inflight:
            if attempt.user_wanted:
                attempt.user_wanted = False
                return (attempt.plan.index, "user"), self._user_request(attempt.plan, attempt.retry)
        if len(self.inflight) >= cfg.batch_size or len(self.rows) + len(self.inflight) >= cfg.n + self._spare():
            return None
        if self.redo:
            index = self.redo.pop(0)
        elif self.next_index < self.limit:
            index = self.next_index
            self.next_index += 1
        else:
            return None
        plan = make_plan(index, cfg.seed, cfg.method.value, cfg.magpie_share, self.topics)
        attempt = _Attempt(plan=plan, user_wanted=False)
        self.inflight.append(attempt)
        return (plan.index, "user"), self._user_request(plan, 0)

    def _spare(self) -> int:
        """Attempts to have in flight beyond the rows still needed: the rejections expected among
        them, from this run's acceptance rate so far, plus one.

        Spares hedge against rejections and slow answers: the run ends when the fastest n
        attempts are done. A spare for every slot (the earlier policy) keeps the batch full to the
        end, but many attempts are then dropped unfinished at the n-th row, and on a machine
        whose step costs about its width they cost their share of wall time. With expected
        rejections only, the batch narrows at the end (compacted: step_layout.py), which was
        faster end to end; without any spare the end waits for a fresh attempt after each late
        rejection, which was slower (figures: docs/architecture.md).
        The estimate uses decided attempts only, so a rerun reproduces it.
        """
        if not self.hedge:
            return 0
        need = self.config.n - len(self.rows)
        accept = (self.counters["accepted"] + 1) / (self.counters["attempts"] + 2)  # Laplace: 1/2 at first
        return math.ceil(need * (1 - accept) / accept) + 1

    def wanted(self, key: tuple[int, str]) -> bool:
        """Whether a request still matters: False once its attempt was dropped (the run has n rows)."""
        return any(a.plan.index == key[0] for a in self.inflight)

    def check_partial(self, key: tuple[int, str], text: str) -> str | None:
        """Stop an answer early once the gates would reject it at any length.

        A refusal shows in its first words (the gate is anchored at the start), and a repeated
        line stays repeated; only complete lines count (the last one may still grow), which keeps
        this exactly as strict as the final gate. Otherwise a loop runs on to max_tokens (with the
        embedded model ~5% of answers did, each costing as much as three kept answers) and a
        refusal to its end (~10% of answers, ~150 tokens each).
        """
        if key[1] != "answer":
            return None
        if is_refusal(text):
            return "response_refusal"
        if repeats_a_complete_line(text):
            return "response_repetition"
        return None

    def done(self, key: tuple[int, str], completion: Completion) -> None:
        """Record a finished request, then decide and journal what has become decidable."""
        started = time.perf_counter()
        try:
            self._done(key, completion)
        finally:
            self.own_seconds += time.perf_counter() - started

    def _done(self, key: tuple[int, str], completion: Completion) -> None:
        index, kind = key
        attempt = next((a for a in self.inflight if a.plan.index == index), None)
        if attempt is None:
            return  # the run already reached n; this attempt was discarded
        attempt.tokens.update(prompt=completion.prompt_tokens, completion=completion.completion_tokens)
        if kind == "user":
            attempt.instruction_tokens += completion.completion_tokens
            taken = take_user_turn(attempt, self.pre_query, completion)
            if taken is None:
                return  # asked again
            attempt.user, attempt.reason, attempt.user_final = *taken, True
        elif kind.startswith("score"):
            attempt.scores[int(kind[5:])] = completion
            if len(attempt.scores) == 2:
                attempt.relevance, attempt.reason = self.relevance.decide(attempt.scores[0], attempt.scores[1])
                attempt.scoring = False
        else:
            attempt.response_tokens = completion.completion_tokens
            if completion.finish_reason == "error":
                attempt.reason = "response_backend_error"
            elif completion.finish_reason == "aborted":
                attempt.reason = completion.error or "response_aborted"
            elif completion.finish_reason == "length":
                attempt.reason = "response_truncated"
            else:
                attempt.reason = check_text(completion.text, self.config.response_limits, "response")
                attempt.reason = attempt.reason or response_defect(completion.text)
            attempt.response = completion.text.strip()
            if attempt.reason is None and self.relevance is not None:
                attempt.scoring, attempt.score_wanted = True, [0, 1]  # decided once both are back
        self._check_final()
        self._journal_decided()

    def _check_final(self) -> None:
        """Gate and dedup the user turns that are final, in attempt order among them."""
        for attempt in self.inflight:
            if not attempt.user_final or attempt.checked:
                continue
            attempt.checked = True
            if attempt.reason is not None:
                continue
            reason = check_text(attempt.user, self.config.instruction_limits, "instruction")
            reason = reason or instruction_defect(attempt.user)
            if reason is None:
                reason = self.dedup.check(attempt.user)
                if reason is None:
                    self.dedup.add(attempt.user)
                    attempt.dedup_text = attempt.user
                    attempt.answer_wanted = True
            attempt.reason = reason

    def _journal_decided(self) -> None:
        """Journal every decided attempt; stop at the n-th accepted row."""
        records = []
        for attempt in [a for a in self.inflight if a.decided]:
            if len(self.rows) >= self.config.n:
                break
            self.inflight.remove(attempt)
            record = self._record(attempt)
            self._account(record)
            records.append(record)
        if len(self.rows) >= self.config.n:
            self.dropped += len(self.inflight)
            self.inflight.clear()  # attempts past the n-th acceptance are discarded, never journaled
        if records:
            self.journal.append(records)
            if self.progress is not None:
                self.progress.update(len(self.rows), self.tokens["completion"], self.rejected)

    def _rejections(self) -> Counter[str]:
        return Counter({k: v for k, v in self.counters.items() if k not in ("attempts", "accepted")})

    def _user_request(self, plan: Plan, retry: int) -> GenerationRequest:
        if plan.method == "magpie":
            return magpie_request(plan, self.pre_query, self.config.magpie_params)
        return self_instruct_request(plan, self.prompts, self.config.instruction_params, retry)

    def _messages(self, user: str) -> list[Message]:
        system = [Message(role="system", content=self.config.system_prompt)] if self.config.system_prompt else []
        return [*system, Message(role="user", content=user)]

    def _answer_request(self, plan: Plan, user: str) -> GenerationRequest:
        return GenerationRequest(
            messages=self._messages(user),
            params=self.config.response_params,
            seed=derive_seed(plan.seed, 0, "response"),
        )

    def _record(self, attempt: _Attempt) -> dict[str, Any]:
        messages = self._messages(attempt.user) if attempt.user is not None else None
        return attempt_record(attempt, messages, row_id(self.config.seed, attempt.plan.index, self.fingerprint))
