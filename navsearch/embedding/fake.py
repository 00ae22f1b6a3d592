"""A deterministic hashing embedder for fast unit tests: bag of hashed word features.

Texts sharing words get similar vectors, so retrieval tests mean something; it is never
the only proof (the integration tests use the real model).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    def __init__(self, dimension: int = 256, max_tokens: int = 128) -> None:
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.model_id = f"hashing-{dimension}"
        self.calls = 0  # texts embedded so far, so tests can see that nothing was re-embedded

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dimension, dtype=np.float32)
        for word in WORD.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            v[h % self.dimension] += 1.0 if (h >> 63) & 1 else -1.0
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.calls += len(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts)  # a symmetric encoder: queries and passages alike

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(WORD.findall(t)) + 2 for t in texts]
