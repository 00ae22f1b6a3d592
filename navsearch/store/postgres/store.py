"""The catalog in PostgreSQL: the ``Store`` of store/protocol.py.

The same model as the embedded catalog (store/catalog.py): rows are immutable and
versioned by generation (``born``/``retired``), a changed document gets a new row and its
old one is retired, rows no kept generation shows are purged after a publish. Every write
is one transaction on the primary under one advisory lock, so writers of all processes
run one at a time and a generation's rows are fixed once its number is taken
(``begin_generation``). Each chunk's BM25 postings are written with it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager

import numpy as np
import psycopg

from navsearch.errors import CatalogDamaged, IndexMismatch, NotReady
from navsearch.settings import StoreSettings
from navsearch.store.file_writes import FileWrites, document_row
from navsearch.store.catalog import visible
from navsearch.store.postgres.ledger import PgLedger
from navsearch.store.postgres.migrate import migrate
from navsearch.store.postgres.pools import Pools, as_array, where
from navsearch.store.postgres.reader import PgReader, document_at
from navsearch.store.records import DOC_COLUMNS, DocumentState, Failure, FileRecord, StoredDocument
from navsearch.terms import analyze
from navsearch.types import Chunk, Document, embedded_text

CHUNK_INSERT = (
    'id, chunk_id, doc_row, doc_id, ordinal, kind, path, heading, context, text, start, "end", page, '
    "claim_number, parent_claim, location, born, terms, embedding"
)


class PgStore(FileWrites):
    """Documents, chunks with their vectors (pgvector), BM25 postings, files, failures and
    the ledger in one PostgreSQL database; reads of a generation go to ``pools.reads``."""

    read_only = False

    def __init__(self, pools: Pools, settings: StoreSettings) -> None:
        self.pools = pools
        self.settings = settings

    @classmethod
    def open(cls, settings: StoreSettings) -> PgStore:
        """Migrate the primary's schema (one server at a time), then open the pools."""
        assert settings.dsn is not None
        dsn = settings.dsn.get_secret_value()
        try:
            migrate(dsn)
        except psycopg.OperationalError as exc:
            raise NotReady(f"cannot connect to PostgreSQL at {where(dsn)}: {exc}") from exc
        return cls(Pools.open(settings), settings)

    def close(self) -> None:
        self.pools.close()

    def check_integrity(self) -> None:
        """The database answers and holds this navsearch's tables (PostgreSQL checks its own pages)."""
        try:
            with self.pools.primary.connection() as con:
                con.execute("SELECT count(*) FROM meta").fetchone()
        except psycopg.Error as exc:
            raise CatalogDamaged(f"the PostgreSQL store cannot be read: {exc}") from exc

    def view(self, generation: int) -> PgReader:
        return PgReader(self.pools.reads, generation)

    def ledger(self) -> PgLedger:
        return PgLedger(self.pools)

    def _write(self) -> AbstractContextManager[psycopg.Connection]:
        return self.pools.write()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")  # the shared writes' SQL holds no other question mark

    # --- meta and generations ---------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self.pools.primary.connection() as con:
            row = con.execute("SELECT value FROM meta WHERE key=%s", (key,)).fetchone()
        return row[0] if row else None

    @staticmethod
    def _open_generation(con: psycopg.Connection) -> int:
        row = con.execute("SELECT value FROM meta WHERE key='open_generation'").fetchone()
        return int(row[0]) if row else 1

    def begin_generation(self, at_least: int = 1) -> int:
        """Close the next generation to new rows; its number (store/catalog.py)."""
        with self.pools.write() as con:
            number = max(self._open_generation(con), at_least)
            con.execute("UPDATE meta SET value=%s WHERE key='open_generation'", (str(number + 1),))
        return number

    def purge(self, before: int) -> int:
        """Delete the document versions no generation from ``before`` on shows; how many."""
        with self.pools.write() as con:
            rows = con.execute("DELETE FROM documents WHERE retired < %s RETURNING doc_row", (before,)).fetchall()
            con.execute("DELETE FROM generations WHERE number < %s", (before,))
        return len(rows)

    def check_model(self, model_id: str, dimension: int) -> None:
        """Record the model on first use (giving the vector column its dimension and its
        HNSW index); refuse a store built with another one."""
        stored, stored_dim = self.get_meta("model_id"), self.get_meta("dimension")
        if stored is None:
            with self.pools.write() as con:
                if self._meta_in(con, "model_id") is None:  # not recorded by another process meanwhile
                    self._record_model(con, model_id, dimension)
            stored, stored_dim = self.get_meta("model_id"), self.get_meta("dimension")
        if stored != model_id or stored_dim != str(dimension):
            raise IndexMismatch(
                f"the PostgreSQL store at {where(self.settings.dsn.get_secret_value() if self.settings.dsn else '')} "
                f"was built with model {stored!r} (dimension {stored_dim}), but the configured model is "
                f"{model_id!r} (dimension {dimension}); set NAVSEARCH_EMBEDDING__MODEL and "
                "NAVSEARCH_EMBEDDING__BACKEND back to what built it, or use a new database"
            )

    @staticmethod
    def _meta_in(con: psycopg.Connection, key: str) -> str | None:
        row = con.execute("SELECT value FROM meta WHERE key=%s", (key,)).fetchone()
        return row[0] if row else None

    def _record_model(self, con: psycopg.Connection, model_id: str, dimension: int) -> None:
        con.execute(f"ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({int(dimension)})")
        self._create_dense_index(con)
        con.execute(
            "INSERT INTO meta VALUES ('model_id', %s), ('dimension', %s)", (model_id, str(dimension))
        )

    def _create_dense_index(self, con: psycopg.Connection) -> None:
        s = self.settings
        # Inner product on normalised vectors is cosine similarity, and cheaper to compute.
        con.execute(
            f"CREATE INDEX IF NOT EXISTS chunks_embedding ON chunks USING hnsw (embedding vector_ip_ops) "
            f"WITH (m = {int(s.hnsw_m)}, ef_construction = {int(s.hnsw_ef_construction)})"
        )

    # --- files --------------------------------------------------------------------------
    def file_record(self, path: str) -> FileRecord | None:
        with self.pools.primary.connection() as con:
            row = con.execute("SELECT sha256, doc_ids, settings FROM files WHERE path=%s", (path,)).fetchone()
        return FileRecord(path, row[0], tuple(json.loads(row[1])), row[2]) if row else None

    def files(self) -> dict[str, list[str]]:
        with self.pools.primary.connection() as con:
            return {r[0]: json.loads(r[1]) for r in con.execute("SELECT path, doc_ids FROM files")}

    def record_failure(self, path: str, step: str, error: str) -> None:
        with self.pools.write() as con:
            con.execute(
                "INSERT INTO failures VALUES(%s, %s, %s, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')) "
                "ON CONFLICT (path) DO UPDATE SET step=EXCLUDED.step, error=EXCLUDED.error, at=EXCLUDED.at",
                (path, step, error),
            )

    def failures(self) -> list[Failure]:
        with self.pools.primary.connection() as con:
            return [Failure(*r) for r in con.execute("SELECT path, step, error, at FROM failures ORDER BY path")]

    # --- writing documents --------------------------------------------------------------
    def _retire_document(self, con: psycopg.Connection, doc_id: str) -> int:
        row = con.execute(
            "SELECT doc_row, born FROM documents WHERE doc_id=%s AND retired IS NULL", (doc_id,)
        ).fetchone()
        if row is None:
            return 0
        doc_row, born = row
        open_generation = self._open_generation(con)
        if born >= open_generation:  # never published: nothing can be showing it
            con.execute("DELETE FROM documents WHERE doc_row=%s", (doc_row,))  # chunks, postings cascade
        else:
            con.execute("UPDATE documents SET retired=%s WHERE doc_row=%s", (open_generation - 1, doc_row))
            con.execute("UPDATE chunks SET retired=%s WHERE doc_row=%s", (open_generation - 1, doc_row))
            con.execute(
                "UPDATE postings SET retired=%s WHERE chunk IN (SELECT id FROM chunks WHERE doc_row=%s)",
                (open_generation - 1, doc_row),
            )
        return 1

    def _put_documents(
        self,
        con: psycopg.Connection,
        items: Sequence[tuple[Document, Sequence[Chunk]]],
        chunker: str,
        vectors: Mapping[str, bytes],
    ) -> None:
        """New versions of documents, then all their chunks in one COPY."""
        born = self._open_generation(con)
        rows = []
        for doc, chunks in items:
            self._retire_document(con, doc.doc_id)
            row = con.execute(
                f"INSERT INTO documents({DOC_COLUMNS}, text, born) VALUES({','.join(['%s'] * 21)}) RETURNING doc_row",
                document_row(doc, chunker, born),
            ).fetchone()
            assert row is not None
            rows.extend((row[0], c) for c in chunks)
        write_chunks(con, born, rows, vectors)

    # --- reading ------------------------------------------------------------------------
    def document_state(self, doc_id: str) -> DocumentState | None:
        with self.pools.primary.connection() as con:
            row = con.execute(
                "SELECT content_hash, chunker, source FROM documents WHERE doc_id=%s AND retired IS NULL", (doc_id,)
            ).fetchone()
        return DocumentState(row[0], row[1], row[2]) if row else None

    def stored_vectors(self, chunk_ids: Iterable[str]) -> dict[str, bytes]:
        ids = list(dict.fromkeys(chunk_ids))
        if not ids:
            return {}
        with self.pools.primary.connection() as con:
            rows = con.execute(
                "SELECT chunk_id, embedding FROM chunks WHERE chunk_id = ANY(%s)", (ids,), binary=True
            ).fetchall()
        return {r[0]: as_array(r[1]).tobytes() for r in rows}

    def counts(self) -> dict[str, int]:
        out = {"documents": 0, "chunks": 0}
        with self.pools.primary.connection() as con:
            for doc_type, n in con.execute(
                "SELECT doc_type, count(*) FROM documents WHERE retired IS NULL GROUP BY doc_type ORDER BY doc_type"
            ):
                out[f"documents_{doc_type}"] = n
                out["documents"] += n
            row = con.execute("SELECT count(*) FROM chunks WHERE retired IS NULL").fetchone()
        out["chunks"] = row[0] if row else 0
        return out

    def fingerprint(self, at: int | None = None) -> str:
        """Hash of the content and chunker of every document generation ``at`` shows: the
        same as the embedded catalog's for the same documents and model."""
        h = hashlib.sha256()
        with self.pools.primary.connection() as con:
            for doc_id, content_hash, chunker in con.execute(
                f"SELECT doc_id, content_hash, chunker FROM documents d WHERE {visible(at)} ORDER BY doc_id COLLATE \"C\""
            ):
                h.update(f"{doc_id}\x00{content_hash}\x00{chunker}\n".encode())
            h.update((self._meta_in(con, "model_id") or "").encode())
        return h.hexdigest()

    def document(self, doc_id: str, at: int | None = None) -> StoredDocument:
        with self.pools.primary.connection() as con:
            return document_at(con, doc_id, at)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Writes inside go without the HNSW index, built once at the end: pgvector builds
        an index much faster than it inserts row by row (a bulk load, not a server's ingest)."""
        with self.pools.write() as con:
            con.execute("DROP INDEX IF EXISTS chunks_embedding")
        try:
            yield
        finally:
            with self.pools.write() as con:
                # pgvector builds in memory while the graph fits, far faster than on disk
                con.execute(f"SET LOCAL maintenance_work_mem = '{int(self.settings.index_build_memory_mb)}MB'")
                self._create_dense_index(con)

    def analyze(self) -> None:
        """Refresh the planner's statistics of the tables a search reads."""
        with self.pools.primary.connection() as con:
            con.execute("ANALYZE documents, chunks, postings")

    def chunk_count(self, at: int) -> int:
        """Chunks generation ``at`` shows."""
        with self.pools.primary.connection() as con:
            row = con.execute(f"SELECT count(*) FROM chunks c WHERE {visible(at, 'c')}").fetchone()
        return row[0] if row else 0


def _vector_text(data: bytes) -> str:
    """float32 bytes as pgvector's text form: ten times faster in COPY than its own
    dumper's element-by-element formatting; repr round-trips each float32 exactly."""
    return "[" + ",".join(map(repr, np.frombuffer(data, dtype=np.float32).tolist())) + "]"


def write_chunks(
    con: psycopg.Connection, born: int, chunks: Sequence[tuple[int, Chunk]], vectors: Mapping[str, bytes]
) -> None:
    """Chunks (with their document's row) with their vectors and BM25 postings, by COPY
    (ids taken from the sequence first, so postings can name them)."""
    if not chunks:
        return
    ids = [r[0] for r in con.execute("SELECT nextval('chunks_id_seq') FROM generate_series(1, %s)", (len(chunks),))]
    postings = []
    with con.cursor().copy(f"COPY chunks({CHUNK_INSERT}) FROM STDIN") as copy:
        for rowid, (doc_row, c) in zip(ids, chunks):
            terms = analyze(embedded_text(c.context, c.text))
            postings.extend((t, rowid, n, len(terms), born) for t, n in Counter(terms).items())
            copy.write_row((
                rowid, c.chunk_id, doc_row, c.doc_id, c.ordinal, c.kind, c.path, c.heading, c.context, c.text,
                c.start, c.end, c.page, c.claim_number, c.parent_claim, c.location, born, len(terms),
                _vector_text(vectors[c.chunk_id]),
            ))
    with con.cursor().copy("COPY postings(term, chunk, tf, dl, born) FROM STDIN") as copy:
        for p in postings:
            copy.write_row(p)
