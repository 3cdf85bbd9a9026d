"""Client helpers: the environment and the subprocess that point the real client at the fake Hub.

Why a file of its own: `huggingface_hub` and `datasets` read `HF_ENDPOINT` when imported, so the client must run
in a subprocess with its environment set first (`client_env`: this endpoint, online, a fresh HF_HOME, no proxies,
no Xet, no token variables leaking in from the caller), and nothing may contact huggingface.co, so `run_client`
prepends NETWORK_GUARD, which refuses any host name other than loopback. Two `datasets` calls ignore HF_ENDPOINT:
`load_dataset` HEADs s3.amazonaws.com to count downloads (client_env sets `HF_UPDATE_DOWNLOAD_COUNTS=0`) and asks
`datasets-server.<endpoint host>` for exported infos (no variable for that: set
`datasets.config.USE_PARQUET_EXPORT = False` in the client code).

A mixin of `HubServer` (server.py), which holds `url` and `_token`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
_HF_VARS_TO_DROP = ("HF_TOKEN_PATH", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_DISABLE_IMPLICIT_TOKEN", "HF_OIDC_RESOURCE")


# Prepended to `run_client` snippets: any host name other than loopback fails to resolve (and says so on stderr).
NETWORK_GUARD = """\
import socket as _guard_socket
_guard_getaddrinfo = _guard_socket.getaddrinfo
def _loopback_only(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name not in (None, "127.0.0.1", "localhost", "::1"):
        import sys as _guard_sys
        print(f"NETWORK-GUARD blocked {name!r}", file=_guard_sys.stderr, flush=True)
        raise OSError(f"network guard: {name!r} is not loopback")
    return _guard_getaddrinfo(host, *args, **kwargs)
_guard_socket.getaddrinfo = _loopback_only
"""


class ClientHelpers:
    """Running the real client against this server: `client_env` and `run_client`."""

    def client_env(self, home: Path, *, token: str | None = None, endpoint: str | None = None) -> dict[str, str]:
        """Environment for a client subprocess: this endpoint, online, a fresh HF_HOME, no proxies, no Xet.

        `token=None` sends the server's token; pass `""` to send none, or another string to send a wrong one.
        """
        env = {k: v for k, v in os.environ.items() if k.upper() not in _PROXY_VARS and k not in _HF_VARS_TO_DROP}
        env.update(
            HF_ENDPOINT=endpoint or self.url,
            HF_HUB_OFFLINE="0",
            HF_DATASETS_OFFLINE="0",
            HF_HOME=str(home),
            HF_HUB_DISABLE_XET="1",
            HF_UPDATE_DOWNLOAD_COUNTS="0",  # else `load_dataset` HEADs s3.amazonaws.com, whatever HF_ENDPOINT says
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_PROGRESS_BARS="1",
            HF_DATASETS_DISABLE_PROGRESS_BARS="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.pop("HF_TOKEN", None)
        if token is None:
            env["HF_TOKEN"] = self._token
        elif token:
            env["HF_TOKEN"] = token
        return env

    def run_client(
        self,
        code: str,
        home: Path,
        *,
        token: str | None = None,
        endpoint: str | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run `code` in `sys.executable` with `client_env(home, ...)` behind NETWORK_GUARD; returns the process."""
        home.mkdir(parents=True, exist_ok=True)
        return subprocess.run(
            [sys.executable, "-c", NETWORK_GUARD + code],
            env=self.client_env(home, token=token, endpoint=endpoint),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=home,
        )
