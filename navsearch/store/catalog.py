"""SQLite catalog: the source of truth for documents, chunks and their vectors. The
search indexes of a generation (FAISS and BM25) are derived from it and can always be
rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from navsearch.errors import IndexMismatch, NotFound
from navsearch.types import Chunk, DateField, Document, DocumentMeta, Filters, embedded_text

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, doc_ids TEXT NOT NULL, settings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents(
    doc_id TEXT PRIMARY KEY, doc_type TEXT NOT NULL, title TEXT, number TEXT, source TEXT NOT NULL,
    content_hash TEXT NOT NULL, chunker TEXT NOT NULL,
    publication_date TEXT, application_date TEXT, priority_date TEXT,
    jurisdiction TEXT, language TEXT, ipc_flat TEXT NOT NULL, cpc TEXT, issuer TEXT, assignee TEXT,
    family TEXT, cited TEXT, notes TEXT, text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    ordinal INTEGER NOT NULL, kind TEXT NOT NULL, path TEXT NOT NULL, heading TEXT,
    context TEXT NOT NULL, text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    page INTEGER, claim_number INTEGER, parent_claim INTEGER,
    vector BLOB NOT NULL,
    location TEXT
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ordinal);
CREATE TABLE IF NOT EXISTS failures(path TEXT PRIMARY KEY, step TEXT NOT NULL, error TEXT NOT NULL, at TEXT NOT NULL);
-- BM25 moved out of SQLite FTS5 into each index generation (store/lexical.py).
DROP TABLE IF EXISTS chunks_fts;
"""
DATE_COLUMNS: dict[DateField, str] = {
    "publication": "publication_date", "application": "application_date", "priority": "priority_date"
}
IN_BATCH = 500  # ids per "IN (...)" query: well under SQLite's bound-parameter limit
DOC_COLUMNS = (
    "doc_id, doc_type, title, number, source, content_hash, chunker, publication_date, application_date,"
    " priority_date, jurisdiction, language, ipc_flat, cpc, issuer, assignee, family, cited, notes"
)
CHUNK_COLUMNS = (
    'id, chunk_id, doc_id, ordinal, kind, path, heading, context, text, start, "end", page,'
    " claim_number, parent_claim, location"
)
# Columns added to a table after its first release: (table, column, type). A catalog
# created before gets them in Catalog.__init__ (its rows read None there).
ADDED_COLUMNS = (("chunks", "location", "TEXT"),)


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


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _row_to_chunk(row: sqlite3.Row) -> StoredChunk:
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


def _add_missing_columns(con: sqlite3.Connection) -> None:
    """Migrate a catalog created before a column existed (see ADDED_COLUMNS)."""
    for table, column, sql_type in ADDED_COLUMNS:
        present = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")


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
    return " AND ".join(conds), args


