"""The fake Hub (tests/hub_server/) driven by the real huggingface_hub 2.4.0 and datasets 5.2.0 clients.

The clients run in subprocesses: conftest sets HF_HUB_OFFLINE=1 for this process, and HF_ENDPOINT is read when
huggingface_hub/datasets are imported. `HubServer.run_client` gives them the server's endpoint and refuses any
non-loopback host name, so these tests also prove that nothing tries to leave the machine.
"""

from __future__ import annotations

import base64
import json
import socket
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hub_server import DEFAULT_TOKEN, HubServer, git_blob_oid

REPO = "synthgen-tester/demo"
TRAIN = [
    {"prompt": "What is 2+2?", "answer": "4"},
    {"prompt": "Name a prime above 10.", "answer": "11"},
]
TEST = [{"prompt": "What is 3*3?", "answer": "9"}]
README = """\
---
license: apache-2.0
tags: [synthetic, synthgen]
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*.parquet
  - split: test
    path: data/test-*.parquet
---
# Demo dataset
"""
DATA_FILES = ["data/train-00000-of-00001.parquet", "data/test-00000-of-00001.parquet"]

# Shared by every client snippet: `outcome` turns a call into JSON (exception class, its bases, HTTP status).
PRELUDE = """\
import json
from pathlib import Path

def outcome(call):
    try:
        value = call()
    except Exception as err:
        response = getattr(err, "response", None)
        return {
            "error": type(err).__name__,
            "bases": [cls.__name__ for cls in type(err).__mro__],
            "status": getattr(response, "status_code", None),
        }
    return {"value": value}

def emit(result):
    print("RESULT " + json.dumps(result), flush=True)
"""


