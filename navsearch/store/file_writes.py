"""The file-level writes both catalogs share (SQLite: store/catalog.py; PostgreSQL:
store/postgres/store.py): one file's ingest, documents outside a file, removing files
and documents. Each backend gives its write transaction, its placeholders, and how a
document version is put and retired; the rules of what a file's record keeps live here
once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from navsearch.store.records import FileRecord
from navsearch.types import Chunk, Document


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def document_row(doc: Document, chunker: str, born: int) -> tuple[Any, ...]:
    """A document's values for ``documents(DOC_COLUMNS, text, born)`` (21 columns)."""
    return (
        doc.doc_id, doc.doc_type, doc.title, doc.number, doc.source, doc.content_hash(), chunker,
        _iso(doc.publication_date), _iso(doc.application_date), _iso(doc.priority_date),
        doc.jurisdiction, doc.language, " " + " ".join(doc.ipc) + " ", json.dumps(doc.cpc),
        doc.issuer, doc.assignee, json.dumps(doc.family), json.dumps(doc.cited),
        json.dumps(doc.notes, ensure_ascii=False), doc.text, born,
    )


class FileWrites:
    """Mixed into a catalog that provides ``_write`` (a transaction holding the store's
    write lock, yielding a connection whose ``execute(sql, args)`` returns rows),
    ``_sql`` (the query with the backend's placeholders), ``_retire_document`` and
    ``_put_documents``."""

    def _write(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql  # written with "?" placeholders

    def _retire_document(self, con: Any, doc_id: str) -> int:
        raise NotImplementedError

    def _put_documents(
        self, con: Any, items: Sequence[tuple[Document, Sequence[Chunk]]], chunker: str, vectors: Mapping[str, bytes]
    ) -> None:
        raise NotImplementedError

    def _run(self, con: Any, sql: str, args: Sequence[Any] = ()) -> Any:
        return con.execute(self._sql(sql), tuple(args))

    def commit_file(
        self,
        record: FileRecord,
        changed: Sequence[tuple[Document, Sequence[Chunk]]],
        vectors: Mapping[str, bytes],
        removed: Iterable[str] = (),
    ) -> None:
        """One file's ingest in one transaction: its changed documents replaced with their
        chunks (``vectors`` maps every chunk id to its vector), the documents it no longer
        holds removed, and its record written (which clears any earlier failure)."""
        with self._write() as con:
            self._put_documents(con, changed, record.settings, vectors)
            for doc_id in removed:
                self._retire_document(con, doc_id)
            self._run(
                con,
                "INSERT INTO files VALUES(?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
                "sha256=excluded.sha256, doc_ids=excluded.doc_ids, settings=excluded.settings",
                (record.path, record.sha256, json.dumps(list(record.doc_ids)), record.settings),
            )
            self._run(con, "DELETE FROM failures WHERE path=?", (record.path,))

    def put_documents(
        self, items: Sequence[tuple[Document, Sequence[Chunk]]], chunker: str, vectors: Mapping[str, bytes]
    ) -> None:
        """Store documents with their chunks in one transaction, outside any file record."""
        with self._write() as con:
            self._put_documents(con, items, chunker, vectors)

    def remove_files(self, paths: Iterable[str]) -> int:
        """Forget files and remove their documents, in one transaction; the documents removed."""
        removed = 0
        with self._write() as con:
            for path in paths:
                row = self._run(con, "SELECT doc_ids FROM files WHERE path=?", (path,)).fetchone()
                for doc_id in json.loads(row[0]) if row else []:
                    removed += self._retire_document(con, doc_id)
                self._run(con, "DELETE FROM files WHERE path=?", (path,))
                self._run(con, "DELETE FROM failures WHERE path=?", (path,))
        return removed

    def forget_document(self, doc_id: str) -> int:
        """Remove one document of a file that holds others, in one transaction; the file's
        record drops it and loses its hash, so the next ingest re-reads the file. Removed: 0|1."""
        with self._write() as con:
            removed = self._retire_document(con, doc_id)
            for path, ids in self._run(con, "SELECT path, doc_ids FROM files").fetchall():
                if doc_id in (kept := json.loads(ids)):
                    kept.remove(doc_id)
                    self._run(con, "UPDATE files SET doc_ids=?, sha256='' WHERE path=?", (json.dumps(kept), path))
        return removed
