"""The README's two set-up commands stay runnable and .ci/run keeps calling the test one."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [b.strip() for b in blocks[:2]]


def test_readme_opens_with_the_two_commands():
    run_cmd, test_cmd = readme_commands()
    assert "synthgen instructions --n" in run_cmd and "pip install" in run_cmd
    assert test_cmd.endswith("pytest") and "pip install" in test_cmd


def test_ci_runs_the_readme_test_command():
    _, test_cmd = readme_commands()
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert test_cmd in ci


def test_ruff_is_clean():
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "synthgen", "tests"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
