"""`synthgen math --source model` and `--word-problems` on the REAL embedded 135M model, via the CLI.

The 135M model almost never writes a problem that survives every check (measured in the README),
so these tests do not demand rows. They demand what must hold either way: the run ends cleanly
(rows complete -> exit 0 and `synthgen verify` passes; model given up -> exit 1 with one line),
every attempt is accounted for under a counted reason, and every row it kept verifies.
"""

from __future__ import annotations

import subprocess

import pytest
from cli_helpers import SYNTHGEN
from conftest import journal_records, manifest

from synthgen.verify import check_gold

pytestmark = pytest.mark.slow

ATTEMPTS = 16  # one batch: the run either completes or gives up at --max-attempts


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SYNTHGEN, "math", *args], capture_output=True, text=True, timeout=1800)


def check_accounted(out, proc, what: str) -> float:
    """Assert the run's outcome is clean and fully counted; return its acceptance rate."""
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    counters = manifest(out)["counters"]
    model = counters["model_source"]
    assert model["attempts"] == counters["slots"] - counters["rejected_slots"].get("exhausted", 0)
    assert sum(counters["rejected_slots"].values()) + counters["accepted"] == counters["slots"]
    accepted = [r for r in journal_records(out) if r["status"] == "accepted"]
    assert len(accepted) == counters["accepted"] == model["accepted"]
    for record in accepted:
        assert check_gold(record["row"]).reason == "correct", record
    if proc.returncode == 0:
        verify = subprocess.run([SYNTHGEN, "verify", str(out)], capture_output=True, text=True, timeout=600)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert manifest(out)["rows"] == 3
    else:
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"synthgen: error: {what}: ")
        assert f"of {model['attempts']} accepted" in lines[0]
        assert model["attempts"] == ATTEMPTS and manifest(out)["status"] == "incomplete"
    rate = model["accepted"] / model["attempts"]
    print(f"{what}: {model['accepted']}/{model['attempts']} accepted; reasons {counters['rejected_slots']}")
    return rate


def test_source_model_on_the_embedded_model(tmp_path):
    out = tmp_path / "model"
    proc = run_cli("--n", "3", "--source", "model", "--max-attempts", str(ATTEMPTS), "--out", str(out), "--quiet")
    check_accounted(out, proc, "model proposals")
    records = journal_records(out)
    assert all(r["family"].startswith("model.") and r["provenance"]["proposal"] for r in records)


def test_word_problems_on_the_embedded_model(tmp_path):
    out = tmp_path / "word"
    proc = run_cli("--n", "3", "--word-problems", "--families", "alg.linear_1d,arith.rational_chain",
                   "--max-attempts", str(ATTEMPTS), "--out", str(out), "--quiet")  # fmt: skip
    check_accounted(out, proc, "word-problem rewrites")
    records = journal_records(out)
    assert {r["family"] for r in records} <= {"alg.linear_1d", "arith.rational_chain"}
    assert all(r["provenance"]["kind"] == "word_problem" for r in records if r["reason"] != "exhausted")
