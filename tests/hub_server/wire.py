"""Answers as the Hub writes them: the response value, Hub-style errors and JSON in and out.

Why a file of its own: every route handler builds its answer from these, and the client decides its exception
class from the `X-Error-Code` header (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`) rather than from the
status, so raising `HubError` is how any handler (or the store, mid-commit) answers an error the way the Hub does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Response:
    """An answer not yet sent; `route` names the handler that made it, for the request log."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    route: str = "unknown"


class HubError(Exception):
    """Raised inside request handling to answer an error the way the Hub does."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers = dict(headers or {})


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


def json_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"{}")
    except json.JSONDecodeError as err:
        raise HubError(400, f"Invalid JSON body: {err}") from None
    if not isinstance(payload, dict):
        raise HubError(400, "Expected a JSON object")
    return payload


def truthy(value: str) -> bool:
    return value.lower() in ("1", "true", "yes")


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
