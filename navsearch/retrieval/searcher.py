"""Hybrid search: dense (FAISS) and lexical (BM25) rankings of one index generation,
filtered, fused with RRF, then grouped per document with each document's best passages."""

from __future__ import annotations

from dataclasses import dataclass

from navsearch.citations import cite
from navsearch.embedding.base import Embedder
from navsearch.errors import InvalidInput
from navsearch.retrieval.fusion import Fused, rrf
from navsearch.settings import RetrievalSettings
from navsearch.store.catalog import Catalog, CatalogView
from navsearch.store.records import StoredChunk
from navsearch.store.generation import DenseIndex, Generation, LexicalIndex
from navsearch.terms import cjk_share, query_terms
from navsearch.types import MODES, DocumentMeta, Filters, Grouping, Hit, Mode, Passage


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    candidates: dict[str, int]  # how many candidates each retriever returned
    generation: int  # the vector index generation that answered


class Searcher:
    """Searches one catalog with one loaded index generation."""

    def __init__(
        self, catalog: Catalog, generation: Generation, embedder: Embedder, settings: RetrievalSettings
    ) -> None:
        # Every read is bound to the generation: its hits, quotes and documents agree even
        # while an ingest changes the catalog (store/schema.py).
        self.catalog: CatalogView = catalog.view(generation.manifest.generation)
        self.generation = generation
        self.index: DenseIndex = generation.dense
        self.lexical: LexicalIndex = generation.lexical
        self.embedder = embedder
        self.settings = settings

    def _depth(self, k: int, filtered: bool) -> int:
        depth = max(self.settings.min_candidates, k * self.settings.overfetch)
        return depth * (2 if filtered else 1)

    def rankings(self, query: str, filters: Filters, depth: int, mode: Mode) -> dict[str, list[int]]:
        allowed = None if filters.is_empty() else self.catalog.allowed_ids(filters)
        out: dict[str, list[int]] = {}
        if mode in ("hybrid", "dense"):
            vector = self.embedder.embed([query])[0]
            out["dense"] = [i for i, _ in self.index.search(vector, depth, allowed, self.settings.nprobe)]
        if mode in ("hybrid", "lexical"):
            out["lexical"] = [i for i, _ in self.lexical.search(query_terms(query), depth, allowed)]
        return out

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        filters: Filters | None = None,
        group: Grouping = "document",
        mode: Mode = "hybrid",
    ) -> SearchResult:
        """Top ``k`` documents (or chunks) for a query.

        >>> searcher.search("battery pack detaches at the hinge", k=3).hits[0].doc_id  # doctest: +SKIP
        'US5901035'
        """
        query = query.strip()
        if not query:
            raise InvalidInput("query is empty")
        if k < 1:
            raise InvalidInput(f"k must be at least 1, got {k}")
        if mode not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        filters = filters or Filters()
        # Grouping needs more chunks than k documents: several chunks share a document.
        depth = self._depth(k, not filters.is_empty())
        rankings = self.rankings(query, filters, depth, mode)
        dense_weight = self.settings.dense_weight
        if cjk_share(query) > 0.5:
            dense_weight = self.settings.cjk_dense_weight
        fused = rrf(
            rankings,
            k=self.settings.rrf_k,
            weights={"dense": dense_weight, "lexical": self.settings.lexical_weight},
        )
        fused = [f for f in fused if f.score > 0]  # candidates only a zero-weight retriever found
        candidates = {name: len(r) for name, r in rankings.items()}
        if group == "chunk":
            fused = fused[:k]
        chunks = self.catalog.chunks_by_rowid([f.key for f in fused])
        metas = self.catalog.documents_meta(c.chunk.doc_id for c in chunks.values())
        if group == "chunk":
            hits = [self._hit(metas, [(f, chunks[f.key])]) for f in fused if f.key in chunks]
        else:
            hits = self._group(fused, chunks, metas, k)
        return SearchResult(hits=hits, candidates=candidates, generation=self.index.manifest.generation)

    def _group(
        self, fused: list[Fused], chunks: dict[int, StoredChunk], metas: dict[str, DocumentMeta], k: int
    ) -> list[Hit]:
        per_doc: dict[str, list[tuple[Fused, StoredChunk]]] = {}
        for f in fused:
            stored = chunks.get(f.key)
            if stored is None:
                continue
            per_doc.setdefault(stored.chunk.doc_id, []).append((f, stored))
        # Fused is sorted best first, so each document's first passage is its best; the
        # document ranks by that best passage.
        ranked = sorted(per_doc.values(), key=lambda items: -items[0][0].score)[:k]
        n = self.settings.passages_per_hit
        return [self._hit(metas, items[:n]) for items in ranked]

    @staticmethod
    def _hit(metas: dict[str, DocumentMeta], items: list[tuple[Fused, StoredChunk]]) -> Hit:
        meta = metas[items[0][1].chunk.doc_id]
        passages = tuple(
            Passage(
                chunk_id=s.chunk.chunk_id,
                kind=s.chunk.kind,
                path=s.chunk.path,
                text=s.chunk.text,
                start=s.chunk.start,
                end=s.chunk.end,
                page=s.chunk.page,
                heading=s.chunk.heading,
                score=f.score,
                dense_rank=f.ranks.get("dense"),
                lexical_rank=f.ranks.get("lexical"),
                citation=cite(meta, s.chunk),
                location=s.chunk.location,
            )
            for f, s in items
        )
        return Hit(
            doc_id=meta.doc_id,
            doc_type=meta.doc_type,
            title=meta.title,
            number=meta.number,
            score=items[0][0].score,
            publication_date=meta.publication_date,
            application_date=meta.application_date,
            jurisdiction=meta.jurisdiction,
            ipc=meta.ipc,
            issuer=meta.issuer,
            assignee=meta.assignee,
            passages=passages,
        )
