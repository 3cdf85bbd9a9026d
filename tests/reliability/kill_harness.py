"""Kill a real run at a chosen moment, cheaply: a zygote process forks one child per run.

Why a zygote: a fresh Python that imports synthgen, `datasets` and pyarrow costs seconds, more
than the runs the trials interrupt. The zygote (this file run as a script) imports all of that
once, while it still has a single thread (forking a process with threads can copy a lock held by
a thread that does not exist in the child), then forks a child per request. The child makes the
whole API call (kill_variants.VARIANTS) with its output in a log file; the zygote sends it
SIGKILL `kill_after` seconds after the fork, or waits for it to end. The test process speaks to
the zygote in JSON lines over its stdin/stdout (`Zygote.run`).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli_helpers import SYNTHGEN

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
RUN_TIMEOUT = 120.0  # a run that has not ended by then is reported as hung, not waited for
# What the runs import, imported by the zygote once (else every child pays for them).
PRELOAD = (
    "datasets", "datasets.io.parquet", "pyarrow.parquet", "multiprocessing.synchronize",
    "sympy", "sympy.combinatorics", "sympy.integrals.manualintegrate", "sympy.integrals.risch",
    "sympy.physics.units", "sympy.codegen.ast", "sympy.tensor.tensor",
    "synthgen.sft.api", "synthgen.dpo.api", "synthgen.grpo.api", "synthgen.publish.push", "synthgen.cli.main",
    "synthgen.backends.server",
    "kill_variants", "preference_fakes", "model_source_fakes",
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """How one child ended: `killed` by our SIGKILL, else its exit `code`; seconds from fork to end."""

    killed: bool
    code: int | None
    seconds: float
    log: str


class Zygote:
    """The client side: start the zygote with `env`, run children through it, stop it on exit."""

    def __init__(self, env: dict[str, str] | None = None):
        full = dict(env if env is not None else os.environ)
        full["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(HERE), full.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=full,
        )  # fmt: skip
        hello = json.loads(self.proc.stdout.readline() or "{}")
        assert hello.get("threads") == 1, f"the zygote must fork from a single thread, it has {hello}"

    def run(self, variant: str, out: Path, args: dict[str, Any], kill_after: float | None = None) -> Outcome:
        """Fork a child that runs `variant(out, args)`; SIGKILL it after `kill_after` s, or let it end."""
        request = {"variant": variant, "out": str(out), "args": args, "kill_after": kill_after}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the zygote died"
        return Outcome(**json.loads(line))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- a console-script run signalled from outside -------------------------------------------------
STOP_S = 2.0  # the longest a run may take to stop after SIGINT/SIGTERM


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    """The console script in its own session, so a signal to its group reaches it and its children only."""
    return subprocess.Popen([SYNTHGEN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, start_new_session=True)  # fmt: skip


def wait_until(condition, proc: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, f"the run ended before the signal: {proc.communicate()}"
        assert time.monotonic() < deadline, "the run never reached the moment to signal"
        time.sleep(0.01)


def signal_and_time(proc: subprocess.Popen, signum: int) -> tuple[float, str]:
    """Send `signum` (SIGINT to the group, as Ctrl-C); seconds until the process ended, and its stderr."""
    sent = time.monotonic()
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    try:
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return time.monotonic() - sent, stderr


def assert_one_resume_line(proc: subprocess.Popen, stderr: str, out: Path, seconds: float, where: str) -> None:
    assert proc.returncode == 130, f"{where}: exit {proc.returncode}\n{stderr}"
    assert seconds <= STOP_S, f"{where}: took {seconds:.2f} s to stop"
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, f"{where}: {stderr}"
    assert lines[0].startswith("synthgen: error: interrupted") and str(out) in lines[0] and "rerun" in lines[0], lines


# ---- the zygote's side ----------------------------------------------------------------------------
def _child(variant: str, out: Path, args: dict[str, Any], log: Path) -> None:
    """In the forked child: run the call with stdout/stderr in `log`; never return."""
    code = 1
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(0)
        from kill_variants import VARIANTS

        from synthgen.errors import SynthgenError

        try:
            VARIANTS[variant](out, args)
            code = 0
        except SynthgenError as exc:
            print(f"synthgen: error: {exc}", file=sys.stderr)
            code = exc.exit_code
        except SystemExit as exc:  # the CLI's entry point ends this way
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _serve_one(request: dict[str, Any]) -> dict[str, Any]:
    out = Path(request["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.parent / f"{out.name}.log"
    kill_after = request["kill_after"]
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(request["variant"], out, request["args"], log)
    # A pidfd becomes readable when the child ends: wait for that or the deadline, without polling.
    pidfd = os.pidfd_open(pid)
    timeout = RUN_TIMEOUT if kill_after is None else kill_after
    ended, _, _ = select.select([pidfd], [], [], max(0.0, started + timeout - time.monotonic()))
    os.close(pidfd)
    if not ended:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    seconds = time.monotonic() - started
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    text = log.read_text(errors="replace") if log.exists() else ""
    return {"killed": killed, "code": code, "seconds": round(seconds, 4), "log": text[-4000:]}


def serve() -> None:
    """Import what every run needs, say how many threads there are, then serve requests until EOF."""
    import importlib
    import threading

    for name in PRELOAD:
        importlib.import_module(name)
    print(json.dumps({"threads": threading.active_count()}), flush=True)
    for line in sys.stdin:
        print(json.dumps(_serve_one(json.loads(line))), flush=True)


if __name__ == "__main__":
    serve()
