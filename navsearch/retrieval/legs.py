"""What each retriever of one search returned, and how their rankings are fused."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from navsearch.retrieval.translated import TranslatedRanking
from navsearch.settings import RetrievalSettings
from navsearch.terms import script_of_query

Ranked = list[tuple[int, float]]  # (chunk rowid, score), best first


@dataclass
class Legs:
    dense: Ranked  # the main encoder (an English query: the other script's passages left out)
    lexical: Ranked  # BM25 of the query's own words
    vector: np.ndarray  # the query's main-encoder vector
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


def leg_weights(query: str, settings: RetrievalSettings, answered: bool = False) -> dict[str, float]:
    """RRF weight of each ranking. The main encoder reads English only: for a CJK query its
    weight is ``cjk_dense_weight`` and the multilingual encoder's own-script ranking takes
    the dense weight. ``answered``: the query's own script holds a relevant passage, so the
    other script's rankings keep only ``answered_other_script_share`` of their weight: a
    question has the same words in two jurisdictions' laws, and one asked in Chinese about
    Chinese law (or in English about US law) should not see the other's first."""
    cjk = script_of_query(query) == "cjk"
    share = settings.answered_other_script_share if answered else 1.0
    return {
        "dense": settings.cjk_dense_weight if cjk else settings.dense_weight,
        "lexical": settings.lexical_weight,
        "cross_language": settings.cross_language_weight * share,
        "cross_language_own": settings.dense_weight,
        "translated": settings.translated_weight * share,
    }
