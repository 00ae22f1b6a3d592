"""Read-only queries of the catalog for lookup by number and prior-art cutoffs, kept out
of catalog.py (which owns writes and the reads every search makes): the documents' keys
(numbers, titles, families), the structural paths of provisions, and what a date cutoff
removes. Each takes the generation it reads as of (None: the current rows)."""

from __future__ import annotations

from collections.abc import Iterable

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from navsearch.store.records import DATE_COLUMNS, DOC_COLUMNS, doc_meta, filter_sql
from navsearch.terms import script_of_language
from navsearch.types import DocumentMeta, Filters, embedded_text

if TYPE_CHECKING:
    from navsearch.store.catalog import Catalog


class CorpusChunk(NamedTuple):
    """A chunk with the document facts `navsearch tune` pairs passages by."""

    rowid: int
    chunk_id: str
    doc_id: str
    doc_type: str
    title: str | None
    group: str  # source and number: the passages of one regulation share it
    kind: str
    path: str
    heading: str | None
    claim_number: int | None
    parent_claim: int | None
    text: str


def corpus_chunks(catalog: Catalog, at: int | None = None) -> list[CorpusChunk]:
    """Every chunk generation ``at`` shows, in rowid order (documents in ingest order,
    chunks in reading order), with its document's title and group."""
    rows = catalog.con.execute(
        "SELECT c.id, c.chunk_id, c.doc_id, d.doc_type, d.title, d.source || '#' || coalesce(d.number, ''), "
        "c.kind, c.path, c.heading, c.claim_number, c.parent_claim, c.text FROM chunks c "
        f"JOIN documents d ON d.doc_row = c.doc_row WHERE {_visible(at)} ORDER BY c.id"
    )
    return [CorpusChunk(*r) for r in rows]


def chunk_scripts(catalog: Catalog, at: int | None = None) -> list[tuple[int, str, str]]:
    """(rowid, script of its document's language, text as embedded) of every chunk
    generation ``at`` shows, in rowid order: what the cross-language index embeds."""
    rows = catalog.con.execute(
        f"SELECT c.id, d.language, c.context, c.text FROM chunks c JOIN documents d ON d.doc_row = c.doc_row "
        f"WHERE {_visible(at)} ORDER BY c.id"
    )
    return [(r[0], script_of_language(r[1]), embedded_text(r[2], r[3])) for r in rows]


def _visible(at: int | None) -> str:
    from navsearch.store.catalog import visible

    return visible(at)


def document_keys(catalog: Catalog, at: int | None = None) -> list[DocumentMeta]:
    """Metadata of every document generation ``at`` shows, by doc id: what a query's
    patent number, statute or document number is looked up in."""
    rows = catalog.con.execute(f"SELECT {DOC_COLUMNS} FROM documents d WHERE {_visible(at)} ORDER BY d.doc_id")
    return [doc_meta(r) for r in rows]


def provision_paths(catalog: Catalog, at: int | None = None) -> list[tuple[int, str, str]]:
    """(chunk rowid, doc id, path) of every chunk of the documents that are not patents,
    in document order: where a cited article, section or rule is found."""
    rows = catalog.con.execute(
        f"SELECT c.id, c.doc_id, c.path FROM chunks c JOIN documents d ON d.doc_row = c.doc_row "
        f"WHERE {_visible(at)} AND d.doc_type != 'patent' ORDER BY c.id"
    )
    return [(r[0], r[1], r[2]) for r in rows]


def layout_query(at: int | None = None) -> str:
    """(chunk rowid, doc id, chunk kind, doc type, family JSON) of every chunk generation
    ``at`` shows, in rowid order: what grouping candidates needs (retrieval/layout.py). The
    PostgreSQL reader runs the same one."""
    return (
        "SELECT c.id, d.doc_id, c.kind, d.doc_type, d.family FROM chunks c JOIN documents d ON d.doc_row = c.doc_row "
        f"WHERE {_visible(at)} ORDER BY c.id"
    )


def chunk_layout(catalog: Catalog, at: int | None = None) -> Iterable[tuple[int, str, str, str, str | None]]:
    return catalog.con.execute(layout_query(at))


def cutoff_queries(filters: Filters, at: int | None = None) -> list[tuple[str, list[Any]]]:
    """The three counts ``cutoff_counts`` makes, as (SQL with "?" placeholders, args): the
    PostgreSQL reader runs the same ones (store/postgres/reader.py)."""
    undated = Filters(
        doc_types=filters.doc_types, date_field=filters.date_field, ipc_prefixes=filters.ipc_prefixes,
        jurisdictions=filters.jurisdictions, unknown_jurisdiction_ok=filters.unknown_jurisdiction_ok,
        assignees=filters.assignees,
    )
    column = DATE_COLUMNS[filters.date_field]
    out = []
    for f, extra in ((undated, ""), (undated, f" AND d.{column} IS NULL"), (filters, "")):
        where, args = filter_sql(f)
        out.append((f"SELECT count(*) FROM documents d WHERE {_visible(at)}" + (f" AND {where}" if where else "") + extra, args))
    return out


def cutoff_counts(catalog: Catalog, filters: Filters, at: int | None = None) -> tuple[int, int, int]:
    """(documents passing the filters but their dates, of those the ones without the
    filters' date field, documents passing every filter): what a date cutoff removed."""
    counts = [catalog.con.execute(sql, args).fetchone()[0] for sql, args in cutoff_queries(filters, at)]
    return counts[0], counts[1], counts[2]


def vectors_by_rowid(catalog: Catalog, rowids: list[int], dimension: int) -> dict[int, np.ndarray]:
    """Stored vectors of chunks by row id (rows are never changed, so any generation's)."""
    rows = catalog._select_in("SELECT id, vector FROM chunks WHERE id IN ({ids})", rowids)
    return {r[0]: np.frombuffer(r[1], dtype=np.float32, count=dimension) for r in rows}
