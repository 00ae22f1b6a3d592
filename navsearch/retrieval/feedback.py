"""RM3 pseudo-relevance feedback for the BM25 leg (pure: texts in, weighted terms out).

The first BM25 results are taken to be relevant; the query is expanded with the terms
they share, each weighed by how much of those passages it makes up and how well the
passage scored (relevance model 1), then interpolated with the original query (RM3).
Parameters and term filters follow Anserini's RM3 (fbDocs 10, fbTerms 10, original
query weight 0.5; feedback terms 2-20 characters, in at most 10% of the chunks), so
nothing here is fitted to our dev sets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from navsearch.settings import RetrievalSettings
from navsearch.store.generation import LexicalIndex
from navsearch.terms import STOPWORDS, analyze

MIN_TERM_CHARS = 2
MAX_TERM_CHARS = 20


def rm3(
    query: Sequence[str],
    feedback: Sequence[tuple[str, float]],
    df_share: Callable[[str], float],
    *,
    terms: int,
    original_weight: float,
    max_df_share: float,
) -> tuple[list[str], list[float]]:
    """The expanded query as (terms, weights): ``query`` the analysed query terms,
    ``feedback`` (passage text, first-stage score) best first, ``df_share`` the share of the
    index's chunks holding a term.

    >>> rm3(["pump"], [("pump valve valve", 2.0)], lambda t: 0.01, terms=1, original_weight=0.5, max_df_share=0.1)
    (['pump', 'valv'], [0.5, 0.5])
    """
    model: Counter[str] = Counter()
    for text, score in feedback:
        counts = Counter(t for t in analyze(text) if _usable(t))
        length = sum(counts.values())
        if not length or score <= 0:
            continue
        for t, n in counts.items():
            model[t] += n / length * score
    ranked = [(t, w) for t, w in model.most_common() if df_share(t) <= max_df_share][:terms]
    out: dict[str, float] = {}
    for t in query:
        out[t] = out.get(t, 0.0) + original_weight / len(query)
    total = sum(w for _, w in ranked)
    for t, w in ranked if total > 0 else ():
        out[t] = out.get(t, 0.0) + (1 - original_weight) * w / total
    return list(out), list(out.values())


def _usable(term: str) -> bool:
    return MIN_TERM_CHARS <= len(term) <= MAX_TERM_CHARS and term not in STOPWORDS


def expanded_search(
    lexical: LexicalIndex,
    terms: list[str],
    depth: int,
    allowed: np.ndarray | None,
    texts: Callable[[list[int]], dict[int, str]],
    settings: RetrievalSettings,
) -> list[tuple[int, float]]:
    """BM25 (rowid, score) for ``terms``, expanded by RM3 from its own first results when
    ``settings.prf`` is on; ``texts`` reads the indexed text of chunks by rowid."""
    first = lexical.search(terms, depth, allowed)
    if not settings.prf or not first or not terms:
        return first
    top = first[: settings.prf_docs]
    by_id = texts([r for r, _ in top])
    n = max(lexical.count, 1)
    expanded, weights = rm3(
        terms,
        [(by_id.get(r, ""), s) for r, s in top],
        lambda t: lexical.df(t) / n,
        terms=settings.prf_terms,
        original_weight=settings.prf_original_weight,
        max_df_share=settings.prf_max_df_share,
    )
    return lexical.search(expanded, depth, allowed, weights)
