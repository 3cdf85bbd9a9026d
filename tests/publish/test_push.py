"""`synthgen push` against a real HTTP server on loopback speaking the Hub API, with the real client.

Fresh SFT, DPO and GRPO runs are pushed as a user would (the console script in a subprocess,
`HF_ENDPOINT` pointed at the loopback Hub, a canary `HF_TOKEN`); the pushed tree must hold
exactly the staged files in one commit, its card must read back through `DatasetCard.load`
with the keys the Hub reads, and `datasets.load_dataset` on the pushed tree must give back every
local row, each in the split its id hashes to. Then the failure paths: no token, 401, 403, a 500
on the commit, nothing listening. Each is one line and exit 2, leaves the run folder and the
repo as they were, and the canary token appears in no byte written or printed.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
from pathlib import Path

import pytest
from cli_helpers import SYNTHGEN, assert_one_line_error, run
from hub_server import HubServer
from preference_fakes import make_judge

import synthgen
from synthgen.backends.fake import FakeBackend
from synthgen.publish.split import in_test

CANARY = "hf_CANARYtokenNEVERprintED0123456789"
TEST_SIZE = 0.25


def hub_env(hub: HubServer, home: Path, token: str | None = CANARY, endpoint: str | None = None) -> dict:
    """The environment of a user who points synthgen at the loopback Hub (token None: no token at all)."""
    home.mkdir(parents=True, exist_ok=True)
    return hub.client_env(home, token=token if token is not None else "", endpoint=endpoint)


def push_cli(folder: Path, repo: str, hub, home: Path, *args: str, **env_kw) -> subprocess.CompletedProcess:
    full = hub_env(hub, home, **env_kw)
    return subprocess.run(
        [SYNTHGEN, "push", str(folder), "--repo-id", repo, *args],
        capture_output=True, text=True, env=full, timeout=300,
    )  # fmt: skip


def folder_state(path: Path) -> dict[str, str]:
    """sha256 of every file under `path` (the lock file included), to prove a push changed nothing."""
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}  # fmt: skip


def assert_no_canary(*places) -> None:
    """The canary token is in no file under these folders and in no captured output."""
    needle = CANARY.encode()
    for place in places:
        if isinstance(place, str):
            assert CANARY not in place
            continue
        for file in Path(place).rglob("*"):
            if file.is_file():
                assert needle not in file.read_bytes(), file


@pytest.fixture
def hub(tmp_path):
    server = HubServer(tmp_path / "hub-store", token=CANARY, upload_mode="auto")  # Parquet as LFS, as on the Hub
    yield server
    server.stop()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """One finished run folder of each kind, made fresh."""
    root = tmp_path_factory.mktemp("runs")
    synthgen.instructions(12, root / "sft", backend=FakeBackend(), seed=3, progress=False)
    synthgen.preferences(6, root / "dpo", backend=make_judge(), seed=1, export="reward", progress=False)
    synthgen.math(24, root / "grpo", seed=2, progress=False)
    return {"sft": root / "sft", "dpo": root / "dpo", "grpo": root / "grpo"}


def local_rows(folder: Path, config: str = "default") -> list[dict]:
    from synthgen.publish.source import read_run

    return read_run(folder).configs[config].rows


@pytest.mark.parametrize("kind", ["sft", "dpo", "grpo"])
def test_a_fresh_run_pushes_in_one_commit_and_loads_back_identically(kind, runs, hub, tmp_path):
    folder, repo = runs[kind], f"alice/smol-{kind}"
    before = folder_state(folder)
    proc = push_cli(folder, repo, hub, tmp_path / "home", "--private", "--test-size", str(TEST_SIZE))
    assert proc.returncode == 0, proc.stderr
    assert f"pushed {kind} rows to {repo}@main" in proc.stdout and "created the repo" in proc.stdout

    tree = hub.repo_path(repo)
    files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
    expected = {"README.md", "manifest.json", "data/train-00000-of-00001.parquet", "data/test-00000-of-00001.parquet"}
    if kind == "dpo":
        expected |= {"data/reward-train-00000-of-00001.parquet", "data/reward-test-00000-of-00001.parquet"}
    prompts = sorted(p.relative_to(folder).as_posix() for p in (folder / "prompts").glob("*")) if kind != "grpo" else []
    assert set(files) - {".gitattributes"} == expected | set(prompts)
    assert "journal.jsonl" not in files and ".synthgen.lock" not in files
    commits = hub.commits(repo)
    assert len(commits) == 1 and commits[0]["message"].startswith(f"synthgen push: {kind} dataset")
    assert hub.is_private(repo)

    from huggingface_hub import DatasetCard

    card = DatasetCard.load(tree / "README.md")
    data = card.data
    assert data.license and data.language == ["en"] and data.task_categories == ["text-generation"]
    assert {"synthetic", "synthgen", "trl", kind} <= set(data.tags)
    assert data.annotations_creators == ["machine-generated"] and data.size_categories == ["n<1K"]
    default = next(c for c in data.configs if c["config_name"] == "default")
    assert [f["split"] for f in default["data_files"]] == ["train", "test"]
    assert f'load_dataset("{repo}"' in card.text and "path/to/this/folder" not in card.text

    from datasets import load_dataset

    for config in ["default", "reward"] if kind == "dpo" else ["default"]:
        pushed = load_dataset(str(tree), config, cache_dir=str(tmp_path / "cache"))
        mine = local_rows(folder, config)
        assert sorted(pushed) == ["test", "train"] and len(pushed["test"]) > 0
        assert pushed["train"].to_list() + pushed["test"].to_list() != []
        by_split = {"train": [r for r in mine if not in_test(str(r["id"]), TEST_SIZE)],
                    "test": [r for r in mine if in_test(str(r["id"]), TEST_SIZE)]}  # fmt: skip
        assert pushed["train"].to_list() == by_split["train"] and pushed["test"].to_list() == by_split["test"]
        info = next(i for i in ([data.dataset_info] if isinstance(data.dataset_info, dict) else data.dataset_info)
                    if i.get("config_name", "default") == config)  # fmt: skip
        assert {s["name"]: s["num_examples"] for s in info["splits"]} == {k: len(v) for k, v in by_split.items()}

    assert folder_state(folder) == before  # the run folder is only read
    again = push_cli(folder, repo, hub, tmp_path / "home", "--private", "--test-size", str(TEST_SIZE))
    assert again.returncode == 0, again.stderr
    assert "nothing changed, no commit made" in again.stdout and len(hub.commits(repo)) == 1
    assert_no_canary(proc.stdout, proc.stderr, again.stdout, again.stderr, folder, hub.root, tmp_path / "home")


@pytest.mark.slow
def test_a_run_of_the_real_model_pushes_and_loads_back(hub, tmp_path):
    """The embedded model through llama.cpp, as a user's first run: pushed, then read back row for row."""
    folder = tmp_path / "real-sft"
    synthgen.instructions(3, folder, progress=False)
    proc = push_cli(folder, "alice/real", hub, tmp_path / "home", "--test-size", "0.5")
    assert proc.returncode == 0, proc.stderr
    from datasets import load_dataset

    pushed = load_dataset(str(hub.repo_path("alice/real")), cache_dir=str(tmp_path / "cache"))
    mine = local_rows(folder)
    assert pushed["train"].to_list() == [r for r in mine if not in_test(str(r["id"]), 0.5)]
    assert pushed["test"].to_list() == [r for r in mine if in_test(str(r["id"]), 0.5)]
    card = (hub.repo_path("alice/real") / "README.md").read_text()
    assert "SmolLM2-135M-Instruct.Q4_1.gguf" in card and "Q4_1" in card
    assert_no_canary(proc.stdout, proc.stderr, folder, hub.root)


