"""A fake Hugging Face Hub for dataset repos: a real HTTP server on loopback for the real client.

Why: publishing must be tested with the real `huggingface_hub` (2.4.0, `httpx2`) and `datasets` (5.2.0) clients,
wire format included, but tests have no network and nothing may contact huggingface.co. Patching `HfApi` methods
tests our assumptions about the client, not the client; this server lets the unmodified client push to it and read
back. Point a client at it with `HF_ENDPOINT=server.url`, set *before* `huggingface_hub`/`datasets` are imported
(both read it at import time), so run the client in a subprocess: `server.client_env(home)` builds the environment
and `server.run_client(code, home)` runs a snippet with a guard that refuses any non-loopback host name. Two
`datasets` calls ignore HF_ENDPOINT: `load_dataset` HEADs s3.amazonaws.com to count downloads (client_env sets
`HF_UPDATE_DOWNLOAD_COUNTS=0`) and asks `datasets-server.<endpoint host>` for exported infos (no variable for that:
set `datasets.config.USE_PARQUET_EXPORT = False` in the client code).

What it implements (the paths, payloads and response fields huggingface_hub 2.4.0 sends and reads):

- repos: `GET /api/datasets/{ns}/{name}[/revision/{rev}]` (repo_info/dataset_info), `POST /api/repos/create`,
  `DELETE /api/repos/delete`, `PUT /api/datasets/{id}/settings`, `GET /api/whoami-v2`;
- refs: `POST|DELETE /api/datasets/{id}/branch/{branch}`, `GET /api/datasets/{id}/refs`,
  `GET /api/datasets/{id}/commits/{rev}`;
- writes: `POST /api/validate-yaml`, `POST /api/datasets/{id}/preupload/{rev}` (by default every file is
  "regular", so its content comes base64-inline in the commit: no LFS, no Xet), `POST /api/datasets/{id}/commit/{rev}`
  (NDJSON; applied all-or-nothing; `?create_pr=1` writes to a new `refs/pr/N`); with `upload_mode="lfs"`/`"auto"`
  also the LFS basic transfer, `POST /datasets/{id}.git/info/lfs/objects/batch` and `PUT /_lfs/{id}/{sha256}`;
- reads: `POST /api/datasets/{id}/paths-info/{rev}`, `GET /api/datasets/{id}/tree/{rev}[/{path}]`,
  `GET|HEAD /datasets/{id}/resolve/{rev}/{path}` (with `Range`), which is all `datasets.load_dataset` needs.

Errors carry `X-Error-Code` (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`) as on the Hub, since that header,
not the status, decides the client's exception class. Only dataset repos exist: `/api/models/...` and
`/api/spaces/...` answer 404 RepoNotFound, as the Hub does for a dataset looked up without `repo_type="dataset"`.

State: each revision of a repo is materialised as a plain directory (`repo_path`): `root/<ns>/<name>` for `main`
and `root/<ns>/<name>@<rev>` for other branches and PR refs (`/` in the rev written `%2F`); the authoritative copy
is an in-memory snapshot per commit, so any commit sha stays readable. `commits(repo_id)` lists the commits clients
made (message, description, revision, ref written, create_pr, operations, added/deleted paths; also readable as
`commit["message"]`), `history(repo_id, rev)` the whole chain; `requests` logs every request (method, path, status).
The token is only held in memory to compare: it never reaches the log, the disk or an error body.
Failures are injected per test with `fail_next`, `slow`, `drop_next` or the general `inject`.

Like the Hub, `create_repo` makes an "initial commit" holding a `.gitattributes` file, so a new repo has a sha.
Reading the README front matter (`cardData`, `/api/validate-yaml`) uses PyYAML, a synthgen dependency; everything
else is the standard library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

DEFAULT_TOKEN = "synthgen-fake-hub-token"
DEFAULT_USER = "synthgen-tester"

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

_INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_API_REPO_RE = re.compile(r"^/api/(?P<type>models|datasets|spaces)/(?P<ns>[^/]+)/(?P<name>[^/]+)(?:/(?P<rest>.*))?$")
_LFS_BATCH_RE = re.compile(
    r"^/(?:(?P<type>datasets|spaces)/)?(?P<ns>[^/]+)/(?P<name>[^/]+?)\.git/info/lfs/objects/batch$"
)
_LFS_PUT_RE = re.compile(r"^/_lfs/(?P<ns>[^/]+)/(?P<name>[^/]+)/(?P<oid>[0-9a-f]{64})$")
_RESOLVE_RE = re.compile(r"^/(?:(?P<type>datasets|spaces)/)?(?P<ns>[^/]+)/(?P<name>[^/]+)/resolve/(?P<rest>.+)$")
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
_UPLOAD_MODES = ("regular", "lfs", "auto")
_LFS_THRESHOLD = 10 * 1024 * 1024  # the Hub stores files above 10 MB as LFS whatever .gitattributes says
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
_HF_VARS_TO_DROP = ("HF_TOKEN_PATH", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_DISABLE_IMPLICIT_TOKEN", "HF_OIDC_RESOURCE")

# Prepended to `run_client` snippets: any host name other than loopback fails to resolve (and says so on stderr).
NETWORK_GUARD = """\
import socket as _guard_socket
_guard_getaddrinfo = _guard_socket.getaddrinfo
def _loopback_only(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name not in (None, "127.0.0.1", "localhost", "::1"):
        import sys as _guard_sys
        print(f"NETWORK-GUARD blocked {name!r}", file=_guard_sys.stderr, flush=True)
        raise OSError(f"network guard: {name!r} is not loopback")
    return _guard_getaddrinfo(host, *args, **kwargs)
_guard_socket.getaddrinfo = _loopback_only
"""


# --------------------------------------------------------------------------------------------------------- git ids


def git_blob_oid(content: bytes) -> str:
    """The git blob sha1 of `content`: what the Hub reports as a regular file's `oid`/`blobId`/ETag."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(content: bytes) -> bytes:
    """The git-lfs pointer file git stores for an LFS object (its blob sha1 is the file's `oid` in tree listings)."""
    sha = hashlib.sha256(content).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(content)}\n".encode()


