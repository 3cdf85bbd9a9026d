"""Magpie: let an aligned model write the user turn itself.

Fed only the pre-query part of its own chat template (everything before a user message's
content), an instruction-tuned model continues with something that looks like a user request,
drawn from its own alignment distribution. The template is read from the GGUF metadata (via the
backend's ModelInfo), so this works for any chat model, not a hard-coded list of formats.
"""

from __future__ import annotations

import sys
from typing import TypeVar

from pydantic import BaseModel

from synthgen.backends.base import ModelInfo
from synthgen.backends.chat_template import split_at_user_content
from synthgen.errors import SynthgenError

M = TypeVar("M", bound=BaseModel)


class PreQuery(BaseModel):
    """The raw prompt that makes the model write a user turn, and the text that ends that turn."""

    prefix: str
    end_of_turn: str


def magpie_or_note(config: M, info: ModelInfo) -> M:
    """`config`, or with `--method mix` turned into self-instruct when the backend cannot tell
    its chat template (a server without /props and no --chat-template-from), saying so on
    stderr. `--method magpie` is refused then, by pre_query, with what to do instead."""
    method = config.method  # an Enum (instructions) or its value (preferences)
    if info.chat_template or not info.extra.get("no_chat_template") or str(getattr(method, "value", method)) != "mix":
        return config
    sys.stderr.write(f"note: --method mix runs as self-instruct: {info.extra['no_chat_template']}\n")
    return config.model_copy(update={"method": type(method)("self-instruct")})


def pre_query(info: ModelInfo, system_prompt: str | None = None) -> PreQuery:
    """The raw prompt that makes the model write a user turn, cut from its own chat template."""
    if not info.chat_template and info.extra.get("no_chat_template"):
        raise SynthgenError(f"--method magpie: {info.extra['no_chat_template']}")
    prefix, suffix = split_at_user_content(info, system_prompt)
    if info.add_bos_token and info.bos_token and prefix.startswith(info.bos_token):
        # The tokenizer adds BOS itself; a second one from the template would double it. Only
        # then: SmolLM2's BOS text is "<|im_start|>", which its template uses for every turn.
        prefix = prefix[len(info.bos_token) :]
    end = suffix.strip() or info.eos_token
    return PreQuery(prefix=prefix, end_of_turn=end)


def clean_user_turn(text: str, end_of_turn: str) -> str:
    """Cut anything after the end-of-turn marker (a backend may not stop on it) and trim."""
    if end_of_turn and end_of_turn in text:
        text = text.split(end_of_turn, 1)[0]
    return text.strip()
