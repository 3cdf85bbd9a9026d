"""--prompts-from / --candidates-from: read a preference run's prompts (and given answers).

Accepted sources:
- a synthgen run folder (its `data/*.parquet`, e.g. an `instructions` run: the `messages` column);
- a `.jsonl` / `.json` (JSON Lines or one JSON array) or `.parquet` file;
- any other file as plain text, one prompt per non-empty line;
- a folder saved by `Dataset.save_to_disk` / `DatasetDict.save_to_disk` (the `train` split, or
  the only one), or a folder of `.parquet` / `.jsonl` files (read in name order).
The prompt column is `--prompt-column`, else the first present of PROMPT_COLUMNS, else the
only text column; anything else is ambiguous and asks for `--prompt-column`. A value may be a
string (one user turn) or a list of {role, content} (or ShareGPT {from, value}) messages, cut
after its last user turn. Prompts are read in source order: attempt i uses prompt i, which is
what makes a run over a source resumable.

With --candidates-from the source also gives each prompt's answers, to be labelled instead of
generated: the `--responses-column` (default: the first present of RESPONSE_COLUMNS) holds a
list of strings (or of {role, content} / {text} items). A row with fewer than two answers is
kept, and its attempt dropped and counted, so the funnel shows it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from synthgen.backends.base import Message
from synthgen.errors import SynthgenError

PROMPT_COLUMNS = ("prompt", "messages", "conversations", "instruction", "question", "query", "text")
RESPONSE_COLUMNS = ("responses", "completions", "candidates", "answers")
_SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


class PromptSource(BaseModel):
    """The usable prompts of a source, in order, with what the run records about it."""

    path: str
    column: str | None
    prompts: list[list[Message]]
    skipped: int
    fingerprint: str
    responses_column: str | None = None
    responses: list[list[str]] | None = None  # with --candidates-from: each prompt's given answers


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        data = json.loads(stripped)
        return [r if isinstance(r, dict) else {"text": r} for r in data]
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                value = json.loads(line)
            except ValueError:
                raise SynthgenError(f"{path}: line {number} is not valid JSON") from None
            rows.append(value if isinstance(value, dict) else {"text": value})
    return rows


def _read_parquet(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def _read_file(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return _read_jsonl(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    return [{"text": line.strip()} for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _read_folder(path: Path) -> list[dict[str, Any]]:
    if (path / "dataset_dict.json").is_file() or (path / "state.json").is_file():
        from datasets import DatasetDict, load_from_disk

        data = load_from_disk(str(path))
        if isinstance(data, DatasetDict):
            split = "train" if "train" in data else (next(iter(data)) if len(data) == 1 else None)
            if split is None:
                raise SynthgenError(f"{path} holds splits {sorted(data)} and none is 'train'")
            data = data[split]
        return data.to_list()
    root = path / "data" if (path / "manifest.json").is_file() and (path / "data").is_dir() else path
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".parquet", ".jsonl", ".json", ".ndjson"))
    files = [p for p in files if p.name not in ("manifest.json", "dataset_info.json", "state.json")]
    if not files:
        raise SynthgenError(f"--prompts-from folder holds no .parquet or .jsonl files: {path}")
    rows: list[dict[str, Any]] = []
    for file in files:
        rows.extend(_read_file(file))
    return rows


def _pick_column(rows: list[dict[str, Any]], column: str | None, path: Path) -> str:
    names = list(dict.fromkeys(k for row in rows[:100] for k in row))
    if column is not None:
        if column not in names:
            raise SynthgenError(f"{path} has no column {column!r} (columns: {', '.join(names) or 'none'})")
        return column
    for name in PROMPT_COLUMNS:
        if name in names:
            return name
    texts = [k for k in names if all(isinstance(r.get(k), str) for r in rows[:100] if r.get(k) is not None)]
    if len(texts) == 1:
        return texts[0]
    raise SynthgenError(
        f"cannot tell which column of {path} holds the prompts (columns: {', '.join(names)}); pass --prompt-column"
    )


def to_messages(value: Any) -> list[Message] | None:
    """A prompt conversation ending with a user turn, or None if `value` holds none."""
    if isinstance(value, str):
        return [Message(role="user", content=value.strip())] if value.strip() else None
    if not isinstance(value, list):
        return None
    messages = []
    for item in value:
        if not isinstance(item, dict):
            return None
        role = item.get("role", _SHAREGPT_ROLES.get(str(item.get("from")), item.get("from")))
        content = item.get("content", item.get("value"))
        if role not in ("system", "user", "assistant") or not isinstance(content, str):
            return None
        messages.append(Message(role=role, content=content))
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    if last_user < 0 or not messages[last_user].content.strip():
        return None
    return messages[: last_user + 1]


def to_responses(value: Any) -> list[str] | None:
    """The non-empty answers of a responses cell, or None if it is not a list of answers."""
    if not isinstance(value, list):
        return None
    answers = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("content", item.get("text", item.get("value")))
        if not isinstance(item, str):
            return None
        if item.strip():
            answers.append(item.strip())
    return answers


def _pick_responses(rows: list[dict[str, Any]], column: str | None, path: Path, option: str) -> str:
    names = list(dict.fromkeys(k for row in rows[:100] for k in row))
    if column is not None:
        if column not in names:
            raise SynthgenError(f"{path} has no column {column!r} (columns: {', '.join(names) or 'none'})")
        return column
    for name in RESPONSE_COLUMNS:
        if name in names:
            return name
    raise SynthgenError(
        f"{option} {path} has no responses column (columns: {', '.join(names)}); pass --responses-column"
    )


def _read_rows(path: Path, option: str) -> list[dict[str, Any]]:
    if not path.exists():
        raise SynthgenError(f"{option} not found: {path}")
    try:
        rows = _read_folder(path) if path.is_dir() else _read_file(path)
    except UnicodeDecodeError:
        raise SynthgenError(f"{option} is not UTF-8 text: {path}") from None
    except ValueError as exc:
        raise SynthgenError(f"cannot read {option} {path}: {str(exc).splitlines()[0]}") from None
    except OSError as exc:
        raise SynthgenError(f"cannot read {option} {path}: {exc.strerror or exc}") from None
    except SynthgenError as exc:
        raise SynthgenError(str(exc).replace("--prompts-from", option)) from None
    if not rows:
        raise SynthgenError(f"{option} holds no prompts: {path}")
    return rows


def load_prompt_source(
    source: str | Path,
    column: str | None = None,
    *,
    with_responses: bool = False,
    responses_column: str | None = None,
) -> PromptSource:
    """Read `source`; raise a one-line SynthgenError if it is missing, unreadable or holds no prompt.

    `with_responses` reads --candidates-from: each usable prompt also gets its list of answers.
    """
    option = "--candidates-from" if with_responses else "--prompts-from"
    path = Path(source).expanduser()
    rows = _read_rows(path, option)
    name = _pick_column(rows, column, path)
    answers_name = _pick_responses(rows, responses_column, path, option) if with_responses else None
    prompts, responses, skipped = [], [], 0
    for row in rows:
        messages = to_messages(row.get(name))
        answers = to_responses(row.get(answers_name)) if answers_name else []
        if messages is None or answers is None:
            skipped += 1
        else:
            prompts.append(messages)
            responses.append(answers)
    if not prompts:
        raise SynthgenError(f"{option} holds no prompts in column {name!r}: {path}")
    blob = json.dumps(
        [[[m.model_dump() for m in p] for p in prompts], responses if with_responses else None], sort_keys=True
    ).encode()
    if not with_responses:  # the fingerprint of a prompts-only source stays what it was
        blob = json.dumps([[m.model_dump() for m in p] for p in prompts], sort_keys=True).encode()
    return PromptSource(
        path=str(path),
        column=name,
        prompts=prompts,
        skipped=skipped,
        fingerprint=hashlib.sha256(blob).hexdigest()[:16],
        responses_column=answers_name,
        responses=responses if with_responses else None,
    )
