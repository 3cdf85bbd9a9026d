"""Rendering a model's chat template (Jinja, sandboxed) and cutting it at the user's content.

The engine needs the text before the first user message (its prefix cache learns it) and Magpie
needs the same cut to make the model write a user turn, so both use this one renderer.
"""

from __future__ import annotations

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from synthgen.backends.base import ModelInfo
from synthgen.errors import SynthgenError

_SENTINEL = "\u2063SYNTHGEN_USER_CONTENT\u2063"


def _raise(message: str) -> None:
    raise TemplateError(message)


def template_env() -> ImmutableSandboxedEnvironment:
    """The sandbox chat templates render in, with the `raise_exception` they may call."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise
    return env


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
    try:
        rendered = (
            template_env()
            .from_string(info.chat_template)
            .render(
                messages=messages,
                add_generation_prompt=False,
                bos_token=info.bos_token,
                eos_token=info.eos_token,
            )
        )
    except TemplateError as exc:
        raise SynthgenError(f"cannot render the chat template of {info.name}: {exc}") from None
    if rendered.count(_SENTINEL) != 1:
        raise SynthgenError(f"chat template of {info.name} does not place the user message once")
    before, after = rendered.split(_SENTINEL)
    return before, after
