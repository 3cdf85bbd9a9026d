"""Time synthgen.rewards.accuracy_reward per completion over ~500 mixed completions.

    python benchmarks/reward_speed.py [--n 500] [--group 8]

Completions are built from real family rows (synthgen.problems): the gold in LaTeX, the gold in
plain form, wrong answers, hostile inputs and answerless text, in a fixed shuffled order. Two
figures: (a) TRL-style calls of --group completions (time per call / group size), the number that
matters in training; (b) one completion per call (round-trip latency floor). The first call,
which starts the worker (imports sympy), is reported separately and not counted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from synthgen.problems import FAMILIES, make_problem
from synthgen.rewards import accuracy_reward

HOSTILE = ["9**9**9**9", r"10^{10^{10}}", "__import__('os').system('true')", "100000!", r"\frac{1}{2", "x" * 299]


def _cases(n: int) -> list[tuple[str, dict]]:
    rows = []
    for fam in FAMILIES.values():
        for index in range(4):
            p = make_problem(fam, 11, index, 1 + index)
            if p:
                rows.append({"answer": p.answer, "solution": p.solution, "verification": p.verification_json()})
    rng = random.Random(0)
    cases = []
    while len(cases) < n:
        row = rng.choice(rows)
        kind = rng.random()
        if kind < 0.35:
            text = f"Reasoning... \\boxed{{{row['solution'].strip('$')}}}"
        elif kind < 0.55:
            text = f"So \\boxed{{{row['answer']}}}."
        elif kind < 0.8:
            text = f"\\boxed{{{row['answer']} + 1}}"
        elif kind < 0.9:
            text = f"\\boxed{{{rng.choice(HOSTILE)}}}"
        else:
            text = "I am not sure."
        cases.append(([{"role": "assistant", "content": text}], row))
    return cases


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--group", type=int, default=8)
    args = parser.parse_args()
    cases = _cases(args.n)

    def call(batch):
        return accuracy_reward(
            prompts=[None] * len(batch),
            completions=[c for c, _ in batch],
            answer=[r["answer"] for _, r in batch],
            solution=[r["solution"] for _, r in batch],
            verification=[r["verification"] for _, r in batch],
        )

    start = time.perf_counter()
    call(cases[:1])
    print(f"first call (worker start, sympy import): {1000 * (time.perf_counter() - start):.0f} ms")

    per_completion, scores = [], []
    for k in range(0, len(cases), args.group):
        batch = cases[k : k + args.group]
        start = time.perf_counter()
        scores += call(batch)
        per_completion.append((time.perf_counter() - start) / len(batch))
    single = []
    for case in cases:
        start = time.perf_counter()
        call([case])
        single.append(time.perf_counter() - start)
    ms = lambda v: f"{1000 * v:.2f} ms"  # noqa: E731
    print(f"{len(cases)} mixed completions, {sum(s == 1.0 for s in scores)} correct, "
          f"{sum(s is None for s in scores)} None")  # fmt: skip
    print(f"(a) calls of {args.group}: per completion median {ms(statistics.median(per_completion))}, "
          f"p99 {ms(_pct(per_completion, 0.99))}")  # fmt: skip
    print(f"(b) one per call:  per completion median {ms(statistics.median(single))}, p99 {ms(_pct(single, 0.99))}")


if __name__ == "__main__":
    main()
