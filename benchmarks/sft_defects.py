"""Share of an `instructions` run's rows that show a defect at a glance (run on demand):

    python benchmarks/sft_defects.py RUN_FOLDER [--show K]

It reads the rows under RUN_FOLDER/data/ (parquet) and counts, per row, the defects the SFT gates
look for (synthgen/text/gates.py, the same functions the run applies):

- template_residue: `{{input}}`, `${topic}`, `"instruction":` or a lone brace in the user turn;
- placeholder: a blank left to fill, `[industry]`, `[Your Name]`, `<placeholder>`;
- format_talk: the user turn echoes the self-instruct template or talks about the reply format
  ("Reply with JSON only", "the instruction must ...", "no empty strings");
- non_answer: the answer only offers help or asks for the input ("How can I help you today?").

Gates can only catch what they are written for, so it also counts, independently, a wider net of
looser patterns (`loose_*`: any brace or bracketed words, any mention of JSON, fields, "the
instruction" or an AI assistant, a short answer that ends on a question or asks for input).
These over-count on purpose: read their examples (`--show K`) to find what the gates miss. A
run made before the gates existed shows what they would have rejected; a run made with them
should show close to none. The manifest's counters give the share of attempts the gates
rejected, and its timing the rows per minute.

    python benchmarks/sft_defects.py RUN_FOLDER --score [--model M.gguf]

also scores every row's answer with a model (the embedded one by default), as `--min-relevance`
does, and prints the share of rows each threshold would reject, so a threshold can be chosen on
rows already made.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from synthgen.text.gates import has_template_residue, is_non_answer, placeholders, talks_about_format

GATE_KINDS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "template_residue": ("user", has_template_residue),
    "placeholder": ("user", lambda text: bool(placeholders(text))),
    "format_talk": ("user", talks_about_format),
    "non_answer": ("assistant", is_non_answer),
}
LOOSE = {
    "loose_braces": ("user", re.compile(r"[{}]|\$\{|<\|")),
    "loose_brackets": ("user", re.compile(r"\[[A-Za-z][^\]\n]{0,40}\](?!\()|<[A-Za-z][^<>\n]{0,30}>|_{3,}|\bX{3}\b")),
    "loose_format": (
        "user",
        re.compile(r"\bjson\b|\binstructions?\b|\bfields?\b|\bAI assistant\b|\boutput format\b", re.I),
    ),
    "loose_non_answer": (
        "assistant",
        re.compile(r"^(?=.{0,240}$).*(?:\?\s*$|help you|assist you|please (?:provide|share))", re.I | re.S),
    ),
}
NEW_GATES = (
    "instruction_template_residue",
    "instruction_placeholder",
    "instruction_format_talk",
    "response_non_answer",
    "response_low_relevance",
)


def read_rows(run: Path) -> list[dict]:
    files = sorted((run / "data").glob("*.parquet"))
    if not files:
        sys.exit(f"no parquet files under {run / 'data'}")
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def turns(row: dict) -> dict[str, str]:
    """The last user turn and the last assistant turn of a row."""
    found: dict[str, str] = {}
    for message in row["messages"]:
        found[message["role"]] = message["content"]
    return found


def defects(row: dict) -> dict[str, bool]:
    """Every kind (gate and loose) -> whether this row shows it."""
    text = turns(row)
    found = {kind: check(text.get(role, "")) for kind, (role, check) in GATE_KINDS.items()}
    found.update({kind: bool(pattern.search(text.get(role, ""))) for kind, (role, pattern) in LOOSE.items()})
    return found


def run_facts(run: Path) -> list[str]:
    """Rows per minute and the share of attempts the defect gates rejected, from the manifest."""
    path = run / "manifest.json"
    if not path.exists():
        return []
    manifest = json.loads(path.read_text())
    counters, timing = manifest.get("counters", {}), manifest.get("timing", {})
    attempts = max(1, counters.get("attempts", 0))
    lines = []
    wall = timing.get("wall_s") or 0
    if wall:
        lines.append(f"rows/min: {60 * manifest.get('rows', 0) / wall:.1f} ({manifest.get('rows')} rows, {wall} s)")
    rejected = {k: counters.get(k, 0) for k in NEW_GATES}
    total = sum(rejected.values())
    lines.append(
        f"attempts: {counters.get('attempts', 0)}; rejected by the defect gates: {total} ({total / attempts:.1%})"
    )
    lines += [f"  {k}: {v} ({v / attempts:.1%})" for k, v in rejected.items() if v]
    return lines


THRESHOLDS = (-0.5, 0.0, 0.25, 0.5, 1.0)


def relevances(rows: list[dict], model: str | None) -> list[float | None]:
    """Each row's answer relevance (text/likelihood.py), or None where scoring failed."""
    from synthgen.backends.base import Message
    from synthgen.backends.open import open_backend
    from synthgen.text.likelihood import signal_requests, signals_from

    backend = open_backend(model, 16)
    requests = []
    for row in rows:
        messages = [Message(**m) for m in row["messages"]]
        requests += signal_requests(messages[:-1], messages[-1].content)
    done = backend.generate(requests)
    signals = [signals_from(done[2 * i], done[2 * i + 1]) for i in range(len(rows))]
    return [None if s is None else round(s.relevance, 4) for s in signals]


