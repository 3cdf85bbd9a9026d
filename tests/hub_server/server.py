"""`HubServer`: the fake Hub's state and lifecycle, serving on a loopback port in a background thread.

Why a file of its own: this is where the parts meet. The class holds all the state (the repos, the request log,
the faults, the options), starts and stops the `ThreadingHTTPServer` whose handler (handler.py) calls back into
it, and takes its behaviour from the mixins: routing and the route handlers (routing.py, routes_*.py), access
rules (access.py), the store (store.py), the request log and faults (traffic.py) and the client helpers
(client.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from http.server import ThreadingHTTPServer
from pathlib import Path

from .client import ClientHelpers
from .handler import Handler
from .records import Commit, Repo
from .routes_write import UPLOAD_MODES
from .routing import Routing
from .traffic import Fault, LoggedRequest, RequestLog

DEFAULT_TOKEN = "synthgen-fake-hub-token"
DEFAULT_USER = "synthgen-tester"


class HubServer(Routing, RequestLog, ClientHelpers):
    """A fake Hub for dataset repos on `http://127.0.0.1:<port>` (see the package docstring, `__init__.py`).

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
        if upload_mode not in UPLOAD_MODES:
            raise ValueError(f"upload_mode must be one of {UPLOAD_MODES}, not {upload_mode!r}")
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

    def start(self) -> HubServer:
        if self._httpd is None:
            httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
