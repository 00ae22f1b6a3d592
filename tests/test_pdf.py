"""PDF parser: real patent PDFs in tests/data/pdf, synthetic PDFs for structure and errors.

The real files were copied from /work/shared/data/patents/pdf with their abstracts
(tests/data/pdf/expected_abstracts.json); nothing here reads /work/shared.
"""

from __future__ import annotations

from dataclasses import replace

import io
import json
import os
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from benchmarks.pdf_abstracts import token_f1  # the benchmark's own score: one definition
from navsearch.chunking.chunker import Chunker
from navsearch.citations import cite
from navsearch.errors import NoTextLayer, ParseError
from navsearch.ingest.pdf import (
    LineFit,
    PageLayout,
    Place,
    fit_line_numbers,
    gutter_line_marks,
    join_lines,
    location,
    page_number_candidates,
    parse_pdf,
    pdf_has_text_layer,
    settle_columns,
    settle_page_numbers,
)
from navsearch.ingest.options import ParseOptions
from navsearch.types import Document, DocumentMeta

DATA = Path(__file__).parent / "data" / "pdf"
EXPECTED = {e["patent_id"]: e["expected_abstract"] for e in json.loads((DATA / "expected_abstracts.json").read_text())}
IMAGE_ONLY = "US11762912"
SCANS = {IMAGE_ONLY, "US12110498"}  # no text layer: read by OCR in tests/test_ocr.py
WITH_TEXT = sorted(pid for pid in EXPECTED if pid not in SCANS)



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


def test_image_only_pdf_raises_no_text_layer_without_ocr() -> None:
    path = DATA / f"{IMAGE_ONLY}.pdf"
    assert not pdf_has_text_layer(path)
    off = replace(ParseOptions.for_file(f"{IMAGE_ONLY}.pdf"), ocr=False)
    with pytest.raises(NoTextLayer) as info:
        parse_pdf(path, source=f"{IMAGE_ONLY}.pdf", options=off)
    assert info.value.source == f"{IMAGE_ONLY}.pdf"
    assert info.value.step == "extract text"
    assert info.value.reason == "no text layer on any of 2 pages; OCR is off (ingest.ocr)"


def test_image_only_pdf_without_ocr_installed_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither ocrmypdf nor tesseract on it
    with pytest.raises(NoTextLayer) as info:
        parse_pdf(DATA / f"{IMAGE_ONLY}.pdf", source=f"{IMAGE_ONLY}.pdf")
    assert info.value.reason == (
        "no text layer on any of 2 pages (scanned images?); OCR cannot run: ocrmypdf is not installed "
        "(apt-get install ocrmypdf tesseract-ocr-eng tesseract-ocr-chi-sim)"
    )


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


def test_a_pdf_forced_to_policy_is_read_as_a_document_not_a_patent(synthetic: Path) -> None:
    (doc,) = parse_pdf(synthetic, doc_type="policy")
    assert doc.doc_type == "policy"
    assert not {s.kind for s in doc.sections} & {"abstract", "claim", "description"}
    assert doc.jurisdiction is None and doc.number is None
    assert {s.page for s in doc.sections} == {1, 2, 3}
    assert all(doc.text[s.start : s.end] == s.text for s in doc.sections)


def test_the_kind_of_a_pdf_is_read_from_its_content(synthetic: Path) -> None:
    (doc,) = parse_pdf(synthetic)  # no kind given: the front page's field codes say patent
    assert doc.doc_type == "patent"


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


# ---------------------------------------------------------------------------
# Printed locations: column and line of a US grant, printed page numbers
#
# US8427103.pdf holds pages 1, 13 and 14 of the grant. Read by hand from its text layer
# with pypdf alone (extract_text(visitor_text=...); y in points, up), line = the mark's
# number plus the distance below it in line pitches (the marks are 9.98 points apart):
#   page 2 (the grant's page 13): "10" printed over the right column, nothing read over
#     the left one (so it is column 9). Left column: mark 35 at y 361.7; "What is claimed
#     is:" at y 351.6 (line 36.0), "1. A charging device" at y 340.2 (37.2). Right column:
#     mark 10 at y 611.3; "signal terminal." ending claim 1 at y 637.0 (7.4), "2. A
#     charging device" at y 626.5 (8.5; it is also the 8th line counted from the top of
#     the column), "connection terminal connected first." ending claim 2 at y 351.6
#     (36.0), "4. The charging device" at y 51.1 (mark 65 at y 62.2: 66.1).
#   page 3 (the grant's page 14): "11" and "12" printed over the columns; claim 4 ends
#     with "rion." at y 680.2 (3.1); "5. The charging device" at y 668.4 (4.3); claim 5
#     ends with "simultaneously." one line below the line at y 626.2 (pypdf gives the two
#     lines as one run; the parser reads its baseline at y 617.3: 9.4).
# The OCR layer's baselines wander by a point or two, so a line found half-way between
# two numbers (claim 6 starts at 10.53) could be either; such lines are not asserted.


