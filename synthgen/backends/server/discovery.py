"""What the servers say about themselves: the model they serve and, where told, its chat template.

`/v1/models` gives the model names (Ollama lists every local model; llama-server and
llama-cpp-python's server list the one they serve). llama-server's `/props` adds the chat
template, BOS/EOS text, slots and context size. A server that tells neither the template
nor BOS/EOS can be given them with `--chat-template-from` (a GGUF file, read vocab-only, or
a Jinja template file); Magpie needs them to cut the template's pre-query prefix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2

from synthgen.backends.server.options import public_url
from synthgen.errors import SynthgenError

DISCOVERY_TIMEOUT = 30.0


def _get_json(client: httpx2.Client, url: str, headers: dict[str, str], key_check: bool = False) -> Any:
    reply = client.get(url, headers=headers)
    if key_check and reply.status_code in (401, 403):  # not "no models": the key is missing or wrong
        raise SynthgenError(
            f"--base-url: {public_url(url)} answers HTTP {reply.status_code}: the API key is missing or wrong "
            "(it is read from the environment variable --api-key-env names, OPENAI_API_KEY by default)"
        )
    if reply.status_code >= 400:
        return None
    try:
        return json.loads(reply.content)
    except ValueError:
        return None


def discover(urls: list[str], roots: list[str], headers: dict[str, str]) -> dict[str, Any]:
    """Ask every server for its models (and llama-server for /props); refuse when none answers."""
    found: dict[str, Any] = {"models": {}, "props": None, "reachable": []}
    errors = []
    with httpx2.Client(timeout=DISCOVERY_TIMEOUT) as client:
        for url, root in zip(urls, roots, strict=True):
            try:
                listing = _get_json(client, url + "/models", headers, key_check=True)
            except httpx2.HTTPError as exc:
                errors.append(f"{public_url(url)} ({type(exc).__name__})")
                continue
            found["reachable"].append(url)
            data = listing.get("data") if isinstance(listing, dict) else None
            names = [m.get("id") for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)] if data else []
            found["models"][url] = names
            if found["props"] is None:
                try:
                    props = _get_json(client, root + "/props", headers)
                except httpx2.HTTPError:
                    props = None
                if isinstance(props, dict) and "chat_template" in props:
                    found["props"] = props
    if not found["reachable"]:
        raise SynthgenError(f"--base-url: no server answers: {'; '.join(errors)}")
    return found


def pick_model(requested: str | None, models: dict[str, list[str]]) -> str:
    """The model name requests carry: the one asked for (checked against servers that list
    several, such as Ollama), else the first one listed."""
    if requested is not None:
        for url, names in models.items():
            if len(names) > 1 and requested not in names:
                shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
                where = public_url(url)
                raise SynthgenError(f"--model-name: {where} does not serve {requested!r} (it serves: {shown})")
        return requested
    for names in models.values():
        if names:
            return names[0]
    raise SynthgenError("--model-name: the servers list no model; name the one to use")


def template_from_file(path: Path) -> dict[str, Any]:
    """Chat template (and BOS/EOS, add-BOS) from a GGUF file or a Jinja template file."""
    if not path.is_file():
        raise SynthgenError(f"--chat-template-from: no such file: {path}")
    if path.suffix.lower() == ".gguf":
        from synthgen.backends.llama_model import LlamaModel

        model = LlamaModel(path, vocab_only=True)
        try:
            template = model.chat_template
            if not template:
                raise SynthgenError(f"--chat-template-from: {path.name} has no chat template in its metadata")
            lib = model.lib
            return {
                "chat_template": template,
                "bos_token": model.token_text(lib.llama_vocab_bos(model.vocab)),
                "eos_token": model.token_text(lib.llama_vocab_eos(model.vocab)),
                "add_bos_token": model.add_bos,
                "source": str(path),
            }
        finally:
            model.close()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SynthgenError(f"--chat-template-from: cannot read {path}: {exc}") from None
    if "{%" not in text and "{{" not in text:
        raise SynthgenError(f"--chat-template-from: {path.name} is neither a GGUF file nor a Jinja chat template")
    return {"chat_template": text, "bos_token": "", "eos_token": "", "add_bos_token": False, "source": str(path)}