def run(server: HubServer, code: str, home: Path, **kwargs) -> dict:
    """Run a client snippet against `server`; return what it `emit`s."""
    proc = server.run_client(PRELUDE + textwrap.dedent(code), home, **kwargs)
    assert proc.returncode == 0, proc.stderr[-6000:]
    assert "NETWORK-GUARD" not in proc.stderr, proc.stderr
    results = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert results, proc.stdout + proc.stderr
    return json.loads(results[-1].removeprefix("RESULT "))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(server: HubServer, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """A raw request from this process (urllib, no HF client): (status, headers, body)."""
    request = urllib.request.Request(server.url + path, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def bearer(token: str = DEFAULT_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def hub(tmp_path):
    with HubServer(tmp_path / "hub") as server:
        yield server
    assert server.errors == []


# ------------------------------------------------------------------------------------ one publish, read back


ROUNDTRIP = """
import datasets
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_download

datasets.config.USE_PARQUET_EXPORT = False  # else load_dataset asks datasets-server.<endpoint host> for infos
spec = json.loads(Path("input.json").read_text())
repo, staged = spec["repo"], Path("staged")
(staged / "data").mkdir(parents=True)
datasets.Dataset.from_list(spec["train"]).to_parquet(staged / spec["files"][0])
datasets.Dataset.from_list(spec["test"]).to_parquet(staged / spec["files"][1])
(staged / "README.md").write_text(spec["readme"])
paths = ["README.md", *spec["files"]]
api = HfApi()
out = {}

out["urls"] = [str(api.create_repo(repo, repo_type="dataset", private=True, exist_ok=True)) for _ in range(2)]
out["url_public_again"] = str(api.create_repo(repo, repo_type="dataset", private=False, exist_ok=True))
seed = [CommitOperationAdd("stale.txt", b"old")]
api.create_commit(repo, repo_type="dataset", operations=seed, commit_message="Seed")
publish = api.create_commit(
    repo,
    repo_type="dataset",
    operations=[CommitOperationAdd(p, staged / p) for p in paths] + [CommitOperationDelete("stale.txt")],
    commit_message="Publish",
    commit_description="two splits",
)
out["publish"] = {"oid": publish.oid, "url": publish.commit_url, "repo_url": str(publish.repo_url)}

info = api.repo_info(repo, repo_type="dataset", files_metadata=True)
out["info"] = {
    "sha": info.sha,
    "private": info.private,
    "siblings": {s.rfilename: [s.size, s.blob_id] for s in info.siblings},
    "card": info.card_data.to_dict(),
}
out["tree"] = {
    e.path: [type(e).__name__, getattr(e, "size", None), getattr(e, "blob_id", None)]
    for e in api.list_repo_tree(repo, repo_type="dataset", recursive=True)
}
found = api.get_paths_info(repo, ["README.md", "data", "missing.txt"], repo_type="dataset")
out["paths_info"] = {e.path: type(e).__name__ for e in found}
downloaded = hf_hub_download(repo, spec["files"][1], repo_type="dataset")
out["download_matches"] = Path(downloaded).read_bytes() == (staged / spec["files"][1]).read_bytes()

again = api.create_commit(
    repo, repo_type="dataset", operations=[CommitOperationAdd(p, staged / p) for p in paths], commit_message="Again"
)
out["again"] = again.oid
pr = api.create_commit(
    repo,
    repo_type="dataset",
    operations=[CommitOperationAdd("NOTES.md", b"please review")],
    commit_message="Proposal",
    create_pr=True,
)
out["pr"] = {"oid": pr.oid, "url": pr.pr_url, "revision": pr.pr_revision, "num": pr.pr_num}
api.create_branch(repo, repo_type="dataset", branch="dev")
dev = api.create_commit(
    repo, repo_type="dataset", operations=[CommitOperationAdd("dev.txt", b"dev")], commit_message="On dev",
    revision="dev",
)
out["dev"] = {"oid": dev.oid, "sha": api.repo_info(repo, repo_type="dataset", revision="dev").sha}

loaded = datasets.load_dataset(repo)
out["rows"] = {split: loaded[split].to_list() for split in loaded}
emit(out)
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One client session: create (twice), commit, read back every way, no-op commit, PR, branch, load_dataset."""
    base = tmp_path_factory.mktemp("roundtrip")
    home = base / "home"
    home.mkdir()
    spec = {"repo": REPO, "train": TRAIN, "test": TEST, "readme": README, "files": DATA_FILES}
    (home / "input.json").write_text(json.dumps(spec))
    with HubServer(base / "hub") as server:
        server.tree_page_size = 2  # every tree listing spans pages: the clients must follow the Link header
        result = run(server, ROUNDTRIP, home)
        yield server, result, home / "staged"
    assert server.errors == []


def test_create_repo_twice_is_a_no_op_that_keeps_private(published):
    server, result, _ = published
    assert result["urls"] == [f"{server.url}/datasets/{REPO}"] * 2
    assert result["url_public_again"] == result["urls"][0]
    assert [r.status for r in server.requests_to("^/api/repos/create$")] == [200, 409, 409]
    assert server.is_private(REPO)  # create_repo(private=False) on an existing repo changes nothing


def test_commit_applies_adds_and_deletes(published):
    server, result, staged = published
    main_files = server.files(REPO)
    expected = {"README.md", *DATA_FILES}
    assert set(main_files) == {".gitattributes", *expected}
    for path in expected:
        assert main_files[path] == (staged / path).read_bytes()
        assert (server.repo_path(REPO) / path).read_bytes() == main_files[path]
    assert not (server.repo_path(REPO) / "stale.txt").exists()

    assert [c.message for c in server.commits(REPO)] == ["Seed", "Publish", "Proposal", "On dev"]
    assert [c.message for c in server.history(REPO)] == ["initial commit", "Seed", "Publish"]
    publish = server.commits(REPO)[1]
    assert publish["deleted"] == ["stale.txt"] and sorted(publish["added"]) == sorted(expected)
    assert publish.oid == result["publish"]["oid"] and len(publish.oid) == 40
    assert (publish.description, publish.revision, publish.ref, publish.create_pr) == (
        "two splits",
        "main",
        "main",
        False,
    )
    assert sorted((op.kind, op.path) for op in publish.operations) == sorted(
        [("file", path) for path in expected] + [("deletedFile", "stale.txt")]
    )
    assert result["publish"]["url"] == f"{server.url}/datasets/{REPO}/commit/{publish.oid}"
    assert result["publish"]["repo_url"] == f"{server.url}/datasets/{REPO}"


def test_repo_info_tree_and_paths_info_describe_the_commit(published):
    server, result, staged = published
    files = server.files(REPO)
    info = result["info"]
    assert info["sha"] == result["publish"]["oid"] and info["private"] is True
    assert info["siblings"] == {path: [len(data), git_blob_oid(data)] for path, data in files.items()}
    assert info["card"]["configs"][0]["data_files"][1] == {"split": "test", "path": "data/test-*.parquet"}

    folder = result["tree"].pop("data")
    assert folder[0] == "RepoFolder"
    assert result["tree"] == {path: ["RepoFile", len(data), git_blob_oid(data)] for path, data in files.items()}
    assert result["paths_info"] == {"README.md": "RepoFile", "data": "RepoFolder"}  # missing paths are left out
    assert result["download_matches"] is True
    assert any("cursor=" in r.query for r in server.requests_to("/tree/")), "pagination was not exercised"


def test_unchanged_files_make_no_commit(published):
    server, result, _ = published
    # preupload returns each existing file's oid; the client drops identical files and, with nothing left,
    # returns the current head without posting a commit.
    assert result["again"] == result["publish"]["oid"]
    assert "Again" not in [c.message for c in server.commits(REPO)]


def test_pull_request_and_branch_commits(published):
    server, result, _ = published
    pr = result["pr"]
    assert (pr["url"], pr["revision"], pr["num"]) == (f"{server.url}/datasets/{REPO}/discussions/1", "refs/pr/1", 1)
    commit = next(c for c in server.commits(REPO) if c.message == "Proposal")
    assert (commit.revision, commit.ref, commit.create_pr, commit.pr_num) == ("main", "refs/pr/1", True, 1)
    assert server.files(REPO, "refs/pr/1")["NOTES.md"] == b"please review"
    assert "NOTES.md" not in server.files(REPO)
    assert server.head(REPO, "refs/pr/1") == pr["oid"] != server.head(REPO)

    assert result["dev"]["oid"] == result["dev"]["sha"] == server.head(REPO, "dev")
    assert (server.repo_path(REPO, "dev") / "dev.txt").read_bytes() == b"dev"
    assert "dev.txt" not in server.files(REPO)


def test_load_dataset_reads_the_pushed_splits(published):
    _, result, _ = published
    assert result["rows"] == {"train": TRAIN, "test": TEST}


def test_every_request_was_understood_and_the_token_kept_secret(published):
    server, _, _ = published
    assert [r for r in server.requests if r.route == "unknown"] == []
    assert {r.auth for r in server.requests} == {"valid"}
    assert DEFAULT_TOKEN not in repr(server.requests)
    for path in server.root.rglob("*"):
        assert not path.is_file() or DEFAULT_TOKEN.encode() not in path.read_bytes(), path


# ---------------------------------------------------------------------------------------------- failures


def test_wrong_or_missing_token_is_401(hub, tmp_path):
    hub.create(REPO, private=True)
    code = """
    from huggingface_hub import HfApi
    api = HfApi()
    emit({
        "create": outcome(lambda: str(api.create_repo("synthgen-tester/new", repo_type="dataset", exist_ok=True))),
        "info": outcome(lambda: api.repo_info("synthgen-tester/demo", repo_type="dataset").sha),
        "whoami": outcome(lambda: api.whoami()["name"]),
    })
    """
    wrong = run(hub, code, tmp_path / "wrong", token="not-the-token")
    for call in ("create", "info", "whoami"):
        assert wrong[call]["status"] == 401 and "HfHubHTTPError" in wrong[call]["bases"], (call, wrong[call])
    assert wrong["info"]["error"] == "HfHubHTTPError"  # "Invalid credentials", not "repository not found"

    anonymous = run(hub, code, tmp_path / "anonymous", token="")
    assert anonymous["create"]["status"] == 401
    assert (anonymous["info"]["error"], anonymous["info"]["status"]) == ("RepositoryNotFoundError", 401)
    assert "synthgen-tester/new" not in hub.repos
    assert {r.auth for r in hub.requests} == {"invalid", "none"}
    assert "not-the-token" not in repr(hub.requests)


def test_read_only_repo_is_403_on_write(hub, tmp_path):
    locked = "synthgen-tester/locked"
    hub.create(locked, files={"README.md": b"# locked\n"})
    hub.read_only.add(locked)
    before = hub.head(locked)
    result = run(
        hub,
        """
        from huggingface_hub import CommitOperationAdd, HfApi
        api, repo = HfApi(), "synthgen-tester/locked"
        emit({
            "create": outcome(lambda: str(api.create_repo(repo, repo_type="dataset", exist_ok=True))),
            "commit": outcome(lambda: api.create_commit(
                repo, repo_type="dataset", operations=[CommitOperationAdd("x.txt", b"x")], commit_message="m").oid),
            "branch": outcome(lambda: api.create_branch(repo, repo_type="dataset", branch="dev")),
        })
        """,
        tmp_path,
    )
    # create_repo(exist_ok=True) swallows the 403 when repo_info succeeds: write access shows up at commit time.
    assert result["create"] == {"value": f"{hub.url}/datasets/{locked}"}
    for call in ("commit", "branch"):
        assert (result[call]["error"], result[call]["status"]) == ("HfHubHTTPError", 403), result[call]
    assert hub.head(locked) == before
    assert [(r.route, r.status) for r in hub.requests if r.method == "POST"] == [
        ("create_repo", 403),
        ("preupload", 403),
        ("create_branch", 403),
    ]


def test_commit_failures_leave_the_repo_unchanged(hub, tmp_path):
    hub.create(REPO, files={"keep.txt": b"keep", "data/old.parquet": b"old"})
    before, files_before = hub.head(REPO), hub.files(REPO)
    hub.fail_next(r"/commit/", 500, method="POST")
    result = run(
        hub,
        """
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
        api, repo = HfApi(), "synthgen-tester/demo"
        head = api.repo_info(repo, repo_type="dataset").sha
        def commit(*operations, **kwargs):
            return lambda: api.create_commit(
                repo, repo_type="dataset", operations=list(operations), commit_message="m", **kwargs).oid
        emit({
            "500": outcome(commit(CommitOperationAdd("new.txt", b"n"), CommitOperationDelete("data/"))),
            "missing": outcome(commit(CommitOperationAdd("new.txt", b"n"), CommitOperationDelete("nope.txt"))),
            "stale": outcome(commit(CommitOperationAdd("new.txt", b"n"), parent_commit="0" * 40)),
            "fresh": outcome(commit(CommitOperationAdd("new.txt", b"n"), parent_commit=head)),
        })
        """,
        tmp_path,
    )
    assert (result["500"]["error"], result["500"]["status"]) == ("HfHubHTTPError", 500)
    assert (result["missing"]["error"], result["missing"]["status"]) == ("RemoteEntryNotFoundError", 404)
    assert (result["stale"]["error"], result["stale"]["status"]) == ("HfHubHTTPError", 412)
    commits = [(r.route, r.status) for r in hub.requests if r.route in ("preupload", "commit")]
    assert commits[:2] == [("preupload", 200), ("commit", 500)]  # the 500 came after a successful preupload
    assert [c.message for c in hub.commits(REPO)] == ["m"]
    assert [c.message for c in hub.history(REPO)] == ["initial commit", "Seed files", "m"]
    assert hub.files(REPO, before) == files_before  # the failed attempts changed nothing...
    assert hub.files(REPO) == {**files_before, "new.txt": b"n"}  # ...and only the last one landed
    assert result["fresh"]["value"] == hub.head(REPO)


def test_transport_faults_surface_as_httpx_errors(hub, tmp_path):
    hub.create(REPO)
    hub.slow(f"^/api/datasets/{REPO}$", 1.0)
    hub.fail_next(f"^/api/datasets/{REPO}$", 429, headers={"Retry-After": "0"})
    hub.drop_next(r"/commit/", after=True)  # the commit happens, its answer is lost
    result = run(
        hub,
        f"""
        from huggingface_hub import CommitOperationAdd, HfApi
        api, repo = HfApi(), "{REPO}"
        emit({{
            "slow": outcome(lambda: api.repo_info(repo, repo_type="dataset", timeout=0.3).sha),
            "429": outcome(lambda: api.repo_info(repo, repo_type="dataset").sha),
            "lost": outcome(lambda: api.create_commit(
                repo, repo_type="dataset", operations=[CommitOperationAdd("x.txt", b"x")], commit_message="lost").oid),
        }})
        """,
        tmp_path,
    )
    assert result["slow"]["error"] == "ReadTimeout" and "TimeoutException" in result["slow"]["bases"]
    assert (result["429"]["error"], result["429"]["status"]) == ("HfHubHTTPError", 429)
    assert result["lost"]["error"] == "RemoteProtocolError"
    assert hub.files(REPO)["x.txt"] == b"x" and hub.commits(REPO)[-1].message == "lost"


def test_no_server_is_a_connection_error(hub, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    result = run(
        hub,
        f"""
        from huggingface_hub import HfApi
        api = HfApi()
        emit({{
            "info": outcome(lambda: api.repo_info("{REPO}", repo_type="dataset").sha),
            "create": outcome(lambda: str(api.create_repo("{REPO}", repo_type="dataset"))),
        }})
        """,
        tmp_path,
        endpoint=dead,
    )
    for call in ("info", "create"):
        assert result[call]["error"] == "ConnectError" and "NetworkError" in result[call]["bases"], result[call]
    assert hub.requests == []


# ------------------------------------------------------------------------------------------------- LFS mode


def test_lfs_mode_supports_dataset_push_to_hub(tmp_path):
    with HubServer(tmp_path / "hub", upload_mode="auto") as hub:
        result = run(
            hub,
            f"""
            import datasets
            datasets.config.USE_PARQUET_EXPORT = False
            rows = {TRAIN!r}
            datasets.Dataset.from_list(rows).push_to_hub("{REPO}", private=True)
            loaded = datasets.load_dataset("{REPO}", split="train")
            emit({{"rows": loaded.to_list()}})
            """,
            tmp_path / "home",
        )
    assert result["rows"] == TRAIN
    assert hub.errors == []
    shard = "data/train-00000-of-00001.parquet"
    upload = hub.commits(REPO)[-1]
    assert {(op.kind, op.path) for op in upload.operations} == {("lfsFile", shard), ("file", "README.md")}
    assert shard in upload.lfs and hub.repos[REPO].private is True
    assert [r.route for r in hub.requests if r.route.startswith("lfs")] == ["lfs_batch", "lfs_upload"]


# --------------------------------------------------------------------------------------- raw HTTP contract


def test_raw_http_contract(hub):
    hub.create(REPO, private=True, files={"data/a.txt": b"0123456789"})
    head = hub.head(REPO)

    status, headers, _ = http(hub, "HEAD", f"/datasets/{REPO}/resolve/main/data/a.txt", headers=bearer())
    assert status == 200 and headers["X-Repo-Commit"] == head
    assert headers["ETag"] == f'"{git_blob_oid(b"0123456789")}"' and headers["Content-Length"] == "10"
    status, headers, body = http(
        hub, "GET", f"/datasets/{REPO}/resolve/main/data/a.txt", headers=bearer() | {"Range": "bytes=2-4"}
    )
    assert (status, body, headers["Content-Range"]) == (206, b"234", "bytes 2-4/10")

    status, headers, body = http(hub, "GET", f"/api/datasets/{REPO}", headers=bearer("wrong"))
    assert status == 401 and json.loads(body) == {"error": "Invalid credentials in Authorization header"}
    status, headers, _ = http(hub, "GET", f"/api/datasets/{REPO}/revision/nope", headers=bearer())
    assert (status, headers["X-Error-Code"]) == (404, "RevisionNotFound")
    status, headers, _ = http(hub, "GET", f"/datasets/{REPO}/resolve/main/nope.txt", headers=bearer())
    assert (status, headers["X-Error-Code"], headers["X-Repo-Commit"]) == (404, "EntryNotFound", head)

    # A commit is applied all or nothing: the add is not kept when a later line fails.
    ndjson = b"\n".join(
        json.dumps(line).encode()
        for line in [
            {"key": "header", "value": {"summary": "bad", "description": ""}},
            {
                "key": "file",
                "value": {"path": "b.txt", "content": base64.b64encode(b"b").decode(), "encoding": "base64"},
            },
            {"key": "deletedFile", "value": {"path": "missing.txt"}},
        ]
    )
    status, headers, _ = http(hub, "POST", f"/api/datasets/{REPO}/commit/main", ndjson, bearer())
    assert (status, headers["X-Error-Code"]) == (404, "EntryNotFound")
    assert hub.head(REPO) == head and not (hub.repo_path(REPO) / "b.txt").exists()

    status, _, _ = http(hub, "GET", "/api/datasets/unknown-endpoint", headers=bearer())
    assert status == 404 and hub.requests[-1].route == "unknown"
    assert DEFAULT_TOKEN not in repr(hub.requests)
