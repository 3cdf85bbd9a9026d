"""Every command x every option with hostile input: one line, exit 2, nothing on disk, no model.

The table (input_matrix_cases.py) is checked against the typer commands themselves (`test_every_option_is_covered`),
so an option added later without a bad-input case here fails that test. Each case runs the real
entry point `synthgen.cli.main.main` in process (the console script calls exactly that; a few run
through the installed script too) with the cwd an empty folder (the default output root
`outputs/` lives there) and `--out` inside another empty folder; both, and the folder of input
files, must be byte-for-byte as they were afterwards. Loading a model or opening a server
connection raises in these tests, so every case must be refused before either.

Placeholders in a case: {in} the folder of input files (inputs_folder), {out} the empty output
folder, {run} a finished `synthgen math` run folder.
"""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import pytest
import typer
from cli_helpers import assert_one_line_error, run
from input_matrix_cases import ANY_VALUE, CASES

from synthgen.cli.main import app, main

CASE_SECONDS = 20  # a case still running by then was taken for a real run


@pytest.fixture(scope="module")
def inputs_folder(tmp_path_factory) -> Path:
    """Input files of every sort a command reads: good ones for conflicts, bad ones for the cases."""
    import synthgen

    root = tmp_path_factory.mktemp("inputs")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    noise = bytes((i * 7919 + 13) % 256 for i in range(4096))  # fixed bytes, not valid UTF-8
    (root / "adir").mkdir()
    (root / "empty.txt").write_bytes(b"")
    (root / "latin1.txt").write_bytes("caf\xe9 culture\nna\xefve\n".encode("latin-1"))
    (root / "topics.txt").write_text("gardening\nastronomy\n")
    (root / "t.jinja").write_text("{% for m in messages %}{{ m.content }}{% endfor %}")
    for name, data in (
        ("image.png", png),
        ("image.parquet", png),
        ("png.gguf", png),
        ("noise.parquet", noise),
        ("noise.jsonl", noise),
        ("empty.gguf", b""),
        ("empty.jsonl", b""),
        ("empty.parquet", b""),
    ):
        (root / name).write_bytes(data)
    (root / "prompts.jsonl").write_text('{"prompt": "Name a planet."}\n{"prompt": "Name a river."}\n')
    (root / "candidates.jsonl").write_text('{"prompt": "Name a planet.", "responses": ["Mars", "Blue"]}\n')
    (root / "latin1-prompts").mkdir()
    (root / "latin1-prompts" / "self_instruct.txt").write_bytes(b"Write \xe9 {topic}\n")
    (root / "empty-prompts").mkdir()
    (root / "empty-prompts" / "self_instruct.txt").write_bytes(b"\n")
    (root / "bad-manifest").mkdir()
    (root / "bad-manifest" / "manifest.json").write_text("{not json")
    (root / "noise-run").mkdir()
    (root / "noise-run" / "manifest.json").write_bytes(noise)
    synthgen.math(4, root / "run", families="arithmetic", difficulty="1", progress=False)
    return root


def _snapshot(*roots: Path) -> dict[str, tuple[int, int] | None]:
    """Every file and folder under `roots` with its size and mtime (None for folders)."""
    seen: dict[str, tuple[int, int] | None] = {}
    for root in roots:
        for path in [root, *root.rglob("*")]:
            stat = path.lstat()
            seen[str(path)] = None if path.is_dir() else (stat.st_size, stat.st_mtime_ns)
    return seen


@pytest.fixture
def no_model(monkeypatch):
    """Loading a model, converting one or opening a server backend fails the test."""
    import synthgen.backends.llama_batched as batched
    import synthgen.backends.open as opener
    import synthgen.backends.server as server

    def refuse(*args, **kwargs):
        raise AssertionError("a bad-input case reached the model or a server")

    monkeypatch.setattr(batched, "LlamaBatchedBackend", refuse)
    monkeypatch.setattr(opener, "runnable_model", refuse)
    monkeypatch.setattr(server, "ServerBackend", refuse)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # push: no Hub, and no real one
    monkeypatch.setenv("HF_TOKEN", "hf_matrix_dummy_token")
    monkeypatch.delenv("SYNTHGEN_MODEL", raising=False)


