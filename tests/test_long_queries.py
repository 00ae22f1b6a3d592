"""Long queries (a whole case description, a claim set) and bad queries: search reads
them within bounded cost, and evaluation reports a bad query and goes on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import DATA
from navsearch.errors import InvalidInput
from navsearch.eval.runner import evaluate, format_table, load_query_set
from navsearch.retrieval.long_query import lexical_terms, query_vector, query_windows
from navsearch.service import NavSearch
from navsearch.settings import RetrievalSettings, Settings
from navsearch.store.lexical import Bm25Index
from navsearch.terms import query_terms

CHARS = 20_000


def case_description() -> str:
    """A 20,000-character 'case description' of real text: the SIPO circulars, then an
    ADGM rulebook the index does not hold."""
    text = (DATA / "policy" / "sipo-circulars-2013.txt").read_text(encoding="utf-8")
    text += "\n\n" + (DATA / "adgm" / "AML_VER09.211223.txt").read_text(encoding="utf-8")
    return text[:CHARS]


def test_windows_fit_the_real_encoder_and_are_bounded(real_embedder) -> None:
    text = case_description()
    windows = query_windows(text, real_embedder, 8)
    assert len(windows) == 8  # 20k characters need more than 8 windows: the cap holds
    assert max(real_embedder.count_tokens(windows)) <= real_embedder.max_tokens
    assert text.startswith(windows[0][:200])  # consecutive, from the start
    assert windows[1][:100] in text and text.index(windows[1][:100]) > len(windows[0]) // 2
    assert query_windows("pilot enterprises", real_embedder, 8) == ["pilot enterprises"]
    mean = query_vector(text, real_embedder, RetrievalSettings(long_query_dense="windows"))
    head = query_vector(text, real_embedder, RetrievalSettings(long_query_dense="head"))
    assert np.isclose(np.linalg.norm(mean), 1.0, atol=1e-5)
    assert not np.allclose(mean, head)  # the windows after the first count
    np.testing.assert_allclose(head, real_embedder.embed(windows[:1])[0], atol=1e-5)


def test_long_query_keeps_its_most_informative_terms() -> None:
    lexical = Bm25Index.build(enumerate(
        ["the valve of the pump", "the pump housing", "a membrane filter", "the valve seat", "a pump motor"], start=1
    ))
    # "membrane" is rare and repeated; "pump" is common; the filler words are in no chunk, so match nothing.
    query = "pump membrane membrane " + " ".join(f"word{i}" for i in range(10)) + " valve"
    assert lexical_terms(query, lexical, 2) == ["membran", "valv"]  # in the query's order
    assert lexical_terms(query, lexical, 4)[:3] == ["pump", "membran", "word0"]  # then terms no chunk holds
    assert lexical_terms("valve of the pump", lexical, 3) == query_terms("valve of the pump")  # short: as before


def test_search_reads_a_20k_character_query(fake_service: NavSearch, small_corpus: Path) -> None:
    fake_service.ingest([small_corpus], progress=False)
    result = fake_service.search(case_description(), k=3)
    assert result.hits and result.hits[0].doc_id.startswith("sipo-2013")
    limit = fake_service.settings.api.max_search_chars
    with pytest.raises(InvalidInput, match=f"the limit is {limit}"):
        fake_service.search("pilot " * (limit // 6 + 1))
    with pytest.raises(InvalidInput, match="the limit is 4000"):  # questions keep the shorter limit
        fake_service.ask("How many pilot enterprises? " * 150)


def _query_set(tmp_path: Path) -> tuple[Path, Path]:
    q = tmp_path / "queries.jsonl"
    rows = [
        {"_id": "long", "text": case_description()},
        {"_id": "short", "text": "pilot enterprises of patent operation"},
        {"_id": "excluded-only", "text": "-pilot -patent"},
        {"_id": "empty", "text": "   "},
        {"_id": "no-text"},
    ]
    q.write_text("\n".join(json.dumps(r) for r in rows))
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\n" + "".join(f"{r['_id']}\tsipo-2013-27\t1\n" for r in rows))
    return q, qrels


def test_eval_reports_bad_queries_and_scores_the_rest(fake_service: NavSearch, small_corpus: Path, tmp_path: Path) -> None:
    fake_service.ingest([small_corpus], progress=False)
    results = evaluate(fake_service.ranked_ids, load_query_set(*_query_set(tmp_path)), modes=("hybrid", "prior-art"), progress=False)
    hybrid = results["hybrid"]
    assert hybrid["queries"] == 2 and hybrid["failed"] == 3
    assert set(hybrid["failed_queries"]) == {"excluded-only", "empty", "no-text"}
    assert "no words to search for" in hybrid["failed_queries"]["excluded-only"]
    assert hybrid["recall@100"] == 1.0  # the long query and the short one both find the circular
    # The prior-art ranking reads the long query too, and an idea's "-word" as prose, not an operator.
    assert set(results["prior-art"]["failed_queries"]) == {"empty", "no-text"}
    table = format_table(results)
    assert "failed (hybrid) empty: query is empty" in table


def test_eval_command_finishes_and_writes_its_results(small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from navsearch.cli import app

    monkeypatch.setenv("NAVSEARCH_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("NAVSEARCH_EMBEDDING__BACKEND", "hashing")
    NavSearch(Settings()).ingest([small_corpus / "policy"], progress=False)
    queries, qrels = _query_set(tmp_path)
    out = tmp_path / "eval.json"
    done = CliRunner().invoke(app, ["eval", "--queries", str(queries), "--qrels", str(qrels), "--mode", "hybrid", "--out", str(out)])
    assert done.exit_code == 0, (done.output, done.exception)
    assert "failed (hybrid) no-text" in done.output
    written = json.loads(out.read_text())["results"]["hybrid"]
    assert written["queries"] == 2 and sorted(written["failed_queries"]) == ["empty", "excluded-only", "no-text"]
