"""PDF parser: real patent PDFs in tests/data/pdf, synthetic PDFs for structure and errors.

The real files were copied from /work/shared/data/patents/pdf with their abstracts
(tests/data/pdf/expected_abstracts.json); nothing here reads /work/shared.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from navsearch.errors import NoTextLayer, ParseError
from navsearch.ingest.pdf import join_lines, parse_pdf, pdf_has_text_layer
from navsearch.types import Document

DATA = Path(__file__).parent / "data" / "pdf"
EXPECTED = {e["patent_id"]: e["expected_abstract"] for e in json.loads((DATA / "expected_abstracts.json").read_text())}
IMAGE_ONLY = "US11762912"
WITH_TEXT = sorted(pid for pid in EXPECTED if pid != IMAGE_ONLY)


def token_f1(got: str, expected: str) -> float:
    """Bag-of-words F1 over lower-cased alphanumeric tokens."""
    a, b = Counter(re.findall(r"[a-z0-9]+", got.lower())), Counter(re.findall(r"[a-z0-9]+", expected.lower()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


_cache: dict[str, Document] = {}


def _doc(pid: str) -> Document:
    if pid not in _cache:
        (_cache[pid],) = parse_pdf(DATA / f"{pid}.pdf", source=f"{pid}.pdf")
    return _cache[pid]


def _abstract(doc: Document) -> str:
    return next(s.text for s in doc.sections if s.kind == "abstract")


# ---------------------------------------------------------------------------
# Real PDFs


@pytest.mark.parametrize("pid", WITH_TEXT)
def test_abstract_matches_expected(pid: str) -> None:
    assert token_f1(_abstract(_doc(pid)), EXPECTED[pid]) >= 0.9


@pytest.mark.parametrize("pid", WITH_TEXT)
def test_offsets_exact_and_pages_in_range(pid: str) -> None:
    doc = _doc(pid)
    pages = len(PdfReader(DATA / f"{pid}.pdf").pages)
    assert doc.sections
    for s in doc.sections:
        assert doc.text[s.start : s.end] == s.text
        assert s.page is not None and 1 <= s.page <= pages
    assert next(s for s in doc.sections if s.kind == "abstract").page == 1


@pytest.mark.parametrize("pid", WITH_TEXT)
def test_metadata_from_file_name_and_front_page(pid: str) -> None:
    doc = _doc(pid)
    assert (doc.doc_id, doc.number, doc.jurisdiction, doc.language) == (pid, pid, "US", "en")
    assert doc.title and doc.title.isupper()
    assert doc.publication_date is not None
    assert doc.notes[0].startswith("joined ") and "header/footer lines" in doc.notes[0]


def test_front_page_fields() -> None:
    doc = _doc("US9545412")
    assert doc.title == "COMPOSITION AND METHODS USED DURING ANT-HIV TREATMENT"  # the OCR's "ANT"
    assert doc.publication_date == date(2017, 1, 17)
    assert _doc("US20090043621A1").publication_date == date(2009, 2, 12)  # "(43) Pub. Date:"


def test_interleaved_columns_are_separated() -> None:
    # The OCR layer runs the left column into the abstract line by line
    # ("(76) Inventor: David Kershaw, (US) workers, their managers, ...").
    abstract = _abstract(_doc("US20090043621A1"))
    assert abstract.startswith("The invention is an application for teams of information workers")
    assert "Kershaw" not in abstract and "Appl. No" not in abstract


def test_abstract_continued_on_page_2() -> None:
    doc = _doc("US11029680")
    assert _abstract(doc).endswith("in response to the comparison.")
    assert "abstract continued on page 2" in doc.notes
    # The continuation is the abstract's, not page 2's bibliographic text.
    page2 = next(s for s in doc.sections if s.path == "p. 2")
    assert "in response to the comparison" not in page2.text


def test_ocr_dropped_hyphens_are_rejoined() -> None:
    abstract = _abstract(_doc("US9545412"))
    assert "This invention is" in abstract  # OCR: "This inven" / "tion is"
    assert "a mixture including" in abstract  # "mix" / "ture"
    assert "anti-HIV treatment" in abstract


def test_image_only_pdf_raises_no_text_layer() -> None:
    path = DATA / f"{IMAGE_ONLY}.pdf"
    assert not pdf_has_text_layer(path)
    with pytest.raises(NoTextLayer) as info:
        parse_pdf(path, source=f"{IMAGE_ONLY}.pdf")
    assert info.value.source == f"{IMAGE_ONLY}.pdf"
    assert info.value.step == "extract text"
    assert info.value.reason == "no text layer on any of 2 pages (scanned images?); OCR it first"


def test_has_text_layer() -> None:
    assert all(pdf_has_text_layer(DATA / f"{pid}.pdf") for pid in WITH_TEXT)


# ---------------------------------------------------------------------------
# De-hyphenation


def test_join_lines_rejoins_words_broken_at_line_end() -> None:
    assert join_lines(["a pa-", "tent office"]) == ("a patent office", 1)
    assert join_lines(["the inven", "tion is"]) == ("the invention is", 1)  # hyphen lost by OCR


def test_join_lines_keeps_true_compounds() -> None:
    assert join_lines(["a market-", "based approach"]) == ("a market-based approach", 0)
    assert join_lines(["non-volatile", "memory"]) == ("non-volatile memory", 0)
    assert join_lines(["an anti-", "HIV agent"]) == ("an anti-HIV agent", 0)
    vocab = frozenset({"non-volatile", "non", "volatile"})
    assert join_lines(["the non-", "volatile memory"], vocab) == ("the non-volatile memory", 0)


def test_join_lines_uses_document_vocabulary() -> None:
    # Joined when the document spells the word whole, even for a compound tail ...
    assert join_lines(["the side-", "ways motion"], frozenset({"sideways"})) == ("the sideways motion", 1)
    # ... and two real words stay apart unless the document writes them as one.
    assert join_lines(["the main", "tains"], frozenset()) == ("the main tains", 0)
    assert join_lines(["it main", "tains"], frozenset({"maintains"})) == ("it maintains", 1)
    assert join_lines(["a semi", "passive one"], frozenset({"semi-passive"})) == ("a semi-passive one", 1)


# ---------------------------------------------------------------------------
# Synthetic PDFs: structure, cleaning, errors


def _pdf(pages: list[list[tuple[float, float, str]]]) -> bytes:
    """A letter-size PDF in Courier 10 pt; each page a list of (x, y, text) lines."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, filled in below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for lines in pages:
        content = "".join(f"BT /F1 10 Tf {x} {y} Td ({esc(t)}) Tj ET\n" for x, y, t in lines).encode("cp1252")
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


