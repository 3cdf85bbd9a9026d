"""Per-row seed derivation.

A row's seed is a pure function of (run seed, attempt index), so the seed a row gets never depends
on batching, ordering or interruptions: a resumed or re-batched run asks the model exactly the same
questions with exactly the same sampler seeds.
"""

import hashlib


def derive_seed(run_seed: int, index: int, salt: str = "") -> int:
    """Return a 31-bit seed from sha256(f"{run_seed}:{index}{salt}") (llama.cpp takes uint32)."""
    digest = hashlib.sha256(f"{run_seed}:{index}{salt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def row_id(run_seed: int, index: int, fingerprint: str) -> str:
    """Stable 16-hex-digit id of attempt `index` in the run with config `fingerprint`."""
    return hashlib.sha256(f"{fingerprint}:{run_seed}:{index}".encode()).hexdigest()[:16]
