"""The verifier worker process: reads jobs as JSON lines on stdin, writes one result line each.

Started by `sandbox.py` as `python -m synthgen.verify.worker`; it lives across reward calls so
sympy is imported once. Safety is layered: the parser's limits refuse oversized work up front,
RLIMIT_AS caps memory, a per-item RLIMIT_CPU soft limit kills a runaway, and the parent kills the
process on its wall-clock deadline. Protocol stdout is a private dup of fd 1; fd 1 itself points
to /dev/null so a stray print from a library cannot corrupt it.

No network, no child processes (verifiers.md section 5, isolation). Nothing here runs model text
as code; these are the walls for the day a parser bug lets some through:
- Linux, where unshare is permitted (an unprivileged user namespace, or root): the worker moves
  into a new network namespace before it reads any job, so it has only a loopback that is down:
  every connect fails with "Network is unreachable", whatever code asks, C extensions included.
- Everywhere (and the only wall where unshare is refused: seccomp-filtered containers, kernels
  with unprivileged user namespaces turned off, non-Linux): an audit hook (PEP 578) refuses every
  socket operation and every process spawn (os.system, subprocess, exec, fork) made through
  Python. Code that reached ctypes could step around it; the namespace is the hard wall.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import time

from synthgen.verify.limits import (
    INT_MAX_STR_DIGITS,
    MAX_ANSWER_CHARS,
    MAX_GOLD_CHARS,
    WORKER_CPU_SECONDS_PER_ITEM,
    WORKER_MEMORY_BYTES,
)

TEST_HOOKS_ENV = "SYNTHGEN_VERIFY_TEST_HOOKS"
TEST_NO_UNSHARE_ENV = "SYNTHGEN_VERIFY_TEST_NO_UNSHARE"  # with the hooks on: act as if unshare were refused
CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000
_REFUSED_EVENTS = ("socket.", "os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.fork")
network = "not isolated"  # set by _isolate(): "namespace" or "audit hook only"


def _unshare(flags: int) -> None:
    """os.unshare (Python 3.12+), else libc's unshare(2); OSError when refused."""
    if hasattr(os, "unshare"):
        os.unshare(flags)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def _unshare_network() -> bool:
    """Enter a new network namespace (with a user namespace when unprivileged); False if refused."""
    if os.environ.get(TEST_HOOKS_ENV) == "1" and os.environ.get(TEST_NO_UNSHARE_ENV) == "1":
        return False
    for flags in (CLONE_NEWUSER | CLONE_NEWNET, CLONE_NEWNET):  # root may lack user namespaces but have NEWNET
        try:
            _unshare(flags)
            return True
        except (OSError, AttributeError):  # AttributeError: no unshare in this libc (not Linux)
            continue
    return False


def _refuse_network_and_spawn(event: str, args: tuple) -> None:
    if event.startswith(_REFUSED_EVENTS):
        raise PermissionError(f"{event} refused in the synthgen verifier worker")


def _isolate() -> None:
    """No network and no child processes for this worker (see the module docstring)."""
    global network
    network = "namespace" if _unshare_network() else "audit hook only"
    sys.addaudithook(_refuse_network_and_spawn)


def _limit_memory() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = WORKER_MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY_BYTES, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _limit_cpu_for_next_item() -> None:
    """RLIMIT_CPU counts the process's whole life, so the soft limit is moved forward per item."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + WORKER_CPU_SECONDS_PER_ITEM
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def run_job(job: dict) -> dict:
    """One job: "check" an answer, or a "row" self-check with perturbations."""
    from synthgen.verify.methods import check

    if job.get("k") == "sleep" and os.environ.get(TEST_HOOKS_ENV) == "1":
        time.sleep(float(job["s"]))  # test hook: simulates a hung comparison (off unless the env var is set)
        return {"reason": "wrong", "detail": "slept"}
    if job.get("k") == "escape" and os.environ.get(TEST_HOOKS_ENV) == "1":
        return _try_escape(int(job["port"]), str(job["marker"]))
    if job.get("k") == "formulation":  # model-written problem formulations (synthgen/verify/formulation_solve.py)
        from synthgen.verify.formulation_solve import run_formulation_job

        return run_formulation_job(job)
    if job.get("k") == "row":
        from synthgen.verify.row_check import check_row

        return check_row(job["row"])
    reason, detail = check(job.get("a"), job.get("v"), MAX_GOLD_CHARS if job.get("g") else MAX_ANSWER_CHARS)
    return {"reason": reason, "detail": detail}


def _try_escape(port: int, marker: str) -> dict:
    """Test hook: what code running here could reach (a loopback listener, a shell); never on in use."""
    import socket

    outcome = {"network": network}
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        outcome["connect"] = "connected"
    except OSError as exc:
        outcome["connect"] = f"refused: {exc}"
    try:
        outcome["spawn"] = f"ran: exit {os.system(f'touch {marker}')}"
    except OSError as exc:
        outcome["spawn"] = f"refused: {exc}"
    return {"reason": "wrong", "detail": json.dumps(outcome)}


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the trainer's terminal is the parent's business
    _isolate()
    sys.set_int_max_str_digits(INT_MAX_STR_DIGITS)
    _limit_memory()
    proto = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process

    run_job({"k": "check", "a": "(x+1)^2", "v": {"method": "expression", "value": "x**2+2*x+1", "variables": ["x"]}})
    proto.write(b"ready\n")
    proto.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        for job in request["jobs"]:
            _limit_cpu_for_next_item()
            try:
                result = run_job(job)
            except Exception as exc:  # a checker bug must cost one item, not the worker
                result = {"reason": "unparseable", "detail": f"internal: {type(exc).__name__}: {exc}"[:200]}
            proto.write(json.dumps(result).encode() + b"\n")
            proto.flush()


if __name__ == "__main__":
    main()
