"""SQLite catalog: the source of truth for documents, chunks and their vectors. The
search indexes of a generation (FAISS and BM25) are derived from it and can always be
rebuilt.

Rows are immutable and versioned (store/schema.py): a reader bound to generation G sees
exactly the documents G was built from (``Catalog.view(G)``), however the catalog has
changed since; readers without a generation see the current state.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from navsearch.errors import CatalogDamaged, IndexMismatch, NotFound
from navsearch.store import reads, schema
from navsearch.store.file_writes import FileWrites, document_row
from navsearch.store.records import (
    CHUNK_COLUMNS,
    DOC_COLUMNS,
    DocumentState,
    Failure,
    FileRecord,
    StoredChunk,
    StoredDocument,
    doc_meta,
    filter_sql,
    row_to_chunk,
)
from navsearch.types import Chunk, Document, DocumentMeta, Filters, embedded_text

if TYPE_CHECKING:
    from navsearch.store.ledger import IngestLedger

IN_BATCH = 500  # ids per "IN (...)" query: well under SQLite's bound-parameter limit
# Chunk columns qualified for queries that join documents (both tables have doc_id, text).
CHUNK_COLUMNS_C = ", ".join(f"c.{c.strip()}" for c in CHUNK_COLUMNS.split(","))


def visible(at: int | None, alias: str = "d") -> str:
    """SQL condition: the document rows generation ``at`` shows (None: the current rows)."""
    if at is None:
        return f"{alias}.retired IS NULL"
    g = int(at)
    return f"{alias}.born <= {g} AND ({alias}.retired IS NULL OR {alias}.retired >= {g})"


class Catalog(FileWrites):
    """Documents, chunks with their vectors, files and failures in one SQLite file (WAL; a
    connection per thread). The source of truth: index generations are derived from it.

    Every write method owns its transaction: a caller never holds the connection. A
    catalog in a folder this process cannot write is opened read-only (it can still be
    searched); an empty or damaged file is refused and left untouched.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists() and path.stat().st_size == 0:
            raise CatalogDamaged(
                f"the catalog {path.name} is an empty file (0 bytes): it was truncated or never written. "
                "It was left as it is; restore it from a backup, or delete the index folder and ingest again"
            )
        folder = path.parent
        self.read_only = folder.exists() and not os.access(folder, os.W_OK)
        if not self.read_only:
            folder.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        if self.read_only:
            version = self._version()
            if version != schema.SCHEMA_VERSION:
                raise IndexMismatch(
                    f"the catalog is read-only and at schema version {version}; this navsearch reads version "
                    f"{schema.SCHEMA_VERSION} (open it once with write access to migrate it)"
                )
            return
        with self._transaction() as con:  # inside the write lock: two processes never both migrate
            if con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone() is None:
                schema.create(con)
            else:
                version = int(self._meta(con, "schema_version") or 1)
                if version > schema.SCHEMA_VERSION:
                    raise IndexMismatch(
                        f"{path.name} has schema version {version}, newer than this navsearch "
                        f"({schema.SCHEMA_VERSION}); use the navsearch that wrote it, or a new index folder"
                    )
                schema.migrate(con, version)

    def _version(self) -> int:
        row = self.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    @property
    def con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            if self.read_only:
                # No -wal or -shm can be created here, and nobody can write: read as immutable.
                con = sqlite3.connect(
                    f"file:{self.path}?mode=ro&immutable=1", uri=True, timeout=30, isolation_level=None,
                    check_same_thread=False,
                )
            else:
                con = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                con.execute("PRAGMA journal_mode=WAL")
                # FULL: a committed ingest (an HTTP 2xx) survives a power cut, not only a crash.
                con.execute("PRAGMA synchronous=FULL")
            con.row_factory = sqlite3.Row
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

    def check_integrity(self) -> None:
        """SQLite's quick_check; CatalogDamaged naming what it found (the file untouched)."""
        try:
            problems = [r[0] for r in self.con.execute("PRAGMA quick_check")]
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
        if problems != ["ok"]:
            raise CatalogDamaged(
                f"the catalog {self.path.name} is damaged ({'; '.join(problems[:3])}). It was left as it is: "
                "restore it from a backup, or ingest the corpus again into a new NAVSEARCH_INDEX_DIR"
            )

    def view(self, generation: int) -> CatalogView:
        """The catalog as index generation ``generation`` was built from it."""
        return CatalogView(self, generation)

    def ledger(self) -> IngestLedger:
        """The roots and pending vectors of ingestion (store/ledger.py), in this file."""
        from navsearch.store.ledger import IngestLedger

        return IngestLedger(self)

    # --- meta and generations -------------------------------------------------------------
    @staticmethod
    def _meta(con: sqlite3.Connection, key: str) -> str | None:
        row = con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def get_meta(self, key: str) -> str | None:
        return self._meta(self.con, key)

    def _open_generation(self, con: sqlite3.Connection) -> int:
        """The generation rows written now will first appear in."""
        return int(self._meta(con, "open_generation") or 1)

    def begin_generation(self, at_least: int = 1) -> int:
        """Close the next generation to new rows and return its number: rows committed from
        now on wait for the one after, so what generation N shows is fixed from here on."""
        with self._transaction() as con:
            number = max(self._open_generation(con), at_least)
            con.execute("INSERT OR REPLACE INTO meta VALUES('open_generation', ?)", (str(number + 1),))
        return number

    def purge(self, before: int) -> int:
        """Delete the document versions no generation from ``before`` on shows; how many."""
        with self._transaction() as con:
            rows = [r[0] for r in con.execute("SELECT doc_row FROM documents WHERE retired < ?", (before,))]
            for doc_row in rows:
                con.execute("DELETE FROM chunks WHERE doc_row=?", (doc_row,))
                con.execute("DELETE FROM documents WHERE doc_row=?", (doc_row,))
        return len(rows)

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

    def record_failure(self, path: str, step: str, error: str) -> None:
        """Remember why a file was rejected (shown by reports until it ingests cleanly)."""
        with self._transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO failures VALUES(?, ?, ?, datetime('now'))", (path, step, error)
            )

    def failures(self) -> list[Failure]:
        rows = self.con.execute("SELECT path, step, error, at FROM failures ORDER BY path")
        return [Failure(*r) for r in rows]

    # --- writing documents ----------------------------------------------------------------
    def _retire_document(self, con: sqlite3.Connection, doc_id: str) -> int:
        """Take a document's current version out of the current state: kept for the
        generations that show it (purged later), deleted at once if none does yet."""
        row = con.execute("SELECT doc_row, born FROM documents WHERE doc_id=? AND retired IS NULL", (doc_id,)).fetchone()
        if row is None:
            return 0
        open_generation = self._open_generation(con)
        if row["born"] >= open_generation:  # never published: nothing can be showing it
            con.execute("DELETE FROM chunks WHERE doc_row=?", (row["doc_row"],))
            con.execute("DELETE FROM documents WHERE doc_row=?", (row["doc_row"],))
        else:
            con.execute("UPDATE documents SET retired=? WHERE doc_row=?", (open_generation - 1, row["doc_row"]))
        return 1

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._transaction()

    def _put_documents(
        self,
        con: sqlite3.Connection,
        items: Sequence[tuple[Document, Sequence[Chunk]]],
        chunker: str,
        vectors: Mapping[str, bytes],
    ) -> None:
        for doc, chunks in items:
            self._put_document(con, doc, chunker, chunks, vectors)

    def _put_document(
        self, con: sqlite3.Connection, doc: Document, chunker: str, chunks: Sequence[Chunk], vectors: Mapping[str, bytes]
    ) -> None:
        """A new version of a document and its chunks. ``vectors`` maps every chunk id to its vector."""
        self._retire_document(con, doc.doc_id)
        cursor = con.execute(
            f"INSERT INTO documents({DOC_COLUMNS}, text, born) VALUES({','.join('?' * 21)})",
            document_row(doc, chunker, self._open_generation(con)),
        )
        doc_row = cursor.lastrowid
        con.executemany(
            f"INSERT INTO chunks({CHUNK_COLUMNS[4:]}, doc_row, vector) VALUES({','.join('?' * 16)})",
            [
                (
                    c.chunk_id, c.doc_id, c.ordinal, c.kind, c.path, c.heading, c.context, c.text, c.start,
                    c.end, c.page, c.claim_number, c.parent_claim, c.location, doc_row, vectors[c.chunk_id],
                )
                for c in chunks
            ],
        )

    # --- reading ---------------------------------------------------------------------------
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
            "SELECT content_hash, chunker, source FROM documents WHERE doc_id=? AND retired IS NULL", (doc_id,)
        ).fetchone()
        return DocumentState(row[0], row[1], row[2]) if row else None

    def stored_vectors(self, chunk_ids: Iterable[str]) -> dict[str, bytes]:
        """Vectors already stored for these chunk ids (to skip re-embedding them)."""
        rows = self._select_in("SELECT chunk_id, vector FROM chunks WHERE chunk_id IN ({ids})", chunk_ids)
        return {r[0]: r[1] for r in rows}

    def all_vectors(self, dimension: int, at: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of every chunk generation ``at`` shows (None: current), in id order."""
        rows = self.con.execute(
            f"SELECT c.id, c.vector FROM chunks c JOIN documents d ON d.doc_row = c.doc_row "
            f"WHERE {visible(at)} ORDER BY c.id"
        ).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dimension)
        return ids, vecs

    def chunk_texts(self, at: int | None = None) -> Iterator[tuple[int, str]]:
        """(rowid, text as embedded: context line and text) of every chunk generation ``at``
        shows (None: current), in rowid order."""
        for rowid, context, text in self.con.execute(
            f"SELECT c.id, c.context, c.text FROM chunks c JOIN documents d ON d.doc_row = c.doc_row "
            f"WHERE {visible(at)} ORDER BY c.id"
        ):
            yield rowid, embedded_text(context, text)

    def allowed_ids(self, filters: Filters, at: int | None = None) -> np.ndarray:
        where, args = filter_sql(filters)
        sql = f"SELECT c.id FROM chunks c JOIN documents d ON d.doc_row = c.doc_row WHERE {visible(at)}"
        rows = self.con.execute(sql + (f" AND {where}" if where else ""), args).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def chunks_by_rowid(self, rowids: Iterable[int]) -> dict[int, StoredChunk]:
        """Chunks by row id: rows are never changed and ids never reused, so an id a
        generation holds names the chunk it indexed for as long as the row is kept."""
        rows = self._select_in(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE id IN ({{ids}})", rowids)
        return {r["id"]: row_to_chunk(r) for r in rows}

    def chunks_with_vectors(self, doc_id: str, dimension: int, at: int | None = None) -> tuple[list[Chunk], np.ndarray]:
        """A document's chunks in order, with their stored vectors (one row each)."""
        rows = self.con.execute(
            f"SELECT {CHUNK_COLUMNS_C}, c.vector FROM chunks c JOIN documents d ON d.doc_row = c.doc_row "
            f"WHERE d.doc_id=? AND {visible(at)} ORDER BY c.ordinal",
            (doc_id,),
        ).fetchall()
        vecs = np.frombuffer(b"".join(r["vector"] for r in rows), dtype=np.float32).reshape(len(rows), dimension)
        return [row_to_chunk(r).chunk for r in rows], vecs

    def text_lengths(self, doc_ids: Iterable[str], at: int | None = None) -> dict[str, int]:
        sql = f"SELECT doc_id, length(text) FROM documents d WHERE doc_id IN ({{ids}}) AND {visible(at)}"
        return {r[0]: r[1] for r in self._select_in(sql, doc_ids)}

    def documents_matching(self, doc_ids: Iterable[str], filters: Filters, at: int | None = None) -> set[str]:
        """Those of the documents that are stored and pass the filters."""
        where, args = filter_sql(filters)
        sql = f"SELECT d.doc_id FROM documents d WHERE d.doc_id IN ({{ids}}) AND {visible(at)}"
        return {r[0] for r in self._select_in(sql + (f" AND {where}" if where else ""), doc_ids, args)}

    def document_text(self, doc_id: str, at: int | None = None) -> str:
        row = self.con.execute(f"SELECT text FROM documents d WHERE doc_id=? AND {visible(at)}", (doc_id,)).fetchone()
        if row is None:
            raise NotFound(f"no document with id {doc_id!r}")
        return row[0]

    def documents_meta(self, doc_ids: Iterable[str], at: int | None = None) -> dict[str, DocumentMeta]:
        sql = f"SELECT {DOC_COLUMNS} FROM documents d WHERE doc_id IN ({{ids}}) AND {visible(at)}"
        return {r["doc_id"]: doc_meta(r) for r in self._select_in(sql, doc_ids)}

    def document(self, doc_id: str, at: int | None = None) -> StoredDocument:
        """Metadata, full text and chunks in order of one document."""
        row = self.con.execute(
            f"SELECT doc_row, {DOC_COLUMNS}, text FROM documents d WHERE doc_id=? AND {visible(at)}", (doc_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no document with id {doc_id!r}")
        rows = self.con.execute(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE doc_row=? ORDER BY ordinal", (row["doc_row"],))
        return StoredDocument(doc_meta(row), row["text"], [row_to_chunk(r).chunk for r in rows])

    def _unchanged(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, kept on this thread's connection while the database is unchanged:
        nothing committed by another connection (SQLite's data_version) nor written by this
        one (its total_changes). /health reads the counts and the fingerprint on every call;
        at 100k chunks they took ~40 ms of SQL and hashing (2 cores), ~10x that at 1M."""
        con = self.con
        key = (con.execute("PRAGMA data_version").fetchone()[0], con.total_changes)  # read first: a later change misses
        kept = self._local.__dict__.setdefault("unchanged", {})
        if (hit := kept.get(name)) is not None and hit[0] == key:
            return hit[1]
        value = compute()
        kept[name] = (key, value)
        return value

    def counts(self) -> dict[str, int]:
        """Current documents (by type) and chunks."""
        return dict(self._unchanged("counts", self._counts))

    def _counts(self) -> dict[str, int]:
        out = {"documents": 0, "chunks": 0}
        for doc_type, n in self.con.execute(
            "SELECT doc_type, count(*) FROM documents WHERE retired IS NULL GROUP BY doc_type"
        ):
            out[f"documents_{doc_type}"] = n
            out["documents"] += n
        out["chunks"] = self.con.execute(
            "SELECT count(*) FROM chunks c JOIN documents d ON d.doc_row = c.doc_row WHERE d.retired IS NULL"
        ).fetchone()[0]
        return out

    def fingerprint(self, at: int | None = None) -> str:
        """Hash of the content and chunker of every document generation ``at`` shows (None:
        the current ones): two states with the same documents have the same fingerprint."""
        return self._unchanged("fingerprint", self._fingerprint) if at is None else self._fingerprint(at)

    def _fingerprint(self, at: int | None = None) -> str:
        h = hashlib.sha256()
        for doc_id, content_hash, chunker in self.con.execute(
            f"SELECT doc_id, content_hash, chunker FROM documents d WHERE {visible(at)} ORDER BY doc_id"
        ):
            h.update(f"{doc_id}\x00{content_hash}\x00{chunker}\n".encode())
        h.update((self.get_meta("model_id") or "").encode())
        return h.hexdigest()


class CatalogView:
    """The catalog as one index generation was built from it: what a reader bound to that
    generation reads, so its hits, quotes and documents always agree."""

    def __init__(self, catalog: Catalog, generation: int) -> None:
        self.catalog = catalog
        self.generation = generation

    def allowed_ids(self, filters: Filters) -> np.ndarray:
        return self.catalog.allowed_ids(filters, self.generation)

    def chunks_by_rowid(self, rowids: Iterable[int]) -> dict[int, StoredChunk]:
        return self.catalog.chunks_by_rowid(rowids)

    def chunks_with_vectors(self, doc_id: str, dimension: int) -> tuple[list[Chunk], np.ndarray]:
        return self.catalog.chunks_with_vectors(doc_id, dimension, self.generation)

    def text_lengths(self, doc_ids: Iterable[str]) -> dict[str, int]:
        return self.catalog.text_lengths(doc_ids, self.generation)

    def documents_matching(self, doc_ids: Iterable[str], filters: Filters) -> set[str]:
        return self.catalog.documents_matching(doc_ids, filters, self.generation)

    def document_text(self, doc_id: str) -> str:
        return self.catalog.document_text(doc_id, self.generation)

    def documents_meta(self, doc_ids: Iterable[str]) -> dict[str, DocumentMeta]:
        return self.catalog.documents_meta(doc_ids, self.generation)

    def document(self, doc_id: str) -> StoredDocument:
        return self.catalog.document(doc_id, self.generation)

    # --- reads for lookup by number and prior-art cutoffs (store/reads.py) ----------------
    def document_keys(self) -> list[DocumentMeta]:
        return reads.document_keys(self.catalog, self.generation)

    def provision_paths(self) -> list[tuple[int, str, str]]:
        return reads.provision_paths(self.catalog, self.generation)

    def cutoff_counts(self, filters: Filters) -> tuple[int, int, int]:
        return reads.cutoff_counts(self.catalog, filters, self.generation)

    def chunk_layout(self) -> Iterable[tuple[int, str, str, str, str | None]]:
        return reads.chunk_layout(self.catalog, self.generation)

    def vectors_by_rowid(self, rowids: list[int], dimension: int) -> dict[int, np.ndarray]:
        return reads.vectors_by_rowid(self.catalog, rowids, dimension)
