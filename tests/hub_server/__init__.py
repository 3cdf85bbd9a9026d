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

Layout, one concept per module (each says why in its docstring):

- server.py: `HubServer`, its state and lifecycle (start, stop, port, url), assembled from the mixins below;
- handler.py: the `http.server` request handler (reading bodies, applying faults, `Range`, sending answers);
- routing.py: the URL table and how a handler's outcome or error becomes an answer;
- routes_repos.py, routes_write.py, routes_read.py: the route handlers for repos and refs; preupload, LFS and
  commit; tree, paths-info and resolve;
- access.py: the token check, read/write rules and revision lookup;
- store.py: creating repos, applying commits all-or-nothing, the on-disk copies, the inspection methods;
- records.py: the `Repo`, `Commit` and `Operation` records; git_ids.py: the git sha1s of blobs, trees, commits;
- traffic.py: the request log and fault injection; client.py: `client_env`, `run_client` and NETWORK_GUARD;
- wire.py: the response value, `HubError` and JSON helpers.
"""

from __future__ import annotations

from .client import NETWORK_GUARD
from .git_ids import git_blob_oid, lfs_pointer
from .records import Commit, Operation, Repo
from .server import DEFAULT_TOKEN, DEFAULT_USER, HubServer
from .store import DEFAULT_GITATTRIBUTES
from .traffic import Fault, LoggedRequest
from .wire import HubError

__all__ = [
    "DEFAULT_GITATTRIBUTES",
    "DEFAULT_TOKEN",
    "DEFAULT_USER",
    "NETWORK_GUARD",
    "Commit",
    "Fault",
    "HubError",
    "HubServer",
    "LoggedRequest",
    "Operation",
    "Repo",
    "git_blob_oid",
    "lfs_pointer",
]
