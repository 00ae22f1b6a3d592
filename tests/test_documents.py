"""Bring your own documents: the kind read from the content, every format of a circular
giving the same clause paths, unnumbered documents cited by page and paragraph, and every
file of a folder in the ingestion report.

The policy PDF, DOCX and HTML are made here from the real SIPO circular text
(tests/data/policy), with fpdf2 and python-docx, so each test says what went in.
"""

from __future__ import annotations

import html
import os
import shutil
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from pypdf import PdfReader

from navsearch.filters import build_filters
from navsearch.ingest.circulars import parse_circulars_text
from navsearch.ingest.options import ParseOptions
from navsearch.ingest.registry import format_for, parse_file
from navsearch.service import NavSearch
from navsearch.types import Document

DATA = Path(__file__).parent / "data"
CIRCULARS = DATA / "policy" / "sipo-circulars-2013.txt"
MEMO = DATA / "docs" / "memo.txt"


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _pdf(paragraphs: list[tuple[str, bool]], out: Path) -> Path:
    """A text PDF of (text, heading) paragraphs; headings in bold, wrapped as fpdf2 wraps."""
    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"  # the circular's em dashes
    pdf.set_auto_page_break(True, 20)
    pdf.add_page()
    for text, heading in paragraphs:
        pdf.set_font("Helvetica", "B" if heading else "", 13 if heading else 11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.output(str(out))
    return out


def _paths(docs: list[Document]) -> list[list[str]]:
    return [[s.path for s in doc.sections] for doc in docs]


@pytest.fixture(scope="module")
def text_version() -> list[Document]:
    return parse_circulars_text(CIRCULARS)


def test_a_policy_pdf_is_policy_with_the_clause_paths_of_its_text(tmp_path: Path, text_version: list[Document]) -> None:
    path = _pdf([(line, False) for line in _lines(CIRCULARS)], tmp_path / "circulars.pdf")
    docs = parse_file(path, "circulars.pdf")
    assert [d.doc_type for d in docs] == ["policy", "policy"]
    assert _paths(docs) == _paths(text_version)
    assert "IV.ii.1(3)" in _paths(docs)[1]
    assert docs[1].number == "G. ZH. F. G. Z. [2013] No. 27"
    assert "read as a policy document: no patent front page or claims found" in docs[0].notes
    # Each clause's page is the page its first words are printed on.
    reader = PdfReader(path)
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    for doc in docs:
        for section in doc.sections:
            assert section.page is not None
            first_words = " ".join(section.text.split("\n")[0].split()[:3])
            assert first_words in pages[section.page - 1], section.path
    assert max(s.page or 0 for s in docs[1].sections) == len(pages) > 1


def test_docx_and_html_versions_give_the_paths_of_the_text(tmp_path: Path, text_version: list[Document]) -> None:
    lines = _lines(CIRCULARS)
    word = docx.Document()
    for line in lines:
        word.add_paragraph(line)
    word.save(str(tmp_path / "circulars.docx"))
    body = "\n".join(f"<p>{html.escape(line)}</p>" for line in lines)
    (tmp_path / "circulars.html").write_text(
        "<html><head><title>SIPO</title><script>var menu = 1;</script></head><body>"
        "<nav><a href='/'>Home page link</a></nav><main>" + body + "</main>"
        "<footer>Site footer text</footer></body></html>",
        encoding="utf-8",
    )
    for name in ("circulars.docx", "circulars.html"):
        docs = parse_file(tmp_path / name, name)
        assert _paths(docs) == _paths(text_version), name
        for got, want in zip(docs, text_version):
            assert [s.text for s in got.sections if s.kind == "clause"] == [
                s.text for s in want.sections if s.kind == "clause"
            ], name
        assert "Home page link" not in docs[0].text and "Site footer text" not in docs[-1].text


def test_word_numbering_and_headings_are_kept(tmp_path: Path) -> None:
    """Word's automatic numbering is not in the paragraph text: it is rendered as printed."""
    word = docx.Document()
    word.add_heading("Travel rules", 1)
    for text in ("Book through the office.", "Keep every receipt.", "Claim within a month."):
        word.add_paragraph(text, style="List Number")
    word.save(str(tmp_path / "rules.docx"))
    (doc,) = parse_file(tmp_path / "rules.docx")
    assert doc.title == "Travel rules" and doc.doc_type == "policy"
    assert [(s.path, s.text) for s in doc.sections if s.kind == "clause"] == [
        ("1", "1. Book through the office."),
        ("2", "2. Keep every receipt."),
        ("3", "3. Claim within a month."),
    ]


def test_an_unnumbered_memo_is_cited_by_page_and_paragraph(tmp_path: Path) -> None:
    text = MEMO.read_text(encoding="utf-8")
    (doc,) = parse_file(MEMO, "memo.txt")  # was: "no numbered clause (I., i., 1., (1))"
    assert doc.doc_type == "policy" and doc.title == "Memorandum on the Patent Navigation Pilot Work"
    headings = [s.text for s in doc.sections if s.kind == "heading"]
    assert headings[0] == "Memorandum on the Patent Navigation Pilot Work" and len(headings) >= 3
    body = [s for s in doc.sections if s.kind == "text"]
    assert [s.path for s in body[:2]] == ["¶3", "¶4"] and all(s.heading for s in body)
    assert all(doc.text[s.start : s.end] == s.text for s in doc.sections)
    # The same memo as a PDF: "p. N ¶M", where N is the page the paragraph is printed on.
    blocks = [b.replace("\n", " ") for b in text.split("\n\n") if b.strip()]
    pdf = _pdf([(b, len(b) < 80 and not b.endswith(".")) for b in blocks * 3], tmp_path / "memo.pdf")
    (paged,) = parse_file(pdf, "memo.pdf")
    assert paged.doc_type == "policy"
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages]
    assert len(pages) >= 2
    cited = [s for s in paged.sections if s.kind == "text"]
    assert {s.page for s in cited} == set(range(1, len(pages) + 1))
    for s in cited:
        assert s.path.startswith(f"p. {s.page} ¶")
        assert " ".join(s.text.split()[:5]) in pages[s.page - 1]