def _tree_oids(files: Mapping[str, bytes], blob_oids: Mapping[str, str]) -> dict[str, str]:
    """git tree sha1 of every directory ("" is the root) of a snapshot."""
    children: dict[str, dict[str, tuple[bool, str]]] = {"": {}}
    for path in files:
        parts = path.split("/")
        for depth in range(len(parts)):
            parent = "/".join(parts[:depth])
            children.setdefault(parent, {})
            is_dir = depth < len(parts) - 1
            children[parent][parts[depth]] = (is_dir, "/".join(parts[: depth + 1]))
    oids: dict[str, str] = {}
    for directory in sorted(children, key=lambda d: d.count("/") + (1 if d else 0), reverse=True):
        entries = []
        for name, (is_dir, full) in children[directory].items():
            oid = oids[full] if is_dir else blob_oids[full]
            entries.append((name + "/" if is_dir else name, b"40000" if is_dir else b"100644", name, oid))
        body = b"".join(
            mode + b" " + name.encode() + b"\0" + bytes.fromhex(oid) for _, mode, name, oid in sorted(entries)
        )
        oids[directory] = hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()
    return oids


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------------------------------------------------- state


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
            self._trees = _tree_oids(self.files, self.blob_oids)
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


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it. `status` is None when the connection was dropped on purpose."""

    method: str
    path: str  # percent-decoded URL path, e.g. /api/datasets/ns/name/commit/main
    query: str
    status: int | None
    route: str  # e.g. "repo_info", "commit", "resolve"; "unknown" for paths the fake does not serve
    auth: str  # "valid", "invalid" or "none": whether a token came and matched (the token itself is never kept)
    fault: str | None = None  # description of the injected fault that applied, if any
    raw_path: str = ""
    error: str | None = None  # set when the answer could not be written (e.g. the client had timed out)


@dataclass
class Fault:
    """An injected failure; `times=None` means every matching request until `clear_faults()`."""

    pattern: re.Pattern[str]
    method: str | None
    status: int | None
    headers: dict[str, str]
    body: Any
    delay: float
    drop: bool
    after: bool
    times: int | None
    hits: int = 0

    def describe(self) -> str:
        what = "drop" if self.drop else (f"status {self.status}" if self.status else f"delay {self.delay}s")
        return f"{what} on {self.method or '*'} {self.pattern.pattern}" + (" (after handling)" if self.after else "")


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    route: str = "unknown"


class HubError(Exception):
    """Raised inside request handling to answer an error the way the Hub does."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers = dict(headers or {})


