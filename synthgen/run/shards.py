"""Shards: one run split into N parts, each a pure function of (config, K, N), in one run folder.

Why: a large run can then be spread over many machines (a Slurm array task per shard, or a Ray
task per shard) without any coordination beyond a shared folder. Shard K makes a fixed slice of
the run's rows (contiguous blocks, exactly as `datasets.Dataset.shard(contiguous=True)`: the first
n % N shards get one row more) and numbers its attempts (or slots) from the end of the budgets of
the shards before it. Seeds and row ids come from that global attempt index, so shard 0 of 1 is
the unsharded run, and no two shards ever draw the same attempt.

Layout under `--out R`:
  R/sharding.json               {command, num_shards, n, fingerprint}: created once, atomically and
                                exclusively, by the first shard that gets going; every later shard
                                must agree with it
  R/shards/00000-of-00004/      shard 0's ordinary run folder (lock, journal, manifest, card, data):
                                RunSession runs it unchanged, and resumes it like any run folder
  R/completions/00000           empty marker, written only after shard 0 finished completely
  R/data, R/README.md, R/manifest.json   the merge of all shards (`synthgen merge`, command "merge")

The markers belong to this module, not to the loops (datatrove's model): a loop only knows its
span of attempts; a shard whose marker exists is not run again at all.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen.errors import SynthgenError
from synthgen.run.folder import JOURNAL, RunFolder, default_out
from synthgen.run.options import check_choice, check_int, check_rows

SHARDING = "sharding.json"
SHARDS_DIR = "shards"
COMPLETIONS_DIR = "completions"
EXECUTORS = ("local", "ray")
# Set while an executor runs the shards itself: it merges them too, so a shard need not say how to.
_EXECUTOR_MERGES = contextvars.ContextVar("synthgen_executor_merges", default=False)


@contextlib.contextmanager
def executor_merges() -> Iterator[None]:
    """Mark the shards run inside this block as run by an executor that merges them afterwards."""
    token = _EXECUTOR_MERGES.set(True)
    try:
        yield
    finally:
        _EXECUTOR_MERGES.reset(token)


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count`."""

    index: int
    count: int

    @property
    def name(self) -> str:
        return f"{self.index:05d}-of-{self.count:05d}"

    def rows(self, n: int) -> range:
        """This shard's rows of a run of n: contiguous, the first n % count shards one row longer."""
        per, extra = divmod(n, self.count)
        start = self.index * per + min(self.index, extra)
        return range(start, start + per + (self.index < extra))

    def attempts(self, n: int, budget: Callable[[int], int]) -> range:
        """This shard's attempt (or slot) indexes: `budget(rows)` of them, after the earlier shards' budgets.

        `budget(r)` is how many attempts a run of r rows may use (e.g. r * max_attempts_factor), so a
        shard's budget is its share of the whole run's and the spans of the shards never overlap.
        """
        first = sum(budget(len(Shard(k, self.count).rows(n))) for k in range(self.index))
        return range(first, first + budget(len(self.rows(n))))


def shard_folder(root: Path, shard: Shard) -> Path:
    return root / SHARDS_DIR / shard.name


def marker(root: Path, index: int) -> Path:
    return root / COMPLETIONS_DIR / f"{index:05d}"


def read_sharding(root: str | Path) -> dict[str, Any] | None:
    """R/sharding.json, or None when `root` is not a sharded run folder."""
    path = Path(root).expanduser() / SHARDING
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise SynthgenError(f"cannot read {path}: {exc}") from None


def missing_shards(root: str | Path, num_shards: int) -> list[int]:
    """Indexes of the shards of `root` without a completion marker."""
    root = Path(root).expanduser()
    return [k for k in range(num_shards) if not marker(root, k).exists()]


def name_indexes(indexes: list[int], most: int = 10) -> str:
    """'1, 3' or '0, 1, ..., 9 (and 40 more)': shard indexes for a one-line message."""
    shown = ", ".join(str(k) for k in indexes[:most])
    return shown + (f" (and {len(indexes) - most} more)" if len(indexes) > most else "")


def check_executor_options(n: Any, out: Any, shard_index: Any, num_shards: Any, executor: Any) -> None:
    """--shard-index, --num-shards and --executor, with the one option wording (exit 2)."""
    check_rows(n)
    check_choice("executor", executor, EXECUTORS)
    if shard_index is not None and num_shards is None:
        raise SynthgenError("--shard-index needs --num-shards (the number of shards the run is split into)")
    if num_shards is None:
        if executor != "local":
            raise SynthgenError(f"--executor {executor} runs the shards of a run; it needs --num-shards")
        return
    check_int("num_shards", num_shards)
    if num_shards > n:
        raise SynthgenError(f"--num-shards must be at most --n ({n}), got {num_shards}")
    if shard_index is None:
        return
    check_int("shard_index", shard_index, least=0)
    if shard_index >= num_shards:
        raise SynthgenError(f"--shard-index must be below --num-shards (0 to {num_shards - 1}), got {shard_index}")
    if executor != "local":
        raise SynthgenError(f"--executor {executor} runs every shard; drop --shard-index, or drop --executor")
    if out is None:
        raise SynthgenError("--shard-index needs --out: every shard of a run writes under the same folder")


