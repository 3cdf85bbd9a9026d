"""Find the final answer in a completion: last `\\boxed{}`, else `<answer>`, else `#### x`.

Runs in the trainer process, so it is plain string work with bounded cost: `rfind` from the end
and a brace scan capped at MAX_ANSWER_CHARS, whatever the completion's size.

Hedging policy: only the LAST `\\boxed` counts. Writing several different boxed answers gains
nothing (earlier ones are ignored) and a last box that is unbalanced (a truncated completion)
is not replaced by an earlier one: it is reported as "unparseable".
"""

from __future__ import annotations

import re

from synthgen.verify.limits import MAX_ANSWER_CHARS, TAIL_CHARS

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_HASHES = re.compile(r"(?:^|\n)[ \t]*####[ \t]*([^\n]*)\s*$")


def after_think(text: str) -> str:
    """The text after the last `</think>` (all of it when there is none)."""
    cut = text.rfind("</think>")
    return text if cut < 0 else text[cut + len("</think>") :]


def _last_box(text: str) -> tuple[str | None, str]:
    """(content, reason) for the last \\boxed{...}; reason is "" when found and acceptable."""
    start = max(text.rfind(cmd) for cmd in _BOX_COMMANDS)
    if start < 0:
        return None, "no_answer"
    i = text.index("\\", start) + 1
    while i < len(text) and text[i].isalpha():
        i += 1
    while i < len(text) and text[i] in " \t":
        i += 1
    if i >= len(text) or text[i] != "{":
        return None, "unparseable"
    depth, j = 0, i
    limit = min(len(text), i + MAX_ANSWER_CHARS + 2)
    while j < limit:
        ch = text[j]
        if ch == "\\":  # an escaped brace such as \{ does not count
            j += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j], ""
        j += 1
    return None, "too_long" if limit < len(text) else "unparseable"


def extract_answer(text: str) -> tuple[str | None, str]:
    """(answer, reason): answer is None when reason is no_answer / unparseable / too_long."""
    if not isinstance(text, str):
        return None, "no_answer"
    text = after_think(text)
    content, reason = _last_box(text)
    if reason != "no_answer":
        return (content.strip(), "") if content is not None else (None, reason)
    tail = text[-TAIL_CHARS:]
    close = tail.rfind("</answer>")
    if close >= 0:
        open_ = tail.rfind("<answer>", 0, close)
        if open_ >= 0:
            inner = tail[open_ + len("<answer>") : close].strip()
            return (inner, "") if len(inner) <= MAX_ANSWER_CHARS else (None, "too_long")
    match = _HASHES.search(tail)
    if match and match.group(1).strip():
        inner = match.group(1).strip()
        return (inner, "") if len(inner) <= MAX_ANSWER_CHARS else (None, "too_long")
    return None, "no_answer"


def extract_final_answer(completion_text: str) -> str | None:
    """The final answer string of a completion, or None when there is none usable."""
    return extract_answer(completion_text)[0]