def test_the_kind_can_be_forced_per_file_or_folder(tmp_path: Path) -> None:
    options = ParseOptions.for_file("memos/memo.txt", _settings(kinds={"memos/*": "statute"}).ingest)
    assert options.kind == "statute"
    (doc,) = parse_file(MEMO, "memos/memo.txt", options)
    assert doc.doc_type == "statute"
    assert ParseOptions.for_file("other/memo.txt", _settings(kinds={"memos/*": "statute"}).ingest).kind is None


def test_the_kinds_settings_accept_are_the_document_types() -> None:
    from typing import get_args

    from navsearch.settings import IngestSettings
    from navsearch.types import DOC_TYPES

    (kind,) = {get_args(v) for v in [IngestSettings.model_fields["kinds"].annotation]}
    assert get_args(kind[1]) == DOC_TYPES
    with pytest.raises(ValueError, match="patent"):
        _settings(kinds={"a/*": "memo"})


def _settings(**ingest: object):  # type: ignore[no-untyped-def]
    from navsearch.settings import Settings

    return Settings(ingest=ingest)


def test_every_file_is_reported_with_format_kind_and_reason(tmp_path: Path, fake_service: NavSearch) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(MEMO, folder / "memo.txt")
    _pdf([(line, False) for line in _lines(CIRCULARS)], folder / "circulars.pdf")
    shutil.copy(DATA / "pdf" / "US9545412.pdf", folder / "US9545412.pdf")
    (folder / "scan.tiff").write_bytes(b"II*\x00")
    (folder / "notes.xml").write_text("<notes/>", encoding="utf-8")
    report = fake_service.ingest([folder], progress=False)
    by_name = {Path(f.path).name: f for f in report.files}
    assert set(by_name) == {"memo.txt", "circulars.pdf", "US9545412.pdf", "scan.tiff", "notes.xml"}
    assert (by_name["memo.txt"].status, by_name["memo.txt"].format, by_name["memo.txt"].kinds) == ("indexed", "text", ["policy"])
    assert (by_name["circulars.pdf"].format, by_name["circulars.pdf"].kinds) == ("pdf", ["policy"])
    assert (by_name["US9545412.pdf"].format, by_name["US9545412.pdf"].kinds) == ("pdf", ["patent"])
    assert by_name["scan.tiff"].status == "unsupported" and "unsupported suffix '.tiff'" in (by_name["scan.tiff"].error or "")
    assert by_name["notes.xml"].status == "unsupported"
    assert "neither USLM nor USPTO" in (by_name["notes.xml"].error or "")
    assert not report.failed and not any(f.ocr for f in report.files)
    # The circular saved as PDF is found with --type policy, cited by its clause.
    result = fake_service.search("patent navigation pilot project", filters=build_filters(doc_types=["policy"]))
    assert result.hits and all(hit.doc_type == "policy" for hit in result.hits)
    assert any(hit.doc_id == "sipo-2013-27" for hit in result.hits)