def test_load_dataset_reads_the_pushed_repo_through_the_hub(runs, hub, tmp_path):
    """`load_dataset("alice/...")` resolves the repo through the (loopback) Hub like a trainer would."""
    assert push_cli(runs["grpo"], "alice/m", hub, tmp_path / "home", "--test-size", "0.5").returncode == 0
    code = (
        "import json, datasets\n"
        "datasets.config.USE_PARQUET_EXPORT = False  # else it asks datasets-server.<host> first\n"
        "ds = datasets.load_dataset('alice/m')\n"
        "print(json.dumps({split: list(part['id']) for split, part in ds.items()}))\n"
    )
    proc = hub.run_client(code, tmp_path / "reader-home")
    assert proc.returncode == 0, proc.stderr
    ids = json.loads(proc.stdout.strip().splitlines()[-1])
    mine = [str(r["id"]) for r in local_rows(runs["grpo"])]
    assert ids == {"train": [i for i in mine if not in_test(i, 0.5)], "test": [i for i in mine if in_test(i, 0.5)]}


def test_revision_pull_request_message_journal_and_a_changed_split(runs, hub, tmp_path):
    folder, repo, home = runs["sft"], "alice/opts", tmp_path / "home"
    first = push_cli(folder, repo, hub, home)
    assert first.returncode == 0, first.stderr
    assert [f.name for f in (hub.repo_path(repo) / "data").iterdir()] == ["train-00000-of-00001.parquet"]

    branch = push_cli(folder, repo, hub, home, "--revision", "dev", "--include-journal", "--test-size", "0.5",
                      "--commit-message", "SFT with a test split")  # fmt: skip
    assert branch.returncode == 0, branch.stderr
    dev = hub.repo_path(repo, "dev")
    assert (dev / "journal.jsonl").read_bytes() == (folder / "journal.jsonl").read_bytes()
    assert sorted(f.name for f in (dev / "data").iterdir()) == ["test-00000-of-00001.parquet",
                                                                "train-00000-of-00001.parquet"]  # fmt: skip
    assert hub.commits(repo)[-1]["message"] == "SFT with a test split"
    assert sorted(f.name for f in (hub.repo_path(repo) / "data").iterdir()) == ["train-00000-of-00001.parquet"]

    # Back to train only and no journal, as a pull request on main: the PR holds the change, main does not.
    pr = push_cli(folder, repo, hub, home, "--revision", "dev", "--create-pr")
    assert pr.returncode == 0, pr.stderr
    assert "/discussions/" in pr.stdout
    last = hub.commits(repo)[-1]
    assert last["create_pr"] and "journal.jsonl" in last["deleted"] and "data/test-00000-of-00001.parquet" in last[
        "deleted"]  # fmt: skip
    assert (dev / "journal.jsonl").exists()  # the branch itself is untouched until the PR is merged


