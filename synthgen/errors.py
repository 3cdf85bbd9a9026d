"""User-facing errors.

Anything the user can fix (a bad option, a missing model, an unwritable folder) is raised as
`SynthgenError`; the CLI prints its message on one line and exits with `exit_code`, never with a
traceback. Programming errors stay ordinary exceptions so they are not hidden.
"""


class SynthgenError(Exception):
    """An error caused by user input or environment, reported as one line and exit code 2."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


# A "key" this short (a local server's `--api-key a`) cannot be told from ordinary text: masking it would
# blank out letters of every message, and it protects nothing.
MIN_SECRET_CHARS = 4


def secret_forms(secret: str) -> list[str]:
    """The spellings in which `secret` can come back in a server's reply, so a scrub catches each.

    A server that echoes the request (its Authorization header, its URL) into an error may send the
    secret as it was sent, percent-encoded, JSON-escaped, or base64-encoded (alone, or as the value of a
    `Bearer` header); HTTP Basic credentials travel as base64 of `user:password`, which the caller adds.
    """
    import base64
    import json
    from urllib.parse import quote

    if len(secret) < MIN_SECRET_CHARS:
        return []
    forms = {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}
    for raw in (secret, f"Bearer {secret}"):
        encoded = base64.b64encode(raw.encode()).decode()
        forms |= {encoded, encoded.rstrip("="), base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")}
    return sorted(forms, key=len, reverse=True)  # longest first: a form holding another is masked whole


def scrub_secrets(text: str, forms: list[str], mask: str) -> str:
    """`text` with every form of a secret (`secret_forms`) replaced by `mask`."""
    for form in forms:
        text = text.replace(form, mask)
    return text
