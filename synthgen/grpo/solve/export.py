"""`--emit-sft` / `--emit-dpo`: datasets built from the journaled `--solve` attempts, no judge.

The rows themselves are built in rows.py (correct attempts for SFT, correct vs wrong for DPO).
Both are rebuilt from the journal at the end of the run, so a resumed run emits exactly what an
uninterrupted one would. Problems the --keep-pass-rate band rejected still contribute
(`in_grpo_dataset` = False says so): a problem every attempt solves is fine SFT data even though
it teaches GRPO nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthgen.errors import SynthgenError
from synthgen.grpo.solve.card import render_emitted_card
from synthgen.grpo.solve.rows import DPO_FEATURES, SFT_FEATURES, dpo_rows, sft_rows, solved_problems
from synthgen.run.folder import CARD, MANIFEST, RunFolder, now_iso

EMIT_COMMAND = "emit"


def check_emit_folder(path: Path, flag: str) -> None:
    """Refuse a target that exists and holds anything but an earlier synthgen emission."""
    if path.exists() and not path.is_dir():
        raise SynthgenError(f"{flag} exists and is not a directory: {path}")
    if path.is_dir() and any(path.iterdir()):
        manifest = RunFolder(path).read_manifest() or {}
        if manifest.get("command") != EMIT_COMMAND:
            raise SynthgenError(f"{flag} is a non-empty folder that synthgen did not emit: {path}")


def emit(kind: str, target: Path, records: list[dict[str, Any]], run_manifest: dict[str, Any]) -> dict[str, Any]:
    """Write the `kind` ("sft" | "dpo") dataset folder from journal records; return its size facts."""
    rows, features = (sft_rows(records), SFT_FEATURES) if kind == "sft" else (dpo_rows(records), DPO_FEATURES)
    folder = RunFolder(target)
    folder.check_writable()
    # The manifest goes first: a kill while the Parquet is written must leave a folder that the
    # rerun's check_emit_folder knows as an emission, not one it refuses as someone else's.
    folder.write_json_atomic(MANIFEST, {"command": EMIT_COMMAND, "kind": kind, "data": None})
    data = folder.write_parquet(rows, features)
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
