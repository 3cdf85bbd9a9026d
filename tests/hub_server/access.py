"""Who may do what: the token check, the read and write rules, and which revision a URL names.

Why a file of its own: every route applies the same rules, and they mirror the Hub's closely enough that the
client raises the same exceptions: a wrong token is 401 on every endpoint, a private repo looks exactly like a
missing one, a `read_only` repo may be read (and receive a pull request) but not written. The token is only held in
memory to compare: `_scrub` keeps it out of the request log and of error tracebacks.

A mixin of `HubServer` (server.py), which holds `_token`, `repos`, `read_only` and `_lock`.
"""

from __future__ import annotations

from urllib.parse import unquote

from .records import Commit, Repo
from .wire import HubError


class AccessRules:
    """Authentication, the read/write rules of a repo, and revision lookup for the route handlers."""

    def forbid(self, repo_id: str) -> None:
        """Let the token read `repo_id` but not write it (same as adding it to `read_only`)."""
        with self._lock:
            self.read_only.add(repo_id)

    def _auth_state(self, header: str | None) -> str:
        if not header:
            return "none"
        scheme, _, value = header.partition(" ")
        return "valid" if scheme.lower() == "bearer" and value.strip() == self._token else "invalid"

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _readable(self, repo_id: str, auth: str) -> Repo:
        repo = self.repos.get(repo_id)
        if repo is None or (repo.private and auth != "valid"):
            # Like the Hub: unauthenticated requests get 401, and a private repo looks exactly like a missing one.
            raise HubError(401 if auth != "valid" else 404, "Repository not found", "RepoNotFound")
        return repo

    def _writable(self, repo_id: str, auth: str, *, pull_request: bool = False) -> Repo:
        if auth != "valid":
            raise HubError(401, "You must be authenticated with a write token to do this")
        repo = self._readable(repo_id, auth)
        if repo_id in self.read_only and not pull_request:
            raise HubError(403, f"You don't have the rights to write to datasets/{repo_id}")
        return repo

    @staticmethod
    def _split_revision(repo: Repo, tail: str) -> tuple[str, str]:
        """Split `<rev>[/<path>]` where the revision may be quoted (`refs%2Fpr%2F1`) or not (`refs/pr/1`)."""
        segments = tail.split("/") if tail else [""]
        for cut in range(1, len(segments) + 1):
            candidate = unquote("/".join(segments[:cut]))
            if repo.resolve(candidate) is not None:
                return candidate, "/".join(unquote(s) for s in segments[cut:])
        return unquote(segments[0]), "/".join(unquote(s) for s in segments[1:])

    def _at(self, repo: Repo, revision: str) -> Commit:
        commit = repo.resolve(revision)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return commit
