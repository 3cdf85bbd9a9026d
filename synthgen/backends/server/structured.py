"""JSON-schema output on servers that spell it differently, or ignore it.

Spellings, tried in this order per server until one is seen to work:
  "json_schema": OpenAI's `response_format: {type: json_schema, json_schema: {name, schema, strict}}`
                 (vLLM, llama-server, Ollama's /v1, OpenAI);
  "json_object": llama.cpp's `{type: json_object, schema}` (llama-cpp-python's server honours only this);
  "prompt":      no constraint at all: the schema goes into the prompt, the reply is validated,
                 and an invalid one is asked for again (counted), as a server without any JSON
                 mode needs.
A spelling is "confirmed" on a server by its first reply that parses and fits the schema; a reply
that finished normally yet does not parse under an unconfirmed spelling means the server ignored
it, so the server moves to the next spelling and the request is sent again. A reply cut off by
max_tokens says nothing about the spelling and is returned as it is (the caller's parser counts it).
"""

from __future__ import annotations

import json
from typing import Any

SPELLINGS = ("json_schema", "json_object", "prompt")
PROMPT_RETRIES = 2  # extra tries of an invalid reply under the "prompt" spelling


def response_format(spelling: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The `response_format` field for `spelling` (None for "prompt")."""
    if spelling == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": "output", "schema": schema, "strict": True}}
    if spelling == "json_object":
        return {"type": "json_object", "schema": without_lengths(schema)}
    return None


def without_lengths(schema: Any) -> Any:
    """`schema` without string length bounds. llama-cpp-python's server turns `maxLength: 1500`
    into a grammar of 1,500 nested optional rules, fails to parse it and dies; the bound is
    still checked on the reply (`fits`), and max_tokens bounds the length anyway."""
    if isinstance(schema, dict):
        return {k: without_lengths(v) for k, v in schema.items() if k not in ("maxLength", "minLength")}
    if isinstance(schema, list):
        return [without_lengths(v) for v in schema]
    return schema


def schema_instruction(schema: dict[str, Any]) -> str:
    """What the "prompt" spelling appends to the last user turn."""
    return "\n\nReply with one JSON object only, no other text, matching this JSON schema:\n" + json.dumps(
        schema, separators=(",", ":")
    )


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


def fits(value: Any, schema: dict[str, Any], depth: int = 0) -> bool:
    """Whether `value` fits the subset of JSON schema synthgen's requests use (types, required,
    properties, items, enum, string length). A check, not a full validator: enough to tell that a
    server ignored the schema."""
    if depth > 32:
        return False
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _TYPES:
        if isinstance(value, bool) and kind in ("integer", "number"):
            return False
        if not isinstance(value, _TYPES[kind]):
            return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, dict):
        props = schema.get("properties", {})
        if any(key not in value for key in schema.get("required", [])):
            return False
        return all(fits(value[k], sub, depth + 1) for k, sub in props.items() if k in value and isinstance(sub, dict))
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return all(fits(item, schema["items"], depth + 1) for item in value)
    if isinstance(value, str):
        return schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))
    return True


def valid_json(text: str, schema: dict[str, Any]) -> bool:
    """Whether a reply is JSON that fits `schema` (leading/trailing whitespace allowed)."""
    try:
        value = json.loads(text, strict=False)
    except (ValueError, RecursionError):
        return False
    return fits(value, schema)


class SpellingState:
    """Per server: the spelling in use and whether it is confirmed."""

    def __init__(self, forced: str = "auto"):
        self.forced = forced
        self.index = 0 if forced == "auto" else SPELLINGS.index(forced)
        self.confirmed = forced != "auto"

    @property
    def spelling(self) -> str:
        return SPELLINGS[self.index]

    def demote(self, used: str) -> bool:
        """The server ignored `used`: move on (once per spelling, however many requests saw it).
        Returns False when there is nothing left to move to."""
        if self.confirmed or self.forced != "auto":
            return False
        if used == self.spelling and self.index < len(SPELLINGS) - 1:
            self.index += 1
        return True

    def confirm(self, used: str) -> None:
        if used == self.spelling:
            self.confirmed = True
