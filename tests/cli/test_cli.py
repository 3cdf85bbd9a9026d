"""The real `synthgen` console script: help, version, and one-line errors with exit code 2.

These run the installed entry point in a subprocess, so they check what a user sees: the exit
code, that stderr is exactly one line, and that no traceback leaks. None of them loads a model
(every case fails before that), so they are fast.
"""

from __future__ import annotations

import pytest
from cli_helpers import assert_one_line_error, run


def test_version():
    proc = run("--version")
    assert proc.returncode == 0
    from importlib.metadata import version

    assert proc.stdout.strip() == f"synthgen {version('synthgen')}"


@pytest.mark.parametrize("command", [[], ["instructions"]])
def test_help_explains_every_option(command):
    proc = run(*command, "--help")
    assert proc.returncode == 0
    if command:
        for option in (
            "--n",
            "--out",
            "--model",
            "--seed",
            "--method",
            "--topics",
            "--prompts",
            "--system-prompt",
            "--batch-size",
            "--overwrite",
            "--verbose",
            "--quiet",
        ):
            assert option in proc.stdout
    else:
        assert "instructions" in proc.stdout


@pytest.mark.parametrize(("n", "fragment"), [("0", "--n"), ("-3", "--n"), ("abc", "--n"), ("1.5", "--n")])
def test_bad_n(tmp_path, n, fragment):
    assert_one_line_error(run("instructions", "--n", n, "--out", str(tmp_path / "o")), fragment)


def test_unknown_method(tmp_path):
    assert_one_line_error(run("instructions", "--method", "evol", "--out", str(tmp_path / "o")), "--method")


def test_missing_topics_file(tmp_path):
    missing = tmp_path / "nope.txt"
    assert_one_line_error(run("instructions", "--topics", str(missing), "--out", str(tmp_path / "o")), str(missing))


def test_empty_topics_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n# only a comment\n")
    assert_one_line_error(run("instructions", "--topics", str(empty), "--out", str(tmp_path / "o")), str(empty))


def test_non_utf8_topics_file(tmp_path):
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("caf\xe9 culture\n".encode("latin-1"))
    assert_one_line_error(
        run("instructions", "--topics", str(latin), "--out", str(tmp_path / "o")), str(latin), "UTF-8"
    )


def test_missing_model(tmp_path):
    missing = tmp_path / "missing.gguf"
    assert_one_line_error(run("instructions", "--model", str(missing), "--out", str(tmp_path / "o")), str(missing))


def test_missing_model_from_env(tmp_path):
    missing = tmp_path / "env.gguf"
    assert_one_line_error(
        run("instructions", "--out", str(tmp_path / "o"), env={"SYNTHGEN_MODEL": str(missing)}), str(missing)
    )


def test_non_gguf_model(tmp_path):
    fake_model = tmp_path / "model.gguf"
    fake_model.write_bytes(b"PK\x03\x04 this is a zip, not a gguf" * 10)
    assert_one_line_error(
        run("instructions", "--model", str(fake_model), "--out", str(tmp_path / "o")), str(fake_model), "GGUF"
    )


def test_corrupt_gguf_that_fails_to_load(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)
    assert_one_line_error(run("instructions", "--model", str(broken), "--out", str(tmp_path / "o")), str(broken))
    assert not (tmp_path / "o").exists(), "a failed start must not leave an empty run folder"


def test_unwritable_out(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = blocker / "run"  # a folder under a regular file can never be created, even by root
    assert_one_line_error(run("instructions", "--n", "2", "--out", str(out)), str(out))


def test_out_is_a_file(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert_one_line_error(run("instructions", "--out", str(target)), str(target))


def test_prompts_dir_missing(tmp_path):
    missing = tmp_path / "no-prompts"
    assert_one_line_error(run("instructions", "--prompts", str(missing), "--out", str(tmp_path / "o")), str(missing))


@pytest.mark.parametrize(("option", "value"), [("--parallel", "0"), ("--parallel", "x"), ("--convert", "q4_0")])
def test_bad_engine_options(tmp_path, option, value):
    assert_one_line_error(run("instructions", option, value, "--out", str(tmp_path / "o")), option)
