"""The worker pool: persistence, kill-and-respawn on a deadline, rlimits, thread safety."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from synthgen.verify import check_answer, check_answers
from synthgen.verify.sandbox import WorkerPool, default_pool
from synthgen.verify.worker import TEST_HOOKS_ENV

RATIONAL = '{"method": "rational", "value": "3/4"}'
CHECK = {"k": "check", "a": "3/4", "v": {"method": "rational", "value": "3/4"}}


@pytest.fixture
def hook_pool(monkeypatch):
    """A private pool whose workers honour the test-only "sleep" job (a simulated hang)."""
    monkeypatch.setenv(TEST_HOOKS_ENV, "1")
    pool = WorkerPool(max_workers=2)
    yield pool
    pool.close()


def test_worker_is_reused_across_calls():
    check_answer("3/4", RATIONAL)
    pool = default_pool()
    before = {w.proc.pid for w in pool._idle}
    for _ in range(5):
        assert check_answer("0.75", RATIONAL).score == 1.0
    assert {w.proc.pid for w in pool._idle} == before  # no new process: sympy is imported once


def test_hung_item_times_out_worker_is_respawned_and_the_rest_of_the_batch_is_scored(hook_pool):
    jobs = [CHECK, {"k": "sleep", "s": 60}, CHECK, {"k": "check", "a": "1/4", "v": CHECK["v"]}]
    start = time.monotonic()
    results = hook_pool.run(jobs, item_timeout=1.0, batch_timeout=30.0)
    assert time.monotonic() - start < 30.0
    assert [r["reason"] for r in results] == ["correct", "timeout", "correct", "wrong"]
    assert hook_pool.respawns == 1


def test_batch_deadline_bounds_the_whole_call(hook_pool):
    jobs = [{"k": "sleep", "s": 60}] * 3 + [CHECK]
    start = time.monotonic()
    results = hook_pool.run(jobs, item_timeout=1.0, batch_timeout=2.5)
    assert time.monotonic() - start < 10.0  # 2.5 s budget plus one respawn; never 3 x 60 s
    assert all(r["reason"] == "timeout" for r in results[:3])
    assert results[3]["reason"] in ("timeout", "correct")


def test_sleep_hook_is_inert_without_the_env_var():
    pool = WorkerPool(max_workers=1)
    try:
        result = pool.run([{"k": "sleep", "s": 60}], item_timeout=10.0, batch_timeout=10.0)[0]
        assert result["reason"] != "timeout"  # treated as an ordinary (answerless) check job
    finally:
        pool.close()


def test_worker_runs_under_memory_and_cpu_limits():
    check_answer("1", '{"method": "integer", "value": "1"}')
    pid = default_pool()._idle[0].proc.pid
    limits = Path(f"/proc/{pid}/limits").read_text()
    as_line = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    cpu_line = next(line for line in limits.splitlines() if line.startswith("Max cpu time"))
    assert str(2 * 1024**3) in as_line
    assert "unlimited" not in cpu_line.split()[3]  # soft CPU limit set per item


def test_many_threads_share_the_pool():
    answers = ["3/4", "0.75", "1/4", r"\frac{3}{4}"] * 5
    expected = [1.0, 1.0, 0.0, 1.0] * 5
    results: dict[int, list[float]] = {}

    def call(k: int) -> None:
        results[k] = [v.score for v in check_answers([(a, RATIONAL) for a in answers])]

    threads = [threading.Thread(target=call, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 8
    assert all(r == expected for r in results.values())
    assert default_pool()._count <= default_pool().max_workers
