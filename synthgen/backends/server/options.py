"""What a user tells synthgen about their servers: URLs, model name, limits, where the key is.

One pydantic model, shared by every command and by the judge (`--judge-base-url`), so the
options are checked once with one wording (errors name the flag as typed).
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from synthgen.errors import secret_forms

# Requests kept in flight across all servers. llama-server's default is 4 slots per server and a
# user's `-np N` is rarely above 64; more in flight only queues inside the server.
DEFAULT_CONCURRENCY = 16
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
BACKEND_NAME = "openai-compatible server"  # ModelInfo.extra["backend"]: cards tell served models by it
_USERINFO = re.compile(r"^((?:[A-Za-z][\w+.-]*:)?//)?[^/?#@]*@")  # `user:password@` of a URL, scheme or not


class ServerOptions(BaseModel):
    """One or more OpenAI-compatible servers serving the same model.

    `model_name` is what requests ask for (Ollama and vLLM need it; llama-server serves one model
    whatever the name); None takes the first model the first server lists. `timeout` bounds one
    request (seconds, the whole response), `max_retries` the retries of one request on 429, 5xx,
    a timeout, a dropped connection or an unreadable response. `chat_template_from` (a GGUF file
    or a Jinja template) gives Magpie the model's chat template when the server does not tell it.
    `structured` picks how a JSON schema is sent: "auto" tries the OpenAI `json_schema` spelling,
    then llama.cpp's `json_object` + schema, then asks in the prompt and validates, per server.
    `stream` streams chat answers so the run's early stop (a refusal, a looping answer) ends them
    at once; every streamed token costs the client a parse, which on a fast small model costs more
    than the tokens it saves (docs/benchmarks.md), so it is off unless asked for.
    """

    model_config = ConfigDict(extra="forbid")

    base_urls: list[str] = Field(..., min_length=1)
    model_name: str | None = None
    concurrency: int = Field(DEFAULT_CONCURRENCY, ge=1, le=4096)
    api_key_env: str = DEFAULT_API_KEY_ENV
    timeout: float = Field(600.0, gt=0)
    max_retries: int = Field(6, ge=0, le=100)
    chat_template_from: Path | None = None
    structured_output: Literal["auto", "json_schema", "json_object", "prompt"] = "auto"
    stream: bool = False

    @field_validator("base_urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        checked = []
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                shown = _USERINFO.sub(r"\1***@", url)  # a mistyped URL may still hold a password
                raise ValueError(f"not an http(s) URL: {shown!r} (e.g. http://localhost:8080/v1)")
            url = url.rstrip("/")
            checked.append(url if parts.path.strip("/") else url + "/v1")  # http://host:8080 -> .../v1
        if len(set(checked)) != len(checked):
            raise ValueError("the same URL is given twice")
        return checked


def public_url(url: str) -> str:
    """`url` as the manifest and card may show it: no user:password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def url_secret_forms(url: str) -> list[str]:
    """Every spelling of the credentials in `url` (`http://user:password@host`) a server may echo back.

    The HTTP client sends them as Basic auth, base64 of the percent-decoded `user:password`, so that is a
    form too; with no password the user part is the secret (some servers take a token as the user name).
    """
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return []
    user, password = parts.username or "", parts.password or ""
    forms: set[str] = set()
    for secret in {password or user, unquote(password or user), parts.netloc.rsplit("@", 1)[0]}:
        forms.update(secret_forms(secret))
    basic = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()
    forms.update(secret_forms(basic) + secret_forms(basic.rstrip("=")))
    return sorted(forms, key=len, reverse=True)
