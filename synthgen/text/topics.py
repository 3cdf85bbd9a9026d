"""Reading a user's --topics file: one topic per line, UTF-8, blank lines and #comments ignored."""

from __future__ import annotations

from pathlib import Path

from synthgen.errors import SynthgenError


def read_topics(path: str | Path) -> list[str]:
    """Topics from `path`, de-duplicated in order; a missing, empty or non-UTF-8 file is an error."""
    path = Path(path).expanduser()
    try:
        text = path.read_bytes().decode("utf-8-sig")  # tolerate a Notepad byte-order mark
    except FileNotFoundError:
        raise SynthgenError(f"topics file not found: {path}") from None
    except IsADirectoryError:
        raise SynthgenError(f"topics file is a directory: {path}") from None
    except UnicodeDecodeError:
        raise SynthgenError(f"topics file is not UTF-8 text: {path}") from None
    except OSError as exc:
        raise SynthgenError(f"cannot read topics file {path}: {exc.strerror}") from None
    topics = [line.strip() for line in text.splitlines()]
    topics = list(dict.fromkeys(t for t in topics if t and not t.startswith("#")))
    if not topics:
        raise SynthgenError(f"topics file has no topics (one per line expected): {path}")
    return topics
