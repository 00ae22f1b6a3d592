from __future__ import annotations

import json
from pathlib import Path

import pytest

from navsearch.errors import InvalidInput
from navsearch.eval.metrics import average_precision, mrr_at, ndcg_at, recall_at, score_run
from navsearch.eval.runner import evaluate, format_table, load_query_set
from navsearch.ingest.passages_jsonl import parse_passages_jsonl
from navsearch.service import NavSearch


def test_metrics_by_hand() -> None:
    rel = {"a": 1, "b": 1}
    ranking = ["x", "a", "y", "b"]
    assert recall_at(ranking, rel, 2) == 0.5 and recall_at(ranking, rel, 10) == 1.0
    assert mrr_at(ranking, rel) == 0.5
    assert average_precision(ranking, rel) == pytest.approx((1 / 2 + 2 / 4) / 2)
    ideal = 1 + 1 / 1.5849625007211563
    assert ndcg_at(ranking, rel) == pytest.approx((1 / 1.5849625007211563 + 1 / 2.321928094887362) / ideal)
    assert ndcg_at(["a", "b"], rel) == pytest.approx(1.0)
    # MAP@10 counts hits in the first 10 ranks only, over all relevant documents (trec_eval map_cut).
    late = ["a", *[f"x{i}" for i in range(10)], "b"]
    assert average_precision(late, rel, 10) == pytest.approx(1 / 2)
    assert average_precision(late, rel) == pytest.approx((1 + 2 / 12) / 2)
    scores = score_run({"q1": ranking, "q2": []}, {"q1": rel, "q2": {"c": 1}})
    assert scores["queries"] == 2 and scores["recall@100"] == 0.5
    assert scores["map@10"] == pytest.approx((1 / 2 + 2 / 4) / 2 / 2)


def _write_set(tmp_path: Path) -> tuple[Path, Path, Path]:
    q = tmp_path / "queries.jsonl"
    q.write_text("\n".join(json.dumps(r) for r in [
        {"_id": "q1", "text": "pilot enterprises of patent operation", "application_date": "2014-01-01"},
        {"_id": "q2", "text": "battery pack detachable portable computer", "application_date": "1999-01-01"},
    ]))
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\tsipo-2013-27\t1\nq2\tUS5583744\t1\n")
    excl = tmp_path / "exclude.jsonl"
    excl.write_text(json.dumps({"query-id": "q2", "exclude": ["US6078496"]}))
    return q, qrels, excl


def test_runner_on_a_real_index(fake_service: NavSearch, small_corpus: Path, tmp_path: Path) -> None:
    fake_service.ingest([small_corpus], progress=False)
    qs = load_query_set(*_write_set(tmp_path))
    assert qs.exclude == {"q2": {"US6078496"}}
    results = evaluate(fake_service.ranked_ids, qs, progress=False, modes=("lexical", "dense", "hybrid", "prior-art"))
    assert set(results) == {"lexical", "dense", "hybrid", "prior-art"}
    assert results["lexical"]["recall@100"] == 1.0  # both gold documents are found somewhere
    cut = evaluate(fake_service.ranked_ids, qs, modes=("lexical",), cutoff_field="application_date", progress=False)
    assert cut["lexical"]["recall@100"] == 1.0  # both are dated before their query's cutoff
    assert "ndcg@10" in format_table(results)


def test_query_set_errors(tmp_path: Path) -> None:
    q, qrels, _ = _write_set(tmp_path)
    qrels.write_text("q9\td\t1\n")
    with pytest.raises(InvalidInput, match="judged queries are not in"):
        load_query_set(q, qrels)
    q.write_text('{"text": "no id"}')  # a query without an id cannot be reported: the set is refused
    with pytest.raises(InvalidInput, match="needs '_id' and 'text'"):
        load_query_set(q, qrels)
    q.write_text('{"_id": "q9"}')  # one without text fails alone when run (tests/test_long_queries.py)
    assert load_query_set(q, qrels).queries == {"q9": {"_id": "q9"}}


def test_passages_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "passages.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"_id": "p1", "document_id": 1, "passage_id": "1.1.1", "text": ""},
        {"_id": "p2", "document_id": 1, "passage_id": "1.1.1.(1)", "text": "The AML Rulebook is made ..."},
    ]))
    docs = parse_passages_jsonl(path)
    assert [(d.doc_id, d.sections[0].path) for d in docs] == [("p2", "1.1.1.(1)")]
