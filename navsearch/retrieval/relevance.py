"""How relevant a passage is, on a scale that does not depend on its rank, and the floor
below which a search says that nothing in the corpus is relevant.

The fused RRF score is rank-only: the best hit of an off-topic query scores as high as the
best hit of a good one. So a hit also carries a relevance:
- for a query written in Latin script, the cosine of the query and the passage (the
  embedding model reads English; an off-topic idea finds passages near 0.3-0.45, a
  paraphrase of a real passage 0.6 and more);
- for a query written mostly in Chinese or Japanese characters, which that model cannot
  read, the share of the query's terms (character bigrams, weighted by BM25's idf) that
  the passage contains.
The two floors are settings, calibrated by benchmarks/relevance_floor.py on written
off-corpus and in-corpus queries and PatSnap dev ideas (benchmarks/reports/relevance_floor.md).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from navsearch.retrieval.legs import Legs
from navsearch.retrieval.translated import TranslatedRanking
from navsearch.settings import RetrievalSettings
from navsearch.store.generation import LexicalIndex
from navsearch.terms import CJK_QUERY_SHARE, analyze, cjk_share, query_terms



@dataclass
class QueryRelevance:
    """The relevance of passages to one query."""

    cjk: bool  # scored by term coverage, not by cosine
    floor: float
    terms: list[str]
    weights: list[float]
    cosines: dict[int, float] = field(default_factory=dict)  # chunk rowid -> cosine (dense results)
    vector: np.ndarray | None = None  # the query's embedding, for passages the dense list lacks
    # Passages the cross-language leg found: rowid -> the multilingual encoder's cosine,
    # on its own scale (retrieval/cross_language.py), and the floor of that scale.
    cross: dict[int, float] = field(default_factory=dict)
    cross_floor: float = 0.0
    # Passages the translated query found (retrieval/translated.py): judged by the share of
    # the query's translated words they hold, against ``translated_floor``.
    translated: TranslatedRanking | None = None
    translated_floor: float = 0.0
    # Passages the main encoder read through their gloss (embedding/gloss.py), for a query
    # it read as it is: their cosines run lower (a gloss reads loosely), against ``gloss_floor``.
    glossed: Collection[int] = frozenset()
    gloss_floor: float = 0.0

    @property
    def measure(self) -> str:
        own = "share of the query's terms in the passage" if self.cjk else "cosine of query and passage"
        if self.cross:
            own += ", or the multilingual encoder's cosine above its floor"
        if self.translated is not None and self.translated.rows:
            own += ", or the share of the query's words the passage holds in translation above its floor"
        return own

    def coverage(self, text: str) -> float:
        """The idf-weighted share of the query's terms that the text contains."""
        total = sum(self.weights)
        if not total:
            return 0.0
        present = set(analyze(text))
        return sum(w for t, w in zip(self.terms, self.weights) if t in present) / total

    def missing(self, rowids: list[int]) -> list[int]:
        """Of these chunks, those whose cosine is not known yet (the dense list did not reach them)."""
        return [] if self.cjk else [r for r in rowids if r not in self.cosines]

    def add_vectors(self, vectors: dict[int, np.ndarray]) -> None:
        if self.vector is not None:
            for rowid, v in vectors.items():
                self.cosines[rowid] = float(v @ self.vector)

    def of(self, rowid: int, embed_text: str) -> float:
        own = self.coverage(embed_text) if self.cjk else self.cosines.get(rowid, 0.0)
        # Each other scale has its calibrated floor: a score's distance above that floor
        # counts as that much above this query's floor, so one floor judges all.
        other = []
        if rowid in self.glossed and rowid in self.cosines:
            other.append(self.floor + self.cosines[rowid] - self.gloss_floor)
        if rowid in self.cross:
            other.append(self.floor + self.cross[rowid] - self.cross_floor)
        if self.translated is not None and rowid in self.translated.rows:
            other.append(self.floor + self.translated.coverage(embed_text) - self.translated_floor)
        if not other:
            return round(own, 4)
        # For an English query these passages are in another script, whose cosine by the
        # English-only encoder means nothing but on the gloss's scale (above); a CJK
        # query's term coverage does.
        return round(max(own, *other) if self.cjk else max(other), 4)


def judge(
    query: str,
    lexical: LexicalIndex,
    legs: Legs,
    settings: RetrievalSettings,
    semantic: bool = True,
    glossed: Collection[int] = frozenset(),
) -> QueryRelevance:
    """Relevance of passages to ``query``, given what each retriever found (legs.py);
    ``semantic``: whether the multilingual rankings were fused (not in lexical mode);
    ``glossed``: the rowids of the passages the main encoder read through their gloss
    (the searcher's set, made once per generation)."""
    cjk = cjk_share(query) > CJK_QUERY_SHARE
    terms = query_terms(query)
    cross = dict(legs.within) | dict(legs.across) if semantic else {}
    return QueryRelevance(
        cjk=cjk,
        floor=settings.cjk_relevance_floor if cjk else settings.relevance_floor,
        terms=terms,
        weights=lexical.idf(terms) if terms else [],
        cosines=dict(legs.dense),
        vector=legs.vector,
        cross=cross,
        cross_floor=settings.cjk_cross_language_floor if cjk else settings.cross_language_floor,
        translated=legs.translated,
        translated_floor=settings.translated_floor,
        glossed=frozenset() if cjk else glossed,
        gloss_floor=settings.gloss_floor,
    )


def nothing_note(rel: QueryRelevance, best: float | None, unfiltered: bool, languages: Sequence[str | None]) -> str:
    """What a search that found nothing relevant says. ``languages``: of the corpus's
    documents, when nothing can read a CJK query in the others (no cross-language leg)."""
    if best is None:
        return "no results" + ("" if unfiltered else " pass the filters")
    note = (
        f"nothing in the corpus is relevant to this query: the best passage scores {best:.2f} "
        f"({rel.measure}), below the relevance floor {rel.floor:.2f}; the results are the nearest, "
        "marked weak"
    )
    other = sum(1 for lang in languages if not (lang or "en").startswith(("zh", "ja")))
    if rel.cjk and other:
        note += (
            f". The query is in Chinese or Japanese; {other:,} of the {len(languages):,} documents are not, "
            "and the embedding model reads English only: ask again in English to search them"
        )
    return note
