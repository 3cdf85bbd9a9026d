"""Hub failures as one line each: what was being done, what the Hub said, what to do.

`huggingface_hub` raises `HfHubHTTPError` (with the response) for HTTP failures, after its own
retries with backoff on 429 and 5xx, `OfflineModeIsEnabled` when HF_HUB_OFFLINE is set, and its
HTTP client's transport errors when there is no connection. Each becomes a `SynthgenError`
(exit 2). Every message is scrubbed of the token before it is shown, whatever put it there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from synthgen.errors import SynthgenError, scrub_secrets, secret_forms

_STATUS = {
    401: "the Hub rejected the token (401 Unauthorized): check HF_TOKEN or `hf auth login`",
    403: "the token may not write to {repo} (403 Forbidden): use a token with write access to it",
    404: "{repo} or its revision was not found (404)",
    409: "the Hub reported a conflict (409): another push may have moved the revision; rerun",
    429: "the Hub is rate-limiting this token (429) and retries did not help; wait and rerun",
}


def scrub(text: str, token: str | None) -> str:
    """`text` on one line, with the token (if any) replaced in any spelling the Hub may echo it in."""
    line = " ".join(str(text).split())
    return scrub_secrets(line, secret_forms(token), "***") if token else line


def describe(exc: BaseException, what: str, repo: str) -> str | None:
    """One line for a Hub failure, or None when `exc` is not one (a bug stays a traceback)."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    if isinstance(exc, OfflineModeIsEnabled):
        return "HF_HUB_OFFLINE is set: unset it to push to the Hub"
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else None
        if status in _STATUS:
            return f"{_STATUS[status].format(repo=repo)} (while {what})"
        if status is not None and status >= 500:
            return (
                f"the Hub failed with {status} while {what}, after retries; rerun the push "
                "(it sends only what is not there yet)"
            )
        server = getattr(exc, "server_message", None) or str(exc).splitlines()[0]
        return f"the Hub answered {status} while {what}: {server}"
    if isinstance(exc, ConnectionError | OSError | TimeoutError) or type(exc).__module__.startswith("httpx"):
        detail = str(exc).splitlines()[0] if str(exc) else ""
        return f"cannot reach the Hub while {what}: {type(exc).__name__}: {detail}"
    return None


@contextlib.contextmanager
def request_timeout(seconds: float) -> Iterator[None]:
    """Give huggingface_hub's shared HTTP client a timeout per request while the block runs.

    Its default client waits forever, so a Hub that stops answering would hang a push. The
    client factory in use (the default, or one the user's process set) is wrapped, not
    replaced, and restored afterwards.
    """
    import httpx2
    from huggingface_hub.utils import _http

    previous = _http._GLOBAL_CLIENT_FACTORY

    def with_timeout():
        client = previous()
        client.timeout = httpx2.Timeout(seconds)
        return client

    _http.set_client_factory(with_timeout)
    try:
        yield
    finally:
        _http.set_client_factory(previous)


@contextlib.contextmanager
def hub_step(what: str, repo: str, token: str | None) -> Iterator[None]:
    """Run one step of a Hub exchange; its failures become one-line `SynthgenError`s."""
    try:
        yield
    except SynthgenError:
        raise
    except Exception as exc:
        message = describe(exc, what, repo)
        if message is None:
            raise
        raise SynthgenError(scrub(message, token)) from None
