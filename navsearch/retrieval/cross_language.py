"""The cross-language leg of a search: a question in one language, passages in another.

The main encoder (all-MiniLM-L6-v2) reads English only and BM25 matches words, so an
English question on the Chinese Patent Law, or a Chinese one on US patents, finds nothing
in either leg. The cross-language index (store/crosslang.py) holds every chunk embedded
by a multilingual encoder (multilingual-e5-small); this leg searches it:
- a query written in Latin script, among the passages written in a CJK script (an
  English-only corpus has none: the query is not e5-encoded; its passages still are, when
  the index is built, for Chinese queries);
- a query mostly in CJK characters, among the Latin-script passages and, apart, among the
  CJK ones (the main dense leg has no weight for such queries: it cannot read them).
A passage's script is its own text's, not its document's language (store/lexical.py).
The other-script ranking is fused with the others by RRF at
``retrieval.cross_language_weight``, a CJK query's own-script one at ``dense_weight``.
The dictionary's translated ranking (translated.py) is the lexical counterpart.

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
from navsearch.store.protocol import LexicalIndex
from navsearch.terms import script_of_query


class CrossLanguageLeg:
    """The cross-language ranking of one loaded generation."""

    def __init__(
        self, index: CrossLanguageIndex, embedder: Embedder, settings: RetrievalSettings, lexical: LexicalIndex | None = None
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.lexical = lexical  # its passages' scripts, when it records them

    def rows(self, script: str) -> np.ndarray:
        """Rowids of the passages written in ``script``: by each passage's own text where the
        lexical index records it (a patent in English can hold a Chinese abstract), else by
        its document's language."""
        rows = self.lexical.script_rowids(script) if self.lexical is not None else None
        return self.index.rowids(script) if rows is None else rows

    def rank(
        self, query: str, allowed: np.ndarray | None, depth: int
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """(chunk rowid, e5 cosine) best first: among the passages in the other script than
        the query's (for a Latin-script query, those at or above the floor), and, for a CJK
        query, among its own script's. Ranked apart because e5's cosines run higher within a
        language than across (Chinese questions: 0.87 to unrelated Chinese articles, 0.83 to
        the English passage that answers them), so one ranking of all would bury the other
        language's answers under its own unrelated text."""
        cjk = script_of_query(query) == "cjk"
        other = self.rows("latin" if cjk else "cjk")
        own = self.rows("cjk") if cjk else np.zeros(0, dtype=np.int64)
        if allowed is not None:
            other = np.intersect1d(other, allowed, assume_unique=True)
            own = np.intersect1d(own, allowed, assume_unique=True)
        if not len(other) and not len(own):
            return [], []  # nothing this leg ranks: the query is not even encoded
        vector = query_vector(query, self.embedder, self.settings)
        across = self.index.search(vector, depth, other) if len(other) else []
        within = self.index.search(vector, depth, own) if len(own) else []
        if not cjk:
            across = [(r, c) for r, c in across if c >= self.settings.cross_language_floor]
        return across, within


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

    def leg(
        self, generation: int, settings: RetrievalSettings, lexical: LexicalIndex | None = None
    ) -> tuple[CrossLanguageLeg | None, str | None]:
        """The leg of ``generation`` (``lexical``: its lexical index, which knows each
        passage's script), or None and the note searches carry without it."""
        index, note = self.store.load(generation)
        return (CrossLanguageLeg(index, self.encoder, settings, lexical) if index is not None else None), note
