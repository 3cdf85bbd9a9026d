"""Running the installed `synthgen` console script the way a user does, and checking its errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

SYNTHGEN = shutil.which("synthgen") or os.path.join(os.path.dirname(sys.executable), "synthgen")


def run(*args: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([SYNTHGEN, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("synthgen: error: ")
    assert "Traceback" not in proc.stderr + proc.stdout
    for fragment in fragments:
        assert fragment in lines[0]
