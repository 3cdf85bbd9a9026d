"""Route handlers for reading content: tree listings, paths-info and resolve (file download).

Why a file of its own: these are all `datasets.load_dataset` and `hf_hub_download` need
(`GET .../tree/{rev}[/{path}]`, paged like the Hub with a `Link` header, `POST .../paths-info/{rev}` and
`GET|HEAD /datasets/{id}/resolve/{rev}/{path}`), and they share how an entry is described: git ids, LFS pointer
sizes and, with `expand`, the last commit that changed it. The `Range` header of resolve is applied when the
answer is sent (handler.py).

A mixin of `HubServer` (server.py), which holds `tree_page_size`; routing.py dispatches here.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, quote

from .access import AccessRules
from .git_ids import lfs_pointer
from .records import Commit, Repo
from .wire import HubError, Response, iso, json_response, truthy


class ReadRoutes(AccessRules):
    """tree, paths-info and resolve."""

    def _entry(self, repo: Repo, commit: Commit, path: str, expand: bool) -> dict[str, Any]:
        if path in commit.files:
            entry: dict[str, Any] = {
                "type": "file",
                "oid": commit.blob_oids[path],
                "size": len(commit.files[path]),
                "path": path,
            }
            if path in commit.lfs:
                data = commit.files[path]
                sha, pointer = hashlib.sha256(data).hexdigest(), lfs_pointer(data)
                entry["lfs"] = {"oid": sha, "size": len(data), "pointerSize": len(pointer)}
        else:
            entry = {"type": "directory", "oid": commit.tree_oids[path], "size": 0, "path": path}
        if expand:
            last = self._last_commit(repo, commit, path)
            entry["lastCommit"] = {"id": last.oid, "title": last.message, "date": iso(last.date)}
        return entry

    @staticmethod
    def _last_commit(repo: Repo, commit: Commit, path: str) -> Commit:
        def oid(c: Commit) -> str | None:
            return c.blob_oids.get(path) or c.tree_oids.get(path)

        current = oid(commit)
        while commit.parent is not None:
            parent = repo.commits[commit.parent]
            if oid(parent) != current:
                return commit
            commit = parent
        return commit

    def _paths_info(self, repo_id: str, tail: str, auth: str, body: bytes) -> Response:
        text = body.decode("utf-8", "replace")
        if text.lstrip().startswith("{"):
            payload = json.loads(text)
            paths, expand = list(payload.get("paths", [])), bool(payload.get("expand"))
        else:
            form = parse_qs(text, keep_blank_values=True)
            paths, expand = form.get("paths", []), truthy(form.get("expand", [""])[0])
        with self._lock:
            repo = self._readable(repo_id, auth)
            revision, _ = self._split_revision(repo, tail)
            commit = self._at(repo, revision)
            entries = []
            for raw in paths:
                path = raw.strip("/")
                if path in commit.files or (path and path in commit.tree_oids):
                    entries.append(self._entry(repo, commit, path, expand))
        return json_response(200, entries)

    def _tree(self, repo_id: str, tail: str, query: dict[str, list[str]], auth: str) -> Response:
        recursive = truthy(query.get("recursive", [""])[0])
        expand = truthy(query.get("expand", [""])[0])
        cursor = int(query.get("cursor", ["0"])[0] or 0)
        with self._lock:
            repo = self._readable(repo_id, auth)
            revision, path = self._split_revision(repo, tail)
            commit = self._at(repo, revision)
            path = path.strip("/")
            if path and path not in commit.tree_oids:
                headers = {"X-Repo-Commit": commit.oid}
                raise HubError(404, f"Entry not found: {path} is not a folder", "EntryNotFound", headers)
            prefix = path + "/" if path else ""
            paths = set()
            for name in list(commit.files) + [d for d in commit.tree_oids if d]:
                if name.startswith(prefix) and (recursive or "/" not in name[len(prefix) :]):
                    paths.add(name)
            ordered = sorted(paths)
            size = min(self.tree_page_size, 50) if expand else self.tree_page_size
            page = ordered[cursor : cursor + size]
            entries = [self._entry(repo, commit, name, expand) for name in page]
        headers = {}
        if cursor + size < len(ordered):
            tree_path = f"/api/datasets/{repo_id}/tree/{quote(revision, safe='')}"
            if path:
                tree_path += "/" + quote(path, safe="")
            params = f"recursive={str(recursive).lower()}&expand={str(expand).lower()}&cursor={cursor + size}"
            headers["Link"] = f'<{self.url}{tree_path}?{params}>; rel="next"'
        return json_response(200, entries, headers)

    def _resolve(self, repo_id: str, rest: str, auth: str) -> Response:
        with self._lock:
            repo = self._readable(repo_id, auth)
            revision, path = self._split_revision(repo, rest)
            commit = self._at(repo, revision)
            if path not in commit.files:
                headers = {"X-Repo-Commit": commit.oid}
                raise HubError(404, f"Entry not found: {path}", "EntryNotFound", headers)
            data = commit.files[path]
            is_lfs = path in commit.lfs
            # The Hub's ETag is the blob sha1 of a regular file, the sha256 of an LFS one.
            oid = hashlib.sha256(data).hexdigest() if is_lfs else commit.blob_oids[path]
        name = path.rsplit("/", 1)[-1]
        headers = {
            "X-Repo-Commit": commit.oid,
            "ETag": f'"{oid}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}; filename=\"{name}\"",
        }
        if is_lfs:
            headers.update({"X-Linked-Etag": f'"{oid}"', "X-Linked-Size": str(len(data))})
        return Response(200, data, headers)
