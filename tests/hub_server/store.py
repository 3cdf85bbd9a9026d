"""The repo store: creating repos, applying commits all-or-nothing and writing each revision to disk.

Why a file of its own: every write route (create, branch, commit) and `HubServer.create` go through
`_apply_commit`, the one place where a commit is validated on a copy of the tree, given its git id, written as a
plain directory (`repo_path`: `root/<ns>/<name>` for `main`, `root/<ns>/<name>@<rev>` for other branches and PR
refs, `/` in the rev written `%2F`) and only then published. The inspection methods tests use (`files`, `head`,
`commits`, `history`, `is_private`) read the same state. Like the Hub, a new repo gets an "initial commit" holding
a `.gitattributes` file, so it has a sha at once.

A mixin of `HubServer` (server.py), which holds the state used here: `root`, `user`, `repos`, `_commits`,
`_lock` and `_clock`.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from .git_ids import git_commit_oid
from .records import Commit, Operation, Repo
from .wire import HubError

# A shortened copy of the `.gitattributes` the Hub writes into the initial commit of a new dataset repo.
DEFAULT_GITATTRIBUTES = (
    b"*.7z filter=lfs diff=lfs merge=lfs -text\n"
    b"*.arrow filter=lfs diff=lfs merge=lfs -text\n"
    b"*.bin filter=lfs diff=lfs merge=lfs -text\n"
    b"*.gz filter=lfs diff=lfs merge=lfs -text\n"
    b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"
    b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
    b"*.zip filter=lfs diff=lfs merge=lfs -text\n"
    b"*.zst filter=lfs diff=lfs merge=lfs -text\n"
)


class RepoStore:
    """The repos and their commits; the public methods are the test-facing inspection API."""

    def repo_path(self, repo_id: str, revision: str = "main") -> Path:
        """The directory holding `revision` of `repo_id` (exists once the repo or branch does)."""
        namespace, name = repo_id.split("/")
        leaf = name if revision == "main" else f"{name}@{quote(revision, safe='')}"
        return self.root / namespace / leaf

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        """Path -> content at `revision` (a branch, `refs/pr/N` or a commit sha)."""
        with self._lock:
            commit = self._repo(repo_id).resolve(revision)
            if commit is None:
                raise KeyError(f"{repo_id} has no revision {revision!r}")
            return dict(commit.files)

    def head(self, repo_id: str, revision: str = "main") -> str:
        with self._lock:
            return self._repo(repo_id).refs[revision]

    def commits(self, repo_id: str | None = None) -> list[Commit]:
        """Commits clients made through the API (all repos, or one), oldest first, on any branch or PR ref.

        Commits the server made itself (the "initial commit" of `create_repo`, `create(files=...)`) are left out;
        `history()` has them.
        """
        with self._lock:
            return [c for c in self._commits if repo_id is None or c.repo_id == repo_id]

    def history(self, repo_id: str, revision: str = "main") -> list[Commit]:
        """Every commit reachable from `revision`, oldest first, server-made ones included."""
        with self._lock:
            repo = self._repo(repo_id)
            commit = repo.resolve(revision)
            chain = []
            while commit is not None:
                chain.append(commit)
                commit = repo.commits[commit.parent] if commit.parent else None
            return chain[::-1]

    def is_private(self, repo_id: str) -> bool:
        with self._lock:
            return self._repo(repo_id).private

    def create(self, repo_id: str, *, private: bool = False, files: Mapping[str, bytes] | None = None) -> Repo:
        """Make a repo directly (no HTTP), like `create_repo` plus, if `files`, one commit adding them."""
        with self._lock:
            repo = self._create_repo(repo_id, private)
            if files:
                ops = [Operation("file", path, data) for path, data in files.items()]
                self._apply_commit(repo, "main", "main", ops, "Seed files", "", create_pr=False, by_client=False)
            return repo

    def _repo(self, repo_id: str) -> Repo:
        repo = self.repos.get(repo_id)
        if repo is None:
            raise KeyError(f"no repo {repo_id!r} on the fake Hub")
        return repo

    def _create_repo(self, repo_id: str, private: bool) -> Repo:
        if repo_id in self.repos:
            raise ValueError(f"{repo_id} already exists")
        repo = Repo(repo_id, private, datetime.now(UTC))
        self.repos[repo_id] = repo
        initial = [Operation("file", ".gitattributes", DEFAULT_GITATTRIBUTES)]
        self._apply_commit(repo, "main", "main", initial, "initial commit", "", create_pr=False, by_client=False)
        return repo

    def _apply_commit(
        self,
        repo: Repo,
        revision: str,
        ref: str,
        operations: list[Operation],
        message: str,
        description: str,
        *,
        create_pr: bool,
        parent_commit: str | None = None,
        by_client: bool = True,
    ) -> Commit:
        """Validate all operations on a copy of the tree, write it to disk, then publish it: all or nothing."""
        base_oid = repo.refs.get(revision)
        base = repo.commits[base_oid] if base_oid else None
        files = dict(base.files) if base else {}
        lfs = set(base.lfs) if base else set()
        for op in operations:
            if op.kind in ("file", "lfsFile"):
                assert op.content is not None
                if any(p.startswith(op.path + "/") for p in files):
                    raise HubError(400, f"Cannot add file {op.path}: a folder with this name exists")
                for parent in _parents(op.path):
                    if parent in files:
                        raise HubError(400, f"Cannot add file {op.path}: {parent} is a file")
                files[op.path] = op.content
                if op.kind == "lfsFile":
                    lfs.add(op.path)
                else:
                    lfs.discard(op.path)
            elif op.kind == "deletedFile":
                if op.path not in files:
                    raise HubError(404, f"A file with this name doesn't exist: {op.path}", "EntryNotFound")
                del files[op.path]
                lfs.discard(op.path)
            else:  # deletedFolder
                prefix = op.path.rstrip("/") + "/"
                doomed = [p for p in files if p.startswith(prefix)]
                if not doomed:
                    raise HubError(404, f"A folder with this name doesn't exist: {op.path}", "EntryNotFound")
                for path in doomed:
                    del files[path]
                    lfs.discard(path)
        self._clock = max(int(time.time()), self._clock + 1)
        date = datetime.fromtimestamp(self._clock, UTC)
        pr_num = int(ref.rsplit("/", 1)[1]) if create_pr else None
        commit = Commit(
            repo_id=repo.repo_id,
            oid="",
            parent=base_oid,
            revision=revision,
            ref=ref,
            message=message,
            description=description,
            create_pr=create_pr,
            pr_num=pr_num,
            operations=list(operations),
            files=files,
            date=date,
            parent_commit=parent_commit,
            lfs=frozenset(lfs),
        )
        commit.oid = self._commit_oid(commit)
        try:
            self._materialize(repo.repo_id, ref, files)
        except OSError as err:
            raise HubError(500, f"Storage error: {err}") from err
        repo.commits[commit.oid] = commit
        repo.refs[ref] = commit.oid
        if create_pr and pr_num is not None:
            repo.pulls[pr_num] = revision
        if by_client:
            self._commits.append(commit)
        return commit

    def _commit_oid(self, commit: Commit) -> str:
        identity = f"{self.user} <{self.user}@users.noreply.fake-hub> {self._clock} +0000"
        return git_commit_oid(commit.tree_oids[""], commit.parent, commit.message, commit.description, identity)

    def _materialize(self, repo_id: str, ref: str, files: Mapping[str, bytes]) -> None:
        """Write `files` as the directory of `ref`: build it aside, then swap it in."""
        target = self.repo_path(repo_id, ref)
        target.parent.mkdir(parents=True, exist_ok=True)
        stamp = uuid.uuid4().hex[:8]
        staging = target.parent / f".{target.name}.new-{stamp}"
        trash = target.parent / f".{target.name}.old-{stamp}"
        try:
            staging.mkdir()
            for path, data in files.items():
                destination = staging / path
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(data)
            if target.exists():
                target.rename(trash)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(trash, ignore_errors=True)


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
