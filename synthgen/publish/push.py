"""`synthgen push DIR --repo-id OWNER/NAME`: a finished run folder as a Hub dataset, in one commit.

The folder is staged locally first (stage.py: the card with its splits, the Parquet shards,
the manifest, the prompt templates), then compared with the repo's files at the revision: only
files whose content differs are sent, synthgen's files that the staged tree no longer has
(old shards, templates, a journal) are deleted, and all of it goes in ONE commit through
`huggingface_hub` (`create_commit`; no hand-written HTTP). When nothing differs, no commit is
made and the result says so. The run folder is only read.

The token comes from `huggingface_hub`'s own lookup (`HF_TOKEN`, then the saved login); it is
passed to the client and nowhere else, and every error message is scrubbed of it. Hub failures
become one line (`SynthgenError`): no token, 401, 403, a missing repo or revision, a 5xx
(after the client's own retries), no connection.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tempfile
from pathlib import Path

from pydantic import BaseModel

from synthgen.errors import SynthgenError
from synthgen.publish.hub_errors import hub_step, request_timeout
from synthgen.publish.source import read_run
from synthgen.publish.split import check_test_size
from synthgen.publish.stage import stage_tree, tree_files
from synthgen.run.folder import DATA_DIR, JOURNAL, PROMPTS_DIR
from synthgen.run.options import check_number

REPO_TYPE = "dataset"
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")
# Files a push owns in the repo: a staged tree that no longer has one deletes it there.
_OWNED = (f"{DATA_DIR}/", f"{PROMPTS_DIR}/", JOURNAL)


class PushResult(BaseModel):
    """What a push did: the repo, the commit (None when nothing changed), the files sent and deleted."""

    repo_id: str
    revision: str
    kind: str
    rows: dict[str, int]
    created_repo: bool
    changed: bool
    commit: str | None = None
    commit_url: str | None = None
    pr_url: str | None = None
    uploaded: list[str]
    deleted: list[str]
    unchanged: list[str]
    notes: list[str]


def git_blob_id(path: Path) -> str:
    """The git object id of a file's content, which the Hub reports for every regular file."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _same(local: Path, remote) -> bool:
    """True when the repo's entry holds exactly the local file (sha256 for LFS/Xet files, else the blob id)."""
    lfs = getattr(remote, "lfs", None)
    if lfs is not None:
        return lfs.sha256 == hashlib.sha256(local.read_bytes()).hexdigest()
    return remote.blob_id == git_blob_id(local)


def _owned(path: str) -> bool:
    return any(path == owned or path.startswith(owned) for owned in _OWNED)


def check_repo_id(repo_id: str) -> str:
    if not isinstance(repo_id, str) or not _REPO_ID.match(repo_id) or ".." in repo_id or "--" in repo_id:
        raise SynthgenError(f"--repo-id must look like OWNER/NAME (letters, digits, '-', '_', '.'), got {repo_id!r}")
    return repo_id


def _token(token: str | None) -> str:
    from huggingface_hub import constants, get_token

    if constants.HF_HUB_OFFLINE:
        raise SynthgenError("HF_HUB_OFFLINE is set: unset it to push to the Hub")
    found = token or get_token()
    if not found:
        raise SynthgenError("no Hugging Face token: set HF_TOKEN or log in with `hf auth login`")
    return found