# --------------------------------------------------------------------------------------------------------- server


class HubServer:
    """A fake Hub for dataset repos on `http://127.0.0.1:<port>` (see the module docstring).

    `HubServer(root, token=DEFAULT_TOKEN, *, user=DEFAULT_USER, read_only=(), upload_mode="regular")` starts
    serving at once (pass `start=False` to defer); use it as a context manager or call `stop()`. `read_only` holds
    repo ids the token may read but not write: create, branch, preupload and commit answer 403 (a commit with
    `create_pr` is allowed, as on the Hub, where reading a repo is enough to open a pull request).

    `upload_mode` is what preupload answers: "regular" (every file inline in the commit, base64), "lfs" (every
    non-empty file through the LFS basic transfer: batch, then PUT to this server) or "auto" (like the Hub: LFS for
    paths the revision's `.gitattributes` marks `filter=lfs`, e.g. `*.parquet`, and for files above 10 MB).
    `Dataset.push_to_hub` needs "lfs" or "auto": it preuploads each shard and deletes the temp file before the
    commit, which only works if preupload really uploaded the content.
    """

    def __init__(
        self,
        root: Path,
        token: str = DEFAULT_TOKEN,
        *,
        user: str = DEFAULT_USER,
        read_only: Iterable[str] = (),
        upload_mode: str = "regular",
        start: bool = True,
    ) -> None:
        if upload_mode not in _UPLOAD_MODES:
            raise ValueError(f"upload_mode must be one of {_UPLOAD_MODES}, not {upload_mode!r}")
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._token = token
        self.user = user
        self.read_only: set[str] = set(read_only)
        self.upload_mode = upload_mode
        self._lfs_objects: dict[tuple[str, str], bytes] = {}  # (repo id, sha256) -> content uploaded by LFS PUT
        self.repos: dict[str, Repo] = {}
        self._commits: list[Commit] = []  # commits made through the API, in order
        self.requests: list[LoggedRequest] = []
        self.errors: list[str] = []  # tracebacks of bugs in this server (answered as 500); tests assert it stays empty
        self.tree_page_size = 1000  # the Hub pages /tree by 1000 entries (50 with expand); lower it to test paging
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self._clock = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        if start:
            self.start()

    # ----------------------------------------------------------------------------------------------- lifecycle

    def start(self) -> HubServer:
        if self._httpd is None:
            httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            httpd.daemon_threads = True
            httpd.hub = self  # type: ignore[attr-defined]
            self._httpd = httpd
            self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), name="fake-hub", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake Hub is not running")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -------------------------------------------------------------------------------------------- inspection

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

    def forbid(self, repo_id: str) -> None:
        """Let the token read `repo_id` but not write it (same as adding it to `read_only`)."""
        with self._lock:
            self.read_only.add(repo_id)

    def requests_to(self, pattern: str = "", method: str | None = None) -> list[LoggedRequest]:
        """Logged requests whose decoded path matches `pattern` (re.search), optionally of one method."""
        regex = re.compile(pattern)
        with self._lock:
            return [r for r in self.requests if regex.search(r.path) and (method is None or r.method == method)]

    def create(self, repo_id: str, *, private: bool = False, files: Mapping[str, bytes] | None = None) -> Repo:
        """Make a repo directly (no HTTP), like `create_repo` plus, if `files`, one commit adding them."""
        with self._lock:
            repo = self._create_repo(repo_id, private)
            if files:
                ops = [Operation("file", path, data) for path, data in files.items()]
                self._apply_commit(repo, "main", "main", ops, "Seed files", "", create_pr=False, by_client=False)
            return repo

    # ------------------------------------------------------------------------------------------------ faults

    def inject(
        self,
        pattern: str,
        *,
        method: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        delay: float = 0.0,
        drop: bool = False,
        after: bool = False,
        times: int | None = 1,
    ) -> Fault:
        """Make the next `times` requests whose decoded path matches `pattern` (re.search) misbehave.

        `delay` sleeps first; then `drop` closes the connection without an answer, or `status` answers that status
        with `headers` and `body` (default `{"error": "..."}`). With `after=True` the request is handled for real
        first (state changes) and only its answer is replaced or lost: "the commit happened but the client never
        heard". Faults are checked in the order they were added; the first matching one applies.
        """
        fault = Fault(re.compile(pattern), method, status, dict(headers or {}), body, delay, drop, after, times)
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail_next(
        self,
        pattern: str,
        status: int,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        *,
        method: str | None = None,
        body: Any = None,
    ) -> Fault:
        """Answer `status` (401, 403, 429, 500...) to the next `times` matching requests, before handling them."""
        return self.inject(pattern, method=method, status=status, headers=headers, body=body, times=times)

    def slow(self, pattern: str, seconds: float, times: int | None = 1, *, method: str | None = None) -> Fault:
        """Sleep `seconds` before handling the next `times` matching requests."""
        return self.inject(pattern, method=method, delay=seconds, times=times)

    def drop_next(
        self, pattern: str, times: int | None = 1, *, method: str | None = None, after: bool = False
    ) -> Fault:
        """Close the connection without answering the next `times` matching requests."""
        return self.inject(pattern, method=method, drop=True, after=after, times=times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if (fault.method is None or fault.method == method) and fault.pattern.search(path):
                    fault.hits += 1
                    if fault.times is not None and fault.hits >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None

    # ---------------------------------------------------------------------------------------- client helpers

    def client_env(self, home: Path, *, token: str | None = None, endpoint: str | None = None) -> dict[str, str]:
        """Environment for a client subprocess: this endpoint, online, a fresh HF_HOME, no proxies, no Xet.

        `token=None` sends the server's token; pass `""` to send none, or another string to send a wrong one.
        """
        env = {k: v for k, v in os.environ.items() if k.upper() not in _PROXY_VARS and k not in _HF_VARS_TO_DROP}
        env.update(
            HF_ENDPOINT=endpoint or self.url,
            HF_HUB_OFFLINE="0",
            HF_DATASETS_OFFLINE="0",
            HF_HOME=str(home),
            HF_HUB_DISABLE_XET="1",
            HF_UPDATE_DOWNLOAD_COUNTS="0",  # else `load_dataset` HEADs s3.amazonaws.com, whatever HF_ENDPOINT says
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_PROGRESS_BARS="1",
            HF_DATASETS_DISABLE_PROGRESS_BARS="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.pop("HF_TOKEN", None)
        if token is None:
            env["HF_TOKEN"] = self._token
        elif token:
            env["HF_TOKEN"] = token
        return env

    def run_client(
        self,
        code: str,
        home: Path,
        *,
        token: str | None = None,
        endpoint: str | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run `code` in `sys.executable` with `client_env(home, ...)` behind NETWORK_GUARD; returns the process."""
        home.mkdir(parents=True, exist_ok=True)
        return subprocess.run(
            [sys.executable, "-c", NETWORK_GUARD + code],
            env=self.client_env(home, token=token, endpoint=endpoint),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=home,
        )

    # ------------------------------------------------------------------------------------------ request entry

    def _auth_state(self, header: str | None) -> str:
        if not header:
            return "none"
        scheme, _, value = header.partition(" ")
        return "valid" if scheme.lower() == "bearer" and value.strip() == self._token else "invalid"

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    def _run(self, route: str, handler: Callable[[], _Response], auth: str) -> _Response:
        try:
            if auth == "invalid":  # the Hub refuses a bad token on every endpoint, even public reads
                raise HubError(401, _INVALID_CREDENTIALS)
            response = handler()
        except HubError as err:
            headers = {"X-Error-Message": err.message, **err.headers}
            if err.code:
                headers["X-Error-Code"] = err.code
            response = _json(err.status, {"error": err.message}, headers)
        except Exception:  # a bug in the fake: answer 500 but make it visible to the test
            trace = self._scrub(traceback.format_exc())
            with self._lock:
                self.errors.append(trace)
            response = _json(500, {"error": "fake Hub internal error (see HubServer.errors)"})
        response.route = route
        return response

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], auth: str, body: bytes
    ) -> tuple[str, Callable[[], _Response]]:
        """(route name, handler) for a request, not yet run; the handler raises HubError to answer an error."""
        fixed: dict[tuple[str, str], tuple[str, Callable[[], _Response]]] = {
            ("GET", "/api/whoami-v2"): ("whoami", lambda: self._whoami(auth)),
            ("POST", "/api/validate-yaml"): ("validate_yaml", lambda: self._validate_yaml(body)),
            ("POST", "/api/repos/create"): ("create_repo", lambda: self._create(auth, _json_body(body))),
            ("DELETE", "/api/repos/delete"): ("delete_repo", lambda: self._delete(auth, _json_body(body))),
        }
        if (method, path) in fixed:
            return fixed[(method, path)]
        if match := _API_REPO_RE.match(path):
            repo_id = f"{match['ns']}/{match['name']}"
            action, _, tail = (match["rest"] or "").partition("/")
            create_pr = _truthy(query.get("create_pr", [""])[0])
            table: dict[tuple[str, str], tuple[str, Callable[[], _Response]]] = {
                ("GET", ""): ("repo_info", lambda: self._info(repo_id, "main", query, auth)),
                ("GET", "revision"): ("repo_info", lambda: self._info(repo_id, tail, query, auth)),
                ("POST", "branch"): ("create_branch", lambda: self._create_branch(repo_id, tail, auth, body)),
                ("DELETE", "branch"): ("delete_branch", lambda: self._delete_branch(repo_id, tail, auth)),
                ("GET", "refs"): ("list_refs", lambda: self._refs(repo_id, query, auth)),
                ("GET", "commits"): ("list_commits", lambda: self._list_commits(repo_id, tail or "main", auth)),
                ("PUT", "settings"): ("settings", lambda: self._settings(repo_id, auth, _json_body(body))),
                ("POST", "preupload"): ("preupload", lambda: self._preupload(repo_id, tail, auth, body, create_pr)),
                ("POST", "commit"): ("commit", lambda: self._commit(repo_id, tail, auth, body, create_pr)),
                ("POST", "paths-info"): ("paths_info", lambda: self._paths_info(repo_id, tail, auth, body)),
                ("GET", "tree"): ("tree", lambda: self._tree(repo_id, tail, query, auth)),
            }
            if (method, action) in table:
                route, handler = table[(method, action)]
                if match["type"] != "datasets":
                    return f"{route}({match['type']})", _not_a_dataset
                return route, handler
        elif (match := _LFS_BATCH_RE.match(path)) and method == "POST":
            if match["type"] != "datasets":
                return f"lfs_batch({match['type'] or 'models'})", _not_a_dataset
            repo_id = f"{match['ns']}/{match['name']}"
            return "lfs_batch", lambda: self._lfs_batch(repo_id, auth, _json_body(body))
        elif (match := _LFS_PUT_RE.match(path)) and method == "PUT":
            return "lfs_upload", lambda: self._lfs_put(f"{match['ns']}/{match['name']}", match["oid"], body)
        elif (match := _RESOLVE_RE.match(path)) and method in ("GET", "HEAD"):
            if match["type"] != "datasets":
                return f"resolve({match['type'] or 'models'})", _not_a_dataset
            return "resolve", lambda: self._resolve(f"{match['ns']}/{match['name']}", match["rest"], auth)

        def unknown() -> _Response:
            raise HubError(404, f"Not Found: {method} {path} is not served by the fake Hub")

        return "unknown", unknown

    # ------------------------------------------------------------------------------------------- access rules

    def _repo(self, repo_id: str) -> Repo:
        repo = self.repos.get(repo_id)
        if repo is None:
            raise KeyError(f"no repo {repo_id!r} on the fake Hub")
        return repo

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

    # ---------------------------------------------------------------------------------------------- endpoints

    def _whoami(self, auth: str) -> _Response:
        if auth != "valid":
            raise HubError(401, "Invalid username or password.")
        return _json(
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

    def _validate_yaml(self, body: bytes) -> _Response:
        content = _json_body(body).get("content", "")
        try:
            metadata = _front_matter(content)
        except ValueError as err:
            return _json(400, {"errors": [{"message": str(err)}], "warnings": [], "error": str(err)})
        warnings = [] if metadata else [{"message": "Empty or missing yaml metadata in repo card"}]
        return _json(200, {"errors": [], "warnings": warnings})

    def _create(self, auth: str, payload: dict[str, Any]) -> _Response:
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
                return _json(409, {"error": "You already created this dataset repo", "url": url})
            visibility = payload.get("visibility")
            private = visibility == "private" if visibility is not None else bool(payload.get("private", False))
            self._create_repo(repo_id, private)
        return _json(200, {"url": url, "name": repo_id, "id": uuid.uuid4().hex[:24]})

    def _create_repo(self, repo_id: str, private: bool) -> Repo:
        if repo_id in self.repos:
            raise ValueError(f"{repo_id} already exists")
        repo = Repo(repo_id, private, datetime.now(UTC))
        self.repos[repo_id] = repo
        initial = [Operation("file", ".gitattributes", DEFAULT_GITATTRIBUTES)]
        self._apply_commit(repo, "main", "main", initial, "initial commit", "", create_pr=False, by_client=False)
        return repo

    def _delete(self, auth: str, payload: dict[str, Any]) -> _Response:
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
        return _json(200, {})

    def _settings(self, repo_id: str, auth: str, payload: dict[str, Any]) -> _Response:
        with self._lock:
            repo = self._writable(repo_id, auth)
            if "visibility" in payload:
                repo.private = payload["visibility"] == "private"
            elif "private" in payload:
                repo.private = bool(payload["private"])
        return _json(200, {})

    def _info(self, repo_id: str, revision: str, query: dict[str, list[str]], auth: str) -> _Response:
        with self._lock:
            repo = self._readable(repo_id, auth)
            commit = self._at(repo, unquote(revision) or "main")
            blobs = _truthy(query.get("blobs", [""])[0])
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
                "lastModified": _iso(commit.date),
                "createdAt": _iso(repo.created_at),
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
        return _json(200, info)

    def _create_branch(self, repo_id: str, tail: str, auth: str, body: bytes) -> _Response:
        branch = unquote(tail)
        payload = _json_body(body) if body else {}
        with self._lock:
            repo = self._writable(repo_id, auth)
            if not branch or branch.startswith("refs/") or not re.match(r"^[\w.\-/]+$", branch):
                raise HubError(400, f"Invalid branch name: {branch!r}")
            if branch in repo.refs:
                raise HubError(409, f"Reference already exists: refs/heads/{branch}")
            start = self._at(repo, payload.get("startingPoint") or "main")
            self._materialize(repo_id, branch, start.files)
            repo.refs[branch] = start.oid
        return _json(200, {})

    def _delete_branch(self, repo_id: str, tail: str, auth: str) -> _Response:
        branch = unquote(tail)
        with self._lock:
            repo = self._writable(repo_id, auth)
            if branch == "main":
                raise HubError(403, "Cannot delete the default branch")
            if branch not in repo.branches:
                raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
            del repo.refs[branch]
            shutil.rmtree(self.repo_path(repo_id, branch), ignore_errors=True)
        return _json(200, {})

    def _refs(self, repo_id: str, query: dict[str, list[str]], auth: str) -> _Response:
        with self._lock:
            repo = self._readable(repo_id, auth)
            branches = [{"name": b, "ref": f"refs/heads/{b}", "targetCommit": repo.refs[b]} for b in repo.branches]
            data: dict[str, Any] = {"branches": branches, "converts": [], "tags": []}
            if _truthy(query.get("include_prs", [""])[0]):
                prs = [ref for ref in repo.refs if ref.startswith("refs/pr/")]
                data["pullRequests"] = [{"name": ref, "ref": ref, "targetCommit": repo.refs[ref]} for ref in prs]
        return _json(200, data)

    def _list_commits(self, repo_id: str, tail: str, auth: str) -> _Response:
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
                        "date": _iso(commit.date),
                    }
                )
                commit = repo.commits[commit.parent] if commit.parent else None
        return _json(200, items)

    def _preupload(self, repo_id: str, tail: str, auth: str, body: bytes, create_pr: bool) -> _Response:
        payload = _json_body(body)
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
        return _json(200, {"files": answers, "commitOid": commit.oid})

    def _upload_mode_for(self, path: str, size: int, gitattributes: str) -> str:
        if self.upload_mode == "regular" or size == 0:
            return "regular"
        if self.upload_mode == "lfs" or size > _LFS_THRESHOLD or _lfs_tracked(path, gitattributes):
            return "lfs"
        return "regular"

    def _lfs_batch(self, repo_id: str, auth: str, payload: dict[str, Any]) -> _Response:
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
        return _json(200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"}, headers)

    def _lfs_put(self, repo_id: str, oid: str, body: bytes) -> _Response:
        # Like a presigned storage URL: no token; the content must hash to the oid in the URL.
        if hashlib.sha256(body).hexdigest() != oid:
            raise HubError(400, f"LFS upload does not match its oid {oid}")
        with self._lock:
            if repo_id not in self.repos:
                raise HubError(404, "Repository not found", "RepoNotFound")
            self._lfs_objects[(repo_id, oid)] = body
        return _Response(200)

    def _commit(self, repo_id: str, tail: str, auth: str, body: bytes, create_pr: bool) -> _Response:
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
        return _json(200, result)

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
        text = f"tree {commit.tree_oids['']}\n"
        if commit.parent:
            text += f"parent {commit.parent}\n"
        text += f"author {identity}\ncommitter {identity}\n\n{commit.message}\n"
        if commit.description:
            text += f"\n{commit.description}\n"
        raw = text.encode()
        return hashlib.sha1(b"commit %d\0" % len(raw) + raw).hexdigest()

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
            entry["lastCommit"] = {"id": last.oid, "title": last.message, "date": _iso(last.date)}
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

    def _paths_info(self, repo_id: str, tail: str, auth: str, body: bytes) -> _Response:
        text = body.decode("utf-8", "replace")
        if text.lstrip().startswith("{"):
            payload = json.loads(text)
            paths, expand = list(payload.get("paths", [])), bool(payload.get("expand"))
        else:
            form = parse_qs(text, keep_blank_values=True)
            paths, expand = form.get("paths", []), _truthy(form.get("expand", [""])[0])
        with self._lock:
            repo = self._readable(repo_id, auth)
            revision, _ = self._split_revision(repo, tail)
            commit = self._at(repo, revision)
            entries = []
            for raw in paths:
                path = raw.strip("/")
                if path in commit.files or (path and path in commit.tree_oids):
                    entries.append(self._entry(repo, commit, path, expand))
        return _json(200, entries)

    def _tree(self, repo_id: str, tail: str, query: dict[str, list[str]], auth: str) -> _Response:
        recursive = _truthy(query.get("recursive", [""])[0])
        expand = _truthy(query.get("expand", [""])[0])
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
        return _json(200, entries, headers)

    def _resolve(self, repo_id: str, rest: str, auth: str) -> _Response:
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
        return _Response(200, data, headers)


# ----------------------------------------------------------------------------------------------------- handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-hub/1"
    timeout = 60

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._serve()

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_PUT(self) -> None:  # noqa: N802
        self._serve()

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr logging
        pass

    def _serve(self) -> None:
        hub: HubServer = self.server.hub  # type: ignore[attr-defined]
        split = urlsplit(self.path)
        path = unquote(split.path)
        auth = hub._auth_state(self.headers.get("Authorization"))
        body = self._read_body()
        query = parse_qs(split.query, keep_blank_values=True)
        route, handler = hub._route(self.command, split.path, query, auth, body)
        fault = hub._take_fault(self.command, path)
        response: _Response | None = None

        def log(status: int | None, error: str | None = None) -> None:
            hub._log(
                LoggedRequest(
                    method=self.command,
                    path=hub._scrub(path),
                    query=hub._scrub(split.query),
                    status=status,
                    route=route,
                    auth=auth,
                    fault=fault.describe() if fault else None,
                    raw_path=hub._scrub(split.path),
                    error=error,
                )
            )

        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is None or fault.after:
            response = hub._run(route, handler, auth)
        if fault is not None and fault.drop:
            self.close_connection = True
            log(None)
            return
        if fault is not None and fault.status is not None:
            message = f"Injected failure {fault.status} by the fake Hub"
            payload = fault.body if fault.body is not None else {"error": message}
            headers = {"X-Error-Message": message, **fault.headers}
            if isinstance(payload, bytes):
                response = _Response(fault.status, payload, headers, route)
            else:
                response = _json(fault.status, payload, headers)
                response.route = route
        assert response is not None
        try:
            self._send(response)
        except OSError as err:  # the client went away (timeout, reset): keep the record, drop the connection
            self.close_connection = True
            log(response.status, f"answer not delivered: {type(err).__name__}")
            return
        log(response.status)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, response: _Response) -> None:
        status, body, headers = response.status, response.body, dict(response.headers)
        if response.route == "resolve" and status == 200 and (spec := self.headers.get("Range")):
            status, body, headers = _apply_range(spec, body, headers)
        self.send_response(status)
        headers.setdefault("Content-Type", "application/json")
        headers.setdefault("X-Request-Id", uuid.uuid4().hex)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


# ----------------------------------------------------------------------------------------------------- helpers


def _not_a_dataset() -> _Response:
    raise HubError(404, "Repository not found (the fake Hub holds dataset repos only)", "RepoNotFound")


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> _Response:
    return _Response(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"{}")
    except json.JSONDecodeError as err:
        raise HubError(400, f"Invalid JSON body: {err}") from None
    if not isinstance(payload, dict):
        raise HubError(400, "Expected a JSON object")
    return payload


def _truthy(value: str) -> bool:
    return value.lower() in ("1", "true", "yes")


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


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


def _front_matter(content: str) -> dict[str, Any]:
    """The README's YAML metadata ({} if none); ValueError if it is not a YAML mapping."""
    lines = content.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return {}
    import yaml  # a synthgen dependency; imported lazily so the server module itself stays stdlib-only

    try:
        metadata = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as err:
        raise ValueError(f"Invalid YAML in README.md metadata: {err}") from None
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValueError("README.md metadata must be a YAML mapping")
    return metadata


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


def _apply_range(spec: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    match = _RANGE_RE.match(spec.strip())
    total = len(body)
    if not match or (not match[1] and not match[2]):
        return 200, body, headers  # unsupported (e.g. multi-range): the whole file, as servers may do
    if match[1]:
        start = int(match[1])
        end = min(int(match[2]), total - 1) if match[2] else total - 1
    else:
        start, end = max(total - int(match[2]), 0), total - 1
    if start >= total or start > end:
        return 416, b"", {**headers, "Content-Range": f"bytes */{total}"}
    return 206, body[start : end + 1], {**headers, "Content-Range": f"bytes {start}-{end}/{total}"}
