"""parse_pdf and pdf_has_text_layer: pages -> one Document via TextBuilder, so every
section's offsets are exact. Every repair is counted in ``notes``."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from navsearch.errors import NoTextLayer
from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.cleaning import vocabulary
from navsearch.ingest.pdf.front_page import _abstract, _Found, _publication_date, _title
from navsearch.ingest.pdf.layout import (
    _assign_roles,
    _column_reading,
    _drop_noise,
    _read_pages,
    _settle_layouts,
    _strip_headers,
)
from navsearch.ingest.pdf.line_joining import join_lines
from navsearch.ingest.pdf.locations import PageLayout, location
from navsearch.ingest.pdf.patent_structure import _PARA_NUMBER_RE, _Para, _paragraphs, _split_claims
from navsearch.ingest.pdf.text_layer import Page, _has_text, _open
from navsearch.types import Document

_CJK_RE = re.compile(r"[\u4e00-\u9fff]")


# ---------------------------------------------------------------------------
# Public API


def parse_pdf(path: Path, *, source: str | None = None, doc_type: str = "patent") -> list[Document]:
    """Parse one PDF into one Document. Raises NoTextLayer for scans, ParseError otherwise."""
    path = Path(path)
    name = source if source is not None else path.as_posix()
    reader = _open(path, name)
    pages = _read_pages(reader, name)
    if not any(_has_text(page.lines) for page in pages):
        raise NoTextLayer(
            name, "extract text", f"no text layer on any of {len(pages)} pages (scanned images?); OCR it first"
        )
    return [_build_document(path, name, doc_type, pages)]


def pdf_has_text_layer(path: Path) -> bool:
    """Whether any page of the PDF carries extractable text (False for scans).

    Same test as parse_pdf's NoTextLayer, so the two never disagree."""
    name = Path(path).as_posix()
    return any(_has_text(page.lines) for page in _read_pages(_open(Path(path), name), name))


# ---------------------------------------------------------------------------
# The Document


def _language(text: str) -> str:
    cjk = len(_CJK_RE.findall(text))
    return "zh" if cjk > 0.3 * max(1, sum(ch.isalpha() for ch in text)) else "en"


def _identity(path: Path) -> tuple[str, str | None]:
    """doc_id from the file name ("US9545412.pdf"); jurisdiction = its leading letters."""
    stem = re.sub(r"[^\w.-]+", "-", path.stem).strip("-") or "document"
    letters = re.match(r"^([A-Z]{2})\d", stem)
    return stem, (letters.group(1) if letters else None)


def _build_document(path: Path, name: str, doc_type: str, pages: list[Page]) -> Document:
    notes: list[str] = []
    _assign_roles(pages)  # before the headers go: "Page 2" and "Sheet 1 of 7" are the evidence
    readings = {page.number: _column_reading(page) for page in pages if page.role == "body"}
    removed = _strip_headers(pages)  # the column numbers go with them, so they were read first
    _settle_layouts(pages, readings, notes)
    noise = _drop_noise(pages)
    vocab = vocabulary(line.text for page in pages for line in page.lines)
    doc_id, jurisdiction = _identity(path)
    if doc_type != "patent":
        jurisdiction = None  # a policy file's name says nothing about its issuer
    builder = TextBuilder()
    title: str | None = None
    published: date | None = None
    rejoined = 0
    structured = False
    if doc_type == "patent":
        title = _title(pages[0], vocab)
        published = _publication_date(pages[0])
        structured, rejoined = _add_patent_sections(builder, pages, vocab, notes)
    if not structured:
        rejoined = _add_page_sections(builder, pages, vocab)
        notes.append("structure not detected: one section per page")
    text = builder.text
    cleaning = [f"joined {rejoined} hyphenated words", f"removed {removed} header/footer lines"]
    if noise:
        cleaning.append(f"dropped {noise} lines without words (OCR of figures)")
    notes.insert(0, "; ".join(cleaning))
    if title is None and doc_type == "patent":
        notes.append("title not found on the front page")
    if published is None and doc_type == "patent":
        notes.append("publication date not found on the front page")
    return Document(
        doc_id=doc_id,
        doc_type=doc_type,
        title=title,
        text=text,
        sections=builder.sections,
        source=name,
        number=doc_id if doc_type == "patent" else None,
        publication_date=published,
        jurisdiction=jurisdiction,
        language=_language(text),
        notes=notes,
    )


def _add_patent_sections(builder: TextBuilder, pages: list[Page], vocab: frozenset[str], notes: list[str]) -> tuple[bool, int]:
    """abstract, front-page text, description paragraphs, claims. False when neither an
    abstract nor claims were found (then the caller falls back to pages)."""
    found, abstract_notes = _abstract(pages)
    notes.extend(abstract_notes)
    abstract, rejoined = join_lines([line.text for line in found.lines], vocab)
    body = [page for page in pages if page.role == "body"]
    paras, n = _paragraphs(body, vocab, found)
    rejoined += n
    description, claims = _split_claims(paras)
    if not abstract and not claims:
        return False, 0
    layouts = {page.number: page.layout for page in pages}
    if abstract:
        builder.add("abstract", "abstract", abstract, page=1)
    for page in pages:
        if page.role in ("front", "front-continued"):
            rest = [line.text for line in page.lines if (page.number, id(line)) not in found.used]
            if rest:
                builder.add("text", f"p. {page.number}", "\n".join(rest), page=page.number, heading="front page")
    drawings = sum(1 for page in pages if page.role == "drawing")
    if drawings:
        notes.append(f"skipped {drawings} drawing sheets (figure labels only)")
    _add_description(builder, description, layouts)
    for claim in claims:
        builder.add(
            "claim",
            f"claim {claim.number}",
            claim.text,
            page=claim.page,
            claim_number=claim.number,
            parent_claim=claim.parent,
            location=location(claim.first, claim.last, layouts),
        )
    if body and not claims:
        notes.append("claims not found")
    return True, rejoined


def _add_description(builder: TextBuilder, paras: list[_Para], layouts: dict[int, PageLayout]) -> None:
    heading: str | None = None
    per_page: Counter[int] = Counter()
    for para in paras:
        if para.heading:
            heading = para.text  # carried by the paragraphs under it
            continue
        per_page[para.page] += 1
        number = _PARA_NUMBER_RE.match(para.text)
        path = f"[{number.group(1)}]" if number else f"p. {para.page} ¶{per_page[para.page]}"
        where = location(*para.span(), layouts)
        builder.add("description", path, para.text, page=para.page, heading=heading, location=where)


def _add_page_sections(builder: TextBuilder, pages: list[Page], vocab: frozenset[str]) -> int:
    rejoined = 0
    for page in pages:
        if not _has_text(page.lines):
            continue
        paras, n = _paragraphs([page], vocab, _Found())
        rejoined += n
        text = "\n".join(p.text for p in paras)
        if text.strip():
            builder.add("page", f"p. {page.number}", text, page=page.number)
    return rejoined