def push(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    test_size: float = 0.0,
    revision: str | None = None,
    commit_message: str | None = None,
    create_pr: bool = False,
    include_journal: bool = False,
    allow_partial: bool = False,
    timeout: float = 120.0,
    token: str | None = None,
    endpoint: str | None = None,
) -> PushResult:
    """Publish the run folder `folder` as the dataset repo `repo_id` (see the module docstring).

    `private` applies only when the repo is created: an existing repo keeps its visibility (a
    note says so when they differ). `token` and `endpoint` default to huggingface_hub's own
    (`HF_TOKEN` or the saved login; `HF_ENDPOINT` or huggingface.co). `timeout` bounds each HTTP
    request in seconds (huggingface_hub's own client has none).
    """
    repo_id = check_repo_id(repo_id)
    test_size = check_test_size(test_size)
    timeout = check_number("timeout", timeout, least=1)
    run = read_run(folder)
    if not run.finished and not allow_partial:
        raise SynthgenError(f"{run.path} is not finished (status {run.status}); finish it or pass --allow-partial")
    if "default" not in run.configs:
        raise SynthgenError(f"{run.path} has no data/train-*.parquet to push")
    secret = _token(token)
    with tempfile.TemporaryDirectory(prefix="synthgen-push-") as tmp:
        staging = Path(tmp)
        rows = stage_tree(run, staging, test_size=test_size, name=repo_id, include_journal=include_journal)
        with request_timeout(timeout):
            return _commit(
                run.kind, rows, staging, repo_id, secret, endpoint,
                private=private, revision=revision, commit_message=commit_message, create_pr=create_pr,
            )  # fmt: skip


def _commit(kind, rows, staging, repo_id, token, endpoint, *, private, revision, commit_message, create_pr):
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, constants
    from huggingface_hub.errors import RepositoryNotFoundError
    from huggingface_hub.utils import disable_progress_bars

    disable_progress_bars()  # our one line of output per push, no upload bars
    # huggingface_hub's user-agent header would otherwise fetch an "agent harnesses" list from
    # huggingface.co (whatever the endpoint) once a day: a push talks to the Hub it pushes to only.
    constants.HF_HUB_DISABLE_TELEMETRY = True
    api = HfApi(endpoint=endpoint, token=token)
    step = functools.partial(hub_step, repo=repo_id, token=token)
    notes, created = [], False
    with step("reading the repo"):
        try:
            info = api.repo_info(repo_id, repo_type=REPO_TYPE)
        except RepositoryNotFoundError:
            info = None
    if info is None:
        with step("creating the repo"):
            api.create_repo(repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True)
        created = True
    elif private and not info.private:
        notes.append(f"{repo_id} already exists and is public: --private does not change an existing repo")
    branch = revision or "main"
    if branch != "main":
        with step(f"creating the branch {branch}"):
            api.create_branch(repo_id, branch=branch, repo_type=REPO_TYPE, exist_ok=True)
    with step("listing the repo"):
        remote = {
            entry.path: entry
            for entry in api.list_repo_tree(repo_id, recursive=True, revision=branch, repo_type=REPO_TYPE)
            if hasattr(entry, "blob_id")  # files, not folders
        }
    staged = tree_files(staging)
    uploaded = [p for p in staged if p not in remote or not _same(staging / p, remote[p])]
    deleted = sorted(p for p in remote if _owned(p) and p not in staged)
    unchanged = [p for p in staged if p not in uploaded]
    result = PushResult(
        repo_id=repo_id, revision=branch, kind=kind, rows=rows, created_repo=created, changed=bool(uploaded or deleted),
        uploaded=uploaded, deleted=deleted, unchanged=unchanged, notes=notes,
    )  # fmt: skip
    if not result.changed:
        return result
    operations = [CommitOperationAdd(p, str(staging / p)) for p in uploaded]
    operations += [CommitOperationDelete(p) for p in deleted]
    split_text = ", ".join(f"{split} {n}" for split, n in rows.items())
    with step("committing"):
        commit = api.create_commit(
            repo_id,
            operations,
            commit_message=commit_message or f"synthgen push: {kind} dataset ({split_text})",
            commit_description="Published by `synthgen push`; README.md and manifest.json say how it was made.",
            repo_type=REPO_TYPE,
            revision=branch,
            create_pr=create_pr,
        )
    return result.model_copy(update={"commit": commit.oid, "commit_url": commit.commit_url, "pr_url": commit.pr_url})
