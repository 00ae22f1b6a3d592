"""parse_pdf and pdf_has_text_layer: pages -> one Document via TextBuilder, so every
section's offsets are exact. Every repair is counted in ``notes``."""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

from navsearch.errors import NoTextLayer, ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.cleaning import vocabulary
from navsearch.ingest.general import Para, build_document, numbered, slug
from navsearch.ingest.options import OCR_NOTE, ParseOptions
from navsearch.ingest.pdf.front_fields import FrontFields, read_front_fields, take_read_again
from navsearch.ingest.pdf.front_page import _abstract, _Found, _publication_date, _title, patent_evidence
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
from navsearch.ingest.pdf.ocr import ocr_page_text, ocr_pdf
from navsearch.ingest.pdf.text_layer import Page, _has_text, _open
from navsearch.types import Document, DocType, Section

_CJK_RE = re.compile(r"[\u4e00-\u9fff]")


# ---------------------------------------------------------------------------
# Public API


def parse_pdf(
    path: Path,
    *,
    source: str | None = None,
    doc_type: DocType | None = None,
    options: ParseOptions | None = None,
) -> list[Document]:
    """Parse one PDF. Its kind is ``doc_type`` (or ``options.kind``) when given, else read
    from the content: a patent front page or claims make a patent, anything else is a
    policy or general document with its clauses or headings and paragraphs. Pages without
    a text layer are read by OCR when ``options.ocr`` and OCRmyPDF is installed; otherwise
    a PDF with no text at all raises NoTextLayer (reported, never indexed empty)."""
    path = Path(path)
    name = source if source is not None else path.as_posix()
    options = options or ParseOptions.for_file(name)
    kind = doc_type or options.kind
    pages = _read_pages(_open(path, name), name)
    blank = [page.number for page in pages if not _has_text(page.lines)]
    ocr_note: str | None = None
    # Image-only drawing sheets of a patent with a text layer are left alone: OCR would
    # only read figure labels. A scan (no text at all) or a non-patent's scanned pages are read.
    if blank and (len(blank) == len(pages) or (kind or _kind(pages)) != "patent"):
        pages, ocr_note = _with_ocr(path, name, pages, blank, options)
    if not any(_has_text(page.lines) for page in pages):
        raise NoTextLayer(
            name, "extract text", f"no text layer on any of {len(pages)} pages (scanned images?), and OCR found none"
        )
    kind = kind or _kind(pages)
    if kind == "patent":
        # A front page that came from OCR already is not read again.
        again = options if pages and pages[0].number not in blank else None
        docs = [_build_document(path, name, "patent", pages, again)]
    else:
        docs = _build_general(path, name, kind, pages)  # several circulars in one PDF: several
    for doc in docs:
        if ocr_note:
            doc.notes.insert(0, ocr_note)
        if ocr_note and ocr_note.startswith(OCR_NOTE):
            doc.sections = [_mark_ocr(section, set(blank)) for section in doc.sections]
    return docs


# Tesseract's Chinese model puts a space between characters ("中 华人 民"); Chinese has none.
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"  # CJK punctuation, ideographs, full-width forms
_CJK_GAP_RE = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def _close_cjk(text: str) -> str:
    return _CJK_GAP_RE.sub("", text)


