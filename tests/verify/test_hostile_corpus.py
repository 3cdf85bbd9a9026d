"""The hostile corpus through `synthgen.rewards` in one batch, and the verifier workers' walls.

One batch: every completion of tests/verify/hostile_corpus.py against every gold of its
VERIFICATIONS (all 14 checking methods). All rewards 0, no canary file (nothing executed), the
batch ends within a generous bound, and the same worker pool then scores a batch of correct
answers 1.0. The corpus names the payloads; test_verify_hostile.py keeps the smaller cases.

Network: the worker enters its own network namespace where the platform allows it (Linux with
unshare permitted: an unprivileged user namespace, or root), and always refuses sockets and
process spawns through an audit hook; the tests below check both walls separately.
Rerun: python -m pytest -q tests/verify/test_hostile_corpus.py
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections import Counter

import pytest
from fuzz_strategies import bounded
from hostile_corpus import CORRECT, VERIFICATIONS, hostile_completions

from synthgen.rewards import accuracy_reward
from synthgen.verify.sandbox import WorkerPool, default_pool
from synthgen.verify.worker import CLONE_NEWNET, CLONE_NEWUSER, TEST_HOOKS_ENV, TEST_NO_UNSHARE_ENV

BATCH_BOUND_S = 240.0  # generous: a refused item costs milliseconds, only a timed-out one its 5 s deadline


def _columns(pairs: list[tuple[dict, str]]) -> dict[str, list[str]]:
    return {"answer": [gold for _, gold in pairs], "verification": [json.dumps(v) for v, _ in pairs]}


def test_the_hostile_corpus_scores_zero_in_one_batch_runs_nothing_and_leaves_the_pool_healthy(tmp_path):
    canary = tmp_path / "canary"
    texts = hostile_completions(str(canary))
    assert len(texts) >= 100
    completions = [text for text in texts for _ in VERIFICATIONS]
    columns = _columns(VERIFICATIONS * len(texts))
    logged: dict[str, list[str]] = {}
    with bounded(BATCH_BOUND_S, "the hostile batch"):
        scores = accuracy_reward(completions=completions, **columns, log_extra=logged.__setitem__)
    assert scores == [0.0] * len(completions), Counter(scores)
    assert not canary.exists()
    reasons = Counter(logged["synthgen_reason"])
    assert set(reasons) <= {"unparseable", "too_long", "wrong", "no_answer", "timeout"}, reasons
    assert reasons["timeout"] == 0, reasons  # every item is refused or compared, none waits for its deadline

    healthy = accuracy_reward(completions=CORRECT, **_columns(VERIFICATIONS))
    assert healthy == [1.0] * len(VERIFICATIONS)
    assert not canary.exists()


def _unshare_permitted() -> bool:
    """Whether this machine lets a fresh process enter a new network namespace (probed in a child)."""
    if not sys.platform.startswith("linux"):
        return False
    pid = os.fork()
    if pid == 0:
        from synthgen.verify.worker import _unshare

        for flags in (CLONE_NEWUSER | CLONE_NEWNET, CLONE_NEWNET):
            try:
                _unshare(flags)
                os._exit(0)
            except (OSError, AttributeError):
                continue
        os._exit(1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


@pytest.fixture
def listener():
    """A loopback TCP listener owned by the test; the workers must not reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


def _escape(monkeypatch, listener, marker, *, refuse_unshare: bool) -> dict:
    """What the test-only "escape" job reports from inside a fresh worker, and its namespace."""
    monkeypatch.setenv(TEST_HOOKS_ENV, "1")
    monkeypatch.setenv(TEST_NO_UNSHARE_ENV, "1" if refuse_unshare else "0")
    pool = WorkerPool(max_workers=1)
    try:
        job = {"k": "escape", "port": listener.getsockname()[1], "marker": str(marker)}
        result = pool.run([job], item_timeout=20.0, batch_timeout=30.0)[0]
        pid = pool._idle[0].proc.pid
        namespace = os.readlink(f"/proc/{pid}/ns/net") if sys.platform.startswith("linux") else ""
    finally:
        pool.close()
    outcome = json.loads(result["detail"])
    outcome["namespace"] = namespace
    return outcome


def _nobody_connected(listener) -> bool:
    try:
        listener.accept()[0].close()
    except BlockingIOError:
        return True
    return False


def test_a_worker_has_its_own_network_namespace_where_unshare_is_permitted(monkeypatch, listener, tmp_path):
    outcome = _escape(monkeypatch, listener, tmp_path / "spawned", refuse_unshare=False)
    if not _unshare_permitted():
        assert outcome["network"] == "audit hook only"
        pytest.skip("unshare is not permitted here: the audit hook is the only wall (next test)")
    assert outcome["network"] == "namespace"
    assert outcome["namespace"] != os.readlink("/proc/self/ns/net")
    assert outcome["connect"].startswith("refused"), outcome
    assert outcome["spawn"].startswith("refused"), outcome
    assert _nobody_connected(listener)
    assert not (tmp_path / "spawned").exists()


def test_where_unshare_is_refused_the_audit_hook_still_refuses_sockets_and_spawns(monkeypatch, listener, tmp_path):
    outcome = _escape(monkeypatch, listener, tmp_path / "spawned", refuse_unshare=True)
    assert outcome["network"] == "audit hook only"
    if sys.platform.startswith("linux"):
        assert outcome["namespace"] == os.readlink("/proc/self/ns/net")  # really the host's network here
    assert "socket" in outcome["connect"] and outcome["connect"].startswith("refused"), outcome
    assert outcome["spawn"].startswith("refused: os.system"), outcome
    assert _nobody_connected(listener)
    assert not (tmp_path / "spawned").exists()


def test_the_escape_hook_is_inert_without_the_test_env(monkeypatch, listener, tmp_path):
    monkeypatch.delenv(TEST_HOOKS_ENV, raising=False)
    job = {"k": "escape", "port": listener.getsockname()[1], "marker": str(tmp_path / "spawned")}
    result = default_pool().run([job], item_timeout=20.0, batch_timeout=30.0)[0]
    assert "connect" not in result.get("detail", "")  # an ordinary job without an answer: nothing tried
    assert _nobody_connected(listener)
    assert not (tmp_path / "spawned").exists()
