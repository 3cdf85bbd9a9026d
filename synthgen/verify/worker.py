"""The verifier worker process: reads jobs as JSON lines on stdin, writes one result line each.

Started by `sandbox.py` as `python -m synthgen.verify.worker`; it lives across reward calls so
sympy is imported once. Safety is layered: the parser's limits refuse oversized work up front,
RLIMIT_AS caps memory, a per-item RLIMIT_CPU soft limit kills a runaway, and the parent kills the
process on its wall-clock deadline. Protocol stdout is a private dup of fd 1; fd 1 itself points
to /dev/null so a stray print from a library cannot corrupt it.
"""

from __future__ import annotations

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
    if job.get("k") == "formulation":  # model-written problem formulations (synthgen/verify/formulation_solve.py)
        from synthgen.verify.formulation_solve import run_formulation_job

        return run_formulation_job(job)
    if job.get("k") == "row":
        from synthgen.verify.row_check import check_row

        return check_row(job["row"])
    reason, detail = check(job.get("a"), job.get("v"), MAX_GOLD_CHARS if job.get("g") else MAX_ANSWER_CHARS)
    return {"reason": reason, "detail": detail}


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the trainer's terminal is the parent's business
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
