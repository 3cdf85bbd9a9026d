"""Whether a --parallel fits in this machine's memory, from the model file's header alone.

Why here: the refusal has to come before llama.cpp loads the weights and sizes its contexts (a
context it cannot allocate fails after the load, or the machine swaps), and only the GGUF header
knows what one token of KV cache costs for the model.
"""

from __future__ import annotations

import os
from pathlib import Path

from synthgen.backends.llama_batched import CTX_STEP
from synthgen.backends.llama_model import gguf_meta
from synthgen.errors import SynthgenError


def physical_memory() -> int | None:
    """This machine's physical memory in bytes, or None where the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _kv_bytes_per_token(model: Path) -> int | None:
    """f16 K and V cache bytes one token costs in one sequence, from the GGUF header (a vocab-only
    read, no weights): layers x 2 x (head size x KV heads) x 2 bytes; None when the header lacks them."""
    arch = gguf_meta(model, ["general.architecture"])["general.architecture"]
    keys = ("block_count", "embedding_length", "attention.head_count", "attention.head_count_kv")
    meta = gguf_meta(model, [f"{arch}.{key}" for key in (*keys, "attention.key_length")])
    try:
        layers, width, heads, kv_heads = (int(meta[f"{arch}.{key}"] or "") for key in keys)
        head_size = int(meta[f"{arch}.attention.key_length"] or width // max(1, heads))
    except ValueError:  # absent, or per-layer arrays: the model load sizes itself
        return None
    return layers * 2 * head_size * kv_heads * 2


def check_parallel_memory(parallel: int, model: Path) -> None:
    """Refuse, before the model loads, a --parallel whose KV cache alone exceeds physical memory.

    The batched backend gives every sequence its own KV stream of at least CTX_STEP tokens
    (backends/llama_batched.py), so parallel x CTX_STEP x bytes per token is a floor on what the run
    allocates: beyond the machine's memory it would swap or be killed, after minutes of loading.
    """
    memory, per_token = physical_memory(), _kv_bytes_per_token(model)
    if memory is None or per_token is None:
        return
    per_sequence = CTX_STEP * per_token
    if parallel * per_sequence > memory:
        fits = memory // per_sequence
        advice = f"use --parallel {fits} or less" if fits else "use a smaller model"
        raise SynthgenError(
            f"--parallel {parallel} needs at least {parallel * per_sequence / 2**30:.1f} GiB of KV cache "
            f"({parallel} sequences x {CTX_STEP} tokens x {per_token} bytes per token for {model.name}), "
            f"more than this machine's {memory / 2**30:.1f} GiB of memory; {advice}"
        )
