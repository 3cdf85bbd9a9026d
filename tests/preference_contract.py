"""TRL's documented preference contract, as a checker shared by unit and integration tests.

From TRL's dataset-format docs and trl/data_utils.py (shared/reference/trainer-formats.md §1.1,
§1.2, §1.4, §7): conversational preference rows with an explicit prompt have `prompt` = a list
of {role, content} messages ending with a user (or tool) turn, and `chosen` / `rejected` =
non-empty lists of assistant messages only; all rows share one format (row 0 decides);
roles are system/user/assistant/tool. The implicit-prompt form (RewardTrainer) has no `prompt`
and repeats the conversation at the start of both `chosen` and `rejected`.
"""

from __future__ import annotations

ROLES = {"system", "user", "assistant", "tool"}


def _messages(value, name: str) -> list[dict]:
    assert isinstance(value, list) and value, f"{name} must be a non-empty list of messages"
    for message in value:
        assert isinstance(message, dict) and set(message) == {"role", "content"}, f"{name}: {message!r}"
        assert message["role"] in ROLES, f"{name}: role {message['role']!r}"
        assert isinstance(message["content"], str) and message["content"].strip(), f"{name}: empty content"
    return value


def is_conversational(row: dict) -> bool:
    """trl.data_utils.is_conversational: the first of the known columns is a list of role dicts."""
    for key in ("prompt", "chosen", "rejected", "completion", "messages"):
        if key in row:
            value = row[key]
            return isinstance(value, list) and bool(value) and isinstance(value[0], dict) and "role" in value[0]
    return False


def check_explicit_preference_row(row: dict) -> None:
    """A DPOTrainer row: prompt ends with a user turn; chosen/rejected hold assistant turns only."""
    assert is_conversational(row)
    prompt = _messages(row["prompt"], "prompt")
    assert prompt[-1]["role"] in ("user", "tool"), "the prompt must end on a user turn"
    assert all(m["role"] != "assistant" for m in prompt[-1:])
    for key in ("chosen", "rejected"):
        assert all(m["role"] == "assistant" for m in _messages(row[key], key)), f"{key} must be assistant-only"
    assert row["chosen"] != row["rejected"]


def check_implicit_preference_row(row: dict) -> None:
    """A RewardTrainer row: no prompt column; both sides are the full conversation."""
    assert "prompt" not in row and is_conversational(row)
    chosen, rejected = _messages(row["chosen"], "chosen"), _messages(row["rejected"], "rejected")
    assert chosen[-1]["role"] == rejected[-1]["role"] == "assistant"
    assert chosen[:-1] == rejected[:-1] and chosen[-2]["role"] == "user", "both sides share the prompt turns"
    assert chosen != rejected


def check_dataset(rows: list[dict], explicit: bool = True) -> None:
    """Every row passes, and all rows share one format (TRL decides on row 0)."""
    assert rows
    for row in rows:
        (check_explicit_preference_row if explicit else check_implicit_preference_row)(row)
    assert len({is_conversational(r) for r in rows}) == 1
