"""Can this judge model tell a better answer from a worse one? (run on demand, never in CI)

`synthgen preferences` keeps a pair only when the judge's rubric scores separate the two answers
and its A/B verdict prefers the same answer in both orders. This measures, with synthgen's own
judge prompts, grammars and sampling settings, how often a judge gets pairs right whose better
answer is known by construction:

- off_topic: a row's own answer against the answer to another row's prompt;
- truncated: a row's own answer against its first sentence only;
- refusal:   a row's own answer against a one-line refusal.

    python benchmarks/judge_quality.py                       # embedded model as judge, 16 rows
    python benchmarks/judge_quality.py --judge-model J.gguf --rows outputs/my-sft-run

Rows come from an `instructions` run folder (--rows), or are made with the embedded model first.
Reported per kind: pointwise (better score higher / tie / lower) and pairwise outcomes of the
two-order check (both orders prefer the better answer / both the worse / the orders disagree),
plus the share of A/B verdicts that said "A" (0.5 for a judge without position bias).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import datasets

import synthgen
from synthgen.backends.base import Message
from synthgen.backends.llama_batched import LlamaBatchedBackend
from synthgen.backends.model_convert import runnable_model
from synthgen.backends.model_file import embedded_model_path
from synthgen.dpo.config import PreferencesConfig
from synthgen.dpo.judge import pairwise_outcome, pairwise_request, parse_pairwise, parse_rubric, rubric_request
from synthgen.run.seeds import derive_seed
from synthgen.text.prompts import PromptSet

REFUSAL = "I'm sorry, but I can't help with that."
KINDS = ("off_topic", "truncated", "refusal")


def first_sentence(text: str) -> str | None:
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    return parts[0] if len(parts) >= 3 else None  # too short an answer makes no clear worse version


def make_cases(rows: list[dict]) -> list[tuple[str, list[Message], str, str]]:
    """(kind, prompt messages, better answer, worse answer) for every row and kind that applies."""
    cases = []
    for i, row in enumerate(rows):
        prompt, good = [Message(**m) for m in row["messages"][:-1]], row["messages"][-1]["content"]
        other = rows[(i + len(rows) // 2) % len(rows)]["messages"][-1]["content"]
        worse = {"off_topic": other if other != good else None, "truncated": first_sentence(good), "refusal": REFUSAL}
        cases += [(kind, prompt, good, worse[kind]) for kind in KINDS if worse[kind]]
    return cases


def judge(backend, cases, cfg: PreferencesConfig, prompts: PromptSet) -> dict:
    requests = []
    for c, (_, prompt, good, bad) in enumerate(cases):
        for answer in (good, bad):
            requests.append(rubric_request(prompts, prompt, answer, cfg.judge_params, derive_seed(c, len(requests))))
        params = cfg.judge_params.model_copy(update={"temperature": cfg.pairwise_temperature})
        for a, b in ((good, bad), (bad, good)):
            requests.append(pairwise_request(prompts, prompt, a, b, params, derive_seed(c, len(requests))))
    replies = backend.generate(requests)
    stats = {kind: Counter() for kind in KINDS}
    letters = Counter()
    for c, (kind, *_rest) in enumerate(cases):
        good, bad, first, second = replies[4 * c : 4 * c + 4]
        s_good, s_bad = parse_rubric(good), parse_rubric(bad)
        if s_good is None or s_bad is None:
            stats[kind]["pointwise_unparsed"] += 1
        else:
            gap = s_good.score - s_bad.score
            stats[kind]["pointwise_better" if gap > 0 else "pointwise_tie" if gap == 0 else "pointwise_worse"] += 1
        v1, v2 = parse_pairwise(first), parse_pairwise(second)
        if v1 is None or v2 is None:
            stats[kind]["pairwise_unparsed"] += 1
            continue
        letters.update([v1, v2])
        outcome = pairwise_outcome(v1, v2)
        stats[kind][
            {"chosen": "pairwise_better", "rejected": "pairwise_worse", "disagree": "pairwise_disagree"}[outcome]
        ] += 1
    return {"kinds": stats, "share_A": letters["A"] / max(1, sum(letters.values()))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--judge-model", type=Path, help="GGUF judge (default: the embedded model)")
    parser.add_argument("--rows", type=Path, help="an instructions run folder (default: make --n rows first)")
    parser.add_argument("--n", type=int, default=16, help="rows to use")
    parser.add_argument("--parallel", type=int, default=16)
    args = parser.parse_args()
    folder = args.rows
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="judge-bench-")) / "rows"
        synthgen.instructions(args.n, folder, progress=False)
    rows = datasets.load_dataset(str(folder), split="train").to_list()[: args.n]
    shipped = args.judge_model or embedded_model_path()
    run_file = runnable_model(shipped, "auto", embedded=args.judge_model is None)
    backend = LlamaBatchedBackend(run_file, parallel=args.parallel, source_path=shipped)
    cases = make_cases(rows)
    result = judge(backend, cases, PreferencesConfig(n=1, out=folder), PromptSet())
    print(f"judge: {shipped.name} (runs {run_file.name}); {len(rows)} rows, {len(cases)} known-order pairs")
    print("kind       | pointwise better/tie/worse/unparsed | pairwise both-better/both-worse/disagree/unparsed")
    for kind, c in result["kinds"].items():
        point = "/".join(str(c[f"pointwise_{k}"]) for k in ("better", "tie", "worse", "unparsed"))
        pair = "/".join(str(c[f"pairwise_{k}"]) for k in ("better", "worse", "disagree", "unparsed"))
        print(f"{kind:10} | {point:35} | {pair}")
    print(f'A/B verdicts that said "A": {result["share_A"]:.0%} (0.5 = no position bias)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
