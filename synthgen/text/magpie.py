"""Magpie: let an aligned model write the user turn itself.

Fed only the pre-query part of its own chat template (everything before a user message's
content), an instruction-tuned model continues with something that looks like a user request,
drawn from its own alignment distribution. The template is read from the GGUF metadata (via the
backend's ModelInfo), so this works for any chat model, not a hard-coded list of formats.
"""

from __future__ import annotations

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel

from synthgen.backends.base import ModelInfo
from synthgen.errors import SynthgenError

_SENTINEL = "\u2063SYNTHGEN_USER_CONTENT\u2063"


class PreQuery(BaseModel):
    """The raw prompt that makes the model write a user turn, and the text that ends that turn."""

    prefix: str
    end_of_turn: str


def _raise(message: str) -> None:
    raise TemplateError(message)


def split_at_user_content(info: ModelInfo, system_prompt: str | None = None) -> tuple[str, str]:
    """Render the chat template around a sentinel user message; return (before, after) it.

    Raw template text: BOS is not stripped here (the batched engine tokenizes whole rendered
    prompts the same way, so its shared prefix must match them exactly).
    """
    if not info.chat_template:
        raise SynthgenError(
            f"model {info.name} has no chat template in its metadata; "
            "Magpie needs a chat model (use --method self-instruct)"
        )
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.append({"role": "user", "content": _SENTINEL})
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise
    try:
        rendered = env.from_string(info.chat_template).render(
            messages=messages,
            add_generation_prompt=False,
            bos_token=info.bos_token,
            eos_token=info.eos_token,
        )
    except TemplateError as exc:
        raise SynthgenError(f"cannot render the chat template of {info.name}: {exc}") from None
    if rendered.count(_SENTINEL) != 1:
        raise SynthgenError(f"chat template of {info.name} does not place the user message once")
    before, after = rendered.split(_SENTINEL)
    return before, after


def pre_query(info: ModelInfo, system_prompt: str | None = None) -> PreQuery:
    """The raw prompt that makes the model write a user turn, cut from its own chat template."""
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
