"""Route handlers for writing content: preupload, the LFS basic transfer and the NDJSON commit.

Why a file of its own: this is the path a push takes, in order: `POST .../preupload/{rev}` says per file whether
its content comes inline in the commit ("regular", base64) or through LFS, then (for LFS files)
`POST /datasets/{id}.git/info/lfs/objects/batch` and `PUT /_lfs/{id}/{sha256}` upload it, and
`POST .../commit/{rev}` (NDJSON; `?create_pr=1` writes to a new `refs/pr/N`) is applied all-or-nothing by the
store. `upload_mode` ("regular", "lfs" or "auto", see `HubServer`) decides what preupload answers.

A mixin of `HubServer` (server.py), which holds `upload_mode` and `_lfs_objects`; routing.py dispatches here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from fnmatch import fnmatchcase
from typing import Any

from .access import AccessRules
from .git_ids import git_blob_oid
from .records import Operation
from .store import RepoStore
from .wire import HubError, Response, json_body, json_response

UPLOAD_MODES = ("regular", "lfs", "auto")
_LFS_THRESHOLD = 10 * 1024 * 1024  # the Hub stores files above 10 MB as LFS whatever .gitattributes says


class WriteRoutes(AccessRules, RepoStore):
    """preupload, LFS batch and upload, and commit."""

    def _preupload(self, repo_id: str, tail: str, auth: str, body: bytes, create_pr: bool) -> Response:
        payload = json_body(body)
        with self._lock:
            repo = self._writable(repo_id, auth, pull_request=create_pr)
            revision, _ = self._split_revision(repo, tail)
            commit = self._at(repo, revision)
            gitignore = payload.get("gitIgnore")
            if gitignore is None:
                gitignore = commit.files.get(".gitignore", b"").decode("utf-8", "replace")
            gitattributes = commit.files.get(".gitattributes", b"").decode("utf-8", "replace")
            answers = []
            for item in payload.get("files", []):
                path, size = item.get("path"), int(item.get("size") or 0)
                mode = self._upload_mode_for(path, size, gitattributes)
                answer = {"path": path, "uploadMode": mode, "shouldIgnore": _gitignored(path, gitignore)}
                if path in commit.files:
                    # Lets the client drop unchanged files from the commit: it compares this with the git sha1 of a
                    # regular file, or the sha256 of an LFS one.
                    content = commit.files[path]
                    answer["oid"] = hashlib.sha256(content).hexdigest() if mode == "lfs" else git_blob_oid(content)
                answers.append(answer)
        return json_response(200, {"files": answers, "commitOid": commit.oid})

    def _upload_mode_for(self, path: str, size: int, gitattributes: str) -> str:
        if self.upload_mode == "regular" or size == 0:
            return "regular"
        if self.upload_mode == "lfs" or size > _LFS_THRESHOLD or _lfs_tracked(path, gitattributes):
            return "lfs"
        return "regular"

    def _lfs_batch(self, repo_id: str, auth: str, payload: dict[str, Any]) -> Response:
        with self._lock:
            # Without `ref` the client is preparing a pull request, which needs read access only.
            self._writable(repo_id, auth, pull_request="ref" not in payload)
            if payload.get("operation") != "upload":
                raise HubError(400, "The fake Hub's LFS endpoint only accepts uploads")
            objects = []
            for item in payload.get("objects", []):
                oid, size = str(item.get("oid")), int(item.get("size") or 0)
                answer: dict[str, Any] = {"oid": oid, "size": size}
                if (repo_id, oid) not in self._lfs_objects:
                    href = f"{self.url}/_lfs/{repo_id}/{oid}"
                    answer.update(authenticated=True, actions={"upload": {"href": href, "expires_in": 3600}})
                objects.append(answer)
        headers = {"Content-Type": "application/vnd.git-lfs+json"}
        return json_response(200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"}, headers)

    def _lfs_put(self, repo_id: str, oid: str, body: bytes) -> Response:
        # Like a presigned storage URL: no token; the content must hash to the oid in the URL.
        if hashlib.sha256(body).hexdigest() != oid:
            raise HubError(400, f"LFS upload does not match its oid {oid}")
        with self._lock:
            if repo_id not in self.repos:
                raise HubError(404, "Repository not found", "RepoNotFound")
            self._lfs_objects[(repo_id, oid)] = body
        return Response(200)

    def _commit(self, repo_id: str, tail: str, auth: str, body: bytes, create_pr: bool) -> Response:
        lines = [line for line in body.splitlines() if line.strip()]
        try:
            items = [json.loads(line) for line in lines]
        except json.JSONDecodeError as err:
            raise HubError(400, f"Invalid NDJSON commit payload: {err}") from None
        if not items or items[0].get("key") != "header":
            raise HubError(400, "The first line of a commit payload must be its header")
        header = items[0].get("value") or {}
        summary = header.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            raise HubError(400, "A commit needs a non-empty summary")
        operations = [_parse_operation(item) for item in items[1:]]
        with self._lock:
            repo = self._writable(repo_id, auth, pull_request=create_pr)
            revision, _ = self._split_revision(repo, tail)
            if revision not in repo.refs:
                if repo.resolve(revision) is not None:
                    raise HubError(400, f"Cannot commit to a commit sha ({revision}); name a branch")
                raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
            if create_pr and revision.startswith("refs/"):
                raise HubError(400, f"A pull request must target a branch, not {revision}")
            parent_commit = header.get("parentCommit")
            if parent_commit is not None and parent_commit != repo.refs[revision]:
                raise HubError(412, "A commit has happened since. Please refresh and try again.")
            for i, op in enumerate(operations):
                if op.kind == "lfsFile":
                    content = self._lfs_objects.get((repo_id, op.oid or ""))
                    if content is None:
                        raise HubError(422, f"LFS object {op.oid} for {op.path} was never uploaded")
                    operations[i] = Operation("lfsFile", op.path, content, op.oid)
            ref = f"refs/pr/{len(repo.pulls) + 1}" if create_pr else revision
            commit = self._apply_commit(
                repo,
                revision,
                ref,
                operations,
                summary,
                header.get("description") or "",
                create_pr=create_pr,
                parent_commit=parent_commit,
            )
        result: dict[str, Any] = {
            "success": True,
            "commitOid": commit.oid,
            "commitUrl": f"{self.url}/datasets/{repo_id}/commit/{commit.oid}",
        }
        if create_pr:
            result["pullRequestUrl"] = f"{self.url}/datasets/{repo_id}/discussions/{commit.pr_num}"
        return json_response(200, result)


def _check_path(path: Any) -> str:
    if not isinstance(path, str) or not path.strip("/"):
        raise HubError(400, f"Invalid path in commit: {path!r}")
    parts = path.rstrip("/").split("/")
    if path.startswith("/") or any(part in ("", ".", "..", ".git") for part in parts):
        raise HubError(400, f"Invalid path in commit: {path!r}")
    return path


def _parse_operation(item: dict[str, Any]) -> Operation:
    key, value = item.get("key"), item.get("value") or {}
    path = _check_path(value.get("path"))
    if key == "file":
        content = value.get("content", "")
        encoding = value.get("encoding", "base64")
        if encoding == "base64":
            try:
                data = base64.b64decode(content, validate=True)
            except (binascii.Error, ValueError) as err:
                raise HubError(400, f"Invalid base64 content for {path}: {err}") from None
        elif encoding in ("utf-8", "utf8"):
            data = content.encode()
        else:
            raise HubError(400, f"Unknown encoding {encoding!r} for {path}")
        return Operation("file", path.rstrip("/"), data)
    if key == "deletedFile":
        return Operation("deletedFile", path.rstrip("/"))
    if key == "deletedFolder":
        return Operation("deletedFolder", path.rstrip("/"))
    if key == "lfsFile":
        if value.get("algo", "sha256") != "sha256" or not isinstance(value.get("oid"), str):
            raise HubError(400, f"Invalid lfsFile line for {path}")
        return Operation("lfsFile", path.rstrip("/"), None, value["oid"])
    raise HubError(400, f"Unknown commit operation {key!r}")


def _gitignored(path: str, gitignore: str) -> bool:
    """A simplified .gitignore matcher (no negation): enough to exercise the client's `shouldIgnore` handling."""
    for raw in gitignore.splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith(("#", "!")):
            continue
        if pattern.endswith("/"):
            directory = pattern.strip("/")
            if path.startswith(directory + "/") or f"/{directory}/" in f"/{path}":
                return True
        elif "/" in pattern.strip("/"):
            if fnmatchcase(path, pattern.lstrip("/")):
                return True
        elif any(fnmatchcase(part, pattern) for part in path.split("/")):
            return True
    return False


def _lfs_tracked(path: str, gitattributes: str) -> bool:
    """Whether a `.gitattributes` line with `filter=lfs` matches `path` (basename patterns, or full-path ones)."""
    for line in gitattributes.splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0].startswith("#") or "filter=lfs" not in fields[1:]:
            continue
        pattern = fields[0]
        if "/" in pattern.strip("/"):
            if fnmatchcase(path, pattern.lstrip("/")):
                return True
        elif fnmatchcase(path.rsplit("/", 1)[-1], pattern):
            return True
    return False
