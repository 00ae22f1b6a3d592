"""The translated leg of a search: the query's words looked up in a bilingual dictionary
(navsearch/lexicon.py) and searched by BM25 among the passages in the other script.

The multilingual encoder's leg (cross_language.py) judges meaning loosely across languages;
this one matches the words themselves, so an English question on the term of a Chinese
patent finds 第四十二条 through 专利 and 期限, and a Chinese question on a US patent finds it
through its English words. Both legs are fused with the others by RRF.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np

from navsearch.lexicon import HeadsCache, Translation, lexicon
from navsearch.settings import RetrievalSettings
from navsearch.store.protocol import LexicalIndex
from navsearch.terms import analyze, script_of_query

UNHELD = " "  # a term no index holds (analysis never yields a space)
# The headwords each lexical index's Chinese passages can use, per English phrase, by the
# index's id (a frozen dataclass of arrays has no hash): a generation's index never changes,
# and its entry goes when the index is collected.
_HEADS: dict[int, HeadsCache] = {}


@dataclass
class TranslatedRanking:
    """The translated query's BM25 ranking, and how much of the query a passage holds."""

    translation: Translation
    ranked: list[tuple[int, float]]
    weights: list[float]  # per translated word: how much it counts (_weight)
    rows: set[int] = field(default_factory=set)  # the passages ranked

    def coverage(self, text: str) -> float:
        """The rarity-weighted share of the query's translated words the text holds."""
        total = sum(self.weights)
        if not total:
            return 0.0
        present = set(analyze(text))
        held = sum(w for word, w in zip(self.translation.words, self.weights) if present.intersection(word.terms))
        return held / total


def other_script_rows(query: str, lexical: LexicalIndex, allowed: np.ndarray | None) -> np.ndarray:
    """Rowids of the passages in the other script than the query's (within ``allowed``)."""
    rows = lexical.script_rowids("latin" if script_of_query(query) == "cjk" else "cjk")
    if rows is None or not len(rows):
        return np.zeros(0, dtype=np.int64)
    return rows if allowed is None else np.intersect1d(rows, allowed, assume_unique=True)


def translated_ranking(
    query: str, lexical: LexicalIndex, allowed: np.ndarray | None, depth: int, settings: RetrievalSettings
) -> TranslatedRanking | None:
    """None when translation is off, or no passage is in the other script (an English-only
    corpus: the dictionary is not even read)."""
    if settings.translation == "none":
        return None
    rows = other_script_rows(query, lexical, allowed)
    if not len(rows):
        return None
    translation = lexicon().translate(query, known=lambda t: lexical.df(t) > 0, cache=heads_cache(lexical))
    if not translation.terms:
        return None
    ranked = lexical.search(translation.terms, depth, rows, translation.weights)
    weights = [_weight(w.terms, lexical) for w in translation.words]
    return TranslatedRanking(translation, ranked, weights, {r for r, _ in ranked})


def heads_cache(lexical: LexicalIndex) -> HeadsCache:
    """The kept reverse lookups of ``lexical``'s generation (made on its first search)."""
    key = id(lexical)
    cache = _HEADS.get(key)
    if cache is None:
        cache = _HEADS.setdefault(key, {})
        weakref.finalize(lexical, _HEADS.pop, key, None)
    return cache


def _weight(terms: list[str], lexical: LexicalIndex) -> float:
    """How much a translated word counts: the idf of its commonest held term (a word's rare
    senses are mostly the wrong ones). A word with no translation the corpus holds weighs as
    the rarest term there is (what idf gives a term no chunk holds): a passage cannot hold
    it, and it still counts."""
    held = [t for t in terms if lexical.df(t)]
    return min(lexical.idf(held)) if held else lexical.idf([UNHELD])[0]
