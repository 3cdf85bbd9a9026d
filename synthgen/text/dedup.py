"""Streaming exact and near-duplicate detection for instructions.

Exact duplicates are caught by a hash of the normalised text. Near duplicates by MinHash over
character 5-gram shingles with LSH banding, confirmed by the exact Jaccard similarity of the
shingle sets, so the threshold means what it says. It is our own ~80 lines rather than a
dependency: datasketch would pull numpy/scipy-based code for what is here a few thousand rows per
run, and exact confirmation keeps false positives at zero (barring a 30-bit hash collision
between two shingles, which can only nudge a Jaccard value).
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

_SPACE = re.compile(r"\s+")
_NONWORD = re.compile(r"[^\w\s]")
_PRIME = (1 << 31) - 1  # Mersenne prime above every 30-bit shingle hash


def normalise(text: str) -> str:
    """Lowercase, drop punctuation, collapse whitespace: 'Hello,  World!' == 'hello world'."""
    return _SPACE.sub(" ", _NONWORD.sub(" ", text.lower())).strip()


def shingles(text: str, k: int = 5) -> set[str]:
    """Character k-grams of the normalised text (the whole text if shorter than k)."""
    norm = normalise(text)
    if len(norm) <= k:
        return {norm}
    return {norm[i : i + k] for i in range(len(norm) - k + 1)}


def jaccard(a: set | frozenset, b: set | frozenset) -> float:
    """|a & b| / |a | b|, 1.0 for two empty sets."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class NearDuplicateIndex:
    """Remembers accepted texts; `check` says whether a new text duplicates one of them.

    `bands * rows` MinHash values are kept per text. With 16 bands of 4 rows, a pair at Jaccard
    0.7 becomes a candidate with probability 1-(1-0.7^4)^16 = 0.99, so misses are rare, and every
    candidate is confirmed by exact Jaccard before a text is called a duplicate. Shingles are kept
    as sorted arrays of 30-bit hashes and hashed with numpy: about 1 KB and well under a
    millisecond per text, so a 10,000-row run keeps ~15 MB and spends seconds here in all.
    """

    def __init__(self, threshold: float = 0.7, bands: int = 16, rows: int = 4):
        self.threshold = threshold
        self.bands, self.rows = bands, rows
        count = bands * rows
        seed = np.frombuffer(
            b"".join(hashlib.sha256(b"synthgen-minhash:%d" % i).digest() for i in range(count // 2 + 1)),
            dtype=np.uint64,
        )
        # h < 2^30 and a, b < 2^31 keep a*h + b below 2^62, so uint64 arithmetic is exact, and
        # (a*h + b) mod p with p = 2^31 - 1 > h is a proper universal hash family.
        self._a = seed[:count] % np.uint64(_PRIME - 1) + np.uint64(1)
        self._b = seed[count : 2 * count] % np.uint64(_PRIME)
        self._exact: set[str] = set()
        self._buckets: list[dict[tuple[int, ...], list[int]]] = [{} for _ in range(bands)]
        self._shingles: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._shingles)

    @staticmethod
    def _hashed(text: str) -> np.ndarray:
        values = {
            int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "big") >> 2 for g in shingles(text)
        }
        return np.array(sorted(values), dtype=np.uint64)

    def _signature(self, hashes: np.ndarray) -> list[int]:
        products = (self._a[:, None] * hashes[None, :] + self._b[:, None]) % np.uint64(_PRIME)
        return products.min(axis=1).tolist()

    @staticmethod
    def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
        common = len(np.intersect1d(a, b, assume_unique=True))
        return common / (len(a) + len(b) - common)

    def check(self, text: str) -> str | None:
        """Return "exact_duplicate", "near_duplicate" or None, without adding the text."""
        key = hashlib.sha256(normalise(text).encode()).hexdigest()
        if key in self._exact:
            return "exact_duplicate"
        grams = self._hashed(text)
        signature = self._signature(grams)
        seen: set[int] = set()
        for band, table in enumerate(self._buckets):
            chunk = tuple(signature[band * self.rows : (band + 1) * self.rows])
            for idx in table.get(chunk, ()):
                if idx not in seen:
                    seen.add(idx)
                    if self._jaccard(grams, self._shingles[idx]) >= self.threshold:
                        return "near_duplicate"
        return None

    def add(self, text: str) -> None:
        """Remember `text` so later near copies of it are rejected."""
        self._exact.add(hashlib.sha256(normalise(text).encode()).hexdigest())
        grams = self._hashed(text)
        signature = self._signature(grams)
        idx = len(self._shingles)
        self._shingles.append(grams)
        for band, table in enumerate(self._buckets):
            chunk = tuple(signature[band * self.rows : (band + 1) * self.rows])
            table.setdefault(chunk, []).append(idx)