def test_formats_are_picked_by_suffix_and_content(tmp_path: Path) -> None:
    for name, expected in (("a.docx", "docx"), ("b.html", "html"), ("c.htm", "html"), ("d.md", "markdown"),
                           ("e.zip", "zip"), ("f.txt", "text")):  # fmt: skip
        (tmp_path / name).write_bytes(b"")
        assert format_for(tmp_path / name).name == expected, name
    law = DATA / "statutes" / "专利法(2020-10-17).md"
    assert format_for(law).name == "cn_law_markdown"


LAW = DATA / "statutes" / "专利法(2020-10-17).md"
# A Chinese circular's numbering (composed for the test: no Chinese circular is in the data).
CN_CIRCULAR = """关于开展专利导航试点工程的通知

国知发管字〔2013〕27号

各省、自治区、直辖市知识产权局：

为深入实施知识产权战略，现就有关事项通知如下：

一、总体要求

（一）指导思想。以专利信息资源利用为基础。

（二）基本原则。坚持市场主导。

1.突出重点。围绕产业发展需求。

（1）选择试点地区。

（2）开展试点工作。

二、主要任务

（一）建立工作机制。加强专利信息利用。

2013年4月2日
"""
CN_PATHS = ["title", "preamble", "一", "一.（一）", "一.（二）", "一.（二）.1", "一.（二）.1(1)", "一.（二）.1(2)", "二", "二.（一）", "closing"]


def test_a_chinese_law_as_docx_or_html_keeps_its_articles(tmp_path: Path) -> None:
    (markdown,) = parse_file(LAW)
    lines = [line.strip() for line in LAW.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("<!--")]
    word = docx.Document()
    page = []
    for line in lines:
        level = len(line) - len(line.lstrip("#"))
        if level:
            word.add_heading(line.lstrip("#").strip(), level)
            page.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        else:
            word.add_paragraph(line)
            page.append(f"<p>{html.escape(line)}</p>")
    word.save(str(tmp_path / "law.docx"))
    (tmp_path / "law.html").write_text("<html><body>" + "".join(page) + "</body></html>", encoding="utf-8")
    for name in ("law.docx", "law.html"):
        (doc,) = parse_file(tmp_path / name, name)
        assert doc.title == markdown.title and doc.language == "zh", name
        assert [(s.kind, s.path) for s in doc.sections] == [(s.kind, s.path) for s in markdown.sections], name
        article = next(s for s in doc.sections if s.path == "第二十二条")
        assert article.heading == next(s.heading for s in markdown.sections if s.path == "第二十二条")


def test_a_chinese_circular_gets_its_clause_paths_in_every_format(tmp_path: Path) -> None:
    paragraphs = [p for p in CN_CIRCULAR.split("\n\n") if p.strip()]
    (tmp_path / "circular.txt").write_text(CN_CIRCULAR, encoding="utf-8")
    word = docx.Document()
    for p in paragraphs:
        word.add_paragraph(p.strip())
    word.save(str(tmp_path / "circular.docx"))
    body = "".join(f"<p>{html.escape(p.strip())}</p>" for p in paragraphs)
    (tmp_path / "circular.html").write_text(f"<html><body><article>{body}</article></body></html>", encoding="utf-8")
    for name in ("circular.txt", "circular.docx", "circular.html"):
        (doc,) = parse_file(tmp_path / name, name)
        assert [s.path for s in doc.sections] == CN_PATHS, name
        assert (doc.title, doc.number, doc.language) == ("关于开展专利导航试点工程的通知", "国知发管字〔2013〕27号", "zh")
        assert doc.publication_date is not None and doc.publication_date.isoformat() == "2013-04-02"
        assert next(s.heading for s in doc.sections if s.path == "一.（二）.1") == "总体要求 > 基本原则 > 突出重点"


CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # fonts-wqy-zenhei: `make browser`


def test_a_chinese_circular_as_pdf_gets_the_same_clause_paths(tmp_path: Path) -> None:
    if not CJK_FONT.exists():
        message = f"no CJK font at {CJK_FONT} to write the PDF with (`make browser` installs fonts-wqy-zenhei)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("wqy", "", str(CJK_FONT), collection_font_number=0)
    pdf.set_font("wqy", size=12)
    for paragraph in (p for p in CN_CIRCULAR.split("\n\n") if p.strip()):
        pdf.multi_cell(0, 8, paragraph.strip(), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.output(str(tmp_path / "circular.pdf"))
    (doc,) = parse_file(tmp_path / "circular.pdf", "circular.pdf")
    assert doc.doc_type == "policy" and doc.language == "zh"
    assert [s.path for s in doc.sections] == CN_PATHS
    assert {s.page for s in doc.sections} == {1}
    assert (doc.title, doc.number) == ("关于开展专利导航试点工程的通知", "国知发管字〔2013〕27号")
