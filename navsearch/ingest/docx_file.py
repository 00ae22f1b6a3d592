"""Word documents (.docx) through python-docx: paragraphs and tables in reading order,
heading styles kept as headings, list numbering kept.

Word stores automatic numbering ("1.", "(a)") apart from the text, so python-docx shows a
numbered paragraph without its number. A paragraph with numbering properties gets the
number Word would print, counted per list and level, in the list's own format (decimal,
roman, Chinese counting), so a circular's clause paths are the same as in its text version.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from navsearch.errors import ParseError
from navsearch.ingest.general import Para, build_document, slug
from navsearch.ingest.numbering import ListCounter
from navsearch.ingest.options import ParseOptions
from navsearch.types import Document

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _blocks(document: Any) -> list[Any]:
    """Paragraphs and tables of the body, in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out: list[Any] = []
    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            out.append(Paragraph(child, document))
        elif child.tag == f"{_W}tbl":
            out.append(Table(child, document))
    return out


def _heading(paragraph: Any) -> bool:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    return style.startswith(("Heading", "Title")) or style in ("标题", "Subtitle")


def _numbering(paragraph: Any) -> tuple[str, int] | None:
    """(numbering id, level) of a numbered paragraph, from its own or its style's numPr."""
    for holder in (paragraph._p.pPr, getattr(paragraph.style, "element", None)):
        if holder is None:
            continue
        num_pr = holder.find(f".//{_W}numPr")
        if num_pr is None:
            continue
        num_id = num_pr.find(f"{_W}numId")
        ilvl = num_pr.find(f"{_W}ilvl")
        if num_id is not None and num_id.get(f"{_W}val") not in (None, "0"):
            return num_id.get(f"{_W}val") or "", int(ilvl.get(f"{_W}val")) if ilvl is not None else 0
    return None


def parse_docx(path: Path, *, source: str | None = None, options: ParseOptions | None = None) -> list[Document]:
    """A .docx file as one (or, for several circulars, more) policy documents."""
    import docx  # python-docx: imported only when a Word file is read

    name = source or str(path)
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ParseError(name, "open DOCX", f"not a readable Word document: {exc}") from exc
    counter = ListCounter(document)
    paras: list[Para] = []
    for block in _blocks(document):
        if hasattr(block, "rows"):  # a table: one paragraph per row, cells separated by " | "
            for row in block.rows:
                cells = [cell.text.strip() for cell in row.cells]
                text = " | ".join(dict.fromkeys(c for c in cells if c))  # merged cells repeat
                if text:
                    paras.append(Para(text))
            continue
        text = block.text.strip()
        if not text:
            continue
        numbering = _numbering(block)
        if numbering is not None:
            label = counter.label(*numbering)
            if label:
                text = f"{label} {text}" if not label.endswith("、") else f"{label}{text}"
        paras.append(Para(text, heading=_heading(block) and numbering is None))
    title = (document.core_properties.title or "").strip() or None
    kind = options.kind if options else None
    return build_document(paras, name, doc_id=slug(path.stem), title=title, kind=kind)
