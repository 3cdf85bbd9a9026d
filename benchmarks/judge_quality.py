"""Can this judge tell a better answer from a worse one? Every judge, on pairs of known order.

`synthgen preferences` keeps a pair only when its judge's rules pass (dpo/verdict.py) and, with
the LLM judge, when its A/B verdict prefers the same answer in both orders. This measures those
exact rules, with synthgen's own prompts, grammars, scoring requests and sampling settings, on
pairs whose better answer is known by construction:

- off_topic:  a row's own answer against the answer to another row's prompt;
- truncated:  a row's own answer against its first sentence only;
- refusal:    a row's own answer against a one-line refusal;
- word_salad: a row's own answer against the same words shuffled;
- non_answer: a row's own answer against "I'm ready to assist you. What can I help you with today?".

    python benchmarks/judge_quality.py                        # embedded model, 32 fresh rows (seed 1)
    python benchmarks/judge_quality.py --judge-model J.gguf --rows outputs/my-sft-run

Rows come from an `instructions` run folder (--rows), or are made with the embedded model first
(--seed 1 by default: not the rows the likelihood weights were chosen on, docs/benchmarks.md).
Reported per judge and kind: the share right among the pairs the judge kept, and the share kept.
"""

from __future__ import annotations

import argparse
import random
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
from synthgen.dpo.attempt import Candidate
from synthgen.dpo.config import JudgeKind, PreferencesConfig
from synthgen.dpo.controls import first_sentence
from synthgen.dpo.judge import pairwise_outcome, pairwise_request, parse_pairwise, parse_rubric, rubric_request
from synthgen.dpo.verdict import pair_verdict
from synthgen.run.seeds import derive_seed
from synthgen.text.likelihood import signal_requests, signals_from
from synthgen.text.prompts import PromptSet

REFUSAL = "I'm sorry, but I can't help with that."
NON_ANSWER = "I'm ready to assist you. What can I help you with today?"
KINDS = ("off_topic", "truncated", "refusal", "word_salad", "non_answer")
JUDGES = (JudgeKind.llm, JudgeKind.likelihood, JudgeKind.both)


