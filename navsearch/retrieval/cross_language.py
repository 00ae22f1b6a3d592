"""The cross-language leg of a search: a question in one language, passages in another.

The main encoder (all-MiniLM-L6-v2) reads English only and BM25 matches words, so an
English question on the Chinese Patent Law, or a Chinese one on US patents, finds nothing
in either leg. The cross-language index (store/crosslang.py) holds every chunk embedded
by a multilingual encoder (multilingual-e5-small); this leg searches it:
- a query written in Latin script, among the passages of documents in a CJK language
  (an English-only corpus has none: the query is not e5-encoded; its passages still are, when
  the index is built, for Chinese queries);
- a query mostly in CJK characters, among all passages (the main dense leg has no weight
  for such queries: it cannot read them).
Its ranking is fused with the others by RRF at ``retrieval.cross_language_weight``.

e5 puts unrelated texts close together (English questions nothing answers: best cosine
over the Chinese laws p50 0.75, max 0.84), so without a floor the nearest Chinese articles
would join every English search: for a Latin-script query, passages under
``retrieval.cross_language_floor`` are left out. A CJK query's ranking is not cut (it is
that query's semantic ranking); its relevance uses ``cjk_cross_language_floor`` (e5's
same-language cosines run higher: p50 0.87 for Chinese questions nothing answers). A
passage's e5 cosine counts for its relevance shifted by the difference of the floors
(relevance.py); benchmarks/reports/cross_language.md has the calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from navsearch.embedding.base import Embedder
from navsearch.embedding.registry import make_embedder
from navsearch.retrieval.long_query import query_vector
from navsearch.settings import EmbeddingSettings, RetrievalSettings, Settings
from navsearch.store.catalog import Catalog
from navsearch.store.crosslang import CrossLanguageIndex, CrossLanguageStore
from navsearch.terms import script_of_query


class CrossLanguageLeg:
    """The cross-language ranking of one loaded generation."""

    def __init__(self, index: CrossLanguageIndex, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._foreign: dict[str, set[int]] = {}

    def candidates(self, query: str, allowed: np.ndarray | None) -> np.ndarray:
        """Chunk rowids this query's cross-language ranking is taken among."""
        if script_of_query(query) == "cjk":
            rows = np.union1d(self.index.rowids("cjk"), self.index.rowids("latin"))
        else:
            rows = self.index.rowids("cjk")
        return rows if allowed is None else np.intersect1d(rows, allowed, assume_unique=True)

    def foreign(self, query: str) -> set[int]:
        """Rowids of the passages in another script than the query's."""
        other = "latin" if script_of_query(query) == "cjk" else "cjk"
        if other not in self._foreign:
            self._foreign[other] = set(self.index.rowids(other).tolist())
        return self._foreign[other]

    def rank(self, query: str, allowed: np.ndarray | None, depth: int) -> list[tuple[int, float]]:
        """(chunk rowid, e5 cosine) at or above the floor, best first."""
        rows = self.candidates(query, allowed)
        if len(rows) == 0:
            return []  # nothing in another script: the query is not even encoded
        vector = query_vector(query, self.embedder, self.settings)
        found = self.index.search(vector, depth, rows)
        if script_of_query(query) == "cjk":
            # For a CJK query this is the semantic ranking itself (the main encoder's has no
            # weight): ranked like the dense leg, its relevance judged per passage.
            return found
        return [(r, c) for r, c in found if c >= self.settings.cross_language_floor]


@dataclass(frozen=True)
class CrossLanguage:
    """The cross-language index of one index folder with its encoder: what the service
    publishes after each generation and loads a leg from."""

    store: CrossLanguageStore
    encoder: Embedder
    encoder_settings: EmbeddingSettings

    @classmethod
    def configured(cls, settings: Settings, catalog: object) -> CrossLanguage | None:
        """None when the settings leave it out, the main encoder is multilingual itself, or
        the store is not the embedded catalog (the PostgreSQL store does not carry it yet)."""
        e = settings.embedding
        if e.cross_language == "none" or e.backend == e.cross_language or not isinstance(catalog, Catalog):
            return None
        encoder_settings = EmbeddingSettings(backend=e.cross_language, batch_size=e.batch_size, threads=e.threads)
        encoder = make_embedder(encoder_settings)
        store = CrossLanguageStore(settings.index_dir / "crosslang", catalog, encoder, e.cross_language_batch)
        return cls(store, encoder, encoder_settings)

    def own_store(self) -> CrossLanguageStore:
        """The same index with an encoder of its own, for a build beside searches: the
        engine encodes one call at a time, so a shared one would hold a search's query
        encoding behind a batch of passages (about 8 s for 32 on 2 cores)."""
        store = self.store
        return CrossLanguageStore(store.folder, store.catalog, make_embedder(self.encoder_settings), store.batch)

    def leg(self, generation: int, settings: RetrievalSettings) -> tuple[CrossLanguageLeg | None, str | None]:
        """The leg of ``generation``, or None and the note searches carry without it."""
        index, note = self.store.load(generation)
        return (CrossLanguageLeg(index, self.encoder, settings) if index is not None else None), note