def _section(doc: Document, path: str):
    return next(s for s in doc.sections if s.path == path)


def test_grant_claims_are_located_by_column_and_line() -> None:
    doc = _doc("US8427103")
    assert _section(doc, "claim 1").location == "col. 9, l. 37 - col. 10, l. 7"
    assert _section(doc, "claim 2").location == "col. 10, ll. 8-36"
    assert _section(doc, "claim 4").location == "col. 10, l. 66 - col. 11, l. 3"
    assert _section(doc, "claim 5").location == "col. 11, ll. 4-9"
    # The physical page stays what it was: the page the claim starts on.
    assert [(s.path, s.page) for s in doc.sections if s.path in ("claim 4", "claim 5")] == [
        ("claim 4", 2),
        ("claim 5", 3),
    ]
    assert "inferred 1 column number(s) the OCR layer did not read, from the printed ones" in doc.notes


def test_grant_description_is_located_and_front_page_is_not() -> None:
    doc = _doc("US8427103")
    last = [s for s in doc.sections if s.kind == "description"][-1]
    assert last.text.startswith("The present invention is not limited to the embodiments")
    assert last.location == "col. 9, ll. 18-35"  # ends on the line above "What is claimed is:" (36)
    assert all(s.location is not None for s in doc.sections if s.kind in ("description", "claim"))
    assert [s.location for s in doc.sections if s.kind in ("abstract", "text")] == [None, None]


@pytest.mark.parametrize("pid", ["US11029680", "US9545412", "US20090043621A1"])
def test_front_pages_print_no_location(pid: str) -> None:
    # These files hold the front page and its continuation ("Page 2") or a drawing sheet:
    # no description or claims, so nothing is located, and nothing is invented.
    assert all(s.location is None for s in _doc(pid).sections)


def test_citation_uses_the_printed_location() -> None:
    doc = _doc("US8427103")
    chunks = Chunker(lambda texts: [len(t.split()) + 2 for t in texts], max_tokens=512).chunk(doc)
    meta = DocumentMeta(doc_id=doc.doc_id, doc_type="patent", title=None, number=doc.number, source="")
    by_path = {c.path: c for c in chunks}
    assert by_path["claim 5"].location == "col. 11, ll. 4-9"
    assert cite(meta, by_path["claim 5"]) == "US8427103, claim 5, col. 11, ll. 4-9"
    # Without a printed location the physical page is cited, as before.
    assert cite(meta, by_path["abstract"]) == "US8427103, abstract, p. 1"


def test_long_section_pieces_carry_the_section_location() -> None:
    doc = _doc("US8427103")
    chunks = Chunker(lambda texts: [len(t.split()) + 2 for t in texts], max_tokens=40, overlap_tokens=8).chunk(doc)
    pieces = [c for c in chunks if c.path == "claim 1"]
    assert len(pieces) > 1
    assert {c.location for c in pieces} == {"col. 9, l. 37 - col. 10, l. 7"}


# US11190026.pdf holds pages 1 and 17 of the grant. Page 17 (its physical page 2,
# columns 11 and 12) prints the gutter line numbers 5, 10, ... 65 at x 299-308 and,
# beside the gutter at the start of lines of the right column (x 311-324), reference
# numerals that are multiples of 5 too: "50% state of charge" (y 639.6), "battery" /
# "30 may be" (y 440.4), "vehicle" / "10, the lead-acid" (y 170.5).


def _numerals(text: str) -> Counter[str]:
    return Counter(re.findall(r"\d+(?:[.,]\d+)*", text))


