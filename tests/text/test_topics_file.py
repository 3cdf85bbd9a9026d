"""Tests for synthgen.text.topics.read_topics: good files parse, bad ones give one-line errors."""

from __future__ import annotations

import pytest

from synthgen.errors import SynthgenError
from synthgen.text.topics import read_topics


def _assert_one_line_error_naming(exc_info, path) -> str:
    message = str(exc_info.value)
    assert str(path) in message
    assert "\n" not in message
    assert exc_info.value.exit_code == 2
    return message


def test_good_file_strips_dedups_and_skips_comments(tmp_path):
    path = tmp_path / "topics.txt"
    path.write_text(
        "# my topics\n"
        "  astronomy  \n"
        "\n"
        "cooking\n"
        "\tastronomy\n"  # duplicate after stripping
        "   # indented comment\n"
        "caf\u00e9 culture\n"
        "cooking\n",
        encoding="utf-8",
    )
    assert read_topics(path) == ["astronomy", "cooking", "caf\u00e9 culture"]


def test_order_is_first_occurrence(tmp_path):
    path = tmp_path / "topics.txt"
    path.write_text("b\na\nb\nc\na\n", encoding="utf-8")
    assert read_topics(path) == ["b", "a", "c"]


def test_crlf_and_missing_final_newline(tmp_path):
    path = tmp_path / "topics.txt"
    path.write_bytes(b"history\r\nphysics\r\nmusic")
    assert read_topics(path) == ["history", "physics", "music"]


def test_accepts_str_path(tmp_path):
    path = tmp_path / "topics.txt"
    path.write_text("one\n", encoding="utf-8")
    assert read_topics(str(path)) == ["one"]


def test_missing_file(tmp_path):
    path = tmp_path / "nope.txt"
    with pytest.raises(SynthgenError) as exc:
        read_topics(path)
    assert "not found" in _assert_one_line_error_naming(exc, path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(SynthgenError) as exc:
        read_topics(path)
    assert "no topics" in _assert_one_line_error_naming(exc, path)


@pytest.mark.parametrize("content", ["# only a comment\n", "\n\n   \n", "# a\n\n  # b\n"])
def test_only_comments_or_blank(tmp_path, content):
    path = tmp_path / "comments.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SynthgenError) as exc:
        read_topics(path)
    assert "no topics" in _assert_one_line_error_naming(exc, path)


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"\xff\xfe caf\xe9")
    with pytest.raises(SynthgenError) as exc:
        read_topics(path)
    assert "UTF-8" in _assert_one_line_error_naming(exc, path)


def test_directory(tmp_path):
    with pytest.raises(SynthgenError) as exc:
        read_topics(tmp_path)
    assert "directory" in _assert_one_line_error_naming(exc, tmp_path)


def test_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "t.txt").write_text("geology\n", encoding="utf-8")
    assert read_topics("~/t.txt") == ["geology"]


def test_utf8_bom_is_ignored(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeff# topics\nastronomy\n".encode())
    assert read_topics(path) == ["astronomy"]
