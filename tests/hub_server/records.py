"""Repos and commits as the fake Hub holds them: the data the store keeps and tests inspect.

Why a file of its own: these records are the server's authoritative state and what tests read back
(`HubServer.commits()`, `history()`, `repos`): every commit keeps an in-memory snapshot of the whole tree, so any
commit sha stays readable, and its git ids (git_ids.py) are computed once, on demand. How commits are made and
written to disk is the store's business (store.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .git_ids import git_blob_oid, git_tree_oids, lfs_pointer

_SHA_RE = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Operation:
    """One line of a commit payload: kind is "file", "lfsFile", "deletedFile" or "deletedFolder"."""

    kind: str
    path: str
    content: bytes | None = None
    oid: str | None = None  # sha256 of an "lfsFile"


@dataclass
class Commit:
    """A commit the server made. `revision` is the one in the URL; `ref` the one written (`refs/pr/N` for a PR)."""

    repo_id: str
    oid: str
    parent: str | None
    revision: str
    ref: str
    message: str
    description: str
    create_pr: bool
    pr_num: int | None
    operations: list[Operation]
    files: dict[str, bytes]
    date: datetime
    parent_commit: str | None = None  # the `parentCommit` the client sent, if any
    lfs: frozenset[str] = frozenset()  # paths stored as LFS objects (only with upload_mode "lfs"/"auto")
    _blobs: dict[str, str] | None = field(default=None, repr=False)
    _trees: dict[str, str] | None = field(default=None, repr=False)

    @property
    def added(self) -> list[str]:
        return [op.path for op in self.operations if op.kind in ("file", "lfsFile")]

    @property
    def deleted(self) -> list[str]:
        return [op.path for op in self.operations if op.kind in ("deletedFile", "deletedFolder")]

    def __getitem__(self, key: str) -> Any:
        """`commit["message"]` works like `commit.message` (also "added", "deleted", "create_pr", ...)."""
        if key.startswith("_") or not hasattr(self, key):
            raise KeyError(key)
        return getattr(self, key)

    @property
    def blob_oids(self) -> dict[str, str]:
        if self._blobs is None:
            self._blobs = {
                path: git_blob_oid(lfs_pointer(data) if path in self.lfs else data) for path, data in self.files.items()
            }
        return self._blobs

    @property
    def tree_oids(self) -> dict[str, str]:
        if self._trees is None:
            self._trees = git_tree_oids(self.files, self.blob_oids)
        return self._trees


@dataclass
class Repo:
    repo_id: str
    private: bool
    created_at: datetime
    refs: dict[str, str] = field(default_factory=dict)  # "main", "dev", "refs/pr/1" -> commit oid
    commits: dict[str, Commit] = field(default_factory=dict)
    pulls: dict[int, str] = field(default_factory=dict)  # PR number -> base branch

    @property
    def branches(self) -> list[str]:
        return [ref for ref in self.refs if not ref.startswith("refs/")]

    def resolve(self, revision: str) -> Commit | None:
        if revision in self.refs:
            return self.commits[self.refs[revision]]
        return self.commits.get(revision) if _SHA_RE.match(revision) else None