class Catalog:
    """Documents, chunks with their vectors, files and failures in one SQLite file (WAL; a
    connection per thread). The source of truth: index generations are derived from it.

    Every write method owns its transaction: a caller never holds the connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.con.executescript(SCHEMA)  # executescript commits by itself: outside a transaction
        with self._transaction() as con:
            stored = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if stored is None:
                con.execute("INSERT INTO meta VALUES('schema_version', ?)", (SCHEMA_VERSION,))
            elif stored[0] != SCHEMA_VERSION:
                raise IndexMismatch(
                    f"{path} has schema version {stored[0]}, this navsearch expects {SCHEMA_VERSION}; "
                    "rebuild the index into a new index_dir"
                )
            _add_missing_columns(con)  # inside the write lock: two processes never both add one

    @property
    def con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA foreign_keys=ON")
            self._local.con = con
        return con

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        else:
            con.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one consistent state of the catalog (a WAL read transaction)."""
        con = self.con
        con.execute("BEGIN")
        try:
            yield
        finally:
            con.execute("COMMIT")

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    # --- meta -------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None


    def check_model(self, model_id: str, dimension: int) -> None:
        """Record the model on first use; refuse a store built with another one."""
        stored = self.get_meta("model_id")
        if stored is None:
            with self._transaction() as con:
                con.executemany(
                    "INSERT OR REPLACE INTO meta VALUES(?, ?)", [("model_id", model_id), ("dimension", str(dimension))]
                )
            return
        if stored != model_id or self.get_meta("dimension") != str(dimension):
            raise IndexMismatch(
                f"index at {self.path.parent} was built with model {stored!r} "
                f"(dimension {self.get_meta('dimension')}), but the configured model is {model_id!r} "
                f"(dimension {dimension}); set NAVSEARCH_INDEX_DIR to a new folder, set "
                "NAVSEARCH_EMBEDDING__MODEL and NAVSEARCH_EMBEDDING__BACKEND back to what built the "
                "index (a '+onnx-int8' or '+onnx-fp32' suffix names an ONNX backend), or delete the "
                "index folder (`make clean-index` for the default one) to rebuild it"
            )

    # --- files ------------------------------------------------------------------------
    def file_record(self, path: str) -> FileRecord | None:
        row = self.con.execute("SELECT sha256, doc_ids, settings FROM files WHERE path=?", (path,)).fetchone()
        return FileRecord(path, row[0], tuple(json.loads(row[1])), row[2]) if row else None

    def files(self) -> dict[str, list[str]]:
        return {r[0]: json.loads(r[1]) for r in self.con.execute("SELECT path, doc_ids FROM files")}

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
        with self._transaction() as con:
            for doc, chunks in changed:
                self._put_document(con, doc, record.settings, chunks, vectors)
            for doc_id in removed:
                self._delete_document(con, doc_id)
            con.execute(
                "INSERT OR REPLACE INTO files VALUES(?, ?, ?, ?)",
                (record.path, record.sha256, json.dumps(list(record.doc_ids)), record.settings),
            )
            con.execute("DELETE FROM failures WHERE path=?", (record.path,))

    def put_documents(
        self, items: Sequence[tuple[Document, Sequence[Chunk]]], chunker: str, vectors: Mapping[str, bytes]
    ) -> None:
        """Store documents with their chunks in one transaction, outside any file record."""
        with self._transaction() as con:
            for doc, chunks in items:
                self._put_document(con, doc, chunker, chunks, vectors)

    def remove_files(self, paths: Iterable[str]) -> int:
        """Forget files and remove their documents, in one transaction; the documents removed."""
        removed = 0
        with self._transaction() as con:
            for path in paths:
                row = con.execute("SELECT doc_ids FROM files WHERE path=?", (path,)).fetchone()
                for doc_id in json.loads(row[0]) if row else []:
                    self._delete_document(con, doc_id)
                    removed += 1
                con.execute("DELETE FROM files WHERE path=?", (path,))
                con.execute("DELETE FROM failures WHERE path=?", (path,))
        return removed

    # --- forget_document (http-guard branch: DELETE /documents) --------------------------
    def forget_document(self, doc_id: str) -> int:
        """Remove one document of a file that holds others, in one transaction; the file's
        record drops it and loses its hash, so the next ingest re-reads the file. Removed: 0|1."""
        with self._transaction() as con:
            found = con.execute("SELECT 1 FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
            self._delete_document(con, doc_id)
            for path, ids in con.execute("SELECT path, doc_ids FROM files").fetchall():
                if doc_id in (kept := json.loads(ids)):
                    kept.remove(doc_id)
                    con.execute("UPDATE files SET doc_ids=?, sha256='' WHERE path=?", (json.dumps(kept), path))
        return 1 if found else 0
    # --- end forget_document --------------------------------------------------------------

    def record_failure(self, path: str, step: str, error: str) -> None:
        """Remember why a file was rejected (shown by reports until it ingests cleanly)."""
        with self._transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO failures VALUES(?, ?, ?, datetime('now'))", (path, step, error)
            )

    def failures(self) -> list[Failure]:
        rows = self.con.execute("SELECT path, step, error, at FROM failures ORDER BY path")
        return [Failure(*r) for r in rows]

    # --- documents and chunks -----------------------------------------------------------
    def _select_in(self, sql: str, ids: Iterable[Any], args: Sequence[Any] = ()) -> Iterator[sqlite3.Row]:
        """Rows of ``sql`` (whose ``{ids}`` stands for a placeholder list) for the ids,
        queried in batches of IN_BATCH; ``args`` are bound after the ids."""
        batch = list(dict.fromkeys(ids))
        for i in range(0, len(batch), IN_BATCH):
            part = batch[i : i + IN_BATCH]
            yield from self.con.execute(sql.format(ids=",".join("?" * len(part))), [*part, *args])

    def document_state(self, doc_id: str) -> DocumentState | None:
        """What ingest compares to skip an unchanged document, or None if it is not stored."""
        row = self.con.execute(
            "SELECT content_hash, chunker, source FROM documents WHERE doc_id=?", (doc_id,)
        ).fetchone()
        return DocumentState(row[0], row[1], row[2]) if row else None

    def stored_vectors(self, chunk_ids: Iterable[str]) -> dict[str, bytes]:
        """Vectors already stored for these chunk ids (to skip re-embedding them)."""
        rows = self._select_in("SELECT chunk_id, vector FROM chunks WHERE chunk_id IN ({ids})", chunk_ids)
        return {r[0]: r[1] for r in rows}

    @staticmethod
    def _delete_document(con: sqlite3.Connection, doc_id: str) -> int:
        removed = con.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,)).rowcount
        con.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
        return removed

    def _put_document(
        self, con: sqlite3.Connection, doc: Document, chunker: str, chunks: Sequence[Chunk], vectors: Mapping[str, bytes]
    ) -> None:
        """Replace a document and its chunks. ``vectors`` maps every chunk id to its vector."""
        self._delete_document(con, doc.doc_id)
        con.execute(
            f"INSERT INTO documents({DOC_COLUMNS}, text) VALUES({','.join('?' * 20)})",
            (
                doc.doc_id, doc.doc_type, doc.title, doc.number, doc.source, doc.content_hash(), chunker,
                _iso(doc.publication_date), _iso(doc.application_date), _iso(doc.priority_date),
                doc.jurisdiction, doc.language, " " + " ".join(doc.ipc) + " ", json.dumps(doc.cpc),
                doc.issuer, doc.assignee, json.dumps(doc.family), json.dumps(doc.cited),
                json.dumps(doc.notes, ensure_ascii=False), doc.text,
            ),
        )
        con.executemany(
            f"INSERT INTO chunks({CHUNK_COLUMNS[4:]}, vector) VALUES({','.join('?' * 15)})",
            [
                (
                    c.chunk_id, c.doc_id, c.ordinal, c.kind, c.path, c.heading, c.context, c.text, c.start,
                    c.end, c.page, c.claim_number, c.parent_claim, c.location, vectors[c.chunk_id],
                )
                for c in chunks
            ],
        )

    def all_vectors(self, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of every chunk, in id order."""
        rows = self.con.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dimension)
        return ids, vecs

    def allowed_ids(self, filters: Filters) -> np.ndarray:
        where, args = filter_sql(filters)
        sql = "SELECT c.id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id"
        rows = self.con.execute(sql + (f" WHERE {where}" if where else ""), args).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def chunk_texts(self) -> Iterator[tuple[int, str]]:
        """(rowid, text as embedded: context line and text) of every chunk, in rowid order."""
        for rowid, context, text in self.con.execute("SELECT id, context, text FROM chunks ORDER BY id"):
            yield rowid, embedded_text(context, text)

    def chunks_by_rowid(self, rowids: Iterable[int]) -> dict[int, StoredChunk]:
        rows = self._select_in(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE id IN ({{ids}})", rowids)
        return {r["id"]: _row_to_chunk(r) for r in rows}

    def chunks_with_vectors(self, doc_id: str, dimension: int) -> tuple[list[Chunk], np.ndarray]:
        """A document's chunks in order, with their stored vectors (one row each)."""
        rows = self.con.execute(
            f"SELECT {CHUNK_COLUMNS}, vector FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,)
        ).fetchall()
        vecs = np.frombuffer(b"".join(r["vector"] for r in rows), dtype=np.float32).reshape(len(rows), dimension)
        return [_row_to_chunk(r).chunk for r in rows], vecs

    def text_lengths(self, doc_ids: Iterable[str]) -> dict[str, int]:
        rows = self._select_in("SELECT doc_id, length(text) FROM documents WHERE doc_id IN ({ids})", doc_ids)
        return {r[0]: r[1] for r in rows}

    def documents_matching(self, doc_ids: Iterable[str], filters: Filters) -> set[str]:
        """Those of the documents that are stored and pass the filters."""
        where, args = filter_sql(filters)
        sql = "SELECT d.doc_id FROM documents d WHERE d.doc_id IN ({ids})" + (f" AND {where}" if where else "")
        return {r[0] for r in self._select_in(sql, doc_ids, args)}

    def document_text(self, doc_id: str) -> str:
        row = self.con.execute("SELECT text FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        if row is None:
            raise NotFound(f"no document with id {doc_id!r}")
        return row[0]

    def documents_meta(self, doc_ids: Iterable[str]) -> dict[str, DocumentMeta]:
        rows = self._select_in(f"SELECT {DOC_COLUMNS} FROM documents WHERE doc_id IN ({{ids}})", doc_ids)
        return {r["doc_id"]: doc_meta(r) for r in rows}

    def document(self, doc_id: str) -> StoredDocument:
        """Metadata, full text and chunks in order of one document."""
        row = self.con.execute(f"SELECT {DOC_COLUMNS}, text FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        if row is None:
            raise NotFound(f"no document with id {doc_id!r}")
        rows = self.con.execute(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,))
        return StoredDocument(doc_meta(row), row["text"], [_row_to_chunk(r).chunk for r in rows])

    def counts(self) -> dict[str, int]:
        out = {"documents": 0, "chunks": 0}
        for doc_type, n in self.con.execute("SELECT doc_type, count(*) FROM documents GROUP BY doc_type"):
            out[f"documents_{doc_type}"] = n
            out["documents"] += n
        out["chunks"] = self.con.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return out

    def fingerprint(self) -> str:
        """Hash of every stored document's content and chunker: changes iff the corpus does."""
        h = hashlib.sha256()
        for doc_id, content_hash, chunker in self.con.execute(
            "SELECT doc_id, content_hash, chunker FROM documents ORDER BY doc_id"
        ):
            h.update(f"{doc_id}\x00{content_hash}\x00{chunker}\n".encode())
        h.update((self.get_meta("model_id") or "").encode())
        return h.hexdigest()