def test_private_does_not_change_an_existing_repo(runs, hub, tmp_path):
    home = tmp_path / "home"
    assert push_cli(runs["grpo"], "alice/public", hub, home).returncode == 0
    proc = push_cli(runs["grpo"], "alice/public", hub, home, "--private", "--test-size", "0.5")
    assert proc.returncode == 0, proc.stderr
    assert "--private does not change an existing repo" in proc.stderr and not hub.is_private("alice/public")


def test_the_python_function_equals_the_command(runs, hub, tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # conftest keeps the suite offline
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)  # the loopback Hub speaks LFS, not Xet
    # huggingface_hub's telemetry fetches a registry from huggingface.co, not from `endpoint`
    from huggingface_hub.utils import _detect_agent

    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", False)
    monkeypatch.setattr(_detect_agent, "_registry", None)
    fetched = []
    monkeypatch.setattr(_detect_agent, "_fetch_registry", lambda: fetched.append(1))
    result = synthgen.push(runs["dpo"], "alice/api", test_size=0.5, token=CANARY, endpoint=hub.url)
    assert fetched == [], "a push must contact only the Hub it pushes to"
    assert result.changed and result.created_repo and result.commit and result.rows["train"] + result.rows["test"] == 6
    assert set(result.uploaded) == {
        p.relative_to(hub.repo_path("alice/api")).as_posix() for p in hub.repo_path("alice/api").rglob("*")
        if p.is_file() and p.name != ".gitattributes"
    }  # fmt: skip
    same = synthgen.push(runs["dpo"], "alice/api", test_size=0.5, token=CANARY, endpoint=hub.url)
    assert not same.changed and same.commit is None and same.unchanged == sorted(result.uploaded)


def test_a_hub_that_stops_answering_is_a_timeout_not_a_hang(runs, hub, tmp_path):
    hub.slow(r"/api/datasets/alice/slow", seconds=5, times=None)
    proc = push_cli(runs["grpo"], "alice/slow", hub, tmp_path / "home", "--timeout", "1")
    assert_one_line_error(proc, "cannot reach the Hub while reading the repo")
    assert_no_canary(proc.stdout, proc.stderr)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "case, fragment",
    [
        ("no token", "no Hugging Face token"),
        ("wrong token", "401"),
        ("forbidden", "403"),
        ("server error on commit", "500"),
        ("nothing listening", "cannot reach the Hub"),
        ("offline", "HF_HUB_OFFLINE"),
    ],
)
def test_hub_failures_are_one_line_and_change_nothing(case, fragment, runs, hub, tmp_path):
    folder, repo, home = runs["grpo"], "alice/fail", tmp_path / "home"
    if case in ("forbidden", "server error on commit"):  # the repo exists with one commit already
        assert push_cli(folder, repo, hub, home).returncode == 0
    before, commits = folder_state(folder), len(hub.commits(repo)) if hub.repo_path(repo).exists() else 0
    stored = folder_state(hub.root)
    kwargs: dict = {}
    if case == "no token":
        kwargs["token"] = None
    elif case == "wrong token":
        kwargs["token"] = CANARY + "x"
    elif case == "forbidden":
        hub.forbid(repo)
    elif case == "server error on commit":
        hub.fail_next(r"/commit/", 500, times=20)
    elif case == "nothing listening":
        kwargs["endpoint"] = f"http://127.0.0.1:{_closed_port()}"
    args = ["--test-size", "0.5"]
    if case == "offline":
        proc = subprocess.run(
            [SYNTHGEN, "push", str(folder), "--repo-id", repo, *args],
            capture_output=True, text=True, timeout=300, env={**hub_env(hub, home), "HF_HUB_OFFLINE": "1"},
        )  # fmt: skip
    else:
        proc = push_cli(folder, repo, hub, home, *args, **kwargs)
    assert_one_line_error(proc, fragment)
    assert folder_state(folder) == before
    assert folder_state(hub.root) == stored
    if hub.repo_path(repo).exists():
        assert len(hub.commits(repo)) == commits
    assert_no_canary(proc.stdout, proc.stderr, folder, hub.root, home)


def test_bad_input_is_refused_before_any_request(runs, hub, tmp_path):
    home = tmp_path / "home"
    assert_one_line_error(push_cli(runs["sft"], "no-namespace", hub, home), "--repo-id")
    assert_one_line_error(push_cli(runs["sft"], "alice/x", hub, home, "--test-size", "1.5"), "--test-size")
    assert_one_line_error(push_cli(tmp_path / "missing", "alice/x", hub, home), "not a folder")
    assert_one_line_error(run("push", str(runs["sft"])), "--repo-id")
    assert hub.requests == []
