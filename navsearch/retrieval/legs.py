"""What each retriever of one search returned, and how their rankings are fused.

The legs that match words (BM25, the dictionary translation) and the multilingual
encoder's run beside the main encoder when ``retrieval.concurrent_legs`` is on: reading a
query is most of a first-time search on a CPU (~10 ms a question, 20-40 ms a paragraph on 2
AVX2 cores) and ONNX Runtime releases the interpreter while it runs, so the words' few
milliseconds (numpy, which releases it too for its sums) are hidden behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from navsearch.retrieval.feedback import expanded_search
from navsearch.retrieval.long_query import lexical_terms
from navsearch.retrieval.translated import TranslatedRanking, translated_ranking
from navsearch.settings import RetrievalSettings
from navsearch.store.protocol import LexicalIndex
from navsearch.terms import script_of_query

if TYPE_CHECKING:  # the leg is built by the service; only its rank() is called here
    from navsearch.retrieval.cross_language import CrossLanguageLeg

Ranked = list[tuple[int, float]]  # (chunk rowid, score), best first


@dataclass
class Legs:
    dense: Ranked  # the main encoder (an English query: the other script's passages left out)
    lexical: Ranked  # BM25 of the query's own words
    vector: np.ndarray | None  # the query's main-encoder vector (None: not encoded, see encodes())
    across: Ranked  # the multilingual encoder, among the other script's passages
    within: Ranked  # the multilingual encoder, among a CJK query's own script's passages
    translated: TranslatedRanking | None  # BM25 of the dictionary's translation, other script

    def rankings(self, mode: str) -> dict[str, list[int]]:
        """The rankings a mode fuses: the semantic ones in hybrid and dense, the lexical
        ones (the query's words, their translation) in hybrid and lexical."""
        out: dict[str, list[int]] = {}
        if mode in ("hybrid", "dense"):
            out["dense"] = [i for i, _ in self.dense]
            if self.across:
                out["cross_language"] = [i for i, _ in self.across]
            if self.within:
                out["cross_language_own"] = [i for i, _ in self.within]
        if mode in ("hybrid", "lexical"):
            out["lexical"] = [i for i, _ in self.lexical]
            if self.translated is not None and self.translated.ranked:
                out["translated"] = [i for i, _ in self.translated.ranked]
        return out


@dataclass
class WordLegs:
    """The legs of one search that do not need the main encoder's vector."""

    query: str
    allowed: np.ndarray | None
    depth: int
    lexical_index: LexicalIndex
    cross: CrossLanguageLeg | None
    texts: Callable[[list[int]], dict[int, str]]  # indexed text by chunk rowid (feedback reads it)
    settings: RetrievalSettings
    lexical: Ranked = field(default_factory=list)
    across: Ranked = field(default_factory=list)
    within: Ranked = field(default_factory=list)
    translated: TranslatedRanking | None = None

    def run(self) -> WordLegs:
        terms = lexical_terms(self.query, self.lexical_index, self.settings.max_query_terms)
        self.lexical = expanded_search(self.lexical_index, terms, self.depth, self.allowed, self.texts, self.settings)
        if self.cross is not None:
            self.across, self.within = self.cross.rank(self.query, self.allowed, self.depth)
        self.translated = translated_ranking(self.query, self.lexical_index, self.allowed, self.depth, self.settings)
        return self


T = TypeVar("T")
# Shared by every search of the process; a search submits one task and waits for it, and a
# task submits none, so a busy pool delays searches but cannot deadlock them.
_POOL = ThreadPoolExecutor(thread_name_prefix="navsearch-legs")


def alongside(task: Callable[[], T]) -> Future[T]:
    """Start ``task`` in the legs' worker pool."""
    return _POOL.submit(task)


def reads_cjk(embedder: object) -> bool:
    """Whether the main encoder reads CJK text: e5 itself (embedding/e5_encoder.py), an
    English-only encoder through its gloss (embedding/gloss.py); one that does neither puts
    noise in CJK passages' and queries' vectors."""
    return getattr(embedder, "multilingual", False) or bool(getattr(embedder, "gloss", ""))


def encodes(query: str, settings: RetrievalSettings, reads_cjk: bool = False) -> bool:
    """Whether the main encoder's ranking of ``query`` counts: not for a CJK query whose
    dense weight is 0 (leg_weights), since such a query's relevance is its terms' coverage
    (relevance.py), not a cosine; encoding it anyway cost every Chinese search one encoder
    run (~10 ms on 2 AVX2 cores) for a ranking nothing read."""
    return script_of_query(query) != "cjk" or leg_weights(query, settings, reads_cjk=reads_cjk)["dense"] > 0


def leg_weights(query: str, settings: RetrievalSettings, answered: bool = False, reads_cjk: bool = False) -> dict[str, float]:
    """RRF weight of each ranking. For a CJK query the main encoder's ranking weighs
    ``cjk_dense_weight`` if it reads such text (``reads_cjk``: multilingual, or through the
    gloss), else nothing, and the multilingual encoder's own-script ranking takes the dense
    weight. ``answered``: the query's own script holds a relevant passage, so the
    other script's rankings keep only ``answered_other_script_share`` of their weight: a
    question has the same words in two jurisdictions' laws, and one asked in Chinese about
    Chinese law (or in English about US law) should not see the other's first."""
    cjk = script_of_query(query) == "cjk"
    share = settings.answered_other_script_share if answered else 1.0
    return {
        "dense": (settings.cjk_dense_weight if reads_cjk else 0.0) if cjk else settings.dense_weight,
        "lexical": settings.lexical_weight,
        "cross_language": settings.cross_language_weight * share,
        "cross_language_own": settings.dense_weight,
        "translated": settings.translated_weight * share,
    }
