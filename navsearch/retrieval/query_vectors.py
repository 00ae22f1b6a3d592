"""Query vectors, kept: encoding is most of a search's time on a CPU (a paragraph-long
idea ~35 ms, a short question ~10 ms with the default encoder on 2 AVX2 cores: the rest of
a search at 100k chunks is a few ms), and the same text is searched again and again: a
patent agent re-runs one idea with another priority date, jurisdiction, k or page, the web
page searches as filters change, and prior art and answers search what a search just did.

A vector depends on the encoder and on how a long query is read (retrieval/long_query.py),
so both are in the key; ``retrieval.query_cache_size`` vectors are kept, least recently
used out first, by the service for every generation (a new one does not change them).
"""

from __future__ import annotations

import numpy as np

from navsearch.embedding.base import Embedder
from navsearch.retrieval.kept import Kept
from navsearch.retrieval.long_query import query_vector
from navsearch.settings import RetrievalSettings


class QueryVectors:
    """A bounded, thread-safe cache of query vectors (size 0: none kept)."""

    def __init__(self, size: int) -> None:
        self._kept: Kept[tuple[str, str, int, str], np.ndarray] = Kept(size)

    def kept(self, text: str, embedder: Embedder, settings: RetrievalSettings) -> np.ndarray | None:
        """The query's vector if it is kept (nothing to encode), else None."""
        return self._kept.get(self._key(text, embedder, settings))

    def vector(self, text: str, embedder: Embedder, settings: RetrievalSettings) -> np.ndarray:
        """The query's dense vector (read-only): kept, or encoded now and kept."""
        key = self._key(text, embedder, settings)
        if (kept := self._kept.get(key)) is not None:
            return kept
        vector = query_vector(text, embedder, settings)  # not under a lock: searches encode in parallel
        vector.flags.writeable = False  # shared between searches
        self._kept.put([(key, vector)])
        return vector

    @staticmethod
    def _key(text: str, embedder: Embedder, settings: RetrievalSettings) -> tuple[str, str, int, str]:
        return (embedder.model_id, settings.long_query_dense, settings.max_query_windows, text)

    def __len__(self) -> int:
        return len(self._kept)
