"""Scanned patent PDFs read by OCR (OCRmyPDF + Tesseract), and the front-page fields of
text-layer PDFs against the values printed on them.

OCR needs Debian's ocrmypdf and tesseract-ocr-eng/-chi-sim (`make ocr`; `make test`
installs them). Without them these tests fail under CI (env CI set) and are skipped
elsewhere with a message saying so; tests/test_pdf.py checks what a scan without OCR gives.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.pdf_abstracts import token_f1  # the benchmark's own score: one definition
from navsearch.filters import build_filters
from navsearch.ingest.options import OCR_NOTE, ParseOptions
from navsearch.ingest.pdf import parse_pdf
from navsearch.ingest.pdf.front_fields import FrontFields, read_front_fields, take_read_again
from navsearch.ingest.pdf.ocr import installed_languages, missing
from navsearch.service import NavSearch
from navsearch.types import Document

DATA = Path(__file__).parent / "data" / "pdf"
EXPECTED = {e["patent_id"]: e["expected_abstract"] for e in json.loads((DATA / "expected_abstracts.json").read_text())}
SCANS = ("US11762912", "US12110498")  # image-only US grants with known abstracts
CN_SCAN = "CN104766014B"  # image-only Chinese grant (its expected_abstracts.json entry describes another patent)
FRONT = {k: v for k, v in json.loads((DATA / "front_fields.json").read_text()).items() if not k.startswith("_")}


def _need_ocr() -> None:
    reason = missing() or (None if {"eng", "chi_sim"} <= installed_languages() else "Tesseract eng/chi_sim missing")
    if reason is None:
        return
    message = f"OCR is not installed here: {reason}; run `make ocr`"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI installs it (make test): a missing OCR there is a failure
    pytest.skip(message)



_cache: dict[str, Document] = {}


def _ocr(pid: str) -> Document:
    _need_ocr()
    if pid not in _cache:
        (_cache[pid],) = parse_pdf(DATA / f"{pid}.pdf", source=f"{pid}.pdf")
    return _cache[pid]


@pytest.mark.slow
@pytest.mark.parametrize("pid", SCANS)
def test_a_scanned_patent_is_read_by_ocr(pid: str) -> None:
    doc = _ocr(pid)
    abstract = next(s for s in doc.sections if s.kind == "abstract")
    f1 = token_f1(abstract.text, EXPECTED[pid])
    print(f"{pid}: abstract token F1 after OCR = {f1:.3f}")
    assert f1 >= 0.9
    assert doc.doc_type == "patent" and doc.publication_date is not None
    assert doc.notes[0].startswith(f"{OCR_NOTE} pages 1-2 read by Tesseract (eng+chi_sim)")
    # Every citation of OCR'd text says so.
    assert all((s.location or "").endswith("(OCR)") for s in doc.sections if s.page in (1, 2))


@pytest.mark.slow
def test_a_scanned_chinese_patent_is_read_by_ocr() -> None:
    doc = _ocr(CN_SCAN)
    assert doc.doc_type == "patent" and doc.language == "zh"
    abstract = next(s for s in doc.sections if s.kind == "abstract")
    # Printed under "(57)摘要": "本申请公开了一种恶意网址检测方法和系统".
    assert "本申请公开了一种恶意网址检测方法" in abstract.text
    assert any(s.kind == "claim" for s in doc.sections) or "权利要求" in doc.text
    # Its front page: "(22)申请日 2015.04.30", "(51)Int.Cl. G06F 21/56".
    assert doc.application_date is not None and doc.application_date.isoformat() == "2015-04-30"
    assert doc.ipc[:1] == ["G06F21/56"]


@pytest.mark.slow
def test_the_ingestion_report_says_ocr_was_used(tmp_path: Path, fake_service: NavSearch) -> None:
    _need_ocr()
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / f"{SCANS[1]}.pdf").write_bytes((DATA / f"{SCANS[1]}.pdf").read_bytes())
    report = fake_service.ingest([folder], progress=False)
    (row,) = report.files
    assert (row.status, row.format, row.kinds, row.ocr) == ("indexed", "pdf", ["patent"], True)
    hit = fake_service.search("exogenous landing pads genome integration", k=1).hits[0]
    assert hit.doc_id == SCANS[1] and (hit.passages[0].location or "").endswith("(OCR)")


def _front(pid: str) -> dict[str, str | None]:
    (doc,) = parse_pdf(DATA / f"{pid}.pdf", source=f"{pid}.pdf")
    return {
        "application_date": doc.application_date.isoformat() if doc.application_date else None,
        "priority_date": doc.priority_date.isoformat() if doc.priority_date else None,
        "assignee": doc.assignee,
        "ipc_first": doc.ipc[0] if doc.ipc else None,
    }


def test_front_page_fields_match_the_printed_values() -> None:
    """benchmarks/pdf_front_fields.py runs this over all 14 text-layer PDFs."""
    hits = total = 0
    misses = []
    for pid, expected in FRONT.items():
        got = _front(pid)
        for field, value in expected.items():
            total += 1
            hits += got[field] == value
            if got[field] != value:
                misses.append((pid, field, got[field], value))
    print(f"front-page fields: {hits}/{total} exact; misses: {misses}")
    # The text layer's (OCR by the publisher) misreadings: "UNIVERSITE DAIX" (its
    # apostrophe lost), "H02.7/00" (J read as a dot) and "G06F 7700" (1 and / lost). The
    # codes are read again from the printed page when OCR is installed (test below); a
    # code that parses nowhere is left out, never guessed: no IPC miss is a wrong code.
    assert hits / total >= 0.85
    assert all(got is None for _, field, got, _ in misses if field == "ipc_first")


GARBLED_IPC = ("US8427103", "US20090043621A1")  # text layer: "H02.7/00", "G06F 7700"


@pytest.mark.slow
@pytest.mark.parametrize("pid", GARBLED_IPC)
def test_a_malformed_front_page_code_is_read_again_by_ocr(pid: str) -> None:
    doc = _ocr(pid)  # default options: OCR on
    assert doc.ipc[:1] == [FRONT[pid]["ipc_first"]]
    assert any(note.startswith("front page: ipc read by OCR of page 1 (Tesseract)") for note in doc.notes)
    assert not any("no IPC code could be read" in note for note in doc.notes)
    # Only the malformed field is taken from the OCR text; the rest stays the text layer's.
    assert doc.application_date is not None and doc.application_date.isoformat() == FRONT[pid]["application_date"]


@pytest.mark.parametrize("pid", GARBLED_IPC)
def test_a_malformed_front_page_code_is_left_out_when_ocr_is_off(pid: str) -> None:
    off = replace(ParseOptions.for_file(f"{pid}.pdf"), ocr=False)
    (doc,) = parse_pdf(DATA / f"{pid}.pdf", source=f"{pid}.pdf", options=off)
    assert doc.ipc == []
    assert "front page: ipc malformed in the text layer; not read again (OCR is off or the page is OCR'd)" in doc.notes


def test_a_well_formed_front_page_is_not_read_again() -> None:
    (doc,) = parse_pdf(DATA / "US11190026.pdf", source="US11190026.pdf")
    assert doc.ipc[:1] == [FRONT["US11190026"]["ipc_first"]]
    assert not any("read by OCR" in note or "malformed" in note for note in doc.notes)


def test_a_field_malformed_both_ways_is_not_guessed() -> None:
    text = "(22) Filed: Sep. 19, 2008\n(51) Int. Cl.\n{code} (2006.01)\n(52) U.S. Cl.\n"
    layer = read_front_fields(text.format(code="H02.7/00"))
    assert layer.ipc == [] and layer.malformed == {"ipc": "H02.7/00 (2006.01)"}
    notes = take_read_again(layer, read_front_fields(text.format(code="H0Z.7/00")), "OCR")
    assert layer.ipc == [] and "left as read" in notes[0]
    notes = take_read_again(layer, read_front_fields(text.format(code="Ho2J 7/00")), "OCR")
    assert layer.ipc == ["H02J7/00"] and notes == ["front page: ipc read by OCR: the text layer has 'H02.7/00 (2006.01)'"]
    assert take_read_again(FrontFields(), layer, "OCR") == []


def test_pdf_patents_answer_ipc_filters_and_application_cutoffs(tmp_path: Path, fake_service: NavSearch) -> None:
    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "US11029680.pdf").write_bytes((DATA / "US11029680.pdf").read_bytes())
    fake_service.ingest([folder], progress=False)
    query = "industrial internet of things data collection"
    assert [h.doc_id for h in fake_service.search(query, filters=build_filters(ipc=["G05B23"])).hits] == ["US11029680"]
    assert fake_service.search(query, filters=build_filters(ipc=["H01M"])).hits == []
    filed = build_filters(date_field="application", date_from="2018-09-26", date_to="2018-09-26")
    assert [h.doc_id for h in fake_service.search(query, filters=filed).hits] == ["US11029680"]
    before = build_filters(date_field="application", date_to="2018-09-25")
    assert fake_service.search(query, filters=before).hits == []
