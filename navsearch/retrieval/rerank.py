"""A cheap second stage: how close together a query's terms occur in a passage (pure).

BM25 scores each term on its own; a passage where "notify" and "regulator" stand side
by side answers "notify the regulator" better than one where they are pages apart. The
proximity score is the core of Büttcher's BM25TP: for each pair of neighbouring
occurrences of two different query terms, the sum of their idf over the squared
distance in words. The fused top passages are ranked by it, and that ranking joins the
fusion as a third list (RRF), so it reorders near neighbours and cannot bury a passage
both retrievers put first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from navsearch.retrieval.fusion import Fused
from navsearch.terms import analyze


def proximity(text: str, idf: Mapping[str, float]) -> float:
    """BM25TP's term-proximity accumulator of one passage for the query terms in ``idf``.

    >>> proximity("notify the regulator", {"notifi": 1.0, "regul": 2.0})
    0.75
    """
    hits = [(i, t) for i, t in enumerate(analyze(text)) if t in idf]
    return sum((idf[a] + idf[b]) / (j - i) ** 2 for (i, a), (j, b) in zip(hits, hits[1:]) if a != b)


def rerank(
    fused: Sequence[Fused], texts: Mapping[int, str], idf: Mapping[str, float], *, depth: int, rrf_k: int, weight: float
) -> list[Fused]:
    """The first ``depth`` fused candidates re-fused with their proximity ranking (weight
    ``weight`` in RRF with constant ``rrf_k``); the rest follow unchanged."""
    head = list(fused[:depth])
    scores = {f.key: proximity(texts.get(f.key, ""), idf) for f in head}
    order = sorted((f for f in head if scores[f.key] > 0), key=lambda f: -scores[f.key])
    bonus = {f.key: weight / (rrf_k + rank) for rank, f in enumerate(order, start=1)}
    head = [Fused(f.key, f.score + bonus.get(f.key, 0.0), f.ranks) for f in head]
    head.sort(key=lambda f: -f.score)
    return head + list(fused[depth:])
