"""Disk and file faults: each is one line on stderr, exit 2, and nothing already written is lost.

Faults are real where the OS lets a test make them: a full disk is a file-size limit
(RLIMIT_FSIZE, so a write fails with EFBIG mid-run exactly as ENOSPC would), a read-only folder
is a read-only bind mount (or, for an ordinary user, permissions), two runs are two processes.
ENOSPC itself, the folder vanishing under a running run and the final Parquet write failing are
injected in process. `math` needs no model, so these run the real console script in seconds.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from cli_helpers import SYNTHGEN, assert_one_line_error, run
from conftest import assert_kept_incomplete
from folder_checks import assert_whole_files, parquet_rows

import synthgen
from synthgen.backends.fake import FakeBackend
from synthgen.errors import SynthgenError
from synthgen.run.folder import RunFolder
from synthgen.run.journal import Journal

N = 120  # math rows: a few seconds of a real run, several journal batches


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes (the lock file aside: opening it is not a write)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".synthgen.lock"
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> list[dict]:
    """The rows of an uninterrupted run, which every recovered run must equal."""
    out = tmp_path_factory.mktemp("ref") / "run"
    proc = run("math", "--n", str(N), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    return parquet_rows(out)


def math_cmd(out: Path, n: int = N, *extra: str) -> list[str]:
    return [SYNTHGEN, "math", "--n", str(n), "--out", str(out), "--quiet", *extra]


def test_a_full_disk_mid_run_is_one_line_exit_2_and_the_rerun_finishes(tmp_path, reference):
    out = tmp_path / "run"
    limit = 60_000  # bytes any one file may reach: the journal passes it after a few batches

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills instead of failing the write
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(math_cmd(out), capture_output=True, text=True, timeout=120, preexec_fn=small_disk)
    assert_one_line_error(proc, "cannot write the run folder", "File too large", "rerun the same command")
    records = Journal(out / "journal.jsonl").read()  # what survived, the torn tail cut
    assert 0 < len(records) < N, len(records)
    assert [r["slot"] for r in records] == list(range(len(records)))
    resumed = run("math", "--n", str(N), "--out", str(out), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert parquet_rows(out) == reference
    assert Journal(out / "journal.jsonl").read()[: len(records)] == records, "the rerun kept what was written"
    assert_whole_files(out)


@pytest.mark.parametrize("fail_at", ["journal", "parquet"])
def test_no_space_left_is_one_line_and_loses_nothing(tmp_path, monkeypatch, fail_at):
    """ENOSPC from a journal append mid-run, or from the Parquet write at the very end."""
    reference = synthgen.instructions(6, tmp_path / "ref", backend=FakeBackend(), batch_size=2, progress=False)
    out = tmp_path / "run"
    calls = {"n": 0}
    target = Journal.append if fail_at == "journal" else RunFolder.write_parquet

    def full(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3 or fail_at == "parquet":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return target(self, *args, **kwargs)

    monkeypatch.setattr(Journal if fail_at == "journal" else RunFolder, target.__name__, full)
    with pytest.raises(SynthgenError) as info:
        synthgen.instructions(6, out, backend=FakeBackend(), batch_size=2, progress=False)
    assert info.value.exit_code == 2 and "No space left on device" in str(info.value), str(info.value)
    assert "\n" not in str(info.value)
    kept = Journal(out / "journal.jsonl").read()
    assert len(kept) >= 2 if fail_at == "journal" else len(kept) >= 6
    monkeypatch.undo()
    resumed = synthgen.instructions(6, out, backend=FakeBackend(), batch_size=2, progress=False)
    assert resumed.dataset().to_list() == reference.dataset().to_list()
    assert Journal(out / "journal.jsonl").read()[: len(kept)] == kept


def test_a_folder_removed_under_a_running_run_is_one_line_and_not_recreated(tmp_path):
    out = tmp_path / "run"
    calls = {"n": 0}
    inner = FakeBackend()

    def removes(request):
        calls["n"] += 1
        if calls["n"] == 10:
            shutil.rmtree(out)
        return inner._one(request)

    with pytest.raises(SynthgenError) as info:
        synthgen.instructions(8, out, backend=FakeBackend(responder=removes), batch_size=2, progress=False)
    assert info.value.exit_code == 2 and "was removed or moved while the run wrote it" in str(info.value)
    assert not out.exists(), "a stop must not write a new, journal-less folder"


@contextlib.contextmanager
def read_only(folder: Path):
    """Make `folder` read-only for a run: by permissions for an ordinary user; for root, who
    ignores them, by a read-only bind mount of the folder onto itself (EROFS, as a read-only disk)."""
    if os.geteuid() != 0:
        paths = [folder, *folder.rglob("*")]
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p in paths:
                p.chmod(0o755 if p.is_dir() else 0o644)
        return
    bind = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True, text=True)
    if bind.returncode != 0:
        pytest.skip(f"root without the right to mount here, so nothing can make a folder read-only: {bind.stderr}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True, capture_output=True)


def test_a_read_only_folder_is_one_line_and_left_as_it_was(tmp_path):
    out = tmp_path / "run"
    first = run("math", "--n", "20", "--out", str(out), "--quiet")
    assert first.returncode == 0, first.stderr
    before = tree(out)
    with read_only(out):
        proc = run("math", "--n", "40", "--out", str(out), "--quiet")
        assert_one_line_error(proc, str(out))
        assert "Permission denied" in proc.stderr or "Read-only" in proc.stderr, proc.stderr
        assert tree(out) == before


def finished(tmp_path: Path, n: int = N) -> Path:
    out = tmp_path / "run"
    proc = run("math", "--n", str(n), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out


def test_a_journal_cut_mid_line_resumes_to_the_same_rows(tmp_path, reference):
    out = finished(tmp_path)
    journal = out / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:50]) + lines[50][:40])  # a crash half way through a write
    (out / "data" / "train-00000-of-00001.parquet").unlink()
    proc = run("math", "--n", str(N), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert parquet_rows(out) == reference
    assert_whole_files(out)


def test_a_damaged_journal_line_is_refused_and_the_folder_left_as_it_was(tmp_path):
    out = finished(tmp_path, 40)
    journal = out / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:10]) + b"\x00garbage\n" + b"".join(lines[11:]))
    before = tree(out)
    proc = run("math", "--n", "60", "--out", str(out), "--quiet")
    assert_one_line_error(proc, "line 11 is not a journal record")
    assert tree(out) == before


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda m: m.write_text('{"fingerprint": "ab'), "cannot read"),
        (lambda m: m.write_text("[1, 2, 3]"), "not a JSON object"),
        (lambda m: m.write_bytes(b"\xff\xfe\x00 not utf-8"), "cannot read"),
        (lambda m: m.unlink(), "has a journal but no manifest.json"),
    ],
    ids=["invalid-json", "not-an-object", "not-utf8", "missing"],
)
def test_a_damaged_manifest_is_one_line_and_nothing_changes(tmp_path, damage, message):
    out = finished(tmp_path, 20)
    damage(out / "manifest.json")
    before = tree(out)
    proc = run("math", "--n", "20", "--out", str(out), "--quiet")
    assert_one_line_error(proc, message, "--overwrite")
    assert tree(out) == before
    again = run("math", "--n", "20", "--out", str(out), "--quiet", "--overwrite")
    assert again.returncode == 0, again.stderr
    assert len(parquet_rows(out)) == 20


def test_a_folder_of_another_kind_is_refused_by_name(tmp_path):
    out = finished(tmp_path, 20)
    before = tree(out)
    proc = run("logic", "--n", "20", "--out", str(out), "--quiet")
    assert_one_line_error(proc, "holds a synthgen math run, not logic")
    assert tree(out) == before
    edited = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**edited, "command": "preferences"}))
    proc = run("math", "--n", "20", "--out", str(out), "--quiet", "--seed", "5")
    assert_one_line_error(proc, "holds a synthgen preferences run, not math")


def test_a_parquet_file_deleted_from_a_finished_run_comes_back_on_rerun(tmp_path, reference):
    out = finished(tmp_path)
    journal_before = (out / "journal.jsonl").read_bytes()
    (out / "data" / "train-00000-of-00001.parquet").unlink()
    export = run("export", str(out), "--format", "jsonl", "--out", str(tmp_path / "x.jsonl"))
    assert_one_line_error(export)
    assert not (tmp_path / "x.jsonl").exists()
    proc = run("math", "--n", str(N), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert parquet_rows(out) == reference
    assert (out / "journal.jsonl").read_bytes() == journal_before, "nothing regenerated"


@pytest.mark.slow
def test_two_runs_on_one_folder_at_once_one_is_refused_and_the_other_finishes(tmp_path):
    out = tmp_path / "run"
    n = 800  # long enough for the second to start while the first still runs
    first = subprocess.Popen(math_cmd(out, n), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / "journal.jsonl").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = run("math", "--n", str(n), "--out", str(out), "--quiet")
    assert_one_line_error(second, "another synthgen run is writing to")
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert len(parquet_rows(out)) == n
    assert_whole_files(out)


def test_a_run_killed_before_its_first_manifest_is_started_again_but_a_users_folder_is_not(tmp_path):
    """A kill between copying the prompt templates and writing the first manifest leaves only the
    lock and prompts/: the rerun is ours to start. A folder with prompts/ and no lock is the user's."""
    ours, users = tmp_path / "ours", tmp_path / "users"
    for folder in (ours, users):
        (folder / "prompts").mkdir(parents=True)
        (folder / "prompts" / "self_instruct.txt").write_text("a template\n")
    (ours / ".synthgen.lock").touch()
    (ours / "manifest.json.tmp").touch()  # killed while writing that first manifest
    assert synthgen.instructions(3, ours, backend=FakeBackend(), progress=False).rows == 3
    with pytest.raises(SynthgenError, match="non-empty folder that synthgen did not create"):
        synthgen.instructions(3, users, backend=FakeBackend(), progress=False)
    assert [p.name for p in users.rglob("*")] == ["prompts", "self_instruct.txt"]


def test_a_run_that_gives_up_leaves_a_dataset_that_loads_and_the_rerun_resumes_it(tmp_path):
    """Too few distinct problems at one level: the run ends early (exit 1), its rows load."""
    out = tmp_path / "run"
    args = ("math", "--n", "200", "--families", "prob.exact", "--difficulty", "1", "--out", str(out), "--quiet")
    proc = run(*args)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "gave up" in proc.stderr and "rows so far are kept" in proc.stderr
    rows = assert_kept_incomplete(out, "gave up")
    assert 0 < len(rows) < 200 and len({r["id"] for r in rows}) == len(rows)
    journal_before = (out / "journal.jsonl").read_bytes()
    again = run(*args)
    assert again.returncode == 1 and "gave up" in again.stderr, again.stderr
    assert assert_kept_incomplete(out, "gave up") == rows
    assert (out / "journal.jsonl").read_bytes() == journal_before, "the rerun resumed, it did not start again"
