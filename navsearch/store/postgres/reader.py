"""Reads of one generation's snapshot in PostgreSQL: the ``StoreReader`` of
store/protocol.py, the same queries as the embedded CatalogView (store/catalog.py,
store/reads.py) with the same visibility rule (``visible``), on the read pool (a
replica when one is configured)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from navsearch.errors import NotFound
from navsearch.store.catalog import CHUNK_COLUMNS_C, visible
from navsearch.store.postgres.pools import as_array
from navsearch.store.reads import cutoff_queries, layout_query
from navsearch.store.records import (
    CHUNK_COLUMNS, DOC_COLUMNS, StoredChunk, StoredDocument, doc_meta, filter_sql, row_to_chunk,
)
from navsearch.types import Chunk, DocumentMeta, Filters


def pg_filter(filters: Filters) -> tuple[str, list[Any]]:
    """store/records.py's filter conditions with psycopg's placeholders (the SQL text
    holds no other question mark: values are all parameters)."""
    where, args = filter_sql(filters)
    return where.replace("?", "%s"), args


def document_at(con: psycopg.Connection, doc_id: str, at: int | None) -> StoredDocument:
    """Metadata, full text and chunks in order of one document as generation ``at`` shows it."""
    cur = con.cursor(row_factory=dict_row)
    row = cur.execute(
        f"SELECT doc_row, {DOC_COLUMNS}, text FROM documents d WHERE doc_id=%s AND {visible(at)}", (doc_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no document with id {doc_id!r}")
    rows = cur.execute(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE doc_row=%s ORDER BY ordinal", (row["doc_row"],))
    return StoredDocument(doc_meta(row), row["text"], [row_to_chunk(r).chunk for r in rows])


class PgReader:
    """The catalog as generation ``generation`` shows it."""

    def __init__(self, pool: ConnectionPool, generation: int) -> None:
        self.pool = pool
        self.generation = generation

    def _rows(self, sql: str, args: Iterable[Any] = (), binary: bool = False) -> list[dict[str, Any]]:
        with self.pool.connection() as con:
            return con.cursor(row_factory=dict_row).execute(sql, list(args), binary=binary).fetchall()

    def _tuples(self, sql: str, args: Iterable[Any] = (), binary: bool = False) -> list[tuple[Any, ...]]:
        # binary: vectors come back as float32 bytes, not text to parse
        with self.pool.connection() as con:
            return con.execute(sql, list(args), binary=binary).fetchall()

    def allowed_ids(self, filters: Filters) -> np.ndarray:
        where, args = pg_filter(filters)
        rows = self._tuples(
            f"SELECT c.id FROM chunks c JOIN documents d ON d.doc_row = c.doc_row WHERE {visible(self.generation)}"
            + (f" AND {where}" if where else "") + " ORDER BY c.id",
            args,
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def chunks_by_rowid(self, rowids: Iterable[int]) -> dict[int, StoredChunk]:
        ids = [int(i) for i in rowids]
        rows = self._rows(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE id = ANY(%s)", [ids]) if ids else []
        return {r["id"]: row_to_chunk(r) for r in rows}

    def chunks_with_vectors(self, doc_id: str, dimension: int) -> tuple[list[Chunk], np.ndarray]:
        rows = self._rows(
            f"SELECT {CHUNK_COLUMNS_C}, c.embedding FROM chunks c JOIN documents d ON d.doc_row = c.doc_row "
            f"WHERE d.doc_id=%s AND {visible(self.generation)} ORDER BY c.ordinal",
            [doc_id],
            binary=True,
        )
        vecs = np.array([as_array(r["embedding"]) for r in rows], dtype=np.float32).reshape(len(rows), dimension)
        return [row_to_chunk(r).chunk for r in rows], vecs

    def text_lengths(self, doc_ids: Iterable[str]) -> dict[str, int]:
        sql = f"SELECT doc_id, length(text) FROM documents d WHERE doc_id = ANY(%s) AND {visible(self.generation)}"
        return {r[0]: r[1] for r in self._tuples(sql, [list(doc_ids)])}

    def documents_matching(self, doc_ids: Iterable[str], filters: Filters) -> set[str]:
        where, args = pg_filter(filters)
        sql = f"SELECT d.doc_id FROM documents d WHERE d.doc_id = ANY(%s) AND {visible(self.generation)}"
        return {r[0] for r in self._tuples(sql + (f" AND {where}" if where else ""), [list(doc_ids), *args])}

    def document_text(self, doc_id: str) -> str:
        rows = self._tuples(f"SELECT text FROM documents d WHERE doc_id=%s AND {visible(self.generation)}", [doc_id])
        if not rows:
            raise NotFound(f"no document with id {doc_id!r}")
        return rows[0][0]

    def documents_meta(self, doc_ids: Iterable[str]) -> dict[str, DocumentMeta]:
        sql = f"SELECT {DOC_COLUMNS} FROM documents d WHERE doc_id = ANY(%s) AND {visible(self.generation)}"
        return {r["doc_id"]: doc_meta(r) for r in self._rows(sql, [list(doc_ids)])}

    def document(self, doc_id: str) -> StoredDocument:
        with self.pool.connection() as con:
            return document_at(con, doc_id, self.generation)

    def document_keys(self) -> list[DocumentMeta]:
        rows = self._rows(
            f"SELECT {DOC_COLUMNS} FROM documents d WHERE {visible(self.generation)} ORDER BY d.doc_id COLLATE \"C\""
        )
        return [doc_meta(r) for r in rows]

    def provision_paths(self) -> list[tuple[int, str, str]]:
        rows = self._tuples(
            f"SELECT c.id, c.doc_id, c.path FROM chunks c JOIN documents d ON d.doc_row = c.doc_row "
            f"WHERE {visible(self.generation)} AND d.doc_type != 'patent' ORDER BY c.id"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def chunk_layout(self) -> Iterable[tuple[int, str, str, str, str | None]]:
        return self._tuples(layout_query(self.generation))

    def cutoff_counts(self, filters: Filters) -> tuple[int, int, int]:
        counts = [self._tuples(sql.replace("?", "%s"), args)[0][0] for sql, args in cutoff_queries(filters, self.generation)]
        return counts[0], counts[1], counts[2]

    def vectors_by_rowid(self, rowids: list[int], dimension: int) -> dict[int, np.ndarray]:
        rows = self._tuples("SELECT id, embedding FROM chunks WHERE id = ANY(%s)", [[int(i) for i in rowids]], binary=True)
        return {r[0]: as_array(r[1])[:dimension] for r in rows}
