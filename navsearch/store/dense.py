"""The dense half of a generation: a FAISS index of the chunk vectors, searched by inner
product on normalised vectors (cosine similarity).

Which index, by size (``index_type_for``):
- below ``retrieval.ann_threshold`` vectors, exact flat search: a scan of 50k vectors
  takes ~11 ms on 2 AVX2 cores, and exact needs no recall figure;
- from it, HNSW over the same flat vectors (``IndexHNSWFlat``): ~0.5 ms at 100k with
  recall@10 >= 0.98 (benchmarks/reports/speed.md). Chosen over IVF: it needs no training
  sample, its recall holds as lists grow, and it keeps the vectors contiguous, so a
  filtered search over a small share of the corpus is exact (below).

A filter (a date range, a jurisdiction) restricts the search to allowed rowids. An ANN
graph searched with a selector loses recall as the allowed share shrinks (the graph's
neighbours are mostly filtered out), so up to ``exact_filter_max`` allowed vectors are
scored exactly from the index's own storage; above it the graph is searched with
``efSearch`` raised by the inverse of the allowed share. Generations written as IVF by
earlier versions still load and search (``nprobe``).

Built and (de)serialised here; store/generation.py publishes it beside the BM25 index of
the same chunks, checksums both and loads them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from navsearch.store.protocol import AnnSearch

if TYPE_CHECKING:
    from navsearch.store.generation import Manifest

FLAT = "IDMap2,FlatIP"
MAX_EF_SEARCH = 4096  # a filtered graph search's efSearch is capped: beyond it exact is cheaper


class VectorIndex:
    """A loaded, immutable FAISS index of one generation, with the manifest that names it
    (search reads the index type from it; results name its generation)."""

    def __init__(self, index: "object", manifest: Manifest) -> None:
        self.index = index
        self.manifest = manifest
        self._stored: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def count(self) -> int:
        return int(self.index.ntotal)  # type: ignore[attr-defined]

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, ann: AnnSearch | None = None
    ) -> list[tuple[int, float]]:
        """(chunk rowid, cosine similarity), best first; ``allowed`` restricts to those rowids."""
        import faiss

        ann = ann or AnnSearch()
        if self.count == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        selector = None
        share = 1.0
        if allowed is not None:
            if len(allowed) == 0:
                return []
            k = min(k, len(allowed))
            if len(allowed) <= ann.exact_filter_max and self._vectors() is not None:
                return self._exact(q[0], k, allowed)
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            share = max(len(allowed) / self.count, 1e-9)
        kind = self.manifest.index_type
        if kind.startswith("HNSW"):
            base = max(ann.ef_search, ann.ef_per_million * self.count // 1_000_000)
            ef = min(MAX_EF_SEARCH, max(k, int(base / share)))
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef) if selector else faiss.SearchParametersHNSW(efSearch=ef)
        elif kind.startswith("IVF"):
            params = faiss.SearchParametersIVF(sel=selector, nprobe=ann.nprobe) if selector else faiss.SearchParametersIVF(nprobe=ann.nprobe)
        else:
            params = faiss.SearchParameters(sel=selector) if selector else None
        scores, ids = self.index.search(q, min(k, self.count), params=params)  # type: ignore[attr-defined]
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def _vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(rowids ascending, their positions in storage, the stored vectors) of a flat or
        HNSW index: views of the index's own memory, no copy; None for IVF."""
        import faiss

        if self._stored is None and not self.manifest.index_type.startswith("IVF"):
            inner = faiss.downcast_index(self.index.index)  # type: ignore[attr-defined]
            flat = faiss.downcast_index(inner.storage) if isinstance(inner, faiss.IndexHNSW) else inner
            matrix = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d)
            rowids = faiss.vector_to_array(self.index.id_map)  # type: ignore[attr-defined]
            order = np.argsort(rowids, kind="stable")
            self._stored = (rowids[order], order, matrix)
        return self._stored

    def _exact(self, q: np.ndarray, k: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        stored = self._vectors()
        assert stored is not None
        rowids, order, matrix = stored
        pos = np.searchsorted(rowids, allowed)
        inside = pos < len(rowids)
        pos = pos[inside][rowids[pos[inside]] == allowed[inside]]
        if len(pos) == 0:
            return []
        scores = matrix[order[pos]] @ q
        top = np.argpartition(-scores, k - 1)[:k] if len(pos) > k else np.arange(len(pos))
        top = top[np.lexsort((rowids[pos[top]], -scores[top]))]
        return [(int(rowids[pos[i]]), float(scores[i])) for i in top]


@dataclass(frozen=True)
class AnnBuild:
    """Which index a generation gets (settings.retrieval's ann_threshold, hnsw_m,
    hnsw_ef_construction)."""

    threshold: int = 20_000
    m: int = 32
    ef_construction: int = 80

    def index_type(self, count: int) -> str:
        """Exact search below the threshold; from it an HNSW graph of ``m`` links a node."""
        return FLAT if count < self.threshold else f"HNSW{self.m},Flat"


def build(
    ids: np.ndarray, vectors: np.ndarray, dimension: int, index_type: str = FLAT, ef_construction: int = 80
) -> "object":
    import faiss

    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if index_type.startswith("HNSW"):
        graph = faiss.IndexHNSWFlat(dimension, int(index_type[4:].split(",")[0]), faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = ef_construction
        index = faiss.IndexIDMap2(graph)
    elif index_type.startswith("IVF"):
        nlist = int(index_type[3:].split(",")[0])
        quantizer = faiss.IndexFlatIP(dimension)
        ivf = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        # 64 points per list is plenty to place the centroids; a fixed seed keeps builds reproducible.
        rng = np.random.default_rng(0)
        ivf.train(x[rng.choice(len(x), size=min(len(x), nlist * 64), replace=False)])
        ivf.add_with_ids(x, ids.astype(np.int64))
        return ivf
    else:
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
