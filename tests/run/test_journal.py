"""Tests for synthgen.run.journal: append/read round trips and recovery from a torn last line."""

from __future__ import annotations

import json

import pytest

from synthgen.errors import SynthgenError
from synthgen.run.journal import Journal


def _records(start: int, count: int) -> list[dict]:
    return [
        {"index": i, "status": "accepted" if i % 2 else "rejected", "text": f"row {i} caf\u00e9 \u2603\nline"}
        for i in range(start, start + count)
    ]


def _assert_valid_jsonl(path) -> list[dict]:
    """Every line of the file is complete JSON and the file ends with a newline."""
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n")
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def test_read_missing_file_is_empty(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    assert journal.read() == []
    assert not (tmp_path / "journal.jsonl").exists()


def test_append_then_read_round_trips(tmp_path):
    path = tmp_path / "sub" / "dir" / "journal.jsonl"  # parent folders are created
    journal = Journal(path)
    first, second = _records(0, 3), _records(3, 2)
    journal.append(first)
    journal.append(second)
    journal.close()
    assert Journal(path).read() == first + second
    assert _assert_valid_jsonl(path) == first + second


def test_records_are_on_disk_before_close(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append(_records(0, 2))
    # another reader sees them without close(): append flushes
    assert Journal(path).read() == _records(0, 2)
    journal.close()


def test_append_empty_list_creates_nothing(tmp_path):
    path = tmp_path / "journal.jsonl"
    Journal(path).append([])
    assert not path.exists()


def test_append_after_close_reopens_and_keeps_old_records(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append(_records(0, 1))
    journal.close()
    journal.append(_records(1, 1))
    journal.close()
    assert Journal(path).read() == _records(0, 2)


def test_torn_last_line_is_dropped_and_truncated(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    good = _records(0, 3)
    journal.append(good)
    journal.close()
    clean = path.read_bytes()
    # kill -9 in the middle of a write: part of a record, no newline
    partial = json.dumps(_records(3, 1)[0]).encode()[:17]
    with path.open("ab") as fh:
        fh.write(partial)

    assert Journal(path).read() == good
    assert path.read_bytes() == clean  # the torn bytes are gone from the file

    # an append after recovery starts on a clean line and the file stays fully valid
    recovered = Journal(path)
    recovered.append(_records(3, 1))
    recovered.close()
    assert _assert_valid_jsonl(path) == _records(0, 4)
    assert Journal(path).read() == _records(0, 4)


def test_torn_line_that_is_complete_json_without_newline_is_dropped(tmp_path):
    """A record written up to its closing brace but not its newline is still unfinished."""
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append(_records(0, 2))
    journal.close()
    with path.open("ab") as fh:
        fh.write(json.dumps({"index": 2}).encode())
    assert Journal(path).read() == _records(0, 2)
    Journal(path).append([{"index": 99}])
    assert _assert_valid_jsonl(path)[-1] == {"index": 99}
    assert len(_assert_valid_jsonl(path)) == 3


def test_torn_multibyte_character_is_dropped(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append(_records(0, 1))
    journal.close()
    with path.open("ab") as fh:
        fh.write('{"text": "\u2603'.encode()[:-1])  # cut inside the UTF-8 bytes of the snowman
    assert Journal(path).read() == _records(0, 1)
    assert _assert_valid_jsonl(path) == _records(0, 1)


def test_only_a_torn_line(tmp_path):
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b'{"index": 0, "sta')
    journal = Journal(path)
    assert journal.read() == []
    assert path.read_bytes() == b""
    journal.append([{"index": 0}])
    journal.close()
    assert Journal(path).read() == [{"index": 0}]


def test_read_is_idempotent_after_recovery(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append(_records(0, 2))
    journal.close()
    with path.open("ab") as fh:
        fh.write(b'{"ind')
    first = Journal(path).read()
    size = path.stat().st_size
    assert Journal(path).read() == first == _records(0, 2)
    assert path.stat().st_size == size


def test_garbage_lines_at_the_end_are_cut(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append(_records(0, 2))
    journal.close()
    with path.open("ab") as fh:
        fh.write(b'{"index": 2, "te\n\x00\x00\x00\n[1, 2]\n')  # a torn tail, NULs, a non-record
    assert Journal(path).read() == _records(0, 2)
    assert _assert_valid_jsonl(path) == _records(0, 2)


def test_a_damaged_line_with_records_after_it_is_refused_and_the_file_kept(tmp_path):
    """Cutting at a bad line in the middle would lose the decided attempts after it."""
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append(_records(0, 2))
    journal.close()
    with path.open("ab") as fh:
        fh.write(b'{"index": 2, "te\n{"index": 3}\n')
    before = path.read_bytes()
    with pytest.raises(SynthgenError, match=r"line 3 is not a journal record, and records follow it"):
        Journal(path).read()
    assert path.read_bytes() == before


def test_a_removed_journal_is_an_error_not_a_silent_write(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append(_records(0, 1))
    path.unlink()  # the run folder deleted or moved under a running run
    with pytest.raises(FileNotFoundError, match="removed while the run was writing"):
        journal.append(_records(1, 1))
    journal.close()
