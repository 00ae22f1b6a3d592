"""Ingestion reports, rejected files, passage context, and text rebuilt from chunk offsets."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from navsearch.api.app import create_app
from navsearch.errors import InvalidInput
from navsearch.service import NavSearch


@pytest.fixture()
def ingested(fake_service: NavSearch, small_corpus: Path) -> NavSearch:
    report = fake_service.ingest([small_corpus], progress=False)
    assert not report.failed
    return fake_service


def test_every_document_is_rebuilt_from_its_chunks(ingested: NavSearch) -> None:
    """Chunks are verbatim slices and, with the separators between them, cover the text."""
    doc_ids = [d for ids in ingested.catalog.files().values() for d in ids]
    assert len(doc_ids) == 356
    for doc_id in doc_ids:
        _, text, chunks = ingested.document(doc_id)
        covered = [False] * len(text)
        for c in chunks:
            assert text[c.start : c.end] == c.text, (doc_id, c.path)
            covered[c.start : c.end] = [True] * (c.end - c.start)
        gaps = "".join(ch for ch, ok in zip(text, covered) if not ok)
        assert gaps.strip() == "", f"{doc_id}: text outside every chunk: {gaps.strip()[:80]!r}"


def test_report_of_the_circular(ingested: NavSearch) -> None:
    r = ingested.report("sipo-2013-27")
    assert r.found["sections"]["clause"] == 27
    assert r.found["characters_in_chunks"] <= r.found["characters"]
    assert any("hyphen removed across a break: 'o-verall'" == n for n in r.changed)
    assert any("inferred as '2'" in n for n in r.changed)


def test_report_of_a_patent_with_claims(ingested: NavSearch) -> None:
    r = ingested.report("US8930553B2")
    assert r.found["claims"] >= 1 and 1 in r.found["independent_claims"]
    assert r.found["sections"]["claim"] == r.found["claims"]


def test_rejected_files_are_reported_until_fixed(ingested: NavSearch, small_corpus: Path) -> None:
    bad = small_corpus / "policy" / "empty.txt"
    bad.write_bytes(b"\xff\xfe\x00 not text\n")  # (a text without numbered clauses is a document now)
    ingested.ingest([small_corpus], progress=False)
    failures = ingested.failures()
    assert [f.path for f in failures] == ["corpus/policy/empty.txt"]
    assert failures[0].step == "read text" and "not UTF-8 text" in failures[0].error
    bad.write_text("Circular of the Office on Testing Things Properly\n\nI. Scope\n\nIt applies.\n")
    ingested.ingest([small_corpus], progress=False)
    assert ingested.failures() == []


def test_context_around_a_cited_passage(ingested: NavSearch) -> None:
    hit = ingested.search("pilot enterprises of patent operation", k=1).hits[0]
    p = hit.passages[0]
    ctx = ingested.context(hit.doc_id, p.start, p.end, window=200)
    assert ctx.passage == p.text and p.path in ctx.paths
    assert 0 < len(ctx.before) <= 200 and 0 < len(ctx.after) <= 200
    with pytest.raises(InvalidInput, match="offsets must satisfy 0 <= start < end"):
        ingested.context(hit.doc_id, 10, 5)


def test_report_and_context_over_http(ingested: NavSearch) -> None:
    with TestClient(create_app(ingested.settings, service=ingested)) as client:
        report = client.get("/documents/sipo-2013-27/report").json()
        assert report["number"] == "G. ZH. F. G. Z. [2013] No. 27" and report["changed"]
        ctx = client.get("/documents/sipo-2013-27/context", params={"start": 0, "end": 20, "window": 50}).json()
        assert ctx["passage"] == "Circular of the Stat" and ctx["before"] == ""
        bad = client.get("/documents/sipo-2013-27/context", params={"start": 5, "end": 10**9})
        assert bad.status_code == 422 and "offsets must satisfy" in bad.json()["detail"]
        assert client.get("/ingest/failures").json() == []
        assert client.get("/documents/nope/report").status_code == 404


def _all_test_files(data_dir: Path) -> list[Path]:
    from navsearch.ingest.registry import iter_files

    return [p for p in iter_files([data_dir]) if p.suffix != ".rtf" and "bad" not in p.name]


def test_every_parser_output_is_rebuilt_from_chunks(data_dir: Path) -> None:
    """Every real test file of every format: chunks are verbatim and cover all the text."""
    from navsearch.chunking.chunker import Chunker
    from navsearch.errors import NoTextLayer, ParseError
    from navsearch.ingest.registry import parse_file

    chunker = Chunker(lambda texts: [len(t.split()) + len(t) // 40 + 2 for t in texts], 200, 20)
    formats = set()
    from dataclasses import replace

    from navsearch.ingest.options import ParseOptions

    no_ocr = replace(ParseOptions.for_file("any"), ocr=False)  # OCR'd scans: tests/test_ocr.py
    for path in _all_test_files(data_dir):
        try:
            docs = parse_file(path, options=no_ocr)
        except NoTextLayer:
            continue  # image-only PDFs are reported, not indexed
        except ParseError:
            continue  # files kept to test rejections
        formats.add(path.suffix)
        for doc in docs:
            covered = [False] * len(doc.text)
            for h in doc.sections:  # heading lines are in the text, not retrieval chunks
                if h.kind == "heading":
                    covered[h.start : h.end] = [True] * (h.end - h.start)
            for c in chunker.chunk(doc):
                assert doc.text[c.start : c.end] == c.text, (path.name, doc.doc_id, c.path)
                covered[c.start : c.end] = [True] * (c.end - c.start)
            gaps = "".join(ch for ch, ok in zip(doc.text, covered) if not ok)
            assert gaps.strip() == "", f"{path.name} {doc.doc_id}: uncovered {gaps.strip()[:60]!r}"
    assert {".txt", ".jsonl", ".xml", ".json", ".md", ".pdf"} <= formats
