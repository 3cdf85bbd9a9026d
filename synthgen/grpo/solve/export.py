"""`--emit-sft` / `--emit-dpo`: datasets built from the journaled `--solve` attempts, no judge.

Correctness is the signal. SFT (rejection sampling): every distinct attempt the verifier scored
correct and that ended on its own (not cut at max tokens), as TRL conversational `messages` =
the row's prompt + that completion. DPO: per problem, correct attempts paired one-to-one with
wrong ones (answered-but-wrong first, then unparseable / no answer / truncated), in TRL's
explicit-prompt conversational form: `prompt` ends with the user turn, `chosen` / `rejected` are
assistant-only message lists.

Both are rebuilt from the journal at the end of the run, so a resumed run emits exactly what an
uninterrupted one would. Problems the --keep-pass-rate band rejected still contribute
(`in_grpo_dataset` = False says so): a problem every attempt solves is fine SFT data even though
it teaches GRPO nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasets import Features, List, Value

from synthgen.errors import SynthgenError
from synthgen.grpo.solve.card import render_emitted_card
from synthgen.run.folder import CARD, DATA_FILE, MANIFEST, RunFolder, now_iso
from synthgen.run.parquet import write_rows

_MESSAGES = List({"role": Value("string"), "content": Value("string")})
_PROVENANCE = {
    "problem_id": Value("string"),
    "family": Value("string"),
    "difficulty": Value("int64"),
    "answer": Value("string"),
    "verification": Value("string"),
    "pass_rate": Value("float64"),
    "pass_rate_k": Value("int64"),
    "in_grpo_dataset": Value("bool"),
    "source": Value("string"),
}
SFT_FEATURES = Features(
    {"messages": _MESSAGES, **_PROVENANCE, "attempt": Value("int64"), "seed": Value("int64"),
     "completion_tokens": Value("int64")}
)  # fmt: skip
DPO_FEATURES = Features(
    {"prompt": _MESSAGES, "chosen": _MESSAGES, "rejected": _MESSAGES, **_PROVENANCE,
     "chosen_attempt": Value("int64"), "rejected_attempt": Value("int64"), "chosen_seed": Value("int64"),
     "rejected_seed": Value("int64"), "rejected_reason": Value("string")}
)  # fmt: skip
EMIT_COMMAND = "emit"
_WRONG_ORDER = {"wrong": 0, "unparseable": 1, "no_answer": 2, "too_long": 3, "timeout": 4}


def check_emit_folder(path: Path, flag: str) -> None:
    """Refuse a target that exists and holds anything but an earlier synthgen emission."""
    if path.exists() and not path.is_dir():
        raise SynthgenError(f"{flag} exists and is not a directory: {path}")
    if path.is_dir() and any(path.iterdir()):
        manifest = RunFolder(path).read_manifest() or {}
        if manifest.get("command") != EMIT_COMMAND:
            raise SynthgenError(f"{flag} is a non-empty folder that synthgen did not emit: {path}")


def solved_problems(records: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[dict[str, Any]], bool]]:
    """(problem row, attempts, kept in the GRPO dataset) for every journaled slot that was solved."""
    out = []
    for record in records:
        attempts = record.get("attempts")
        row = record.get("row") or record.get("problem_row")
        if attempts and row and record.get("reason") not in ("bad_gold", "solve_error"):
            out.append((row, attempts, record["status"] == "accepted"))
    return out


def _provenance(row: dict[str, Any], kept: bool) -> dict[str, Any]:
    return {
        "problem_id": row["id"],
        "family": row["family"],
        "difficulty": row["difficulty"],
        "answer": row["answer"],
        "verification": row["verification"],
        "pass_rate": row["pass_rate"],
        "pass_rate_k": row.get("pass_rate_k"),
        "in_grpo_dataset": kept,
        "source": row["source"],
    }


def _usable_correct(attempts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Correct, self-terminated attempts, first of each distinct text."""
    seen: set[str] = set()
    good = []
    for a in attempts:
        if a["score"] == 1.0 and a["finish"] == "stop" and a["text"].strip() and a["text"] not in seen:
            seen.add(a["text"])
            good.append(a)
    return good


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def sft_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One SFT row per distinct verified-correct attempt, in slot then attempt order."""
    rows = []
    for row, attempts, kept in solved_problems(records):
        for a in _usable_correct(attempts):
            rows.append({
                "messages": [*row["prompt"], *_assistant(a["text"])], **_provenance(row, kept),
                "attempt": a["attempt"], "seed": a["seed"], "completion_tokens": a["tokens"],
            })  # fmt: skip
    return rows


def dpo_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """min(#correct, #wrong) pairs per problem; each attempt is used at most once."""
    rows = []
    for row, attempts, kept in solved_problems(records):
        wrong = sorted(
            (a for a in attempts if a["score"] == 0.0 and a["text"].strip()),
            key=lambda a: (_WRONG_ORDER.get(a["reason"], 9), a["attempt"]),
        )
        for chosen, rejected in zip(_usable_correct(attempts), wrong, strict=False):
            rows.append({
                "prompt": row["prompt"], "chosen": _assistant(chosen["text"]), "rejected": _assistant(rejected["text"]),
                **_provenance(row, kept), "chosen_attempt": chosen["attempt"], "rejected_attempt": rejected["attempt"],
                "chosen_seed": chosen["seed"], "rejected_seed": rejected["seed"], "rejected_reason": rejected["reason"],
            })  # fmt: skip
    return rows


def emit(kind: str, target: Path, records: list[dict[str, Any]], run_manifest: dict[str, Any]) -> dict[str, Any]:
    """Write the `kind` ("sft" | "dpo") dataset folder from journal records; return its size facts."""
    rows, features = (sft_rows(records), SFT_FEATURES) if kind == "sft" else (dpo_rows(records), DPO_FEATURES)
    folder = RunFolder(target)
    folder.check_writable()
    data = write_rows(folder.path, DATA_FILE, rows, features)
    manifest = {
        "command": EMIT_COMMAND,
        "kind": kind,
        "synthgen_version": run_manifest.get("synthgen_version"),
        "created": now_iso(),
        "emitted_from": str(Path(run_manifest.get("out", "")).resolve()) if run_manifest.get("out") else None,
        "run_fingerprint": run_manifest.get("fingerprint"),
        "run_command": run_manifest.get("command"),
        "config": run_manifest.get("config"),
        "model": run_manifest.get("model"),
        "solve": run_manifest.get("solve"),
        "rows": len(rows),
        "problems": len({r["problem_id"] for r in rows}),
        "data": data,
    }
    folder.write_json_atomic(MANIFEST, manifest)
    folder.write_text_atomic(CARD, render_emitted_card(manifest))
    return {"path": str(folder.path), "rows": len(rows), "problems": manifest["problems"]}


def solve_summary(records: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """Pass-rate histograms (all solved problems and the kept rows), verdict reasons, tokens."""
    all_rates: dict[str, int] = {f"{c}/{k}": 0 for c in range(k + 1)}
    kept_rates = dict(all_rates)
    reasons: dict[str, int] = {}
    attempts = tokens = truncated = 0
    for record in records:
        for a in record.get("attempts", []):
            attempts += 1
            tokens += a["tokens"]
            truncated += a["finish"] == "length"
            reasons[a["reason"]] = reasons.get(a["reason"], 0) + 1
    for _row, tries, kept in solved_problems(records):
        key = f"{round(sum(a['score'] for a in tries))}/{len(tries)}"
        all_rates[key] = all_rates.get(key, 0) + 1
        if kept:
            kept_rates[key] = kept_rates.get(key, 0) + 1
    return {
        "k": k,
        "problems_solved": sum(all_rates.values()),
        "attempts": attempts,
        "completion_tokens": tokens,
        "truncated_attempts": truncated,
        "verdicts": dict(sorted(reasons.items())),
        "pass_rate_histogram": all_rates,
        "pass_rate_histogram_kept": kept_rates,
    }


def histogram_line(histogram: dict[str, int]) -> str:
    """'0/4: 61 | 1/4: 20 | ...' for the CLI summary."""
    return " | ".join(f"{key}: {count}" for key, count in histogram.items())
