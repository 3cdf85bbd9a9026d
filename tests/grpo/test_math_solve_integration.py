"""`synthgen math --solve` on the real embedded model, through the CLI in a subprocess (small n).

What only the real model shows: the llama.cpp engine takes the batched attempts, its answers go
through the reward's verifier, and the three folders (GRPO rows, SFT traces, DPO pairs) load.
Correctness of every emitted row is re-checked here with synthgen.verify, independently of the run.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from cli_helpers import SYNTHGEN

from synthgen.verify import check_answer, extract_final_answer

pytestmark = pytest.mark.slow


def test_cli_solve_2_stores_half_step_pass_rates_and_emits_loadable_folders(tmp_path):
    from datasets import load_dataset

    out, sft_dir, dpo_dir = tmp_path / "run", tmp_path / "sft", tmp_path / "dpo"
    args = [
        "math", "--n", "4", "--solve", "2", "--families", "arithmetic", "--difficulty", "1",
        "--out", str(out), "--emit-sft", str(sft_dir), "--emit-dpo", str(dpo_dir), "--quiet",
    ]  # fmt: skip
    proc = subprocess.run([SYNTHGEN, *args], capture_output=True, text=True, cwd=tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert "pass rates (all solved problems)" in proc.stdout
    rows = load_dataset(str(out), split="train").to_list()
    assert len(rows) == 4
    assert all(r["pass_rate"] in (0.0, 0.5, 1.0) and r["pass_rate_k"] == 2 for r in rows)
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["model"]["embedded"] is True and meta["solve"]["attempts"] == 8
    records = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    for record in records:
        row = record["row"]
        scores = [a["score"] for a in record["attempts"]]
        assert row["pass_rate"] == sum(scores) / 2
        for attempt in record["attempts"]:  # the journaled verdict is what the verifier says
            answer = extract_final_answer(attempt["text"])
            expected = 0.0 if answer is None else check_answer(answer, row["verification"]).score
            assert attempt["score"] == expected
    correct = sum(a["score"] == 1.0 and a["finish"] == "stop" for r in records for a in r["attempts"])
    wrong = sum(a["score"] == 0.0 for r in records for a in r["attempts"])
    emitted = {kind: json.loads((d / "manifest.json").read_text()) for kind, d in (("sft", sft_dir), ("dpo", dpo_dir))}
    assert 0 < emitted["sft"]["rows"] <= correct or emitted["sft"]["rows"] == correct == 0
    assert emitted["dpo"]["rows"] <= min(correct, wrong)
    # `datasets` cannot load an empty split: a 135M model often solves nothing, so load what exists
    sft = load_dataset(str(sft_dir), split="train").to_list() if emitted["sft"]["rows"] else []
    dpo = load_dataset(str(dpo_dir), split="train").to_list() if emitted["dpo"]["rows"] else []
    assert len(sft) == emitted["sft"]["rows"] and len(dpo) == emitted["dpo"]["rows"]
    if not sft:
        assert "0 rows (no attempt qualified)" in proc.stdout
        assert "This emission is empty" in (sft_dir / "README.md").read_text()
    for row in sft:
        answer = extract_final_answer(row["messages"][-1]["content"])
        assert check_answer(answer, row["verification"]).score == 1.0
    for row in dpo:
        assert check_answer(extract_final_answer(row["chosen"][0]["content"]), row["verification"]).score == 1.0
        rejected = extract_final_answer(row["rejected"][0]["content"])
        assert rejected is None or check_answer(rejected, row["verification"]).score == 0.0
    for folder in (sft_dir, dpo_dir):
        assert (folder / "README.md").read_text().startswith("---\n")
