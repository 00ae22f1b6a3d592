"""The catalog's records: what its rows become when they leave it (typed, never
``dict[str, Any]``), and the SQL of search filters."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from navsearch.types import Chunk, DateField, DocumentMeta, Filters

DATE_COLUMNS: dict[DateField, str] = {
    "publication": "publication_date", "application": "application_date", "priority": "priority_date"
}
DOC_COLUMNS = (
    "doc_id, doc_type, title, number, source, content_hash, chunker, publication_date, application_date,"
    " priority_date, jurisdiction, language, ipc_flat, cpc, issuer, assignee, family, cited, notes"
)
CHUNK_COLUMNS = (
    'id, chunk_id, doc_id, ordinal, kind, path, heading, context, text, start, "end", page,'
    " claim_number, parent_claim, location"
)


@dataclass(frozen=True)
class StoredChunk:
    rowid: int
    chunk: Chunk


@dataclass(frozen=True)
class FileRecord:
    """An ingested file: its bytes' hash, the documents it gave, the chunker that cut them."""

    path: str
    sha256: str
    doc_ids: tuple[str, ...]
    settings: str


@dataclass(frozen=True)
class DocumentState:
    """What ingest compares to skip an unchanged document."""

    content_hash: str
    chunker: str
    source: str


@dataclass(frozen=True)
class Failure:
    """A file rejected at ingestion: the step that failed and why."""

    path: str
    step: str
    error: str
    at: str


class StoredDocument(NamedTuple):
    """One stored document: metadata, full text, chunks in order."""

    meta: DocumentMeta
    text: str
    chunks: list[Chunk]


def row_to_chunk(row: sqlite3.Row) -> StoredChunk:
    return StoredChunk(
        rowid=row["id"],
        chunk=Chunk(
            chunk_id=row["chunk_id"],
            doc_id=row["doc_id"],
            ordinal=row["ordinal"],
            kind=row["kind"],
            path=row["path"],
            text=row["text"],
            start=row["start"],
            end=row["end"],
            page=row["page"],
            heading=row["heading"],
            claim_number=row["claim_number"],
            parent_claim=row["parent_claim"],
            context=row["context"],
            location=row["location"],
        ),
    )


def _listed(value: str | None) -> tuple[str, ...]:
    return tuple(json.loads(value)) if value else ()


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def doc_meta(row: sqlite3.Row) -> DocumentMeta:
    """A documents row as typed metadata (lists decoded, dates as date)."""
    return DocumentMeta(
        doc_id=row["doc_id"],
        doc_type=row["doc_type"],
        title=row["title"],
        number=row["number"],
        source=row["source"],
        publication_date=_date(row["publication_date"]),
        application_date=_date(row["application_date"]),
        priority_date=_date(row["priority_date"]),
        jurisdiction=row["jurisdiction"],
        language=row["language"],
        ipc=tuple(row["ipc_flat"].split()),
        cpc=_listed(row["cpc"]),
        issuer=row["issuer"],
        assignee=row["assignee"],
        family=_listed(row["family"]),
        cited=_listed(row["cited"]),
        notes=_listed(row["notes"]),
        content_hash=row["content_hash"],
        chunker=row["chunker"],
    )


def filter_sql(filters: Filters) -> tuple[str, list[Any]]:
    """WHERE conditions on ``documents d`` for the filters (empty string when none)."""
    conds: list[str] = []
    args: list[Any] = []
    if filters.doc_types:
        conds.append(f"d.doc_type IN ({','.join('?' * len(filters.doc_types))})")
        args.extend(filters.doc_types)
    column = DATE_COLUMNS[filters.date_field]
    if filters.date_from:
        conds.append(f"d.{column} >= ?")
        args.append(filters.date_from.isoformat())
    if filters.date_to:
        conds.append(f"d.{column} <= ?")
        args.append(filters.date_to.isoformat())
    if filters.ipc_prefixes:
        likes = []
        for prefix in filters.ipc_prefixes:
            likes.append("d.ipc_flat LIKE ? ESCAPE '\\'")
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append(f"% {escaped}%")
        conds.append("(" + " OR ".join(likes) + ")")
    if filters.jurisdictions:
        cond = f"d.jurisdiction IN ({','.join('?' * len(filters.jurisdictions))})"
        if filters.unknown_jurisdiction_ok:
            cond = f"({cond} OR d.jurisdiction IS NULL OR d.jurisdiction = '')"
        conds.append(cond)
        args.extend(filters.jurisdictions)
    if filters.assignees:
        likes = []
        for name in filters.assignees:
            likes.append("lower(d.assignee) LIKE ? ESCAPE '\\'")
            escaped = name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append(f"%{escaped}%")
        conds.append("(" + " OR ".join(likes) + ")")
    return " AND ".join(conds), args