def test_reference_numerals_beside_the_gutter_stay_in_the_text() -> None:
    doc = _doc("US11190026")
    text = "\n".join(s.text for s in doc.sections if s.page == 2)
    assert "volts, at 50% state of charge may have a voltage of 12.2 volts, and at 100% state" in text
    assert "the first battery 28 and the second battery 30 may be partial voltage matched when" in text
    assert "coupled to the vehicle 10, the lead-acid battery 28 and the second battery 30 are" in text
    # The line numbers are still gone: the page prints each of 5, 10, ... 65 once more
    # than the parsed text holds it (once in the gutter).
    printed = _numerals(PdfReader(DATA / "US11190026.pdf").pages[1].extract_text())
    parsed = _numerals(text)
    assert {n: printed[str(n)] - parsed[str(n)] for n in range(5, 70, 5)} == {n: 1 for n in range(5, 70, 5)}
    # ... and still locate the page's paragraphs.
    paragraph = next(s for s in doc.sections if "second battery 30 may be partial" in s.text)
    assert paragraph.location == "col. 12, ll. 15-45"


@pytest.mark.parametrize("pid", ["US11190026", "US8427103"])
def test_gutter_line_numbers_stay_out_of_the_text(pid: str) -> None:
    text = _doc(pid).text
    assert not re.search(r"(?<![\d.,])(?:5 10|10 15|15 20|55 60|60 65)(?![\d.,%])", text)


APP_FRONT = [
    (72, 740, "(19) United States"),
    (72, 725, "(12) Patent Application Publication"),
    (72, 705, "(43) Pub. Date: Jan. 2, 2014"),
    (72, 680, "(54) WIDGET WITH A SPRING"),
    (72, 640, "(57) ABSTRACT"),
    (72, 625, "A widget has a spring held in a housing."),
]
_FILLER = "the spring of the widget is held in a housing that protects it from dust and wear".split()


def _app_page(printed: int | None, lines: dict[int, tuple[float, str]]) -> list[tuple[float, float, str]]:
    """A two-column body page of an application publication: the running header, the
    printed page number centred under it, 25 lines a column (``lines`` replaces some,
    by index: 0-24 left, 25-49 right)."""
    out: list[tuple[float, float, str]] = [(72, 760, "US 2014/0001234 A1"), (460, 760, "Jan. 2, 2014")]
    if printed is not None:
        out.append((303, 745, str(printed)))
    for i in range(50):
        x, y = (72 if i < 25 else 320), 700 - 12 * (i % 25)
        text = " ".join(_FILLER[i % 5 :][:5])
        if i in lines:
            x, text = lines[i]
        out.append((x, y, text))
    return out


def test_application_paragraphs_are_located_by_printed_page(tmp_path: Path) -> None:
    pages = [
        APP_FRONT,
        # "5" centred under the header is where gutter line numbers sit: it must still be
        # read as the page number.
        _app_page(5, {0: (72, "[0001] The widget has a spring"), 10: (72, "[0002] The spring is held in a")}),
        _app_page(6, {0: (72, "and wear of the widget."), 1: (72, "[0003] The housing of the widget")}),
        _app_page(
            None, {0: (72, "held in it."), 1: (90, "What is claimed is:"), 2: (90, "1. A widget comprising a spring")}
        ),
    ]
    path = tmp_path / "US20140001234A1.pdf"
    path.write_bytes(_pdf(pages))
    (doc,) = parse_pdf(path)
    located = [(s.path, s.page, s.location) for s in doc.sections if s.kind in ("description", "claim")]
    assert located == [
        ("[0001]", 2, "p. 5"),
        ("[0002]", 2, "pp. 5-6"),  # runs on to the top of the next page
        ("[0003]", 3, "p. 6"),
        ("claim 1", 4, None),  # the page prints no number: none is invented
    ]


def test_synthetic_patent_is_located_by_its_footer_page_numbers(synthetic: Path) -> None:
    (doc,) = parse_pdf(synthetic, source="US1234567.pdf")
    # Its pages print "2" and "3" at the bottom: a footer page number on two pages.
    assert {s.path: s.location for s in doc.sections if s.kind == "claim"} == {
        "claim 1": "p. 2",
        "claim 2": "p. 2",
        "claim 3": "p. 3",
    }


