"""The English-Chinese query set (benchmarks/data/en_zh_queries.jsonl) names clauses that
exist in the bundled corpus, and each query is in the other language than its answer."""

from __future__ import annotations

import json
import re
from pathlib import Path

from navsearch.ingest.registry import iter_files, parser_for

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "benchmarks" / "data" / "en_zh_queries.jsonl"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_gold_clause_is_in_the_bundled_corpus() -> None:
    rows = [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 30
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["query"] for r in rows}) == len(rows)
    langs = [r["lang"] for r in rows]
    assert min(langs.count("en"), langs.count("zh")) >= 0.4 * len(rows)  # roughly half each way
    docs = {}
    for path in iter_files([ROOT / "corpus"]):
        for doc in parser_for(path)(path):
            docs[doc.doc_id] = doc
    for r in rows:
        doc = docs.get(r["doc_id"])
        assert doc is not None, r
        if r["path"] is not None:
            assert r["path"] in {s.path for s in doc.sections}, r
        # Cross-language: a Chinese question answered in English text and the other way round.
        answer_is_chinese = bool(CJK.search(doc.text[:2000]))
        assert (r["lang"] == "zh") == bool(CJK.search(r["query"])), r
        assert answer_is_chinese == (r["lang"] == "en"), r
