"""The dense half of a generation: a FAISS index of the chunk vectors, searched by inner
product on normalised vectors (cosine similarity).

Built and (de)serialised here; store/generation.py publishes it beside the BM25 index of
the same chunks, checksums both and loads them together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from navsearch.store.generation import Manifest


class VectorIndex:
    """A loaded, immutable FAISS index of one generation, with the manifest that names it
    (search reads the index type from it; results name its generation)."""

    def __init__(self, index: "object", manifest: Manifest) -> None:
        self.index = index
        self.manifest = manifest

    @property
    def count(self) -> int:
        return int(self.index.ntotal)  # type: ignore[attr-defined]

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, nprobe: int = 32
    ) -> list[tuple[int, float]]:
        """(chunk rowid, cosine similarity), best first; ``allowed`` restricts to those rowids.

        ``nprobe``: inverted lists visited when the index is IVF (ignored for flat).
        """
        import faiss

        if self.count == 0 or k <= 0:
            return []
        selector = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            k = min(k, len(allowed))
        if self.manifest.index_type.startswith("IVF"):
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe) if selector else faiss.SearchParametersIVF(nprobe=nprobe)
        else:
            params = faiss.SearchParameters(sel=selector) if selector else None
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self.index.search(q, min(k, self.count), params=params)  # type: ignore[attr-defined]
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def index_type_for(count: int, ann_threshold: int) -> str:
    """Exact search below the threshold; above it an IVF index with about 4·sqrt(n) lists
    (FAISS's rule of thumb), which trains in seconds on 2 cores where HNSW takes minutes."""
    if count < ann_threshold:
        return "IDMap2,FlatIP"
    return f"IVF{int(4 * np.sqrt(count))},FlatIP"


def build(ids: np.ndarray, vectors: np.ndarray, dimension: int, index_type: str = "IDMap2,FlatIP") -> "object":
    import faiss

    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if index_type.startswith("IVF"):
        nlist = int(index_type[3:].split(",")[0])
        quantizer = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        # 64 points per list is plenty to place the centroids; a fixed seed keeps builds reproducible.
        rng = np.random.default_rng(0)
        sample = x[rng.choice(len(x), size=min(len(x), nlist * 64), replace=False)]
        index.train(sample)
        index.add_with_ids(x, ids.astype(np.int64))
        return index
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
    if len(ids):
        index.add_with_ids(x, ids.astype(np.int64))
    return index


def to_bytes(index: "object") -> bytes:
    """The index serialised in memory: FAISS's own writer would write the file in place
    without fsync, so generation.py writes these bytes atomically instead."""
    import faiss

    return faiss.serialize_index(index).tobytes()


def from_bytes(data: bytes) -> "object":
    import faiss

    return faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
