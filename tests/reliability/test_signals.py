"""Ctrl-C and SIGTERM through the real console script: out within 2 s, one line saying how to resume.

A run is signalled at a seeded random moment after it has journaled its first attempt (SIGINT to
its whole process group, as a terminal's Ctrl-C is; SIGTERM to the process alone, as `kill` or
a scheduler sends it). It must exit 130 within STOP_S of the signal with one stderr line naming
the folder and saying to rerun, leave whole files and a manifest that says it stopped early
(folder_checks.assert_stopped_cleanly), and the rerun must finish with exactly n rows.
The model-load window is covered too: llama.cpp's load is one C call, during which a Python
signal handler cannot run; the load's progress callback now cancels it (llama_model.py). The
135M model loads in milliseconds, so the test holds the load open with the test hook
SYNTHGEN_LLAMA_TEST_LOAD_SLEEP (each progress call sleeps) and signals it mid-load. A Ctrl-C on
the embedded model while it decodes ends test_kill_trials.py's slow test.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
import zlib
from pathlib import Path

import pytest
from cli_helpers import SYNTHGEN
from folder_checks import assert_complete_run, assert_stopped_cleanly, journal
from kill_harness import assert_one_resume_line, signal_and_time, start, wait_until
from openai_server.scripted import ScriptedServer

from synthgen.backends.llama_model import LOAD_SLEEP_ENV

TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
PROPS = {"chat_template": TEMPLATE, "bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "total_slots": 2}


CASES = {
    "instructions": ["instructions", "--n", "24"],
    "math --solve": ["math", "--n", "12", "--solve", "2"],
}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_signal_mid_run_stops_within_2_s_and_the_rerun_finishes(case, signum, tmp_path):
    seed = zlib.crc32(f"{case} {signum}".encode())
    pause = round(random.Random(seed).uniform(0, 0.8), 3)
    where = f"{case}, {signal.Signals(signum).name} {pause} s after the first journaled attempt (seed {seed})"
    out = tmp_path / "run"
    with ScriptedServer(props=PROPS, delay=0.05) as server:
        args = [*CASES[case], "--base-url", server.url, "--concurrency", "2", "--out", str(out), "--quiet"]
        proc = start(args)
        wait_until(lambda: len(journal(out)) >= 1, proc)
        time.sleep(pause)
        seconds, stderr = signal_and_time(proc, signum)
        assert_one_resume_line(proc, stderr, out, seconds, where)
        assert_stopped_cleanly(out)
        rerun = subprocess.run([SYNTHGEN, *args], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, f"{where}: the rerun failed\n{rerun.stderr}"
    assert_complete_run(out, int(CASES[case][2]))


def _model_mapped(pid: int) -> bool:
    """True while the process has the model it runs mapped (llama.cpp maps the weights as the load
    starts): the embedded model runs as its cached Q8_0 copy (backends/model_convert.py)."""
    try:
        return any(line.endswith(".q8_0.gguf") for line in Path(f"/proc/{pid}/maps").read_text().splitlines())
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_model_file_loads_cancels_the_load(signum, tmp_path):
    """Held open by the test hook, the load would last LOAD_S; the signal must end it within STOP_S."""
    per_call, tensors = 0.02, 273  # llama.cpp calls the progress callback once per tensor (+1) of the 135M model
    load_s = per_call * tensors
    out = tmp_path / "run"
    proc = start(["instructions", "--n", "2", "--out", str(out), "--quiet"], env={LOAD_SLEEP_ENV: str(per_call)})
    wait_until(lambda: _model_mapped(proc.pid), proc)
    time.sleep(0.5)  # well inside the load: the weights are mapped, ~5 s of progress calls to go
    assert _model_mapped(proc.pid)
    seconds, stderr = signal_and_time(proc, signum)
    where = f"{signal.Signals(signum).name} during a {load_s:.1f} s model load"
    assert_one_resume_line(proc, stderr, out, seconds, where)
    assert seconds < load_s - 0.5 - 1.0, f"{where}: the load was not cut short ({seconds:.2f} s)"
