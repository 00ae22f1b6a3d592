"""Patent records as JSON Lines (the PatSnap export): one patent per line, abstract-level."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from navsearch.errors import ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.jsonl import json_objects
from navsearch.types import Document

REQUIRED = ("publication_number", "title")


def _date(value: Any, source: str, line_no: int, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ParseError(source, f"line {line_no}", f"{name} {value!r} is not an ISO date") from exc


def _assignee(value: Any) -> str | None:
    # PatSnap appends an internal id and the address: "ACME CORP [IID: 123], 1 MAIN ST, US".
    if not value:
        return None
    return re.split(r"\s*\[IID:", str(value))[0].strip() or None


def record_to_document(record: dict[str, Any], source: str, line_no: int) -> Document:
    """One PatSnap record to a Document; the abstract (or, lacking one, the title) is its text."""
    missing = [k for k in REQUIRED if not record.get(k)]
    if missing:
        raise ParseError(source, f"line {line_no}", f"missing field(s) {', '.join(missing)}")
    number = str(record["publication_number"]).strip()
    if not re.fullmatch(r"[A-Z]{2}[A-Z0-9]+", number):
        raise ParseError(source, f"line {line_no}", f"publication_number {number!r} is not like 'US5901035'")
    title = str(record["title"]).strip()
    builder = TextBuilder()
    abstract = str(record.get("abstract") or "").strip()
    notes = []
    if abstract:
        builder.add("abstract", "abstract", abstract)
    else:
        builder.add("title", "title", title)
        notes.append("no abstract in the record: indexed by title only")
    ipc = record.get("ipc") or []
    family = record.get("family") or []
    if not isinstance(ipc, list) or not isinstance(family, list):
        raise ParseError(source, f"line {line_no}", "ipc and family must be lists")
    return Document(
        doc_id=number,
        doc_type="patent",
        title=title,
        text=builder.text,
        sections=builder.sections,
        source=source,
        number=number,
        publication_date=_date(record.get("publication_date"), source, line_no, "publication_date"),
        application_date=_date(record.get("application_date"), source, line_no, "application_date"),
        priority_date=_date(record.get("priority_date"), source, line_no, "priority_date"),
        jurisdiction=number[:2],
        ipc=[str(c).replace(" ", "") for c in ipc],
        assignee=_assignee(record.get("assignee")),
        family=[str(f) for f in family],
        notes=notes,
    )


def parse_patent_jsonl(path: Path, *, source: str | None = None) -> list[Document]:
    """Parse a JSON Lines file of patent records. A bad line stops the file with its line number."""
    source = source or str(path)
    docs: list[Document] = []
    seen: set[str] = set()
    for line_no, record in json_objects(path, source):
        doc = record_to_document(record, source, line_no)
        if doc.doc_id in seen:
            raise ParseError(source, f"line {line_no}", f"duplicate publication_number {doc.doc_id}")
        seen.add(doc.doc_id)
        docs.append(doc)
    if not docs:
        raise ParseError(source, "read", "no patent records")
    return docs