def test_fit_line_numbers_ignores_numerals_near_the_gutter() -> None:
    marks = [(5, 660.0), (10, 610.0), (15, 560.0), (30, 590.0), (20, 510.0)]  # "30": "battery 30"
    fit, off = fit_line_numbers(marks, pitch=10.0)
    assert off == [3]
    assert fit is not None and (fit.line_at(700.0), fit.line_at(600.0), fit.line_at(41.0)) == (1, 11, 67)
    assert fit_line_numbers([(10, 610.0), (15, 600.0)], pitch=10.0) == (None, [0, 1])  # 5 lines in 10 points
    assert fit_line_numbers([(10, 610.0)], pitch=10.0) == (None, [0])


def test_gutter_line_marks_are_on_the_numbering_and_on_the_gutter_axis() -> None:
    # (number, y, x0, x1). The marks are centred at x 303; "30" ("battery 30") starts a
    # line of the right column; "10" at y 600.5, a table cell ending a line of the left
    # column, is within a line of where the numbering puts 10 but not on the gutter's axis.
    marks = [
        (5, 660.0, 300.0, 305.5),
        (10, 610.0, 299.0, 308.0),
        (15, 560.0, 299.0, 307.7),
        (30, 590.0, 311.3, 323.9),
        (20, 510.0, 298.6, 308.3),
        (10, 600.5, 292.1, 301.4),
    ]
    fit, text = gutter_line_marks(marks, pitch=10.0)
    assert text == [3, 5]
    # The table cell does not pull the numbering: it is fitted to the marks alone.
    assert fit == fit_line_numbers([(n, y) for n, y, _, _ in marks[:3] + marks[4:5]], pitch=10.0)[0]
    assert gutter_line_marks([(10, 610.0, 299.0, 308.0)], pitch=10.0) == (None, [0])


def test_settle_columns_infers_only_from_printed_numbers() -> None:
    readings = {9: (1, 2), 10: (None, 4), 11: (None, None), 12: (7, 8), 13: (9, 12), 14: (None, None), 15: (None, 7)}
    settled, inferred = settle_columns(readings)
    # 10: from its right column; 11: both neighbours agree; 13: "12" breaks the pairing,
    # a misreading; 14: no neighbour after it to agree; 15: a right column is never odd.
    assert settled == {9: (1, 2), 10: (3, 4), 11: (5, 6), 12: (7, 8)}
    assert inferred == 3


def test_page_numbers_need_confirmation_unless_explicit() -> None:
    assert page_number_candidates("US 2009/0043621 A1 Feb. 12, 2009 3") == [(3, False)]
    assert page_number_candidates("U.S. Patent Nov. 30, 2021 Sheet 1 of 7 US 11,190,026 B2") == []
    assert page_number_candidates("Page 2") == [(2, True)]
    assert page_number_candidates("1/8") == [(1, True)]
    assert page_number_candidates("9/8") == []
    # One bare number on one page is not enough; the same offset on two pages is.
    assert settle_page_numbers({4: [(17, False)]}) == {}
    assert settle_page_numbers({4: [(3, False), (2009, False)], 5: [(4, False), (2009, False)], 6: []}) == {4: 3, 5: 4}
    assert settle_page_numbers({2: [(2, True)]}) == {2: 2}


def test_location_strings() -> None:
    fit = LineFit(intercept=70.0, slope=-0.1)  # line 1 at y 690, line 65 at y 50
    grant = {3: PageLayout(columns=(5, 6), lines=fit), 4: PageLayout(columns=(7, 8))}
    assert location(Place(3, 0, 600.0), Place(3, 0, 450.0), grant) == "col. 5, ll. 10-25"
    assert location(Place(3, 0, 600.0), Place(3, 0, 600.0), grant) == "col. 5, l. 10"
    assert location(Place(3, 0, 100.0), Place(3, 1, 650.0), grant) == "col. 5, l. 60 - col. 6, l. 5"
    assert location(Place(4, 0, 600.0), Place(4, 0, 450.0), grant) == "col. 7"  # no gutter marks read
    assert location(Place(4, 0, 600.0), Place(4, 1, 450.0), grant) == "cols. 7-8"
    printed = {2: PageLayout(printed_page=3), 3: PageLayout(printed_page=4), 4: PageLayout()}
    assert location(Place(2, 0, 600.0), Place(3, 0, 450.0), printed) == "pp. 3-4"
    assert location(Place(4, 0, 600.0), Place(4, 0, 450.0), printed) is None
    assert location(None, None, printed) is None
