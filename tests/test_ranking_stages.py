"""The optional ranking stages of issue 13 (off by default; measured in
benchmarks/reports/ablation_ranking.md): RM3 feedback, per-type fusion weights, the
proximity second stage, and the weighted BM25 search they need."""

from __future__ import annotations

from pathlib import Path

import pytest

from navsearch.retrieval.feedback import rm3
from navsearch.retrieval.fusion import Fused, rrf
from navsearch.retrieval.rerank import proximity, rerank
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.store.lexical import Bm25Index

TEXTS = ["the pump valve", "the pump housing", "a membrane filter", "valve seat of a pump", "pump motor"]


def test_bm25_boosts_weigh_terms() -> None:
    index = Bm25Index.build(enumerate(TEXTS, start=1))
    plain = dict(index.search(["pump", "valv"], 5))
    boosted = dict(index.search(["pump", "valv"], 5, boosts=[1.0, 0.0]))
    assert boosted[2] == pytest.approx(plain[2])  # "the pump housing" has no valve: unchanged
    assert boosted[1] < plain[1]  # the valve's weight is gone
    assert index.df("pump") == 4 and index.df("nothing") == 0


def test_rm3_expands_with_feedback_terms_and_keeps_the_query() -> None:
    feedback = [("membrane filter membrane cartridge", 3.0), ("membrane housing", 1.0)]
    share = {"filter": 0.05, "membran": 0.05, "cartridg": 0.01, "hous": 0.5}
    terms, weights = rm3(["filter"], feedback, lambda t: share.get(t, 0.0), terms=2, original_weight=0.5, max_df_share=0.1)
    assert terms[0] == "filter" and "membran" in terms and "hous" not in terms  # too common to expand with
    assert sum(weights) == pytest.approx(1.0)
    assert dict(zip(terms, weights))["filter"] > 0.5  # the typed term, and feedback evidence for it
    # No usable feedback: the original query alone.
    assert rm3(["filter"], [], lambda t: 0.0, terms=10, original_weight=0.5, max_df_share=0.1) == (["filter"], [0.5])


def test_key_weights_replace_a_retrievers_weight_per_key() -> None:
    plain = rrf({"dense": [1, 2], "lexical": [2, 1]}, k=60)
    assert {f.key: f.score for f in plain}[1] == pytest.approx({f.key: f.score for f in plain}[2])
    weighed = rrf({"dense": [1, 2], "lexical": [2, 1]}, k=60, key_weights={"dense": {1: 0.0}})
    assert [f.key for f in weighed] == [2, 1]


def test_proximity_reorders_near_neighbours_only() -> None:
    idf = {"notifi": 1.0, "regul": 1.0}
    assert proximity("notify the regulator", idf) > proximity("notify the firm; later, tell the regulator", idf) > 0
    assert proximity("notify notify", idf) == 0.0  # one term repeated is no proximity
    fused = [Fused(1, 0.030), Fused(2, 0.029), Fused(3, 0.010)]
    texts = {1: "notify the firm", 2: "notify the regulator", 3: "notify the regulator"}
    out = rerank(fused, texts, idf, depth=2, rrf_k=60, weight=1.0)
    assert [f.key for f in out] == [2, 1, 3]  # 3 is beyond the depth: not re-scored


def test_stages_run_through_search(fake_service: NavSearch, small_corpus: Path) -> None:
    fake_service.ingest([small_corpus], progress=False)
    searcher = fake_service.searcher()
    base = [h.doc_id for h in searcher.search("pilot enterprises of patent operation", k=5).hits]
    for update in ({"prf": True}, {"rerank": "proximity"}, {"dense_weight_by_type": {"patent": 0.0, "policy": 2.0}}):
        searcher.settings = Settings().retrieval.model_copy(update=update)
        searcher._type_rows = None
        hits = searcher.search("pilot enterprises of patent operation", k=5).hits
        assert hits[0].doc_id == base[0] == "sipo-2013-27", update
