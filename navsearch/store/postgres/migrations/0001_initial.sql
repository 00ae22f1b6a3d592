-- The catalog in PostgreSQL: the same tables as the embedded SQLite catalog
-- (store/schema.py), rows immutable and versioned by generation (born/retired), plus
-- the BM25 postings of every chunk and the published generations. The vector column
-- gets its dimension and HNSW index when the first model is recorded (store.check_model).
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);
INSERT INTO meta VALUES ('open_generation', '1');

CREATE TABLE files(path text PRIMARY KEY, sha256 text NOT NULL, doc_ids text NOT NULL, settings text NOT NULL);
CREATE TABLE failures(path text PRIMARY KEY, step text NOT NULL, error text NOT NULL, at text NOT NULL);

CREATE TABLE documents(
    doc_row bigserial PRIMARY KEY,
    doc_id text NOT NULL, doc_type text NOT NULL, title text, number text, source text NOT NULL,
    content_hash text NOT NULL, chunker text NOT NULL,
    publication_date text, application_date text, priority_date text,
    jurisdiction text, language text, ipc_flat text NOT NULL, cpc text, issuer text, assignee text,
    family text, cited text, notes text, text text NOT NULL,
    born integer NOT NULL,
    retired integer
);
CREATE UNIQUE INDEX documents_current ON documents(doc_id) WHERE retired IS NULL;
CREATE INDEX documents_versions ON documents(doc_id, born);
CREATE INDEX documents_retired ON documents(retired) WHERE retired IS NOT NULL;

-- born/retired repeat the document's so that dense and lexical search filter one table.
CREATE TABLE chunks(
    id bigserial PRIMARY KEY,
    chunk_id text NOT NULL,
    doc_row bigint NOT NULL REFERENCES documents(doc_row) ON DELETE CASCADE,
    doc_id text NOT NULL,
    ordinal integer NOT NULL, kind text NOT NULL, path text NOT NULL, heading text,
    context text NOT NULL, text text NOT NULL, start integer NOT NULL, "end" integer NOT NULL,
    page integer, claim_number integer, parent_claim integer, location text,
    born integer NOT NULL,
    retired integer,
    terms integer NOT NULL,  -- analysed terms (navsearch/terms.py): BM25's document length
    embedding vector NOT NULL
);
CREATE INDEX chunks_doc ON chunks(doc_row, ordinal);
CREATE INDEX chunks_chunk_id ON chunks(chunk_id);

-- BM25 postings: how often each analysed term occurs in each chunk. The chunk's length
-- and born/retired are repeated so that a query reads one index range per term, no join.
CREATE TABLE postings(
    term text NOT NULL,
    chunk bigint NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    tf integer NOT NULL,
    dl integer NOT NULL,
    born integer NOT NULL,
    retired integer,
    PRIMARY KEY (term, chunk)
);
CREATE INDEX postings_chunk ON postings(chunk);

-- A published generation: its number bounds what readers bound to it see.
CREATE TABLE generations(number integer PRIMARY KEY, manifest jsonb NOT NULL);

-- The ingest ledger (store/ledger.py).
CREATE TABLE roots(
    id bigserial PRIMARY KEY, path text NOT NULL UNIQUE, label text NOT NULL UNIQUE,
    is_file boolean NOT NULL, added timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE pending_vectors(chunk_id text PRIMARY KEY, vector bytea NOT NULL);