FRONT = [
    (72, 740, "(12) United States Patent"),
    (72, 720, "(10) Patent No.: US 1,234,567 B2"),
    (72, 705, "(45) Date of Patent: Jan. 7, 2014"),
    (72, 680, "(54) WIDGET WITH A SPRING"),
    (72, 640, "(57) ABSTRACT"),
    (72, 625, "A widget has a spring held in a hous-"),
    (72, 612, "ing so that the widget is market-"),
    (72, 599, "based and non-volatile."),
    (72, 570, "3 Claims, 1 Drawing Sheet"),
]
BODY = [
    (250, 700, "BACKGROUND"),
    (90, 680, "Widgets are used in many devices. A widget"),
    (72, 667, "needs a spring."),
    (90, 654, "The spring is held in a hous-"),
    (72, 641, "ing that protects it."),
    (90, 628, "What is claimed is:"),
    (90, 615, "1. A widget comprising a spring."),
    (90, 602, "2. The widget of claim 1, wherein the"),
    (72, 589, "spring is steel."),
]
LAST = [(90, 700, "3. The widget according to claim 2, wherein the steel"), (72, 687, "is stainless.")]


def _header(page: int) -> list[tuple[float, float, str]]:
    return [(250, 760, "US 1,234,567 B2"), (300, 40, str(page))]


