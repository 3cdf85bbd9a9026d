"""The run folder: a local dataset repository that is also the run's checkpoint.

Layout (`--out DIR`):
  README.md                          dataset card; YAML `configs` point at data/train-*.parquet
  data/train-00000-of-00001.parquet  the rows, written when the run completes
  journal.jsonl                      append-only record of every attempt (the crash-safe state)
  manifest.json                      config, fingerprint, model file + sha256, versions, counters, timing
  prompts/<template>                 the prompt templates the run used, as it read them (none for
                                     procedural math/logic)

`datasets.load_dataset(DIR, split="train")` reads it offline; `huggingface-cli upload` or
`push_to_hub` publishes it as is. The manifest's fingerprint guards against mixing two configs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from synthgen.errors import SynthgenError

JOURNAL = "journal.jsonl"
MANIFEST = "manifest.json"
CARD = "README.md"
DATA_DIR = "data"
DATA_FILE = "data/train-00000-of-00001.parquet"
LOCK = ".synthgen.lock"
PROMPTS_DIR = "prompts"
PROBE = ".synthgen-write-test"
# What a run writes before its first manifest: a folder holding only these (with the lock) is one a
# kill interrupted at its very start, not a user's folder.
_BEFORE_MANIFEST = {LOCK, PROMPTS_DIR, PROBE, MANIFEST + ".tmp"}  # .tmp: killed while writing the first one
_OWNED = (JOURNAL, MANIFEST, CARD, DATA_DIR, PROMPTS_DIR)


def default_out(command: str, root: str | Path = "outputs") -> Path:
    """outputs/<command>-<UTC timestamp>, the default --out."""
    return Path(root) / f"{command}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunFolder:
    """Creates, checks and writes the files of one run folder."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self.lock_was_there = self.made_folder = False

    @property
    def journal_path(self) -> Path:
        return self.path / JOURNAL

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            manifest = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise SynthgenError(f"cannot read {self.path / MANIFEST}: {exc}") from None
        if not isinstance(manifest, dict):
            raise SynthgenError(f"cannot read {self.path / MANIFEST}: not a JSON object (an edited manifest?)")
        return manifest

    def prepare(self, fingerprint: str, overwrite: bool, command: str | None = None) -> bool:
        """Make the folder ready; return True when resuming a run with the same fingerprint.

        A folder made by a different config is refused unless `overwrite`; a non-empty folder
        that synthgen did not make is always refused, so --overwrite never deletes user files.
        """
        if self.path.exists() and not self.path.is_dir():
            raise SynthgenError(f"--out exists and is not a directory: {self.path}")
        try:
            manifest = self.read_manifest() if self.path.is_dir() else None
        except SynthgenError as exc:
            if not overwrite:
                raise SynthgenError(f"{exc}; restore it, or pass --overwrite to start the run again") from None
            manifest = {"fingerprint": None}  # a damaged manifest of ours: --overwrite replaces the run
        if manifest is None and self.path.is_dir() and (self.path / JOURNAL).exists():
            if not overwrite:  # without the manifest nothing says which options the journal was made with
                raise SynthgenError(
                    f"{self.path} has a journal but no {MANIFEST} (deleted?); restore it to resume, "
                    "or pass --overwrite to start the run again"
                )
            manifest = {"fingerprint": None}
        names = {p.name for p in self.path.iterdir()} if self.path.is_dir() else set()
        started = self.lock_was_there and names <= _BEFORE_MANIFEST  # an earlier run killed before its manifest
        if manifest is None and names - {LOCK} and not started:
            raise SynthgenError(f"--out is a non-empty folder that synthgen did not create: {self.path}")
        resuming = False
        if manifest is not None:
            if manifest.get("fingerprint") == fingerprint and not overwrite:
                resuming = True
            elif overwrite:
                for name in _OWNED:
                    target = self.path / name
                    if target.is_dir():
                        shutil.rmtree(target)
                    elif target.exists():
                        target.unlink()
            elif command is not None and manifest.get("command") not in (None, command):
                raise SynthgenError(
                    f"{self.path} holds a synthgen {manifest.get('command')} run, not {command}; "
                    "use another --out, or --overwrite to replace it"
                )
            else:
                raise SynthgenError(
                    f"{self.path} holds a run with a different configuration "
                    f"(fingerprint {manifest.get('fingerprint')} != {fingerprint}); "
                    "use the same options to resume, --overwrite to replace it, or another --out"
                )
        self.check_writable()
        return resuming

    def lock(self) -> None:
        """Take an exclusive lock on the folder for this process's lifetime.

        Two runs appending to one journal would interleave their attempts; the second is refused
        instead. The OS drops the lock when the process ends, even on kill -9.
        """
        import fcntl

        try:
            self.made_folder = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
            self.lock_was_there = (self.path / LOCK).exists()  # an earlier run of synthgen's took it
            handle = (self.path / LOCK).open("a")
        except OSError as exc:
            raise SynthgenError(f"cannot write to --out {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SynthgenError(
                f"another synthgen run is writing to {self.path}; wait for it to finish or use another --out"
            ) from None
        self._lock_handle = handle

    def unlock(self, refused: bool = False) -> None:
        """Release the lock; `refused`: the run never started, so take away the lock file (and the
        folder) if this run made them, leaving a refused folder exactly as it was."""
        handle = getattr(self, "_lock_handle", None)
        if handle is not None:
            if refused and not self.lock_was_there:
                (self.path / LOCK).unlink(missing_ok=True)
                if self.made_folder:
                    with contextlib.suppress(OSError):
                        self.path.rmdir()
            handle.close()  # closing the file releases the flock
            self._lock_handle = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder lock for the duration of a `with` block."""
        self.lock()
        try:
            yield
        finally:
            self.unlock()

    def check_writable(self, keep: bool = True) -> None:
        """Fail with one line unless the folder can be created and written.

        With keep=False a folder created only for this check is removed again, so a run that
        fails later (say, on a bad model) leaves nothing behind.
        """
        if self.path.exists() and not self.path.is_dir():
            raise SynthgenError(f"--out exists and is not a directory: {self.path}")
        created = not self.path.exists()
        top = self.path  # the outermost folder this check creates: all of them go again with keep=False
        while not top.parent.exists() and top.parent != top:
            top = top.parent
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / PROBE
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise SynthgenError(f"cannot write to --out {self.path}: {exc.strerror or exc}") from None
        if created and not keep:
            for folder in (self.path, *self.path.parents):
                folder.rmdir()
                if folder == top:
                    break

    def write_json_atomic(self, name: str, data: dict[str, Any]) -> None:
        """Write via a temp file and rename, so a crash never leaves half a manifest."""
        self.write_text_atomic(name, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")

    def write_text_atomic(self, name: str, text: str) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)

    def write_parquet(self, rows: list[dict[str, Any]], features, name: str = DATA_FILE) -> dict[str, Any]:
        """Write `rows` as the Parquet shard `name` (under data/), atomically; return its size facts.

        The one Parquet writer of every command. The facts go into the card's `dataset_info`.
        Besides informing the Hub viewer, they matter locally: `datasets` keys its cache for a
        local folder on the folder name and the card's metadata, not on the data files, so
        without sizes that change with the content, reloading a resumed or overwritten folder
        could return stale cached rows. Zero rows still get the declared schema, so a run stopped
        early writes a shard with the right columns.
        """
        from datasets import Dataset, disable_progress_bars

        disable_progress_bars()  # our own progress line is the only one on stderr
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        if rows:
            dataset = Dataset.from_list(rows, features=features)
        else:  # from_list([]) infers no columns
            dataset = Dataset.from_dict({column: [] for column in features}, features=features)
        dataset.to_parquet(str(tmp))
        os.replace(tmp, target)
        return {
            "file": name,
            "num_examples": len(dataset),
            "num_bytes": dataset.data.nbytes,
            "download_size": target.stat().st_size,
            "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
        }
