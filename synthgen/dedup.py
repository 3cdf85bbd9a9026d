"""Streaming exact and near-duplicate detection for instructions.

Exact duplicates are caught by a hash of the normalised text. Near duplicates by MinHash over
character 5-gram shingles with LSH banding, confirmed by the exact Jaccard similarity of the
shingle sets, so the threshold means what it says. It is our own ~80 lines rather than a
dependency: datasketch would pull numpy/scipy-based code for what is here a few thousand rows per
run, and exact confirmation keeps false positives at zero.
"""

from __future__ import annotations

import hashlib
import re
import struct

_SPACE = re.compile(r"\s+")
_NONWORD = re.compile(r"[^\w\s]")
_MERSENNE = (1 << 61) - 1


def normalise(text: str) -> str:
    """Lowercase, drop punctuation, collapse whitespace: 'Hello,  World!' == 'hello world'."""
    return _SPACE.sub(" ", _NONWORD.sub(" ", text.lower())).strip()


def shingles(text: str, k: int = 5) -> set[str]:
    """Character k-grams of the normalised text (the whole text if shorter than k)."""
    norm = normalise(text)
    if len(norm) <= k:
        return {norm}
    return {norm[i : i + k] for i in range(len(norm) - k + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """|a & b| / |a | b|, 1.0 for two empty sets."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class NearDuplicateIndex:
    """Remembers accepted texts; `check` says whether a new text duplicates one of them.

    `bands * rows` MinHash values are kept per text. With 16 bands of 4 rows, a pair at Jaccard
    0.7 becomes a candidate with probability 1-(1-0.7^4)^16 = 0.99, so misses are rare, and every
    candidate is confirmed by exact Jaccard before a text is called a duplicate.
    """

    def __init__(self, threshold: float = 0.7, bands: int = 16, rows: int = 4):
        self.threshold = threshold
        self.bands, self.rows = bands, rows
        count = bands * rows
        seed_bytes = b"".join(hashlib.sha256(b"synthgen-minhash:%d" % i).digest() for i in range(count // 2 + 1))
        self._coeffs = [
            (
                struct.unpack_from(">Q", seed_bytes, 8 * i)[0] % _MERSENNE | 1,
                struct.unpack_from(">Q", seed_bytes, 8 * (i + count))[0] % _MERSENNE,
            )
            for i in range(count)
        ]
        self._exact: set[str] = set()
        self._buckets: list[dict[tuple[int, ...], list[int]]] = [{} for _ in range(bands)]
        self._shingles: list[set[str]] = []

    def __len__(self) -> int:
        return len(self._shingles)

    def _signature(self, grams: set[str]) -> list[int]:
        hashes = [int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams]
        return [min((a * h + b) % _MERSENNE for h in hashes) for a, b in self._coeffs]

    def check(self, text: str) -> str | None:
        """Return "exact_duplicate", "near_duplicate" or None, without adding the text."""
        key = hashlib.sha256(normalise(text).encode()).hexdigest()
        if key in self._exact:
            return "exact_duplicate"
        grams = shingles(text)
        signature = self._signature(grams)
        for band, table in enumerate(self._buckets):
            chunk = tuple(signature[band * self.rows : (band + 1) * self.rows])
            for idx in table.get(chunk, ()):
                if jaccard(grams, self._shingles[idx]) >= self.threshold:
                    return "near_duplicate"
        return None

    def add(self, text: str) -> None:
        """Remember `text` so later near copies of it are rejected."""
        self._exact.add(hashlib.sha256(normalise(text).encode()).hexdigest())
        grams = shingles(text)
        signature = self._signature(grams)
        idx = len(self._shingles)
        self._shingles.append(grams)
        for band, table in enumerate(self._buckets):
            chunk = tuple(signature[band * self.rows : (band + 1) * self.rows])
            table.setdefault(chunk, []).append(idx)