@pytest.fixture()
def synthetic(tmp_path: Path) -> Path:
    path = tmp_path / "US1234567.pdf"
    path.write_bytes(_pdf([FRONT, _header(2) + BODY, _header(3) + LAST]))
    return path


def test_synthetic_patent_structure(synthetic: Path) -> None:
    (doc,) = parse_pdf(synthetic, source="US1234567.pdf")
    assert (doc.doc_id, doc.jurisdiction, doc.title) == ("US1234567", "US", "WIDGET WITH A SPRING")
    assert doc.publication_date == date(2014, 1, 7)
    by_path = {s.path: s for s in doc.sections}
    assert by_path["abstract"].text == "A widget has a spring held in a housing so that the widget is market-based and non-volatile."
    assert by_path["p. 2 ¶1"].text == "Widgets are used in many devices. A widget needs a spring."
    assert by_path["p. 2 ¶2"].text == "The spring is held in a housing that protects it."
    assert by_path["p. 2 ¶2"].heading == "BACKGROUND"
    claims = [s for s in doc.sections if s.kind == "claim"]
    assert [(c.path, c.claim_number, c.parent_claim, c.page) for c in claims] == [
        ("claim 1", 1, None, 2),
        ("claim 2", 2, 1, 2),
        ("claim 3", 3, 2, 3),
    ]
    assert claims[2].text == "3. The widget according to claim 2, wherein the steel is stainless."
    assert "US 1,234,567 B2" not in doc.text.split("\n\n", 2)[2]  # running headers gone after the front page
    assert doc.notes[0] == "joined 2 hyphenated words; removed 4 header/footer lines"
    for s in doc.sections:
        assert doc.text[s.start : s.end] == s.text


def test_unstructured_pdf_falls_back_to_pages(synthetic: Path) -> None:
    (doc,) = parse_pdf(synthetic, doc_type="policy")
    assert [(s.kind, s.path, s.page) for s in doc.sections] == [("page", f"p. {n}", n) for n in (1, 2, 3)]
    assert doc.jurisdiction is None and doc.number is None
    assert "structure not detected: one section per page" in doc.notes


def test_corrupt_file_raises_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(os.urandom(64))
    with pytest.raises(ParseError) as info:
        parse_pdf(path, source="broken.pdf")
    assert info.value.source == "broken.pdf" and info.value.step == "open PDF"
    assert str(info.value).startswith("broken.pdf: open PDF: ")


def test_encrypted_file_raises_parse_error(synthetic: Path, tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=synthetic)
    writer.encrypt("secret", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(ParseError) as info:
        parse_pdf(path, source="locked.pdf")
    assert (info.value.source, info.value.step) == ("locked.pdf", "decrypt")


def test_numbered_paragraphs_keep_their_numbers(tmp_path: Path) -> None:
    body = [
        (72, 700, "[0001] Widgets are used in many devices and each"),
        (72, 687, "one of them needs a spring."),
        (72, 674, "[0002] The spring is held in a hous-"),
        (72, 661, "ing that protects it."),
        (90, 640, "What is claimed is:"),
        (90, 627, "1. A widget comprising a spring."),
    ]
    path = tmp_path / "US20140001234A1.pdf"
    path.write_bytes(_pdf([FRONT, body]))
    (doc,) = parse_pdf(path)
    paths = [(s.kind, s.path, s.page) for s in doc.sections]
    assert paths == [
        ("abstract", "abstract", 1),
        ("text", "p. 1", 1),
        ("description", "[0001]", 2),
        ("description", "[0002]", 2),
        ("claim", "claim 1", 2),
    ]
    assert doc.sections[3].text == "[0002] The spring is held in a housing that protects it."
