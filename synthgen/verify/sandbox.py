"""Parent side of the verifier sandbox: a pool of persistent worker processes with deadlines.

Why processes and a parent-side clock: signal.alarm works only in the main thread and only when
the interpreter checks for signals (gmpy2 power ignores it), so a hung comparison can only be
stopped reliably by killing the process that runs it (verifiers.md section 5).

A call sends a whole batch in one write; the worker answers item by item. If an item misses its
deadline (or the worker dies: RLIMIT_CPU, RLIMIT_AS), that item is a timeout, the worker is
killed and respawned, and the rest of the batch is resent. Threads share the pool safely: each
call holds one worker for its duration; the pool grows to `max_workers` under concurrency.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

STARTUP_TIMEOUT_S = 60.0  # importing sympy on a loaded 2-core machine can take seconds
TIMEOUT = {"reason": "timeout", "detail": "deadline exceeded; worker killed"}
_SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSW|CREDENTIAL|AUTH", re.IGNORECASE)  # HF_TOKEN, OPENAI_API_KEY...


class WorkerStartError(RuntimeError):
    """The verifier worker could not start: an installation problem, not an answer problem."""


class Worker:
    """One `python -m synthgen.verify.worker` process and its line-buffered pipe."""

    def __init__(self) -> None:
        # No credentials for a process that reads untrusted model output: a bug there must not reach a key.
        env = {k: v for k, v in os.environ.items() if not _SECRET_NAME.search(k)}
        root = str(Path(__file__).resolve().parents[2])  # so a source checkout works uninstalled
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "synthgen.verify.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # terminal signals go to the trainer, not here
        )
        self._buffer = b""
        line = self.readline(time.monotonic() + STARTUP_TIMEOUT_S)
        if line != b"ready":
            self.kill()
            raise WorkerStartError("the synthgen verifier worker did not start (python -m synthgen.verify.worker)")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, jobs: list[dict]) -> None:
        self.proc.stdin.write(json.dumps({"jobs": jobs}).encode() + b"\n")
        self.proc.stdin.flush()

    def readline(self, deadline: float) -> bytes | None:
        """The next line, or None on deadline or end of output (worker died)."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


class WorkerPool:
    """Persistent workers handed out one per call; thread-safe."""

    def __init__(self, max_workers: int | None = None):
        self.max_workers = max_workers or max(1, min(4, os.cpu_count() or 1))
        self._idle: list[Worker] = []
        self._count = 0
        self._cond = threading.Condition()
        self.respawns = 0

    def _acquire(self) -> Worker:
        with self._cond:
            while not self._idle and self._count >= self.max_workers:
                self._cond.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            return Worker()
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def _release(self, worker: Worker | None) -> None:
        with self._cond:
            if worker is not None and worker.alive:
                self._idle.append(worker)
            else:
                self._count -= 1
            self._cond.notify()

    def run(self, jobs: list[dict], item_timeout: float, batch_timeout: float) -> list[dict]:
        """One result dict per job, in order; a job that misses its deadline gets TIMEOUT."""
        results: list[dict | None] = [None] * len(jobs)
        if not jobs:
            return []
        deadline = time.monotonic() + batch_timeout
        pending = list(range(len(jobs)))
        worker: Worker | None = self._acquire()
        try:
            while pending and time.monotonic() < deadline:
                if worker is None or not worker.alive:
                    worker = Worker()
                    self.respawns += 1
                sent, pending = pending, []
                try:
                    worker.send([jobs[i] for i in sent])
                except OSError:  # died between calls: respawn and resend
                    worker.kill()
                    worker, pending = None, sent
                    continue
                for k, index in enumerate(sent):
                    line = worker.readline(min(time.monotonic() + item_timeout, deadline))
                    if line is None:
                        results[index] = dict(TIMEOUT)
                        worker.kill()
                        worker, pending = None, sent[k + 1 :]
                        break
                    results[index] = json.loads(line)
        finally:
            self._release(worker)
        return [r if r is not None else dict(TIMEOUT) for r in results]

    def close(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for worker in idle:
            worker.kill()


_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def default_pool() -> WorkerPool:
    """The process-wide pool, created on first use and closed at exit."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool()
            atexit.register(_POOL.close)
        return _POOL
