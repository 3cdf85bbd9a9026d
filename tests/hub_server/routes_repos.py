"""Route handlers for repos and refs: whoami, create/delete, settings, repo info, branches, refs and commits.

Why a file of its own: these are the endpoints that manage a repo and its refs rather than its content
(`GET /api/whoami-v2`, `POST /api/validate-yaml`, `POST /api/repos/create`, `DELETE /api/repos/delete`,
`PUT .../settings`, `GET /api/datasets/{id}[/revision/{rev}]`, `POST|DELETE .../branch/{branch}`, `GET .../refs`,
`GET .../commits/{rev}`), answered with the fields huggingface_hub 2.4.0 reads. Reading the README front matter
(`cardData`, `/api/validate-yaml`) uses PyYAML, a synthgen dependency, imported lazily.

A mixin of `HubServer` (server.py); routing.py dispatches to these methods.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from typing import Any
from urllib.parse import unquote

from .access import AccessRules
from .git_ids import lfs_pointer
from .records import Commit
from .store import RepoStore
from .wire import HubError, Response, iso, json_body, json_response, truthy

_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")


class RepoRoutes(AccessRules, RepoStore):
    """whoami, validate-yaml, create/delete repo, settings, repo info, branches, refs and the commit list."""

    def _whoami(self, auth: str) -> Response:
        if auth != "valid":
            raise HubError(401, "Invalid username or password.")
        return json_response(
            200,
            {
                "type": "user",
                "id": hashlib.sha1(self.user.encode()).hexdigest()[:24],
                "name": self.user,
                "fullname": self.user,
                "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"displayName": "fake-hub", "role": "write"}},
            },
        )

    def _validate_yaml(self, body: bytes) -> Response:
        content = json_body(body).get("content", "")
        try:
            metadata = _front_matter(content)
        except ValueError as err:
            return json_response(400, {"errors": [{"message": str(err)}], "warnings": [], "error": str(err)})
        warnings = [] if metadata else [{"message": "Empty or missing yaml metadata in repo card"}]
        return json_response(200, {"errors": [], "warnings": warnings})

    def _create(self, auth: str, payload: dict[str, Any]) -> Response:
        if auth != "valid":
            raise HubError(401, "You must be authenticated with a write token to create a repo")
        if payload.get("type") != "dataset":
            raise HubError(400, f"This fake Hub stores dataset repos only (got type={payload.get('type')!r})")
        name, namespace = payload.get("name"), payload.get("organization") or self.user
        if not isinstance(name, str) or not _NAME_RE.match(name) or not _NAME_RE.match(namespace):
            raise HubError(400, f"Invalid repo name: {namespace}/{name}")
        repo_id = f"{namespace}/{name}"
        url = f"{self.url}/datasets/{repo_id}"
        if repo_id in self.read_only:
            raise HubError(403, f'You don\'t have the rights to create a dataset under the namespace "{namespace}"')
        with self._lock:
            if repo_id in self.repos:
                # The Hub answers 409 and changes nothing (not even `private`); the client reads `url` even then.
                return json_response(409, {"error": "You already created this dataset repo", "url": url})
            visibility = payload.get("visibility")
            private = visibility == "private" if visibility is not None else bool(payload.get("private", False))
            self._create_repo(repo_id, private)
        return json_response(200, {"url": url, "name": repo_id, "id": uuid.uuid4().hex[:24]})

    def _delete(self, auth: str, payload: dict[str, Any]) -> Response:
        repo_id = f"{payload.get('organization') or self.user}/{payload.get('name')}"
        if payload.get("type") != "dataset":
            raise HubError(404, "Repository not found", "RepoNotFound")
        with self._lock:
            repo = self._writable(repo_id, auth)
            del self.repos[repo_id]
            namespace = self.root / repo_id.split("/")[0]
            for ref in repo.refs:
                shutil.rmtree(self.repo_path(repo_id, ref), ignore_errors=True)
            if namespace.is_dir() and not any(namespace.iterdir()):
                namespace.rmdir()
        return json_response(200, {})

    def _settings(self, repo_id: str, auth: str, payload: dict[str, Any]) -> Response:
        with self._lock:
            repo = self._writable(repo_id, auth)
            if "visibility" in payload:
                repo.private = payload["visibility"] == "private"
            elif "private" in payload:
                repo.private = bool(payload["private"])
        return json_response(200, {})

    def _info(self, repo_id: str, revision: str, query: dict[str, list[str]], auth: str) -> Response:
        with self._lock:
            repo = self._readable(repo_id, auth)
            commit = self._at(repo, unquote(revision) or "main")
            blobs = truthy(query.get("blobs", [""])[0])
            siblings = []
            for path in sorted(commit.files):
                sibling: dict[str, Any] = {"rfilename": path}
                if blobs:
                    data = commit.files[path]
                    sibling.update(size=len(data), blobId=commit.blob_oids[path])
                    if path in commit.lfs:
                        sha, pointer = hashlib.sha256(data).hexdigest(), lfs_pointer(data)
                        sibling["lfs"] = {"size": len(data), "sha256": sha, "pointerSize": len(pointer)}
                siblings.append(sibling)
            try:
                card = _front_matter(commit.files.get("README.md", b"").decode("utf-8", "replace"))
            except ValueError:
                card = {}
            info: dict[str, Any] = {
                "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24],
                "id": repo_id,
                "author": repo_id.split("/")[0],
                "sha": commit.oid,
                "lastModified": iso(commit.date),
                "createdAt": iso(repo.created_at),
                "private": repo.private,
                "gated": False,
                "disabled": False,
                "downloads": 0,
                "likes": 0,
                "tags": [str(tag) for tag in card.get("tags", []) or []] if isinstance(card, dict) else [],
                "cardData": card or None,
                "siblings": siblings,
                "usedStorage": sum(len(data) for data in commit.files.values()),
            }
            expand = query.get("expand", []) + query.get("expand[]", [])
            if expand:
                info = {key: value for key, value in info.items() if key in {"_id", "id", *expand}}
        return json_response(200, info)

    def _create_branch(self, repo_id: str, tail: str, auth: str, body: bytes) -> Response:
        branch = unquote(tail)
        payload = json_body(body) if body else {}
        with self._lock:
            repo = self._writable(repo_id, auth)
            if not branch or branch.startswith("refs/") or not re.match(r"^[\w.\-/]+$", branch):
                raise HubError(400, f"Invalid branch name: {branch!r}")
            if branch in repo.refs:
                raise HubError(409, f"Reference already exists: refs/heads/{branch}")
            start = self._at(repo, payload.get("startingPoint") or "main")
            self._materialize(repo_id, branch, start.files)
            repo.refs[branch] = start.oid
        return json_response(200, {})

    def _delete_branch(self, repo_id: str, tail: str, auth: str) -> Response:
        branch = unquote(tail)
        with self._lock:
            repo = self._writable(repo_id, auth)
            if branch == "main":
                raise HubError(403, "Cannot delete the default branch")
            if branch not in repo.branches:
                raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
            del repo.refs[branch]
            shutil.rmtree(self.repo_path(repo_id, branch), ignore_errors=True)
        return json_response(200, {})

    def _refs(self, repo_id: str, query: dict[str, list[str]], auth: str) -> Response:
        with self._lock:
            repo = self._readable(repo_id, auth)
            branches = [{"name": b, "ref": f"refs/heads/{b}", "targetCommit": repo.refs[b]} for b in repo.branches]
            data: dict[str, Any] = {"branches": branches, "converts": [], "tags": []}
            if truthy(query.get("include_prs", [""])[0]):
                prs = [ref for ref in repo.refs if ref.startswith("refs/pr/")]
                data["pullRequests"] = [{"name": ref, "ref": ref, "targetCommit": repo.refs[ref]} for ref in prs]
        return json_response(200, data)

    def _list_commits(self, repo_id: str, tail: str, auth: str) -> Response:
        with self._lock:
            repo = self._readable(repo_id, auth)
            revision, _ = self._split_revision(repo, tail)
            commit: Commit | None = self._at(repo, revision)
            items = []
            while commit is not None:
                items.append(
                    {
                        "id": commit.oid,
                        "title": commit.message,
                        "message": commit.description,
                        "authors": [{"user": self.user, "avatar": None}],
                        "date": iso(commit.date),
                    }
                )
                commit = repo.commits[commit.parent] if commit.parent else None
        return json_response(200, items)


def _front_matter(content: str) -> dict[str, Any]:
    """The README's YAML metadata ({} if none); ValueError if it is not a YAML mapping."""
    lines = content.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return {}
    import yaml  # a synthgen dependency; imported lazily so the rest stays stdlib-only

    try:
        metadata = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as err:
        raise ValueError(f"Invalid YAML in README.md metadata: {err}") from None
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValueError("README.md metadata must be a YAML mapping")
    return metadata
