"""The one run lifecycle: every command's session of a run folder, first run or resume.

A kind supplies only what differs (its config and fingerprint, its loop, its row features, its
card and the totals it reports); `RunSession` does the rest the same way for all of them: lock
the folder, prepare it (resume, refuse or overwrite), open the journal, carry earlier sessions'
timing, write the manifest and card while the loop runs, write the Parquet shards and build the
result. However a run ends, what it made stays a dataset: on success the shards and "complete";
on any early end (Ctrl-C or SIGTERM, a loop that gives up, exhausted sources, a server fleet
down, a full disk) the journal is closed, the rows made so far are written as loadable shards
and the manifest and card say "incomplete" with the reason (`stop`), and rerunning the same
command resumes from the journal. Only kill -9 skips that step; the journal still holds every
decided attempt, and the folder says "running" until a rerun finishes it. Shard parts, merging
and pushing plug in here, once.
What the card must record about every run is kept here too: the prompt templates a kind hands
over are copied into the folder's `prompts/` when the manifest starts, and the diversity of the
rows is measured from exactly the rows written.

The rows a session must make are a span `range(start, stop)` of the run's global row index;
a whole run is `range(n)`.
"""

from __future__ import annotations

import contextlib
import errno
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from synthgen.backends.deferred_signals import signals_between_steps
from synthgen.errors import SynthgenError
from synthgen.run.diversity import DiversitySpec, measure
from synthgen.run.folder import CARD, DATA_FILE, MANIFEST, RunFolder, now_iso
from synthgen.run.journal import Journal
from synthgen.run.progress import Progress
from synthgen.run.provenance import keep_templates
from synthgen.run.result import RunResult
from synthgen.run.versions import library_versions, synthgen_version

R = TypeVar("R", bound=RunResult)

# OS errors that mean the run folder cannot be written (full disk, quota, file size limit,
# read-only, removed, permissions): reported as one line and exit 2 rather than a traceback.
_FOLDER_ERRORS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.ENOENT,
    errno.EIO,
}


