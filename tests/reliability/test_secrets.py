"""No secret leaks: the API key, URL credentials and HF_TOKEN are in no byte synthgen produces, on any path.

Every command that takes a key runs as a user runs it (the console script in a subprocess) against the
loopback servers, through success and every scripted fault: a server that echoes the Authorization header
(raw, base64, percent-encoded) into its error body, a wrong key at discovery, 500s, a server that dies
mid-run, garbage replies, replies slower than --timeout; `push` through the loopback Hub's faults. Then
every byte is searched: stdout, stderr, every file under the run folder (and the emitted and staged
folders), `synthgen info` on the folder, everything the Hub stored, and a DEBUG log of the Python API.
The search looks for each secret's distinctive marker, every 16-character window of it and of its
encodings (so a truncated piece is caught too), since an echoed header may come back in any of them.
An unrelated variable of the environment is a canary as well: a manifest that dumped `os.environ` would
carry it. Each case also checks the secret was really sent (and, for the echo faults, really echoed), so
a pass is not the accident of a key that never left the process.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import subprocess
import traceback
from pathlib import Path
from urllib.parse import quote

import pytest
from cli_helpers import SYNTHGEN, run
from hub_server import HubServer
from openai_server.scripted import ScriptedServer, dead_url, die, echo_auth, garbage, ok, slow, status

import synthgen
from synthgen.backends.server import ServerOptions
from synthgen.errors import SynthgenError


def _canary(prefix: str, length: int) -> str:
    tail = hashlib.sha256(prefix.encode()).hexdigest() * 4
    return (prefix + tail)[:length]


# An OpenAI project key is ~164 characters: longer than the 200-character cut of an error message
# once "you sent Authorization: Bearer " precedes it, so a cut before the scrub would leave a piece.
API_KEY = _canary("sk-proj-CANARYkey", 190)
HF_TOKEN = _canary("hf_CANARYtoken", 37)
URL_PASSWORD = _canary("pwCANARYurl", 24)
ENV_SECRET = _canary("envCANARYunrelated", 40)  # in an unrelated variable: caught if os.environ is dumped
SECRETS = {"API key": API_KEY, "HF token": HF_TOKEN, "URL password": URL_PASSWORD, "environment": ENV_SECRET}
WINDOW = 16
TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
PROPS = {"chat_template": TEMPLATE, "bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "total_slots": 4}


def spellings(secret: str) -> list[str]:
    """The secret, percent-encoded, and base64 (standard and URL-safe) of it, of `Bearer <it>` and of `user:<it>`."""
    forms = [secret, quote(secret, safe="")]
    for raw in (secret, f"Bearer {secret}", f"user:{secret}"):
        forms += [base64.b64encode(raw.encode()).decode(), base64.urlsafe_b64encode(raw.encode()).decode()]
    return forms


def _needles() -> re.Pattern[bytes]:
    pieces = {b"CANARY"}
    for secret in SECRETS.values():
        for form in spellings(secret):
            pieces |= {form[i : i + WINDOW].encode() for i in range(0, max(1, len(form) - WINDOW + 1), WINDOW // 2)}
            pieces.add(form[-WINDOW:].encode())
    return re.compile(b"|".join(re.escape(p) for p in sorted(pieces, key=len, reverse=True)))


NEEDLES = _needles()


def leaks(*places) -> list[str]:
    """Where any piece of any secret appears: in captured text (str or bytes) or any file under a folder."""
    found = []
    for place in places:
        if isinstance(place, Path):
            files = sorted(p for p in place.rglob("*") if p.is_file()) if place.exists() else []
            blobs = [(str(p), p.read_bytes()) for p in files]
        else:
            blobs = [("captured output", place.encode() if isinstance(place, str) else place)]
        for where, data in blobs:
            hit = NEEDLES.search(data)
            if hit:
                found.append(f"{where}: ...{data[max(0, hit.start() - 60) : hit.end() + 20]!r}")
    return found


def secret_env(**extra: str) -> dict[str, str]:
    return {"OPENAI_API_KEY": API_KEY, "HF_TOKEN": HF_TOKEN, "SYNTHGEN_TEST_UNRELATED": ENV_SECRET, **extra}


def assert_sent(server: ScriptedServer, header: str = f"Bearer {API_KEY}") -> None:
    """The secret really left the process: the server received it."""
    assert any(s.headers.get("authorization") == header for s in server.seen), "the key was never sent"


def assert_clean_exit(proc: subprocess.CompletedProcess, *places) -> None:
    """A finished run or a one-line error (exit 0, 1 or 2), never a traceback, and no secret anywhere."""
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    if proc.returncode:
        assert proc.stderr.strip().splitlines()[-1].startswith("synthgen: error: "), proc.stderr
    assert leaks(proc.stdout, proc.stderr, *places) == []


# ---- generating commands against the scripted OpenAI-compatible server ------------------------------------------
COMMANDS = {
    "instructions": ["instructions", "--n", "3"],
    "preferences+judge server": ["preferences", "--n", "2", "--judge", "llm"],
    "math --source model": ["math", "--n", "2", "--source", "model", "--max-attempts", "4"],
    "math --solve": ["math", "--n", "1", "--solve", "2", "--emit-sft", "{emit}"],
    "logic --solve": ["logic", "--n", "1", "--solve", "2"],
    "sharded, local executor": ["instructions", "--n", "4", "--num-shards", "2"],
    "one shard": ["math", "--n", "2", "--solve", "2", "--num-shards", "2", "--shard-index", "1"],
    "--verbose": ["instructions", "--n", "2", "--verbose", "--stream"],
}
ECHOED = f"you sent Authorization: Bearer {API_KEY}; as base64 {base64.b64encode(API_KEY.encode()).decode()}"
ECHOED += f"; as a header {base64.b64encode(f'Bearer {API_KEY}'.encode()).decode()}; in a URL ?key={quote(API_KEY)}"
FAULTS = {
    "echoes the key": lambda: [echo_auth(400), status(403, body=ECHOED)] * 4,  # then answers: the run goes on
    "500s echoing the key": lambda: [status(500, body=ECHOED)] * 400,
    "dies mid-run": lambda: [ok(), ok(), ok(), die()],
    "garbage": lambda: [garbage()] * 400,
    "slower than --timeout": lambda: [slow(3)] * 400,
}
# The faults that bring the key back or end the run on the five commands, the echo on sharded and verbose
# runs, and the replies that carry nothing (garbage, too slow) on the two commands whose error paths differ most.
MAIN = list(COMMANDS)[:5]
CASES = [(c, f) for c in MAIN for f in ("echoes the key", "500s echoing the key", "dies mid-run")]
CASES += [(c, "echoes the key") for c in list(COMMANDS)[5:]]
CASES += [(c, f) for c in ("instructions", "preferences+judge server") for f in ("garbage", "slower than --timeout")]


@pytest.mark.parametrize("command, fault", CASES)
def test_no_secret_leaks_from_a_generating_command_through_server_faults(command, fault, tmp_path):
    out, emit = tmp_path / "run", tmp_path / "emitted"
    args = [a.replace("{emit}", str(emit)) for a in COMMANDS[command]]
    with ScriptedServer(api_key=API_KEY, props=PROPS) as server, ScriptedServer(api_key=API_KEY) as judge:
        server.script(*FAULTS[fault]())
        judge.script(*FAULTS[fault]())
        if command.startswith("preferences"):
            args += ["--judge-base-url", judge.url]
        timeout = "0.5" if fault.startswith("slower") else "30"
        proc = run(*args, "--base-url", server.url, "--max-retries", "0", "--timeout", timeout, "--out", str(out),
                   "--quiet", env=secret_env())  # fmt: skip
        assert_sent(server)
        if command.startswith("preferences"):
            assert_sent(judge)
        if fault.startswith(("echo", "500")):
            assert any(s.fault for s in server.seen), "the fault never fired"
    assert_clean_exit(proc, out, emit)
    if fault == "echoes the key" and "--solve" in args:  # solve attempts journal their error: masked there
        assert "Bearer [API key]" in "".join(p.read_text() for p in out.rglob("journal.jsonl"))
    if fault == "echoes the key" and command in MAIN:
        info = run("info", str(out), env=secret_env())
        assert info.returncode == 0 and leaks(info.stdout, info.stderr) == []


def test_a_wrong_key_at_discovery_and_a_key_in_another_variable(tmp_path):
    with ScriptedServer(api_key="sk-the-right-one") as server:
        proc = run("instructions", "--n", "2", "--base-url", server.url, "--api-key-env", "MY_SERVER_KEY",
                   "--out", str(tmp_path / "run"), env=secret_env(MY_SERVER_KEY=API_KEY))  # fmt: skip
        assert_sent(server)
    assert "answers HTTP 401: the API key is missing or wrong" in proc.stderr and proc.returncode == 2
    assert_clean_exit(proc, tmp_path)
    # A common slip: the key itself given as the variable's name. It is then only a name, never shown.
    with ScriptedServer(props=PROPS) as server:
        slip = run("instructions", "--n", "2", "--base-url", server.url, "--api-key-env", API_KEY,
                   "--out", str(tmp_path / "slip"), env=secret_env())  # fmt: skip
    info = run("info", str(tmp_path / "slip"))
    assert slip.returncode == 0 and info.returncode == 0, slip.stderr + info.stderr
    assert_clean_exit(slip, tmp_path, info.stdout, info.stderr)


def test_credentials_in_the_url_stay_out_even_when_echoed_as_basic_auth(tmp_path):
    """`http://user:password@host` is sent as Basic auth (base64 of user:password); echoed, it is masked."""
    out = tmp_path / "run"
    with ScriptedServer(props=PROPS) as server:
        server.script(*[echo_auth(400)] * 6)  # then answers: the rows kept carry the failed attempts
        url = server.url.replace("http://", f"http://user:{URL_PASSWORD}@")
        proc = run("math", "--n", "1", "--solve", "2", "--base-url", url, "--max-retries", "0", "--out", str(out),
                   env=secret_env())  # fmt: skip
        basic = base64.b64encode(f"user:{URL_PASSWORD}".encode()).decode()
        assert_sent(server, f"Basic {basic}")
    journal = (out / "journal.jsonl").read_text()
    assert "Authorization: Basic [credentials]" in journal  # the echo reached the journal, masked
    info = run("info", str(out))
    assert_clean_exit(proc, out, info.stdout, info.stderr)
    bad = run("instructions", "--base-url", f"htp://user:{URL_PASSWORD}@x", "--out", str(tmp_path / "b"))
    assert "not an http(s) URL" in bad.stderr
    assert_clean_exit(bad, tmp_path / "b")


# ---- the Python API: exceptions and logs ------------------------------------------------------------------------
@pytest.fixture
def debug_log(tmp_path):
    """Everything any logger says (httpx, httpcore, huggingface_hub...) at DEBUG, into a file."""
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    handler.close()
    root.setLevel(level)


def exception_texts(exc: BaseException) -> list[str]:
    return [str(exc), repr(exc), "".join(traceback.format_exception(exc))]


@pytest.mark.parametrize("fault", ["wrong key", "dies mid-run", "echo then dies"])
def test_python_api_exceptions_and_debug_logs_hold_no_key(fault, tmp_path, monkeypatch, debug_log):
    monkeypatch.setenv("SYNTHGEN_TEST_KEY", API_KEY)
    with ScriptedServer(api_key="sk-other" if fault == "wrong key" else API_KEY, props=PROPS) as server:
        server.script(*([echo_auth(400)] * 8 if fault.startswith("echo") else []), ok(), ok(), die())
        options = ServerOptions(base_urls=[server.url], api_key_env="SYNTHGEN_TEST_KEY", max_retries=0, timeout=5)
        with pytest.raises(SynthgenError) as caught:
            synthgen.instructions(6, tmp_path / "run", server=options, progress=False)
        assert_sent(server)
    assert leaks(*exception_texts(caught.value), debug_log, tmp_path / "run") == []
    assert debug_log.stat().st_size > 0  # the loggers did talk


# ---- push through the loopback Hub -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("runs") / "grpo"
    synthgen.math(8, folder, seed=2, progress=False)
    return folder


def push(folder: Path, hub: HubServer, home: Path, *args: str, token: str = HF_TOKEN, endpoint: str | None = None):
    env = {**hub.client_env(home, token=token, endpoint=endpoint), "SYNTHGEN_TEST_UNRELATED": ENV_SECRET}
    env["OPENAI_API_KEY"] = API_KEY
    return subprocess.run([SYNTHGEN, "push", str(folder), *args], capture_output=True, text=True, env=env, timeout=120)


def hub_bytes(hub: HubServer) -> list[bytes]:
    """Every file of every commit the Hub received, and every request line it logged."""
    files = [data for repo in list(hub.repos) for commit in hub.commits(repo) for data in commit.files.values()]
    return files + [f"{r.method} {r.raw_path or r.path}?{r.query}".encode() for r in hub.requests]


PUSH_FAULTS = ["success, then unchanged", "wrong token", "forbidden", "500 on commit", "nothing listening",
               "repo type refused, token echoed", "commit refused, token echoed", "too slow"]  # fmt: skip


@pytest.mark.parametrize("fault", PUSH_FAULTS)
def test_push_leaks_no_token_on_success_or_any_failure(fault, finished_run, tmp_path):
    home, repo = tmp_path / "home", "alice/secret-test"
    echoed = f"bad token {HF_TOKEN} (Bearer {base64.b64encode(f'Bearer {HF_TOKEN}'.encode()).decode()})"
    right = "hf_the_right_one" if fault == "wrong token" else HF_TOKEN  # else the user's HF_TOKEN is right
    with HubServer(tmp_path / "hub", token=right, upload_mode="auto") as hub:
        args = [repo, "--test-size", "0.5", "--include-journal"]
        kwargs: dict = {}
        if fault in ("forbidden", "500 on commit", "commit refused, token echoed"):
            assert push(finished_run, hub, home, "--repo-id", repo).returncode == 0  # exists, without the split
        if fault == "forbidden":
            hub.forbid(repo)
        elif fault == "500 on commit":
            hub.fail_next(r"/commit/", 500, times=20)
        elif fault == "nothing listening":
            kwargs["endpoint"] = dead_url().removesuffix("/v1")
        elif fault == "repo type refused, token echoed":
            hub.fail_next(r"^/api/datasets/", 400, times=None, body={"error": f"wrong repo type; {echoed}"})
        elif fault == "commit refused, token echoed":
            hub.fail_next(r"/commit/", 422, times=None, body={"error": f"commit refused; {echoed}"})
        elif fault == "too slow":
            hub.slow(r"/api/datasets/", seconds=3, times=None)
            args += ["--timeout", "1"]
        proc = push(finished_run, hub, home, "--repo-id", *args, **kwargs)
        outputs = [proc.stdout, proc.stderr]
        if fault.startswith("success"):
            assert proc.returncode == 0, proc.stderr
            again = push(finished_run, hub, home, "--repo-id", *args)
            assert again.returncode == 0 and "nothing changed" in again.stdout
            outputs += [again.stdout, again.stderr]
        else:
            assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        if fault not in ("nothing listening", "too slow"):  # (a request cut off by the timeout is not logged)
            assert any(r.auth != "none" for r in hub.requests), "the token never reached the Hub"
        assert leaks(*outputs, *hub_bytes(hub), hub.root, home, finished_run) == []
    assert "Traceback" not in proc.stderr


def test_python_push_exceptions_hold_no_token(finished_run, tmp_path, monkeypatch, debug_log):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # conftest keeps the suite offline
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)  # the loopback Hub speaks LFS, not Xet
    echoed = f"your token {HF_TOKEN} as {base64.b64encode(HF_TOKEN.encode()).decode()}"
    with HubServer(tmp_path / "hub", token=HF_TOKEN, upload_mode="auto") as hub:
        monkeypatch.setattr(constants, "ENDPOINT", hub.url)  # else the client asks huggingface.co for its agent list
        hub.fail_next(r"/commit/", 422, times=None, body={"error": echoed})
        with pytest.raises(SynthgenError) as caught:
            synthgen.push(finished_run, "alice/api", token=HF_TOKEN, endpoint=hub.url, timeout=10)
        assert any(r.route == "commit" for r in hub.requests)
    assert "422" in str(caught.value)
    assert leaks(*exception_texts(caught.value), debug_log) == []


def test_the_environment_is_not_dumped_into_a_manifest(tmp_path):
    """A plain run (no server) with every canary in its environment, and `info` on it: no byte holds one."""
    env = secret_env()
    procs = [run("logic", "--n", "3", "--out", str(tmp_path / "m"), env=env), run("info", str(tmp_path / "m"), env=env)]
    for proc in procs:
        assert proc.returncode == 0, proc.stderr
        assert_clean_exit(proc)
    assert (tmp_path / "m" / "manifest.json").exists()
    assert leaks(tmp_path) == []
    assert os.environ.get("SYNTHGEN_TEST_UNRELATED") is None  # the canary lived only in the children


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads a process's environment from /proc")
def test_the_verifier_worker_reading_model_output_gets_no_credentials(monkeypatch):
    """The sandboxed verifier parses untrusted answers: its environment holds no key a bug there could reach."""
    from synthgen.verify.sandbox import Worker

    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    monkeypatch.setenv("SYNTHGEN_VERIFY_UNRELATED", "kept")
    worker = Worker()
    try:
        environ = Path(f"/proc/{worker.proc.pid}/environ").read_bytes()
    finally:
        worker.kill()
    assert b"SYNTHGEN_VERIFY_UNRELATED=kept" in environ  # the rest of the environment is passed on
    assert leaks(environ) == []
