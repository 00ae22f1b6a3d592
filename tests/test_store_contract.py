"""One contract for every store backend (store/protocol.py), run against the embedded
store (SQLite + FAISS + BM25 files) and a real PostgreSQL 16 with pgvector started by the
fixtures: idempotent upserts, dense and lexical top-n with filters, fetch by ids, delete
by document, counts, the snapshot a reader sees, and a second model refused."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from navsearch.embedding.fake import HashingEmbedder
from navsearch.errors import IndexMismatch, NotFound
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.store.protocol import Generation, IndexStore, Store
from navsearch.store.records import FileRecord
from navsearch.terms import analyze
from navsearch.types import Chunk, Document, Filters, chunk_id_for

DIM = 64
MODEL = f"hashing-{DIM}"
EMBEDDER = HashingEmbedder(DIM)

# (doc id, type, jurisdiction, publication date, texts of its chunks)
DOCS = [
    ("us-1", "patent", "US", date(2001, 5, 1), ["a rotor blade of a wind turbine", "the blade pitch is controlled"]),
    ("ep-2", "patent", "EP", date(2012, 3, 9), ["a battery cell with a solid electrolyte", "cooling of the battery pack"]),
    ("gdpr", "statute", "EU", date(2016, 4, 27), ["right to erasure of personal data", "the controller shall erase data"]),
    ("sipo", "policy", "CN", date(2013, 1, 10), ["pilot enterprises of patent operation", "patent pledge financing"]),
]


def _doc(doc_id: str, doc_type: str, jurisdiction: str, published: date, texts: list[str]) -> tuple[Document, list[Chunk]]:
    text = "\n".join(texts)
    doc = Document(
        doc_id=doc_id, doc_type=doc_type, title=doc_id.upper(), text=text, sections=[], source=f"{doc_id}.txt",  # type: ignore[arg-type]
        jurisdiction=jurisdiction, publication_date=published,
    )
    chunks, start = [], 0
    for i, t in enumerate(texts):
        path = f"part {i + 1}"
        chunks.append(Chunk(chunk_id_for(doc_id, path, t), doc_id, i, "paragraph", path, t, start, start + len(t)))
        start += len(t) + 1
    return doc, chunks


def _commit(store: Store, *items: tuple[Document, list[Chunk]]) -> None:
    for doc, chunks in items:
        vectors = EMBEDDER.embed([c.embed_text for c in chunks])
        store.commit_file(
            FileRecord(doc.source, f"sha-{doc.doc_id}", (doc.doc_id,), "test"),
            [(doc, chunks)],
            {c.chunk_id: v.astype(np.float32).tobytes() for c, v in zip(chunks, vectors)},
        )


@pytest.fixture(params=["embedded", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Store, IndexStore]:
    """(store, index store) of a new, empty store of each backend."""
    store_settings = {"backend": request.param}
    if request.param == "postgres":
        store_settings["dsn"] = request.getfixturevalue("pg_dsn")
    ns = NavSearch(Settings(index_dir=tmp_path / "index", embedding={"model": MODEL}, store=store_settings), embedder=EMBEDDER)
    ns.catalog.check_model(MODEL, DIM)
    yield ns.catalog, ns.index_store()
    ns.catalog.close()


def _filled(backend: tuple[Store, IndexStore]) -> tuple[Store, IndexStore, Generation]:
    store, index = backend
    _commit(store, *(_doc(*d) for d in DOCS))
    index.publish(MODEL, DIM)
    return store, index, index.load(MODEL, DIM)


def _doc_of(store: Store, generation: Generation, hits: list[tuple[int, float]]) -> list[str]:
    chunks = store.view(generation.manifest.generation).chunks_by_rowid(i for i, _ in hits)
    return [chunks[i].chunk.doc_id for i, _ in hits]


def test_upsert_is_idempotent_on_the_chunk_id(backend: tuple[Store, IndexStore]) -> None:
    store, index = backend
    item = _doc(*DOCS[0])
    _commit(store, item)
    index.publish(MODEL, DIM)
    _commit(store, item)  # the same document and chunks again, after and before a publish
    _commit(store, item)
    assert store.counts() == {"documents": 1, "chunks": 2, "documents_patent": 1}
    generation = index.load(MODEL, DIM)
    index.publish(MODEL, DIM)
    latest = index.load(MODEL, DIM)
    for g in (generation, latest):
        reader = store.view(g.manifest.generation)
        rows = reader.allowed_ids(Filters())
        chunk_ids = [s.chunk.chunk_id for s in reader.chunks_by_rowid(rows.tolist()).values()]
        assert sorted(chunk_ids) == sorted(c.chunk_id for c in item[1])  # one row per chunk id
        assert g.dense.count == g.lexical.count == 2
    assert set(store.stored_vectors(c.chunk_id for c in item[1])) == {c.chunk_id for c in item[1]}


def test_dense_top_n_is_exact_and_filtered(backend: tuple[Store, IndexStore]) -> None:
    store, _, generation = _filled(backend)
    reader = store.view(generation.manifest.generation)
    query = EMBEDDER.embed_queries(["wind turbine rotor blade"])[0]
    hits = generation.dense.search(query, 3)
    assert _doc_of(store, generation, hits)[0] == "us-1"
    # The scores are the cosine of the stored vectors, best first.
    stored = reader.vectors_by_rowid([i for i, _ in hits], DIM)
    assert [round(s, 5) for _, s in hits] == [round(float(stored[i] @ query), 5) for i, _ in hits]
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    for filters, wanted in (
        (Filters(doc_types=("statute", "policy")), {"gdpr", "sipo"}),
        (Filters(jurisdictions=("EP",)), {"ep-2"}),
        (Filters(date_from=date(2010, 1, 1), date_to=date(2014, 1, 1)), {"ep-2", "sipo"}),
    ):
        allowed = reader.allowed_ids(filters)
        filtered = generation.dense.search(query, 10, allowed)
        assert set(_doc_of(store, generation, filtered)) == wanted, filters
        assert len(filtered) == len(allowed) == 2 * len(wanted)  # every allowed chunk, however far
    assert generation.dense.search(query, 5, np.zeros(0, dtype=np.int64)) == []


def test_lexical_top_n_is_bm25_and_filtered(backend: tuple[Store, IndexStore]) -> None:
    store, _, generation = _filled(backend)
    reader = store.view(generation.manifest.generation)
    terms = analyze("patent battery")
    hits = generation.lexical.search(terms, 10)
    assert set(_doc_of(store, generation, hits)) == {"ep-2", "sipo"}
    assert generation.lexical.df(analyze("patent")[0]) == 2 and generation.lexical.df("nosuchterm") == 0
    # The embedded store's BM25 (store/lexical.py) over the same chunks gives the same scores.
    from navsearch.store.lexical import Bm25Index

    rows = reader.allowed_ids(Filters())
    texts = reader.chunks_by_rowid(rows.tolist())
    reference = Bm25Index.build((i, texts[i].chunk.embed_text) for i in sorted(rows))
    expected = reference.search(terms, 10, boosts=[1.0, 0.5])
    got = generation.lexical.search(terms, 10, boosts=[1.0, 0.5])
    assert [i for i, _ in got] == [i for i, _ in expected]
    assert np.allclose([s for _, s in got], [s for _, s in expected], rtol=1e-5)
    assert generation.lexical.idf(terms) == pytest.approx(reference.idf(terms))
    policy = reader.allowed_ids(Filters(doc_types=("policy",)))
    assert set(_doc_of(store, generation, generation.lexical.search(terms, 10, policy))) == {"sipo"}


def test_fetch_by_ids_and_documents(backend: tuple[Store, IndexStore]) -> None:
    store, _, generation = _filled(backend)
    reader = store.view(generation.manifest.generation)
    doc, chunks = _doc(*DOCS[2])
    stored = reader.document("gdpr")
    assert stored.text == doc.text and [c.chunk_id for c in stored.chunks] == [c.chunk_id for c in chunks]
    assert stored.meta.jurisdiction == "EU" and stored.meta.publication_date == date(2016, 4, 27)
    rows = reader.allowed_ids(Filters(doc_types=("statute",)))
    by_row = reader.chunks_by_rowid(rows.tolist())
    assert sorted(s.chunk.text for s in by_row.values()) == sorted(c.text for c in chunks)
    assert reader.documents_meta(["gdpr", "missing"]).keys() == {"gdpr"}
    assert reader.text_lengths(["gdpr"]) == {"gdpr": len(doc.text)}
    assert reader.documents_matching(["gdpr", "us-1"], Filters(jurisdictions=("EU",))) == {"gdpr"}
    got, vectors = reader.chunks_with_vectors("gdpr", DIM)
    assert [c.chunk_id for c in got] == [c.chunk_id for c in chunks] and vectors.shape == (2, DIM)
    assert np.allclose(vectors, EMBEDDER.embed([c.embed_text for c in chunks]), atol=1e-6)
    assert [m.doc_id for m in reader.document_keys()] == sorted(d[0] for d in DOCS)
    assert reader.cutoff_counts(Filters(doc_types=("patent",), date_to=date(2005, 1, 1))) == (2, 0, 1)
    with pytest.raises(NotFound):
        reader.document("missing")


def test_delete_by_document_and_counts(backend: tuple[Store, IndexStore]) -> None:
    store, index, before = _filled(backend)
    assert store.counts() == {
        "documents": 4, "chunks": 8, "documents_patent": 2, "documents_statute": 1, "documents_policy": 1
    }
    assert store.remove_files(["gdpr.txt"]) == 1
    assert store.counts()["documents"] == 3 and store.counts()["chunks"] == 6
    assert store.document_state("gdpr") is None and store.file_record("gdpr.txt") is None
    index.publish(MODEL, DIM)
    after = index.load(MODEL, DIM)
    query = EMBEDDER.embed_queries(["right to erasure of personal data"])[0]
    assert "gdpr" not in _doc_of(store, after, after.dense.search(query, 10))
    assert "gdpr" not in _doc_of(store, after, after.lexical.search(analyze("erasure"), 10))
    # A reader still bound to the generation before keeps seeing it.
    assert _doc_of(store, before, before.dense.search(query, 1)) == ["gdpr"]
    assert store.view(before.manifest.generation).document("gdpr").text.startswith("right to erasure")


def test_a_reader_sees_one_snapshot(backend: tuple[Store, IndexStore]) -> None:
    store, index = backend
    _commit(store, _doc(*DOCS[0]))
    index.publish(MODEL, DIM)
    old = index.load(MODEL, DIM)
    reader = store.view(old.manifest.generation)
    changed = _doc("us-1", "patent", "US", date(2001, 5, 1), ["a rotor blade of carbon fibre", "the blade pitch is controlled"])
    _commit(store, changed, _doc(*DOCS[3]))  # committed, not yet published
    assert store.counts()["documents"] == 2
    for g, r in ((old, reader), (index.load(MODEL, DIM), store.view(index.load(MODEL, DIM).manifest.generation))):
        assert len(r.allowed_ids(Filters())) == 2 and r.document("us-1").text.startswith("a rotor blade of a wind")
        assert g.lexical.search(analyze("carbon pilot"), 5) == []
    index.publish(MODEL, DIM)
    new = index.load(MODEL, DIM)
    assert new.manifest.generation > old.manifest.generation
    assert store.view(new.manifest.generation).document("us-1").text.startswith("a rotor blade of carbon")
    assert set(_doc_of(store, new, new.lexical.search(analyze("carbon pilot"), 5))) == {"us-1", "sipo"}
    # The old reader still reads its own version.
    assert reader.document("us-1").text.startswith("a rotor blade of a wind")
    assert len(reader.allowed_ids(Filters())) == 2 and old.lexical.search(analyze("carbon"), 5) == []


def test_another_model_is_refused(backend: tuple[Store, IndexStore]) -> None:
    store, index = backend
    _commit(store, _doc(*DOCS[0]))
    index.publish(MODEL, DIM)
    with pytest.raises(IndexMismatch, match="hashing-64"):
        store.check_model("hashing-128", 128)
    with pytest.raises(IndexMismatch):
        index.load("hashing-128", 128)
    store.check_model(MODEL, DIM)  # the same model: accepted
    assert store.counts()["documents"] == 1  # nothing stored was lost


def test_postgres_without_a_dsn_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="NAVSEARCH_STORE__DSN"):
        Settings(store={"backend": "postgres"})


def test_migrations_run_once_when_two_servers_start_together(pg_dsn: str) -> None:
    from navsearch.store.postgres.migrate import migrate, migrations

    applied: list[list[str]] = []
    threads = [threading.Thread(target=lambda: applied.append(migrate(pg_dsn))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(a) for a in applied) == [0, 0, len(migrations())]
    assert migrate(pg_dsn) == []
    import psycopg

    with psycopg.connect(pg_dsn) as con:
        versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY version")]
        extension = con.execute("SELECT extversion FROM pg_extension WHERE extname='vector'").fetchone()
    assert versions == [n for n, _, _ in migrations()]
    assert extension is not None and tuple(int(x) for x in extension[0].split(".")[:2]) >= (0, 8)  # iterative scans