@dataclass
class ShardPart:
    """What this call makes of a run: all of it (unsharded), one shard, or every shard (`fan_out`).

    The API functions ask it for their row count, folder, attempt span and manifest section, so
    the unsharded path is the same code with Shard(0, 1) semantics and no marker.
    """

    command: str
    n: int  # the whole run's rows
    root: Path | None  # --out as given (R for a sharded run)
    shard: Shard | None  # None: unsharded, or every shard (fan_out)
    num_shards: int | None
    executor: str
    progress: bool = True

    @classmethod
    def of(cls, command: str, n: Any, out: Any, shard_index: Any, num_shards: Any, executor: Any,
           progress: bool = True) -> ShardPart:  # fmt: skip
        """Validate the options and check that `out` can hold this part."""
        check_executor_options(n, out, shard_index, num_shards, executor)
        root = Path(out) if out else None  # as given when unsharded: the manifest records it so
        if num_shards is not None:
            root = root.expanduser() if root is not None else default_out(command)
        shard = Shard(shard_index, num_shards) if shard_index is not None else None
        part = cls(command, n, root, shard, num_shards, executor, progress)
        part._check_root()
        return part

    def _check_root(self) -> None:
        if self.root is None or not self.root.expanduser().is_dir():
            return
        sharded = (self.root.expanduser() / SHARDING).exists()
        if self.num_shards is None and sharded:
            raise SynthgenError(
                f"{self.root} is a sharded run folder; pass the same --num-shards (and --shard-index) "
                "to resume it, or use another --out"
            )
        if self.num_shards is not None and not sharded and (self.root.expanduser() / JOURNAL).exists():
            raise SynthgenError(f"--out {self.root} holds an unsharded run; use another --out for a sharded run")
        if self.num_shards is not None and sharded:
            self._agree(read_sharding(self.root) or {}, fingerprint=None)

    @property
    def fan_out(self) -> bool:
        """True when this call runs every shard (with --executor) and merges them."""
        return self.num_shards is not None and self.shard is None

    @property
    def count(self) -> int:
        """The rows this part makes."""
        return len(self.shard.rows(self.n)) if self.shard else self.n

    @property
    def rows(self) -> range:
        """This part's span of the run's global row index."""
        return self.shard.rows(self.n) if self.shard else range(self.n)

    @property
    def out(self) -> Path | None:
        """The run folder this part writes: the shard's folder, else --out as given."""
        return shard_folder(self.root, self.shard) if self.shard else self.root

    def attempts(self, budget: Callable[[int], int]) -> range:
        """This part's attempt span; range(budget(n)) for an unsharded run, as before sharding."""
        return self.shard.attempts(self.n, budget) if self.shard else range(budget(self.n))

    def slice(self, total: int) -> range:
        """This part's contiguous slice of a finite source of `total` items (--prompts-from)."""
        return self.shard.rows(total) if self.shard else range(total)

    def section(self) -> dict[str, Any]:
        """The shard's manifest section ({} for an unsharded run, whose manifest stays as it was)."""
        if self.shard is None:
            return {}
        rows = self.rows
        return {"shard": {"index": self.shard.index, "count": self.shard.count, "rows": [rows.start, rows.stop],
                          "run_n": self.n, "run_folder": str(self.root)}}  # fmt: skip

    # ---- markers ---------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True when this shard finished before: its marker exists and its folder says complete."""
        if self.shard is None or not marker(self.root, self.shard.index).exists():
            return False
        manifest = RunFolder(self.out).read_manifest() or {}
        return manifest.get("status") == "complete"

    def skipped(self, cls: type) -> Any:
        """The result of a finished shard, read from its manifest, without running anything."""
        manifest = RunFolder(self.out).read_manifest() or {}
        self.say(f"shard {self.shard.index} of {self.shard.count} is already complete in {self.out}; nothing to do")
        return cls(
            out=self.out,
            rows=manifest.get("rows", 0),
            counters=manifest.get("counters", {}),
            tokens=manifest.get("tokens", {}),
            wall_s=manifest.get("timing", {}).get("wall_s", 0.0),
            session_s=0.0,
        )

    def claim(self, fingerprint: str) -> None:
        """Create R/sharding.json (exclusively: one shard wins a race) or check that it agrees."""
        if self.shard is None:
            return
        wanted = {"command": self.command, "num_shards": self.num_shards, "n": self.n, "fingerprint": fingerprint}
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / SHARDING
        tmp = self.root / f".{SHARDING}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(wanted, indent=2) + "\n")
        try:
            os.link(tmp, target)  # fails if another shard created it first
        except FileExistsError:
            self._agree(read_sharding(self.root) or {}, fingerprint)
        finally:
            tmp.unlink(missing_ok=True)

    def _agree(self, found: dict[str, Any], fingerprint: str | None) -> None:
        wanted = {"command": self.command, "num_shards": self.num_shards, "n": self.n}
        if fingerprint is not None:
            wanted["fingerprint"] = fingerprint
        differ = {key: found.get(key) for key, value in wanted.items() if found.get(key) != value}
        if differ:
            have = ", ".join(f"{key} {value}" for key, value in differ.items())
            mine = ", ".join(f"{key} {wanted[key]}" for key in differ)
            raise SynthgenError(
                f"{self.root} was split by another run ({have}; this one has {mine}); "
                "use the same command and options for every shard, or another --out"
            )

    def finish(self) -> None:
        """Write this shard's completion marker (after its manifest says complete)."""
        if self.shard is None:
            return
        path = marker(self.root, self.shard.index)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        missing = missing_shards(self.root, self.shard.count)
        if _EXECUTOR_MERGES.get():
            return
        if missing:
            self.say(f"shard {self.shard.index} of {self.shard.count} complete; {len(missing)} still to run "
                     f"({name_indexes(missing)}); then: synthgen merge {self.root} --out MERGED")  # fmt: skip
        else:
            self.say(f"all {self.shard.count} shards complete; merge them: synthgen merge {self.root} --out MERGED")

    def say(self, line: str) -> None:
        """One status line on stderr, like the progress line (none with progress off)."""
        if self.progress:
            print(f"synthgen: {line}", file=sys.stderr, flush=True)