@pytest.fixture
def deadline():
    """A case still running after CASE_SECONDS was accepted as a run (e.g. a huge --n): fail it."""

    def expire(signum, frame):
        raise TimeoutError(f"a bad-input case ran for {CASE_SECONDS} s instead of being refused")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(CASE_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _fill(args: list[str], inputs: Path, out: Path) -> list[str]:
    return [a.replace("{in}", str(inputs)).replace("{out}", str(out)).replace("{run}", str(inputs / "run"))
            for a in args]  # fmt: skip


def _refused(cmd, args, fragment, inputs_folder, tmp_path, monkeypatch, capsys) -> str:
    """Run one case in process; check the one line, exit 2 and untouched folders; return the line."""
    cwd, out = tmp_path / "cwd", tmp_path / "out"
    cwd.mkdir(), out.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cwd / ".cache"))  # a model conversion would land here
    before = _snapshot(cwd, out, inputs_folder)
    with pytest.raises(SystemExit) as stop:
        main([cmd, *_fill(args, inputs_folder, out)])
    captured = capsys.readouterr()
    assert stop.value.code == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("synthgen: error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    assert fragment.replace("{in}/", "") in lines[0], lines[0]
    assert _snapshot(cwd, out, inputs_folder) == before
    return lines[0]


@pytest.mark.parametrize(("cmd", "args", "fragment"), CASES, ids=[f"{c}:{' '.join(a)}" for c, a, _ in CASES])
def test_bad_input_is_one_line_and_leaves_no_trace(cmd, args, fragment, inputs_folder, tmp_path, no_model, deadline,
                                                   monkeypatch, capsys):  # fmt: skip
    _refused(cmd, args, fragment, inputs_folder, tmp_path, monkeypatch, capsys)


@pytest.mark.parametrize(
    ("cmd", "args"),
    [
        ("instructions", ["--parallel", "200"]),
        ("preferences", ["--judge-model", "{model}", "--parallel", "64"]),
        ("math", ["--solve", "2", "--parallel", "64"]),
    ],
)
def test_parallel_beyond_memory_is_refused_before_loading(cmd, args, inputs_folder, tmp_path, no_model, deadline,
                                                          monkeypatch, capsys):  # fmt: skip
    """With 256 MiB of memory the embedded model's KV cache (about 11 MiB a sequence at the smallest
    context) cannot hold 64 sequences: refused from the GGUF header, with the reason and a fitting value."""
    import synthgen.backends.kv_memory as kv_memory
    from synthgen.backends.model_file import embedded_model_path

    monkeypatch.setattr(kv_memory, "physical_memory", lambda: 256 * 2**20)
    # llama.cpp's header log goes to sys.stderr, which the console script silences at fd 2 but capsys
    # would catch in process; a run without --verbose sets this level itself once a model loads.
    monkeypatch.setattr(logging.getLogger("llama-cpp-python"), "level", logging.CRITICAL)
    args = [a.replace("{model}", str(embedded_model_path())) for a in args] + ["--out", "{out}/o"]
    line = _refused(cmd, args, "GiB of KV cache", inputs_folder, tmp_path, monkeypatch, capsys)
    assert "more than this machine's 0.2 GiB of memory; use --parallel " in line
    fits = int(line.rsplit("--parallel ", 1)[1].split()[0])
    assert 1 <= fits < int(args[args.index("--parallel") + 1])  # the advice is a --parallel that fits


def test_every_option_is_covered():
    """Each option of each command has a bad-input case above or is listed as taking any value."""
    group = typer.main.get_command(app)
    assert set(group.commands) == set(ANY_VALUE)
    for name, command in group.commands.items():
        used = {a for c, args, _ in CASES if c == name for a in args if a.startswith("--")}
        for param in command.params:
            if param.param_type_name == "argument":
                assert any(c == name for c, _, _ in CASES), name
                continue
            flag = param.opts[0]
            assert flag in used or flag in ANY_VALUE[name], f"{name} {flag}: no bad-input case"
            assert not (flag in used and flag in ANY_VALUE[name]), f"{name} {flag}: listed twice"


@pytest.mark.parametrize(
    ("cmd", "args", "fragment"),
    [
        ("instructions", ["--n", "abc"], "--n"),
        ("preferences", ["--parallel", "100000"], "--parallel"),
        ("math", ["--difficulty", "7"], "--difficulty"),
        ("export", ["{in}/missing", "--format", "alpaca", "--out", "{out}/x.jsonl"], "missing"),
        ("push", ["{run}", "--repo-id", "noslash"], "--repo-id"),
    ],
)
def test_console_script_agrees(cmd, args, fragment, inputs_folder, tmp_path):
    """The installed `synthgen` script prints and exits exactly as the in-process cases assume."""
    cwd, out = tmp_path / "cwd", tmp_path / "out"
    cwd.mkdir(), out.mkdir()
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "XDG_CACHE_HOME": str(cwd / ".cache")}
    proc = run(cmd, *_fill(args, inputs_folder, out), env=env, cwd=cwd)
    assert_one_line_error(proc, fragment)
    assert not os.listdir(cwd) and not os.listdir(out)