def _with_ocr(
    path: Path, name: str, pages: list[Page], blank: list[int], options: ParseOptions
) -> tuple[list[Page], str | None]:
    """The pages with the ``blank`` ones read by OCR, and the note saying so. NoTextLayer
    when no page has text and OCR is off or cannot run; a partly scanned file keeps its
    text pages and says which pages were not read."""
    scan = len(blank) == len(pages)
    if not options.ocr:
        if scan:
            raise NoTextLayer(
                name, "extract text", f"no text layer on any of {len(pages)} pages; OCR is off (ingest.ocr)"
            )
        return pages, f"pages {_ranges(blank)} have no text layer and were not read: OCR is off (ingest.ocr)"
    with tempfile.TemporaryDirectory(prefix="navsearch-ocr-") as tmp:
        out = Path(tmp) / "ocr.pdf"
        try:
            used = ocr_pdf(path, out, name, options.ocr_languages, options.ocr_timeout_s)
        except NoTextLayer as exc:  # OCR not installed
            if scan:
                reason = f"no text layer on any of {len(pages)} pages (scanned images?); OCR cannot run: {exc.reason}"
                raise NoTextLayer(name, "extract text", reason) from None
            return pages, f"pages {_ranges(blank)} have no text layer and were not read: {exc.reason}"
        read = _read_pages(_open(out, name), name)  # read before the folder (and its images) goes
    for page in read:
        page.lines = [replace(line, text=_close_cjk(line.text)) for line in page.lines]
    note = f"{OCR_NOTE} pages {_ranges(blank)} read by Tesseract ({used}) through OCRmyPDF"
    return read, f"{note}; their text may hold recognition errors"


def _kind(pages: list[Page]) -> DocType:
    return "patent" if patent_evidence(pages) else "policy"


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7"."""
    out: list[str] = []
    for n in numbers:
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def _mark_ocr(section: Section, pages: set[int]) -> Section:
    """A section read from an OCR'd page says so where it is cited (its location)."""
    if section.page not in pages:
        return section
    where = section.location or f"p. {section.page}"
    return replace(section, location=f"{where} (OCR)")


def _build_general(path: Path, name: str, kind: DocType, pages: list[Page]) -> list[Document]:
    """A PDF that is not a patent: its clauses, or its headings and paragraphs by page."""
    _assign_roles(pages)
    removed = _strip_headers(pages)
    _drop_noise(pages)
    vocab = vocabulary(line.text for page in pages for line in page.lines)
    lines = [Para(line.text, page.number) for page in pages for line in page.lines]
    if numbered([para.text for para in lines]):
        paras = lines  # the clause tree repairs the line breaks itself
    else:
        paras = []
        for page in pages:
            found, _ = _paragraphs([page], vocab, _Found())
            paras.extend(Para(p.text, page.number, heading=p.heading) for p in found)
    notes = [
        f"read as a {kind} document: no patent front page or claims found",
        f"removed {removed} header/footer lines",
    ]
    return build_document(paras, name, doc_id=slug(path.stem), kind=kind, notes=notes)


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


def _read_front_again(path: Path, name: str, fields: FrontFields, page: int, options: ParseOptions | None) -> list[str]:
    """Fields the front page's text layer prints malformed, read again by Tesseract on the
    printed page when OCR is on and installed; the notes saying where each came from."""
    if not fields.malformed:
        return []
    which = ", ".join(fields.malformed)
    if options is None or not options.ocr:
        return [f"front page: {which} malformed in the text layer; not read again (OCR is off or the page is OCR'd)"]
    try:
        text = ocr_page_text(path, page, name, options.ocr_languages, options.ocr_timeout_s)
    except ParseError as exc:  # NoTextLayer too: OCR not installed
        return [f"front page: {which} malformed in the text layer; OCR of page {page} failed: {exc.reason}"]
    return take_read_again(fields, read_front_fields(_close_cjk(text)), f"OCR of page {page} (Tesseract)")


def _build_document(
    path: Path, name: str, doc_type: str, pages: list[Page], options: ParseOptions | None = None
) -> Document:
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
    fields = FrontFields()
    if doc_type == "patent":
        title = _title(pages[0], vocab)
        published = _publication_date(pages[0])
        fronts = [page for page in pages if page.role in ("front", "front-continued")] or pages[:1]
        fields = read_front_fields("\n".join(line.text for page in fronts for line in page.lines))
        again_notes = _read_front_again(path, name, fields, pages[0].number, options)
        notes.extend([*fields.notes, *again_notes])
        if fields.inventors:
            notes.append(f"inventors: {'; '.join(fields.inventors)}")
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
        application_date=fields.application_date,
        priority_date=fields.priority_date,
        jurisdiction=jurisdiction,
        language=_language(text),
        ipc=fields.ipc,
        cpc=fields.cpc,
        assignee=fields.assignee,
        family=fields.related,
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
