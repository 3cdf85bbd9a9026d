"""The `instructions` run loop: plan attempts, write user turns, answer them, gate, journal.

Attempts are numbered 0, 1, 2, ... and each is seeded from (run seed, attempt index) alone. They
are generated a batch at a time (all user turns of a batch in one backend call, then all
answers), but decided and journaled strictly in attempt order, and dedup compares an instruction
only with instructions of earlier attempts. So which attempts become rows never depends on the
batch size or on where a run was interrupted, and a rerun resumes after the last journaled
attempt with exactly the state an uninterrupted run would have had.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from synthgen.backends.base import Backend, GenerationRequest, Message
from synthgen.config import InstructionsConfig
from synthgen.dedup import NearDuplicateIndex
from synthgen.errors import SynthgenError
from synthgen.gates import check_text
from synthgen.generators.instruction_writers import (
    Plan,
    magpie_request,
    make_plan,
    parse_magpie,
    parse_self_instruct,
    self_instruct_request,
)
from synthgen.journal import Journal
from synthgen.magpie import PreQuery
from synthgen.progress import Progress
from synthgen.prompts import PromptSet
from synthgen.seeds import derive_seed, row_id
from synthgen.sft_row import SFTRow
from synthgen.taxonomy import TOPICS

PARSE_RETRIES = 2


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
        self.next_index = 0

    # ---- resume -------------------------------------------------------------------------
    def load(self, records: list[dict[str, Any]]) -> None:
        """Rebuild counters, dedup index and rows from journaled attempts."""
        for record in records:
            self._account(record)
            self.next_index = max(self.next_index, record["attempt"] + 1)

    def _account(self, record: dict[str, Any]) -> None:
        self.counters["attempts"] += 1
        self.counters["accepted" if record["status"] == "accepted" else record["reason"]] += 1
        for key, value in record.get("events", {}).items():
            self.counters[key] += value
        self.tokens["prompt"] += record["tokens"]["prompt"]
        self.tokens["completion"] += record["tokens"]["completion"]
        if record.get("dedup_text") is not None:
            self.dedup.add(record["dedup_text"])
        if record["status"] == "accepted":
            self.rows.append(record["row"])

    @property
    def rejected(self) -> int:
        return self.counters["attempts"] - self.counters["accepted"]

    # ---- main loop ----------------------------------------------------------------------
    def run(self) -> None:
        cfg = self.config
        limit = cfg.n * cfg.max_attempts_factor
        while len(self.rows) < cfg.n:
            if self.next_index >= limit:
                top = ", ".join(f"{k}={v}" for k, v in self._rejections().most_common(3))
                raise SynthgenError(
                    f"gave up after {self.next_index} attempts with {len(self.rows)}/{cfg.n} rows "
                    f"passing the gates (top rejections: {top}); rows so far are kept",
                    exit_code=1,
                )
            size = min(cfg.batch_size, cfg.n - len(self.rows), limit - self.next_index)
            plans = [
                make_plan(i, cfg.seed, cfg.method.value, cfg.magpie_share, self.topics)
                for i in range(self.next_index, self.next_index + size)
            ]
            records = self.run_batch(plans)
            kept: list[dict[str, Any]] = []
            for record in records:
                if len(self.rows) >= cfg.n:
                    break  # attempts past the n-th acceptance are discarded, never journaled
                self._account(record)
                kept.append(record)
            self.journal.append(kept)
            self.next_index = kept[-1]["attempt"] + 1
            if self.progress is not None:
                self.progress.update(len(self.rows), self.tokens["completion"], self.rejected)

    def _rejections(self) -> Counter[str]:
        return Counter({k: v for k, v in self.counters.items() if k not in ("attempts", "accepted")})

    def run_batch(self, plans: list[Plan]) -> list[dict[str, Any]]:
        """Generate and decide a batch of attempts; returns one record per plan, in order."""
        cfg = self.config
        state = {p.index: {"tokens": Counter(), "events": Counter()} for p in plans}
        users = self._write_user_turns(plans, state)
        # Gate and dedup user turns in attempt order (dedup sees earlier attempts only).
        to_answer: list[Plan] = []
        for plan in plans:
            st = state[plan.index]
            if st.get("reason") is None:
                reason = check_text(users[plan.index], cfg.instruction_limits, "instruction")
                if reason is None:
                    reason = self.dedup.check(users[plan.index])
                    if reason is None:
                        self.dedup.add(users[plan.index])
                        st["dedup_text"] = users[plan.index]
                        to_answer.append(plan)
                st["reason"] = reason
        answers = self.backend.generate([self._answer_request(p, users[p.index]) for p in to_answer])
        for plan, completion in zip(to_answer, answers, strict=True):
            st = state[plan.index]
            st["tokens"].update(prompt=completion.prompt_tokens, completion=completion.completion_tokens)
            if completion.finish_reason == "error":
                st["reason"] = "response_backend_error"
            elif completion.finish_reason == "length":
                st["reason"] = "response_truncated"
            else:
                st["reason"] = check_text(completion.text, cfg.response_limits, "response")
            st["response"] = completion.text.strip()
            st["response_tokens"] = completion.completion_tokens
        return [self._record(plan, users.get(plan.index), state[plan.index]) for plan in plans]

    def _write_user_turns(self, plans: list[Plan], state: dict) -> dict[int, str]:
        """User turns per attempt; self-instruct JSON that fails to parse is retried."""
        users: dict[int, str] = {}
        pending = list(plans)
        for retry in range(PARSE_RETRIES + 1):
            if not pending:
                break
            requests = [self._user_request(p, retry) for p in pending]
            completions = self.backend.generate(requests)
            still: list[Plan] = []
            for plan, completion in zip(pending, completions, strict=True):
                st = state[plan.index]
                st["tokens"].update(prompt=completion.prompt_tokens, completion=completion.completion_tokens)
                st["instruction_tokens"] = st.get("instruction_tokens", 0) + completion.completion_tokens
                if plan.method == "magpie":
                    user, reason = parse_magpie(self.pre_query, completion)
                else:
                    user, reason = parse_self_instruct(plan, completion)
                if reason == "instruction_unparseable" and retry < PARSE_RETRIES:
                    st["events"]["instruction_parse_retries"] += 1
                    still.append(plan)
                    continue
                st["reason"] = reason
                if user is not None:
                    users[plan.index] = user
            pending = still
        return users

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

    def _record(self, plan: Plan, user: str | None, st: dict) -> dict[str, Any]:
        record: dict[str, Any] = {
            "attempt": plan.index,
            "seed": plan.seed,
            "method": plan.method,
            "status": "rejected" if st.get("reason") else "accepted",
            "reason": st.get("reason"),
            "dedup_text": st.get("dedup_text"),
            "tokens": {"prompt": st["tokens"]["prompt"], "completion": st["tokens"]["completion"]},
            "events": dict(st["events"]),
        }
        if record["status"] == "accepted":
            messages = [*self._messages(user), Message(role="assistant", content=st["response"])]
            record["row"] = SFTRow(
                messages=messages,
                id=row_id(self.config.seed, plan.index, self.fingerprint),
                method=plan.method,
                topic=plan.topic,
                task_type=plan.task.name if plan.task else None,
                seed=plan.seed,
                attempt=plan.index,
                instruction_tokens=st.get("instruction_tokens", 0),
                response_tokens=st.get("response_tokens", 0),
            ).model_dump(mode="json")
        elif user is not None:
            record["instruction"] = user  # kept for audit of rejected attempts
        return record