def report_relevance(rows: list[dict], found: list[dict[str, bool]], scores: list[float | None], show: int) -> None:
    scored = [s for s in scores if s is not None]
    print(f"relevance: {len(scored)} of {len(rows)} answers scored")
    for threshold in THRESHOLDS:
        below = sum(s < threshold for s in scored)
        print(f"  --min-relevance {threshold:5.2f} would reject {below:4d} ({below / max(1, len(scored)):.1%})")
    for label, flagged in (("with a gate defect", True), ("without", False)):
        group = [
            s for s, f in zip(scores, found, strict=True) if s is not None and any(f[k] for k in GATE_KINDS) == flagged
        ]
        if group:
            print(f"  mean relevance of rows {label}: {sum(group) / len(group):.3f} ({len(group)} rows)")
    ranked = sorted((s, i) for i, s in enumerate(scores) if s is not None)[:show]
    for score, i in ranked:
        text = turns(rows[i])
        print(f"\n--- relevance {score} (attempt {rows[i]['attempt']}, {rows[i]['method']})")
        print("USER:", text.get("user", "")[:300].replace("\n", " / "))
        print("ANSWER:", text.get("assistant", "")[:300].replace("\n", " / "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="an `instructions` run folder")
    parser.add_argument("--show", type=int, default=0, metavar="K", help="print up to K examples of each kind")
    parser.add_argument("--score", action="store_true", help="also score each answer's relevance with a model")
    parser.add_argument("--model", default=None, help="the GGUF model to score with (default: the embedded one)")
    args = parser.parse_args()
    rows = read_rows(args.run)
    found = [defects(row) for row in rows]
    n = len(rows)
    print(f"{args.run}: {n} rows")
    for line in run_facts(args.run):
        print(line)
    for kind in [*GATE_KINDS, *LOOSE]:
        hits = sum(f[kind] for f in found)
        print(f"{kind:>18}: {hits:4d} ({hits / n:.1%})")
    gated = sum(any(f[k] for k in GATE_KINDS) for f in found)
    loose = sum(any(f.values()) for f in found)
    print(f"{'any gate defect':>18}: {gated:4d} ({gated / n:.1%})")
    print(f"{'any incl. loose':>18}: {loose:4d} ({loose / n:.1%})")
    for kind in [*GATE_KINDS, *LOOSE] if args.show else []:
        examples = [row for row, f in zip(rows, found, strict=True) if f[kind]][: args.show]
        for row in examples:
            text = turns(row)
            print(f"\n--- {kind} (attempt {row['attempt']}, {row['method']}, {row.get('task_type')})")
            print("USER:", text.get("user", "")[:400].replace("\n", " / "))
            print("ANSWER:", text.get("assistant", "")[:300].replace("\n", " / "))
    if args.score:
        report_relevance(rows, found, relevances(rows, args.model), args.show)


if __name__ == "__main__":
    main()
