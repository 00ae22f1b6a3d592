"""parse_uspto_xml and iter_uspto_documents: a file's pieces -> one Document per patent."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from navsearch.errors import ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.uspto_xml.biblio import _read_pap, _read_v4
from navsearch.ingest.uspto_xml.body import _add_abstract, _add_claims, _add_description
from navsearch.ingest.uspto_xml.bulk import _parse_piece, split_documents
from navsearch.ingest.uspto_xml.codes import _format_number
from navsearch.ingest.uspto_xml.xml_text import _child_text
from navsearch.types import Document

log = logging.getLogger(__name__)

_GRANT_ROOTS = frozenset({"us-patent-grant", "us-patent-application"})
_PAP_ROOT = "patent-application-publication"
_SEQUENCE_ROOT = "sequence-cwu"


# ---------------------------------------------------------------------------
# Public API


def parse_uspto_xml(path: Path, *, source: str | None = None) -> list[Document]:
    """Parse one USPTO XML file (single document or weekly bulk file) into Documents."""
    name = source if source is not None else Path(path).as_posix()
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ParseError(name, "read", str(exc)) from exc
    return list(iter_uspto_documents(data, name))


def iter_uspto_documents(data: bytes, source: str) -> Iterator[Document]:
    """Yield one Document per patent document in ``data``, in file order.

    A document is yielded only once the next piece has been looked at, because a grant's
    sequence listing follows it as a separate piece and is recorded in the grant's notes.
    """
    pieces = split_documents(data)
    if not pieces:
        raise ParseError(source, "split", "no XML document found")
    yield from documents_of_pieces(pieces, source, len(pieces))


def documents_of_pieces(pieces: Iterable[tuple[int, bytes]], source: str, total: int | None = None) -> Iterator[Document]:
    """Documents of ``(byte offset, XML document)`` pieces, read as they come (a bulk
    file streamed out of a zip archive: one document in memory at a time)."""
    pending: Document | None = None
    of = f"/{total}" if total is not None else ""
    for index, (offset, piece) in enumerate(pieces, start=1):
        where = f"document {index}{of} (byte {offset})"
        root, notes = _parse_piece(piece, source, where)
        if root.tag == _SEQUENCE_ROOT:
            _note_sequence_listing(root, pending, source)
            continue
        doc = _build_document(root, source, where, notes)
        if pending is not None:
            yield pending
        pending = doc
    if pending is not None:
        yield pending


def _note_sequence_listing(root: Element, previous: Document | None, source: str) -> None:
    """Sequence listings are not patents; record on their grant that one was skipped."""
    doc_id = root.find("publication-reference/document-id")
    number = _format_number(_child_text(doc_id, "country") or "US", _child_text(doc_id, "doc-number"))
    if previous is not None and re.fullmatch(re.escape(number) + r"[A-Z]\d?", previous.number or ""):
        previous.notes.append("sequence listing (sequence-cwu) skipped")
    else:
        # Sample files drop grants but keep their listings: nothing to attach the note to.
        log.info("%s: sequence listing of %s skipped; its patent is not the previous one", source, number)


# ---------------------------------------------------------------------------
# Assembling the Document


def _build_document(root: Element, source: str, where: str, notes: list[str]) -> Document:
    if root.tag in _GRANT_ROOTS:
        meta, body = _read_v4(root, notes)
    elif root.tag == _PAP_ROOT:
        meta, body = _read_pap(root, notes)
    else:
        raise ParseError(source, f"{where}: root", f"unsupported root element <{root.tag}>")
    if not meta.doc_number:
        raise ParseError(source, f"{where}: publication number", "no doc-number in publication reference")
    builder = TextBuilder()
    _add_abstract(builder, body, notes)
    _add_claims(builder, body, notes)
    _add_description(builder, body, notes)
    if not meta.title and not builder.sections:
        raise ParseError(source, f"{where}: content", "document has neither a title nor any text")
    if not builder.sections:
        notes.append("no abstract, claims or description text")
    number = _format_number(meta.country or "US", meta.doc_number) + (meta.kind or "")
    return Document(
        doc_id=number,
        doc_type="patent",
        title=meta.title,
        text=builder.text,
        sections=builder.sections,
        source=source,
        number=number,
        publication_date=meta.publication_date,
        application_date=meta.application_date,
        priority_date=meta.priority_date,
        jurisdiction=meta.country,
        language="en",
        ipc=meta.ipc,
        cpc=meta.cpc,
        assignee=meta.assignee,
        cited=meta.cited,
        notes=notes,
    )
