"""Routing: which handler answers a method and path, and how its outcome becomes an answer.

Why a file of its own: the URL table is the one place that says what the fake serves (repo, refs and write
endpoints under `/api/datasets/...`, the LFS batch and upload paths, resolve), and `_run` is the one place where
a handler's `HubError` becomes a Hub-style error answer, a bad token becomes 401 whatever the endpoint, and a bug
in the fake becomes a 500 recorded in `HubServer.errors`. Only dataset repos exist: `/api/models/...` and
`/api/spaces/...` answer 404 RepoNotFound, as the Hub does for a dataset looked up without `repo_type="dataset"`.

A mixin of `HubServer` (server.py), which holds `errors` and `_lock`.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable

from .routes_read import ReadRoutes
from .routes_repos import RepoRoutes
from .routes_write import WriteRoutes
from .wire import HubError, Response, json_body, json_response, truthy

_INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
_API_REPO_RE = re.compile(r"^/api/(?P<type>models|datasets|spaces)/(?P<ns>[^/]+)/(?P<name>[^/]+)(?:/(?P<rest>.*))?$")
_LFS_BATCH_RE = re.compile(
    r"^/(?:(?P<type>datasets|spaces)/)?(?P<ns>[^/]+)/(?P<name>[^/]+?)\.git/info/lfs/objects/batch$"
)
_LFS_PUT_RE = re.compile(r"^/_lfs/(?P<ns>[^/]+)/(?P<name>[^/]+)/(?P<oid>[0-9a-f]{64})$")
_RESOLVE_RE = re.compile(r"^/(?:(?P<type>datasets|spaces)/)?(?P<ns>[^/]+)/(?P<name>[^/]+)/resolve/(?P<rest>.+)$")


class Routing(RepoRoutes, WriteRoutes, ReadRoutes):
    """Dispatch to the route handlers, and running one into a response."""

    def _run(self, route: str, handler: Callable[[], Response], auth: str) -> Response:
        try:
            if auth == "invalid":  # the Hub refuses a bad token on every endpoint, even public reads
                raise HubError(401, _INVALID_CREDENTIALS)
            response = handler()
        except HubError as err:
            headers = {"X-Error-Message": err.message, **err.headers}
            if err.code:
                headers["X-Error-Code"] = err.code
            response = json_response(err.status, {"error": err.message}, headers)
        except Exception:  # a bug in the fake: answer 500 but make it visible to the test
            trace = self._scrub(traceback.format_exc())
            with self._lock:
                self.errors.append(trace)
            response = json_response(500, {"error": "fake Hub internal error (see HubServer.errors)"})
        response.route = route
        return response

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], auth: str, body: bytes
    ) -> tuple[str, Callable[[], Response]]:
        """(route name, handler) for a request, not yet run; the handler raises HubError to answer an error."""
        fixed: dict[tuple[str, str], tuple[str, Callable[[], Response]]] = {
            ("GET", "/api/whoami-v2"): ("whoami", lambda: self._whoami(auth)),
            ("POST", "/api/validate-yaml"): ("validate_yaml", lambda: self._validate_yaml(body)),
            ("POST", "/api/repos/create"): ("create_repo", lambda: self._create(auth, json_body(body))),
            ("DELETE", "/api/repos/delete"): ("delete_repo", lambda: self._delete(auth, json_body(body))),
        }
        if (method, path) in fixed:
            return fixed[(method, path)]
        if match := _API_REPO_RE.match(path):
            repo_id = f"{match['ns']}/{match['name']}"
            action, _, tail = (match["rest"] or "").partition("/")
            create_pr = truthy(query.get("create_pr", [""])[0])
            table: dict[tuple[str, str], tuple[str, Callable[[], Response]]] = {
                ("GET", ""): ("repo_info", lambda: self._info(repo_id, "main", query, auth)),
                ("GET", "revision"): ("repo_info", lambda: self._info(repo_id, tail, query, auth)),
                ("POST", "branch"): ("create_branch", lambda: self._create_branch(repo_id, tail, auth, body)),
                ("DELETE", "branch"): ("delete_branch", lambda: self._delete_branch(repo_id, tail, auth)),
                ("GET", "refs"): ("list_refs", lambda: self._refs(repo_id, query, auth)),
                ("GET", "commits"): ("list_commits", lambda: self._list_commits(repo_id, tail or "main", auth)),
                ("PUT", "settings"): ("settings", lambda: self._settings(repo_id, auth, json_body(body))),
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
            return "lfs_batch", lambda: self._lfs_batch(repo_id, auth, json_body(body))
        elif (match := _LFS_PUT_RE.match(path)) and method == "PUT":
            return "lfs_upload", lambda: self._lfs_put(f"{match['ns']}/{match['name']}", match["oid"], body)
        elif (match := _RESOLVE_RE.match(path)) and method in ("GET", "HEAD"):
            if match["type"] != "datasets":
                return f"resolve({match['type'] or 'models'})", _not_a_dataset
            return "resolve", lambda: self._resolve(f"{match['ns']}/{match['name']}", match["rest"], auth)

        def unknown() -> Response:
            raise HubError(404, f"Not Found: {method} {path} is not served by the fake Hub")

        return "unknown", unknown


def _not_a_dataset() -> Response:
    raise HubError(404, "Repository not found (the fake Hub holds dataset repos only)", "RepoNotFound")