def make_cases(rows: list[dict]) -> list[tuple[str, list[Message], str, str]]:
    """(kind, prompt messages, better answer, worse answer) for every row and kind that applies."""
    cases = []
    for i, row in enumerate(rows):
        prompt, good = [Message(**m) for m in row["messages"][:-1]], row["messages"][-1]["content"]
        other = rows[(i + len(rows) // 2) % len(rows)]["messages"][-1]["content"]
        words = good.split()
        random.Random(i).shuffle(words)
        worse = {
            "off_topic": other,
            "truncated": first_sentence(good),
            "refusal": REFUSAL,
            "word_salad": " ".join(words),
            "non_answer": NON_ANSWER,
        }
        cases += [(kind, prompt, good, worse[kind]) for kind in KINDS if worse[kind] and worse[kind] != good]
    return cases


def judge_answers(backend, cases, cfg: PreferencesConfig, prompts: PromptSet) -> list[tuple[Candidate, Candidate]]:
    """Both answers of every case judged every way (rubric and likelihood signals), as Candidates."""
    requests = []
    for c, (_, prompt, good, bad) in enumerate(cases):
        for k, answer in enumerate((good, bad)):
            requests.append(rubric_request(prompts, prompt, answer, cfg.judge_params, derive_seed(c, k)))
            requests += signal_requests(prompt, answer)
    replies = backend.generate(requests)
    judged = []
    for c, (_, _, good, bad) in enumerate(cases):
        pair = []
        for k, answer in enumerate((good, bad)):
            rubric, cond, uncond = replies[6 * c + 3 * k : 6 * c + 3 * k + 3]
            cand = Candidate(index=k, principle="benchmark", temperature=0.0, seed=0, text=answer)
            cand.scores, cand.signals = parse_rubric(rubric), signals_from(cond, uncond)
            pair.append(cand)
        judged.append(tuple(pair))
    return judged


def ab_checks(backend, cases, judged, cfg: PreferencesConfig, prompts: PromptSet, wanted: list[int]) -> dict:
    """The two-order A/B outcome ("chosen" = the judge's preferred answer won both) of the cases in `wanted`."""
    params = cfg.judge_params.model_copy(update={"temperature": cfg.pairwise_temperature})
    requests = []
    for c in wanted:
        winner, loser = judged[c]
        for order, (a, b) in enumerate(((winner.text, loser.text), (loser.text, winner.text))):
            requests.append(pairwise_request(prompts, cases[c][1], a, b, params, derive_seed(c, 10 + order)))
    replies = backend.generate(requests)
    outcomes = {}
    for j, c in enumerate(wanted):
        v1, v2 = parse_pairwise(replies[2 * j]), parse_pairwise(replies[2 * j + 1])
        outcomes[c] = "unparsed" if v1 is None or v2 is None else pairwise_outcome(v1, v2)
    return outcomes


def evaluate(backend, cases, judged, kind: JudgeKind, folder: Path, prompts: PromptSet) -> dict[str, Counter]:
    """Per case kind: right / wrong among kept pairs, and dropped, with this judge's exact rules."""
    cfg = PreferencesConfig(n=1, out=folder, judge=kind)
    stats = {k: Counter() for k in KINDS}
    sides = {}
    for c, (good, bad) in enumerate(judged):
        if (kind != JudgeKind.likelihood and (good.scores is None or bad.scores is None)) or (
            kind != JudgeKind.llm and (good.signals is None or bad.signals is None)
        ):
            stats[cases[c][0]]["dropped"] += 1
            continue
        side, _ = pair_verdict(cfg, good, bad)
        if side is None:
            stats[cases[c][0]]["dropped"] += 1
        else:
            sides[c] = side
    if kind != JudgeKind.likelihood:  # the A/B check on the judge's preferred order
        oriented = {c: judged[c] if side == "a" else judged[c][::-1] for c, side in sides.items()}
        outcomes = ab_checks(backend, cases, oriented, cfg, prompts, sorted(sides))
        for c, outcome in outcomes.items():
            if outcome != "chosen":
                stats[cases[c][0]]["dropped"] += 1
                del sides[c]
    for c, side in sides.items():
        stats[cases[c][0]]["right" if side == "a" else "wrong"] += 1
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--judge-model", type=Path, help="GGUF judge (default: the embedded model)")
    parser.add_argument("--rows", type=Path, help="an instructions run folder (default: make --n rows first)")
    parser.add_argument("--n", type=int, default=32, help="rows to use")
    parser.add_argument("--seed", type=int, default=1, help="seed of the rows made when --rows is not given")
    parser.add_argument("--parallel", type=int, default=16)
    args = parser.parse_args()
    folder = args.rows
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="judge-bench-")) / "rows"
        synthgen.instructions(args.n, folder, seed=args.seed, progress=False)
    rows = datasets.load_dataset(str(folder), split="train").to_list()[: args.n]
    shipped = args.judge_model or embedded_model_path()
    run_file = runnable_model(shipped, "auto", embedded=args.judge_model is None)
    backend = LlamaBatchedBackend(run_file, parallel=args.parallel, source_path=shipped)
    prompts = PromptSet()
    cases = make_cases(rows)
    judged = judge_answers(backend, cases, PreferencesConfig(n=1, out=folder), prompts)
    print(f"judge: {shipped.name} (runs {run_file.name}); {len(rows)} rows, {len(cases)} known-order pairs")
    print(f"{'judge':10} | {'kind':10} | right among kept | kept")
    for kind in JUDGES:
        stats = evaluate(backend, cases, judged, kind, folder, prompts)
        total = sum(stats.values(), Counter())
        for name, c in [*stats.items(), ("all", total)]:
            kept = c["right"] + c["wrong"]
            count = kept + c["dropped"]
            right = f"{c['right']}/{kept} ({100 * c['right'] / kept:.0f}%)" if kept else "n/a"
            share = f"{kept}/{count} ({100 * kept / count:.0f}%)" if count else "n/a"
            print(f"{kind.value:10} | {name:10} | {right:16} | {share}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