def timing(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    """The manifest's `timing`: every session and their total wall time."""
    return {"sessions": sessions, "wall_s": round(sum(s["seconds"] for s in sessions), 2)}


class RunSession:
    """One session of one run folder; use as `with RunSession(...) as run:`.

    `render_card(manifest)` is the kind's card; `totals(loop)` the manifest's running figures
    (counters, tokens, drops...); `session_facts(loop, seconds)` what a session adds to its
    timing entry beyond start, end and rows added (backend seconds, engine counters).
    `templates` ({file name: text}) are the prompt templates the run uses, kept in `prompts/`;
    `diversity` says which texts and column of a row to measure when the data is written.
    """

    def __init__(
        self,
        out: str | Path,
        *,
        command: str,
        fingerprint: str,
        overwrite: bool,
        render_card: Callable[[dict[str, Any]], str],
        totals: Callable[[Any], dict[str, Any]],
        session_facts: Callable[[Any, float], dict[str, Any]] | None = None,
        templates: Mapping[str, str] | None = None,
        diversity: DiversitySpec | None = None,
    ):
        self.folder = RunFolder(out)
        self.templates, self.diversity = dict(templates or {}), diversity
        self.command, self.fingerprint, self.overwrite = command, fingerprint, overwrite
        self.render_card, self.totals = render_card, totals
        self.session_facts = session_facts or (lambda loop, seconds: {})
        self.manifest: dict[str, Any] = {}
        self.loop: Any = None
        self.span = range(0)
        self.keeper: Callable[[list], None] | None = None
        self.early = False  # set when the run stops before its span is made

    def __enter__(self) -> RunSession:
        self.folder.lock()  # before prepare(), which may delete an old run's files
        try:
            self.resuming = self.folder.prepare(self.fingerprint, self.overwrite, self.command)
            self.journal = Journal(self.folder.journal_path)
            self.records = self.journal.read() if self.resuming else []
            self.previous = (self.folder.read_manifest() or {}) if self.resuming else {}
        except BaseException:
            self.folder.unlock(refused=True)
            raise
        self.sessions = self.previous.get("timing", {}).get("sessions", [])
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        self.folder.unlock()
        if isinstance(exc, OSError) and exc.errno in _FOLDER_ERRORS:
            where = exc.filename or self.path
            if not self.path.is_dir():
                raise SynthgenError(f"the run folder {self.path} was removed or moved while the run wrote it") from None
            raise SynthgenError(
                f"cannot write the run folder ({exc.strerror or exc}: {where}); what was journaled before is "
                "kept: fix that and rerun the same command to resume",
            ) from None

    @property
    def path(self) -> Path:
        return self.folder.path

    def describe(self, config: dict[str, Any], **sections: Any) -> dict[str, Any]:
        """Start the manifest: identity, the config, the kind's `sections`, the prompt templates
        (copied into `prompts/`, recorded as {name: sha256}; {} when the run uses none), versions."""
        self.manifest = {
            "synthgen_version": synthgen_version(),
            "command": self.command,
            "status": "running",
            "fingerprint": self.fingerprint,
            "created": self.previous.get("created", now_iso()),
            "config": config,
            **sections,
            "prompts": keep_templates(self.path, self.templates),
            "versions": library_versions(),
            "data": None,
        }
        return self.manifest

    def run(self, loop: Any, span: range, progress: bool = True, keep: Callable[[list], None] | None = None) -> None:
        """Run `loop` (`.run()`, `.rows`, `.progress`) until it has made the rows of `span`.

        `keep(rows)` writes the kind's data shards (through `write_data`); it runs when the kind
        calls `keep()` at the end, and here when the loop stops early.
        """
        import datasets  # noqa: F401  # loaded now so that a stop writes its rows at once

        self.loop, self.span, self.keeper = loop, span, keep
        self.rows_before = len(loop.rows)
        loop.progress = Progress(len(span), done=min(self.rows_before, len(span)), enabled=progress)
        self.started_wall, self.started = now_iso(), time.monotonic()
        self.write_manifest("running")
        try:
            loop.run()
        except BaseException as exc:
            self.stop(exc)
            raise
        self.journal.close()
        loop.progress.close()

    def keep(self) -> None:
        """Write the rows made so far as the kind's data shards (a no-op without a `keep`)."""
        if self.keeper is not None:
            self.keeper(self.rows)

    def stop(self, exc: BaseException, reason: str | None = None) -> None:
        """End the run early because of `exc`: close the journal, keep the rows made so far as a
        dataset that loads, mark manifest and card "incomplete" with `stop` {reason, message}.

        Signals are held meanwhile (a second Ctrl-C must not tear the shard being written); a
        write that fails here (the disk that stopped the run is still full) leaves the journal,
        which a rerun resumes from, and the manifest says "interrupted" if it can be written.
        """
        if reason is None:
            reason = (
                "interrupted"
                if isinstance(exc, KeyboardInterrupt)
                else ("gave up" if isinstance(exc, SynthgenError) else "error")
            )
        message = str(exc) if isinstance(exc, SynthgenError) else type(exc).__name__
        with signals_between_steps():
            try:
                self.journal.close()
            except OSError:
                pass  # the torn last line is cut on resume (journal.py)
            self.early = True
            if not self.path.is_dir():
                return  # the folder was removed under the run: writing would make a new, journal-less one
            try:
                self.keep()
                self.manifest["stop"] = {"reason": reason, "message": message}
                self.write_manifest("incomplete")
            except Exception:
                with contextlib.suppress(Exception):
                    self.write_manifest("interrupted")
            if self.loop.progress is not None:
                self.loop.progress.close()

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows this run keeps: the loop's first len(span)."""
        return self.loop.rows[: len(self.span)]

    def write_data(self, rows: list[dict[str, Any]], features, name: str = DATA_FILE, key: str = "data") -> None:
        """Write one Parquet shard and record its size facts under `manifest[key]`.

        The main shard (`key` "data") also gets its diversity measured into `manifest["diversity"]`.
        """
        self.manifest[key] = self.folder.write_parquet(rows, features, name)
        if key == "data" and self.diversity is not None and not self.early:  # a stop must be quick
            self.manifest["diversity"] = measure(rows, self.diversity)

    def write_manifest(self, status: str) -> dict[str, Any]:
        """Rewrite manifest and card with `status`; return this session's timing entry."""
        seconds = time.monotonic() - self.started
        session = {
            "started": self.started_wall,
            "ended": now_iso(),
            "seconds": round(seconds, 2),
            "rows_added": max(0, len(self.loop.rows) - self.rows_before),
            **self.session_facts(self.loop, seconds),
        }
        self.manifest.update(
            status=status,
            updated=now_iso(),
            rows=min(len(self.loop.rows), len(self.span)),
            **self.totals(self.loop),
            timing=timing([*self.sessions, session]),
        )
        self.folder.write_json_atomic(MANIFEST, self.manifest)
        self.folder.write_text_atomic(CARD, self.render_card(self.manifest))
        self.session = session
        return session

    def result(self, cls: type[R] = RunResult, **extra: Any) -> R:
        """What the run produced, from the manifest last written."""
        return cls(
            out=self.path,
            rows=self.manifest["rows"],
            counters=self.manifest.get("counters", {}),
            tokens=self.manifest.get("tokens", {}),
            wall_s=self.manifest["timing"]["wall_s"],
            session_s=self.session["seconds"],
            backend_s=self.session.get("backend_seconds", 0.0),
            **extra,
        )
