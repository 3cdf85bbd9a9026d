"""The `--solve K` pipeline stage: the model attempts every problem K times; the reward scores them.

One stage batch (all candidates of a loop batch, K requests each) goes to the backend in ONE
`generate` call, so the batched engine keeps its slots full; all completions are then scored in
one round trip through `synthgen.rewards.score_completions`, the very code behind
`accuracy_reward`, so a pass rate here is the mean reward GRPO would compute for that prompt.

Determinism: attempt k of a problem is sampled with seed sha256(f"{run_seed}|{problem id}|{k}"),
so it does not depend on the slot, the batch or the order of requests. Every attempt (text,
verdict, finish reason, tokens, seed) is journaled with its slot, accepted or not, which is
what lets `--emit-sft` / `--emit-dpo` be rebuilt from the journal after any resume.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from synthgen.backends.base import Backend, GenerationRequest, Message
from synthgen.grpo.loop import Candidate
from synthgen.grpo.row import problem_row
from synthgen.grpo.solve.options import SolveOptions
from synthgen.rewards import score_completions


def attempt_seed(run_seed: int, problem_id: str, attempt: int) -> int:
    """The sampler seed of one attempt: a pure function of the run seed, problem and attempt index."""
    return int(hashlib.sha256(f"{run_seed}|{problem_id}|{attempt}".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF


class SolveStage:
    """Attempts, scores, annotates pass rates and (with a band) rejects out-of-band problems."""

    name = "solve"

    def __init__(self, backend: Backend, options: SolveOptions, run_seed: int):
        self.backend, self.options, self.run_seed = backend, options, run_seed
        self.filters = options.band is not None  # without a band only a broken slot is ever rejected
        self.backend_seconds = 0.0

    def requests(self, candidate: Candidate) -> list[GenerationRequest]:
        row = problem_row(candidate.problem)
        messages = [Message(**m) for m in row["prompt"]]
        params = self.options.sampling()
        return [
            GenerationRequest(messages=messages, params=params, seed=attempt_seed(self.run_seed, row["id"], k))
            for k in range(self.options.k)
        ]

    def process(self, batch: list[Candidate]) -> None:
        if not batch:
            return
        k = self.options.k
        requests = [r for c in batch for r in self.requests(c)]
        started = time.monotonic()
        completions = self.backend.generate(requests)
        self.backend_seconds += time.monotonic() - started
        rows = [problem_row(c.problem) for c in batch for _ in range(k)]
        verdicts = score_completions(
            [c.text for c in completions],
            answer=[r["answer"] for r in rows],
            verification=[r["verification"] for r in rows],
            solution=[r["solution"] for r in rows],
        )
        for i, candidate in enumerate(batch):
            span = range(i * k, (i + 1) * k)
            attempts = [_attempt(j - i * k, requests[j], completions[j], verdicts[j]) for j in span]
            candidate.extra["attempts"] = attempts
            if any(a["reason"] == "bad_gold" for a in attempts):
                candidate.reason = "bad_gold"  # a generator bug: never score a row against a broken gold
            elif any(a["finish"] == "error" for a in attempts):
                candidate.reason = "solve_error"  # e.g. the prompt does not fit the context: no measurement
            else:
                candidate.pass_rate = sum(a["score"] for a in attempts) / k
                candidate.pass_rate_k = k
                candidate.reason = self.options.keeps(candidate.pass_rate)
            if candidate.reason is not None:  # emitters still read the attempts of a rejected slot
                row = problem_row(candidate.problem, candidate.pass_rate, candidate.pass_rate_k)
                candidate.extra["problem_row"] = row


def _attempt(index: int, request: GenerationRequest, completion: Any, verdict: Any) -> dict[str, Any]:
    return {
        "attempt": index,
        "seed": request.seed,
        "text": completion.text,
        "finish": completion.finish_reason,
        "tokens": completion.completion_tokens,
        "score": 0.0 if verdict is None else verdict.score,
        "reason": "bad_gold" if verdict is None else verdict.reason,
        **({"error": completion.error} if completion.error else {}),
    }
