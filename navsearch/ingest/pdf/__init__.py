"""Parse patent PDFs (and other PDFs) into Documents with page-numbered sections.

Patent PDFs as served by patent offices and Google Patents are page scans with an
invisible OCR text layer: every word is placed on its own (``Td`` + ``Tj``) in a simple
font. ``page.extract_text()`` reads that layer in stream order, which interleaves the two
columns of a front page (the abstract runs into the bibliographic data) and pulls the
line numbers of the column gutter into the sentences. So we read the words with their
positions ourselves, split two-column pages at the gutter, and rebuild lines and
paragraphs from geometry. Pages whose fonts we cannot decode byte-for-byte (CID fonts,
``ToUnicode`` maps) fall back to pypdf's own text, one column, no positions.

Steps: words -> lines per column -> running headers/footers and gutter numbers removed
-> page roles (front page, its continuation, drawing sheets, body) -> abstract (by
geometry, from the front page), description paragraphs and claims -> Document via
TextBuilder, so every section's offsets are exact. Every repair is counted in ``notes``.

What the cleaning removes is read before it goes: the column numbers printed at the top
of a grant's columns, the gutter line numbers with their positions, and the page number
of a running header or footer. With the position of each paragraph's first and last
line they give its printed location (``Section.location``: "col. 3, ll. 10-25", "p. 3";
locations.py), which is how patent agents cite.

A PDF without a text layer raises NoTextLayer; it is reported, never indexed empty.

Modules, each importing only those listed above it:
  locations.py         printed columns, line numbers, page numbers: the pure arithmetic
  text_layer.py        opening the file, fonts, words with positions (Word, Line, Page)
  layout.py            words -> lines per column; headers/footers, page roles, noise, layouts
  line_joining.py      joining a paragraph's lines, de-hyphenation (join_lines)
  front_page.py        abstract, title, publication date
  patent_structure.py  paragraphs and claims
  document.py          parse_pdf, pdf_has_text_layer: pages -> Document
"""

from __future__ import annotations

from navsearch.ingest.pdf.document import parse_pdf, pdf_has_text_layer
from navsearch.ingest.pdf.line_joining import join_lines
from navsearch.ingest.pdf.locations import (
    LineFit,
    PageLayout,
    Place,
    fit_line_numbers,
    gutter_line_marks,
    location,
    page_number_candidates,
    settle_columns,
    settle_page_numbers,
)

__all__ = [
    "LineFit",
    "PageLayout",
    "Place",
    "fit_line_numbers",
    "gutter_line_marks",
    "join_lines",
    "location",
    "page_number_candidates",
    "parse_pdf",
    "pdf_has_text_layer",
    "settle_columns",
    "settle_page_numbers",
]
