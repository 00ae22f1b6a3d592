"""The catalog's tables and their numbered migrations, applied in order on open.

Version 2 makes rows immutable and versioned, so a reader bound to an index generation
never sees another state of the catalog (docs/DESIGN.md, "Readers see one snapshot"):

- chunk and document rows get ids that are never reused (AUTOINCREMENT): an id a
  generation's FAISS or BM25 index holds names the same row for as long as it exists;
- a changed document gets a new row; the old one is *retired*, not deleted: ``born`` is
  the first generation that shows a row, ``retired`` the last (NULL: still current);
- rows no kept generation shows any more are purged after each publish.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

SCHEMA_VERSION = 2

DOCUMENTS = """
CREATE TABLE documents(
    doc_row INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL, doc_type TEXT NOT NULL, title TEXT, number TEXT, source TEXT NOT NULL,
    content_hash TEXT NOT NULL, chunker TEXT NOT NULL,
    publication_date TEXT, application_date TEXT, priority_date TEXT,
    jurisdiction TEXT, language TEXT, ipc_flat TEXT NOT NULL, cpc TEXT, issuer TEXT, assignee TEXT,
    family TEXT, cited TEXT, notes TEXT, text TEXT NOT NULL,
    born INTEGER NOT NULL,
    retired INTEGER
)"""
CHUNKS = """
CREATE TABLE chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chunk_id TEXT NOT NULL,
    doc_row INTEGER NOT NULL REFERENCES documents(doc_row),
    doc_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL, kind TEXT NOT NULL, path TEXT NOT NULL, heading TEXT,
    context TEXT NOT NULL, text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    page INTEGER, claim_number INTEGER, parent_claim INTEGER,
    vector BLOB NOT NULL,
    location TEXT
)"""
INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS documents_current ON documents(doc_id) WHERE retired IS NULL;
CREATE INDEX IF NOT EXISTS documents_versions ON documents(doc_id, born);
CREATE INDEX IF NOT EXISTS documents_retired ON documents(retired) WHERE retired IS NOT NULL;
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_row, ordinal);
CREATE INDEX IF NOT EXISTS chunks_chunk_id ON chunks(chunk_id);
"""
COMMON = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, doc_ids TEXT NOT NULL, settings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failures(path TEXT PRIMARY KEY, step TEXT NOT NULL, error TEXT NOT NULL, at TEXT NOT NULL);
"""


def create(con: sqlite3.Connection) -> None:
    """A new catalog at the current version (inside the caller's transaction)."""
    for statement in (COMMON, DOCUMENTS, CHUNKS, INDEXES):
        for part in statement.split(";"):
            if part.strip():
                con.execute(part)
    con.execute("INSERT INTO meta VALUES('schema_version', ?)", (str(SCHEMA_VERSION),))
    con.execute("INSERT INTO meta VALUES('open_generation', '1')")


def _v1_to_v2(con: sqlite3.Connection) -> None:
    """Version 1 kept one row per document id, deleted and re-inserted rows on change, and
    let SQLite reuse chunk ids; its rows become the first version of each document,
    visible to every generation (born 1), keeping their chunk ids so the FAISS and BM25
    files already published still name the same chunks."""
    chunk_columns = {row[1] for row in con.execute("PRAGMA table_info(chunks)")}
    if "location" not in chunk_columns:  # a version 1 file from before printed locations
        con.execute("ALTER TABLE chunks ADD COLUMN location TEXT")
    con.execute("DROP TABLE IF EXISTS chunks_fts")  # BM25 left SQLite FTS5 for the generation files
    con.execute("ALTER TABLE documents RENAME TO documents_v1")
    con.execute("ALTER TABLE chunks RENAME TO chunks_v1")
    con.execute(DOCUMENTS)
    con.execute(CHUNKS)
    columns = (
        "doc_id, doc_type, title, number, source, content_hash, chunker, publication_date, application_date, "
        "priority_date, jurisdiction, language, ipc_flat, cpc, issuer, assignee, family, cited, notes, text"
    )
    con.execute(f"INSERT INTO documents({columns}, born) SELECT {columns}, 1 FROM documents_v1 ORDER BY rowid")
    con.execute(
        """INSERT INTO chunks(id, chunk_id, doc_row, doc_id, ordinal, kind, path, heading, context, text,
               start, "end", page, claim_number, parent_claim, vector, location)
           SELECT c.id, c.chunk_id, d.doc_row, c.doc_id, c.ordinal, c.kind, c.path, c.heading, c.context,
               c.text, c.start, c."end", c.page, c.claim_number, c.parent_claim, c.vector, c.location
           FROM chunks_v1 c JOIN documents d ON d.doc_id = c.doc_id ORDER BY c.id"""
    )
    con.execute("DROP TABLE chunks_v1")
    con.execute("DROP TABLE documents_v1")
    for part in INDEXES.split(";"):
        if part.strip():
            con.execute(part)
    con.execute("INSERT OR REPLACE INTO meta VALUES('open_generation', '1')")


# MIGRATIONS[n] brings a catalog from version n to n + 1.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1_to_v2}


def migrate(con: sqlite3.Connection, version: int) -> int:
    """Apply the migrations from ``version`` up, in order (inside the caller's
    transaction); the version reached."""
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](con)
        version += 1
        con.execute("INSERT OR REPLACE INTO meta VALUES('schema_version', ?)", (str(version),))
    return version
