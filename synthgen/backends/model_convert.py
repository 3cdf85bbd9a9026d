"""A fast-kernel copy of a model: Q4_1 (or another slow format) re-quantized to Q8_0, cached.

ggml's CPU backend has no fast GEMM or repacked kernels for Q4_1, and the embedded model ships as
Q4_1. The same weights as Q8_0 decode and prefill markedly faster in batches and are nearly
lossless against the Q4_1 original, while Q4_0 would damage a model this small (figures:
docs/architecture.md). The conversion takes under a
second, writes a copy into the cache, and never touches the original file.
"""

from __future__ import annotations

import ctypes
import os
from enum import StrEnum
from pathlib import Path

from synthgen.backends.deferred_signals import signals_between_steps
from synthgen.backends.llama_model import gguf_meta
from synthgen.backends.model_file import cache_root, file_sha256
from synthgen.errors import SynthgenError

# GGUF general.file_type values whose weights have no fast CPU kernels: Q4_1, Q5_1.
SLOW_FILE_TYPES = {3: "Q4_1", 9: "Q5_1"}
Q8_0 = 7


class Convert(StrEnum):
    """--convert: `auto` converts slow formats of the embedded model only; `q8_0` forces it."""

    auto = "auto"
    q8_0 = "q8_0"
    none = "none"


def cache_dir() -> Path:
    return cache_root() / "models"


def gguf_file_type(path: Path) -> int | None:
    """general.file_type of a GGUF, read through a vocab-only load (milliseconds)."""
    value = gguf_meta(path, ["general.file_type"])["general.file_type"]
    return int(value) if value else None


def convert_to_q8_0(src: Path, dst: Path, threads: int | None = None) -> None:
    """Re-quantize `src` into `dst` as Q8_0 (atomically: a temp file, then rename)."""
    import llama_cpp

    from synthgen.backends.llama_model import quiet_stderr

    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + f".tmp{os.getpid()}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = Q8_0
    params.allow_requantize = True
    params.nthread = threads or os.cpu_count() or 1
    # The quantize call cannot be cancelled, and a Ctrl-C handled inside llama.cpp's Python log
    # callback would be lost: it is recorded and acts once the copy is complete (deferred_signals.py).
    with signals_between_steps():
        with quiet_stderr(True):
            status = llama_cpp.llama_model_quantize(str(src).encode(), str(tmp).encode(), ctypes.byref(params))
        if status != 0 or not tmp.exists():
            tmp.unlink(missing_ok=True)
            raise SynthgenError(f"could not convert {src} to Q8_0 (llama_model_quantize returned {status})")
        os.replace(tmp, dst)


def runnable_model(path: Path, convert: Convert | str, embedded: bool) -> Path:
    """The file to run: `path` itself, or its cached Q8_0 copy when conversion applies."""
    convert = Convert(convert)
    if convert is Convert.none:
        return path
    if convert is Convert.auto:
        if not embedded or gguf_file_type(path) not in SLOW_FILE_TYPES:
            return path
    elif gguf_file_type(path) == Q8_0:
        return path
    target = cache_dir() / f"{file_sha256(path)[:16]}-{path.stem}.q8_0.gguf"
    if not target.exists():
        try:
            convert_to_q8_0(path, target)
        except OSError as exc:
            raise SynthgenError(f"cannot write the converted model to {target}: {exc.strerror}") from None
    return target
