"""IR metrics over one ranked list and a set of graded relevance judgements (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def recall_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    rel = {d for d, g in relevant.items() if g > 0}
    if not rel:
        return 0.0
    return len(rel.intersection(ranking[:k])) / len(rel)


def ndcg_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains (the BEIR / trec_eval convention)."""
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:k]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranking[:k]):
        if relevant.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def average_precision(ranking: Sequence[str], relevant: Mapping[str, int], k: int | None = None) -> float:
    """AP over the first ``k`` ranks (all of the ranking given when None: MAP@depth when
    averaged). Divided by the number of relevant documents, not by min(k, that number):
    trec_eval's map_cut_k, which BEIR and the ObliQA paper's MAP@10 use."""
    rel = {d for d, g in relevant.items() if g > 0}
    if not rel:
        return 0.0
    hits = 0
    total = 0.0
    for i, d in enumerate(ranking if k is None else ranking[:k]):
        if d in rel:
            hits += 1
            total += hits / (i + 1)
    return total / len(rel)


def score_run(run: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """Mean metrics over the queries that have judgements (a query with no result scores 0)."""
    queries = [q for q in qrels if any(g > 0 for g in qrels[q].values())]
    if not queries:
        raise ValueError("no query has a relevant document in the qrels")
    sums = {"recall@10": 0.0, "recall@100": 0.0, "ndcg@10": 0.0, "mrr@10": 0.0, "map@10": 0.0, "map": 0.0}
    for q in queries:
        ranking, rel = run.get(q, []), qrels[q]
        sums["recall@10"] += recall_at(ranking, rel, 10)
        sums["recall@100"] += recall_at(ranking, rel, 100)
        sums["ndcg@10"] += ndcg_at(ranking, rel, 10)
        sums["mrr@10"] += mrr_at(ranking, rel, 10)
        sums["map@10"] += average_precision(ranking, rel, 10)
        sums["map"] += average_precision(ranking, rel)
    return {name: value / len(queries) for name, value in sums.items()} | {"queries": len(queries)}
