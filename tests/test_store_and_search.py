"""Catalog, FAISS generations, re-ingestion and filtered hybrid search (fast: hashing embedder,
real SQLite, real FTS5, real FAISS)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from navsearch.embedding.fake import HashingEmbedder
from navsearch.errors import IndexMismatch, InvalidInput
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.store import generation
from navsearch.store.catalog import Catalog
from navsearch.store.lexical import Bm25Index
from navsearch.types import Chunk, Document, Filters


def test_ingest_search_and_document(fake_service: NavSearch, small_corpus: Path) -> None:
    report = fake_service.ingest([small_corpus], progress=False)
    assert not report.failed, [f.error for f in report.failed]
    counts = fake_service.catalog.counts()
    assert counts["documents_policy"] == 2 and counts["documents_statute"] == 3
    assert counts["documents_patent"] == 351
    info = fake_service.info()
    assert info.generation == 1 and info.vectors == counts["chunks"] and info.index_current

    hits = fake_service.search("pilot enterprises of patent operation", k=3).hits
    assert hits[0].doc_id == "sipo-2013-27"
    assert hits[0].passages[0].citation.endswith("G. ZH. F. G. Z. [2013] No. 27, IV.i.3")
    meta, text, chunks = fake_service.document("sipo-2013-27")
    p = hits[0].passages[0]
    assert text[p.start : p.end] == p.text
    assert [c.path for c in chunks][:3] == ["title", "preamble", "I"]


def test_chinese_query_finds_chinese_article(fake_service: NavSearch, small_corpus: Path) -> None:
    fake_service.ingest([small_corpus], progress=False)
    hits = fake_service.search("新颖性", k=3, mode="lexical", group="chunk").hits
    assert hits, "no lexical hit for a Chinese query"
    assert hits[0].doc_id == "cn-patent-law-2020"
    assert "新颖性" in hits[0].passages[0].text
    assert hits[0].passages[0].path == "第二十二条"


def test_filters(fake_service: NavSearch, small_corpus: Path) -> None:
    fake_service.ingest([small_corpus], progress=False)
    q = "battery pack for a portable computer"
    only_policy = fake_service.search(q, k=5, filters=Filters(doc_types=("policy",))).hits
    assert only_policy and all(h.doc_type == "policy" for h in only_policy)
    cutoff = date(1995, 1, 1)
    old = fake_service.search(q, k=20, filters=Filters(doc_types=("patent",), date_to=cutoff)).hits
    assert old and all(h.publication_date and h.publication_date <= cutoff for h in old)
    by_app = fake_service.search(
        q, k=20, filters=Filters(date_field="application", date_from=date(2005, 1, 1))
    ).hits
    assert by_app and all(h.application_date and h.application_date >= date(2005, 1, 1) for h in by_app)
    ipc = fake_service.search(q, k=20, filters=Filters(ipc_prefixes=("G06F1/16",))).hits
    assert ipc and all(any(c.startswith("G06F1/16") for c in h.ipc) for h in ipc)
    ep = fake_service.search(q, k=20, filters=Filters(jurisdictions=("EP",))).hits
    assert ep and all(h.jurisdiction == "EP" for h in ep)
    none = fake_service.search(q, k=5, filters=Filters(ipc_prefixes=("Z99",))).hits
    assert none == []
    for mode in ("lexical", "dense"):  # each retriever applies the filters itself
        hits = fake_service.search(q, k=20, filters=Filters(doc_types=("patent",), date_to=cutoff), mode=mode).hits
        assert hits and all(h.publication_date and h.publication_date <= cutoff for h in hits), mode
    patents = {h.doc_id for h in fake_service.search(q, k=50, filters=Filters(doc_types=("patent",))).hits}
    metas = fake_service.catalog.documents_meta(patents)
    published_before = {d for d, m in metas.items() if m.publication_date and m.publication_date <= cutoff}
    assert published_before and published_before != patents
    matching = fake_service.catalog.documents_matching([*patents, "no-such-doc"], Filters(date_to=cutoff))
    assert matching == published_before


def test_grouping_per_document_and_per_chunk(fake_service: NavSearch, small_corpus: Path) -> None:
    fake_service.ingest([small_corpus], progress=False)
    docs = fake_service.search("personal data erasure controller", k=5).hits
    assert len({h.doc_id for h in docs}) == len(docs)
    chunks = fake_service.search("personal data erasure controller", k=5, group="chunk").hits
    assert len(chunks) == 5 and all(len(h.passages) == 1 for h in chunks)


def test_reingest_unchanged_embeds_nothing_and_changed_replaces(
    fake_service: NavSearch, small_corpus: Path
) -> None:
    embedder = fake_service.embedder
    assert isinstance(embedder, HashingEmbedder)
    fake_service.ingest([small_corpus], progress=False)
    first = embedder.calls
    report = fake_service.ingest([small_corpus], progress=False)
    assert embedder.calls == first and report.embedded == 0
    assert {f.status for f in report.files} == {"unchanged"}
    assert report.generation == 1  # nothing changed: no new generation

    # Change one patent's abstract and drop another: only that one chunk is embedded.
    path = small_corpus / "patents" / "patsnap-slice.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["abstract"] = "A wholly new abstract about a detachable hinge battery."
    dropped = rows.pop(1)["publication_number"]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    report = fake_service.ingest([small_corpus], progress=False)
    assert report.embedded == 1 and report.generation == 2
    meta, text, chunks = fake_service.document(rows[0]["publication_number"])
    assert text == rows[0]["abstract"] and len(chunks) == 1
    with pytest.raises(Exception, match="no document with id"):
        fake_service.document(dropped)
    assert fake_service.info().vectors == fake_service.catalog.counts()["chunks"]


def test_prune_removes_documents_of_deleted_files(fake_service: NavSearch, small_corpus: Path) -> None:
    fake_service.ingest([small_corpus], progress=False)
    (small_corpus / "statutes" / "gdpr-slice.json").unlink()
    report = fake_service.ingest([small_corpus], prune=True, progress=False)
    assert report.documents_pruned == 1
    assert "documents_statute" in fake_service.catalog.counts()
    assert fake_service.catalog.counts()["documents_statute"] == 2


def test_bad_file_keeps_what_is_stored(fake_service: NavSearch, small_corpus: Path) -> None:
    fake_service.ingest([small_corpus], progress=False)
    before = fake_service.catalog.counts()
    path = small_corpus / "patents" / "patsnap-slice.jsonl"
    path.write_text(path.read_text() + "\n{broken json")
    report = fake_service.ingest([small_corpus], progress=False)
    assert [f.path for f in report.failed] == ["corpus/patents/patsnap-slice.jsonl"]
    assert "line 352: invalid JSON" in (report.failed[0].error or "")
    assert fake_service.catalog.counts() == before
    assert fake_service.search("battery", k=1).hits


def test_other_model_is_refused(tmp_path: Path, small_corpus: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    NavSearch(settings, embedder=HashingEmbedder(256)).ingest([small_corpus / "policy"], progress=False)
    other = NavSearch(settings, embedder=HashingEmbedder(128))
    with pytest.raises(IndexMismatch, match="built with model 'hashing-256'"):
        other.ingest([small_corpus / "policy"], progress=False)
    with pytest.raises(IndexMismatch, match="built with model 'hashing-256'"):
        other.search("pilot", k=1)


def test_vector_generation_is_checked(tmp_path: Path) -> None:
    vectors = np.eye(4, dtype=np.float32)
    ids = np.array([10, 11, 12, 13])
    m1 = generation.publish(tmp_path, ids, vectors, model_id="m", dimension=4, fingerprint="f")
    m2 = generation.publish(tmp_path, ids[:2], vectors[:2], model_id="m", dimension=4, fingerprint="g")
    m3 = generation.publish(tmp_path, ids[:3], vectors[:3], model_id="m", dimension=4, fingerprint="h")
    assert (m1.generation, m2.generation, m3.generation) == (1, 2, 3)
    assert sorted(p.name for p in tmp_path.glob("gen-*.faiss")) == ["gen-000002.faiss", "gen-000003.faiss"]
    assert sorted(p.name for p in tmp_path.glob("gen-*.manifest.json")) == [  # each kept generation's own
        "gen-000002.manifest.json", "gen-000003.manifest.json"
    ]
    loaded = generation.load_dense(tmp_path, model_id="m", dimension=4)
    assert loaded.count == 3 and loaded.search(vectors[2], 1) == [(12, pytest.approx(1.0))]
    with pytest.raises(IndexMismatch, match="built with model 'm'"):
        generation.load_dense(tmp_path, model_id="other", dimension=4)
    (tmp_path / m3.file).write_bytes(b"garbage")
    with pytest.raises(IndexMismatch, match="does not match its manifest checksum"):
        generation.load_dense(tmp_path, model_id="m", dimension=4)


def test_generation_carries_its_bm25_index(tmp_path: Path) -> None:
    vectors = np.eye(2, dtype=np.float32)
    ids = np.array([1, 2])
    lexical = Bm25Index.build([(1, "battery hinge"), (2, "pilot enterprises")])
    for fingerprint in ("a", "b", "c"):
        m = generation.publish(tmp_path, ids, vectors, model_id="m", dimension=2, fingerprint=fingerprint,
                               lexical=lexical.to_bytes())
    assert sorted(p.name for p in tmp_path.glob("gen-*") if not p.name.endswith(".manifest.json")) == [
        "gen-000002.bm25.npz", "gen-000002.faiss", "gen-000003.bm25.npz", "gen-000003.faiss"
    ]
    data = generation.load_lexical(tmp_path, m)
    assert data is not None and Bm25Index.from_bytes(data).search(["pilot"], 5)[0][0] == 2
    (tmp_path / m.lexical_file).write_bytes(b"garbage")
    with pytest.raises(IndexMismatch, match="does not match its manifest checksum"):
        generation.load_lexical(tmp_path, m)


def test_generation_without_bm25_gets_it_from_the_catalog(fake_service: NavSearch, small_corpus: Path) -> None:
    """Indexes published before BM25 moved into the generation still answer lexical queries."""
    fake_service.ingest([small_corpus / "policy"], progress=False)
    ids, vecs = fake_service.catalog.all_vectors(256)
    manifest = generation.read_manifest(fake_service.vector_dir)
    assert manifest is not None and manifest.lexical_file
    generation.publish(fake_service.vector_dir, ids, vecs, model_id=manifest.model_id, dimension=256,
                       fingerprint=manifest.corpus_fingerprint)  # no BM25 file, as older versions wrote
    fresh = NavSearch(fake_service.settings, embedder=fake_service.embedder)
    hits = fresh.search("national pilot enterprises", k=1, mode="lexical").hits
    assert hits[0].doc_id == "sipo-2013-27"


def test_missing_vector_index_is_rebuilt_from_the_catalog(fake_service: NavSearch, small_corpus: Path) -> None:
    fake_service.ingest([small_corpus / "policy"], progress=False)
    shutil.rmtree(fake_service.vector_dir)
    fresh = NavSearch(fake_service.settings, embedder=fake_service.embedder)
    manifest = fresh.ensure_index()
    assert manifest.count == fresh.catalog.counts()["chunks"]
    assert fresh.search("pilot enterprises", k=1).hits[0].doc_id == "sipo-2013-27"


def test_search_input_errors(fake_service: NavSearch, small_corpus: Path) -> None:
    fake_service.ingest([small_corpus / "policy"], progress=False)
    with pytest.raises(InvalidInput, match="query is empty"):
        fake_service.search("   ")
    with pytest.raises(InvalidInput, match="k is 101; the limit is 100"):
        fake_service.search("pilot", k=101)
    with pytest.raises(InvalidInput, match="mode must be one of"):
        fake_service.search("pilot", mode="magic")  # type: ignore[arg-type]


def _clustered(n: int, dim: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(20, dim)).astype(np.float32)
    vectors = centers[rng.integers(0, 20, n)] + 0.3 * rng.normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_hnsw_above_the_threshold_agrees_with_exact_search(tmp_path: Path) -> None:
    from navsearch.store.dense import AnnBuild
    from navsearch.store.protocol import AnnSearch

    vectors = _clustered(5000, 32)
    ids = np.arange(100, 5100)
    flat = generation.publish(tmp_path / "f", ids, vectors, model_id="m", dimension=32, fingerprint="x")
    graph = generation.publish(
        tmp_path / "h", ids, vectors, model_id="m", dimension=32, fingerprint="x", ann=AnnBuild(threshold=1000)
    )
    assert flat.index_type == "IDMap2,FlatIP" and graph.index_type == "HNSW32,Flat"
    exact = generation.load_dense(tmp_path / "f", model_id="m", dimension=32)
    approx = generation.load_dense(tmp_path / "h", model_id="m", dimension=32)
    recall = []
    for q in vectors[:50]:
        truth = {i for i, _ in exact.search(q, 10)}
        recall.append(len(truth & {i for i, _ in approx.search(q, 10)}) / 10)
    assert np.mean(recall) >= 0.98
    # A filter leaving few vectors is searched exactly: the same hits and scores as flat.
    few = ids[::50]
    got = approx.search(vectors[0], 10, allowed=few)
    want = exact.search(vectors[0], 10, allowed=few)
    assert [i for i, _ in got] == [i for i, _ in want]
    assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
    # One leaving many goes through the graph, still within the filter and near exact.
    many = ids[::3]
    through_graph = AnnSearch(exact_filter_max=100)
    hits = approx.search(vectors[1], 10, allowed=many, ann=through_graph)
    truth = {i for i, _ in exact.search(vectors[1], 10, allowed=many)}
    assert all(i in set(many) for i, _ in hits) and len(truth & {i for i, _ in hits}) >= 9
    # Rowids the index does not hold are no hits.
    assert approx.search(vectors[0], 5, allowed=np.array([1, 2, 3])) == []


def test_an_ivf_generation_of_an_earlier_version_still_searches(tmp_path: Path) -> None:
    from navsearch.store import dense
    from navsearch.store.protocol import AnnSearch

    vectors = _clustered(5000, 32)
    ids = np.arange(100, 5100)
    manifest = generation.Manifest(1, "", "", 5000, "m", 32, "x", "IVF282,FlatIP", "")
    ivf = dense.VectorIndex(dense.build(ids, vectors, 32, "IVF282,FlatIP"), manifest)
    flat = dense.VectorIndex(dense.build(ids, vectors, 32), manifest.__class__(**{**manifest.__dict__, "index_type": dense.FLAT}))
    recall = [len({i for i, _ in flat.search(q, 10)} & {i for i, _ in ivf.search(q, 10, ann=AnnSearch(nprobe=16))}) / 10 for q in vectors[:50]]
    assert np.mean(recall) >= 0.9
    allowed = ids[::7]
    got = ivf.search(vectors[0], 5, allowed=allowed, ann=AnnSearch(nprobe=282))
    assert got and all(i in set(allowed) for i, _ in got)


# The chunks table as it was before chunks had a printed location (navsearch up to v2).
_CHUNKS_BEFORE_LOCATION = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES('schema_version', '1');
CREATE TABLE documents(
    doc_id TEXT PRIMARY KEY, doc_type TEXT NOT NULL, title TEXT, number TEXT, source TEXT NOT NULL,
    content_hash TEXT NOT NULL, chunker TEXT NOT NULL,
    publication_date TEXT, application_date TEXT, priority_date TEXT,
    jurisdiction TEXT, language TEXT, ipc_flat TEXT NOT NULL, cpc TEXT, issuer TEXT, assignee TEXT,
    family TEXT, cited TEXT, notes TEXT, text TEXT NOT NULL
);
CREATE TABLE chunks(
    id INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    ordinal INTEGER NOT NULL, kind TEXT NOT NULL, path TEXT NOT NULL, heading TEXT,
    context TEXT NOT NULL, text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    page INTEGER, claim_number INTEGER, parent_claim INTEGER,
    vector BLOB NOT NULL
);
INSERT INTO documents VALUES('US1', 'patent', 'WIDGET', 'US1', 'US1.pdf', 'h', 'model|v2',
    NULL, NULL, NULL, 'US', 'en', ' ', '[]', NULL, NULL, '[]', '[]', '[]', 'A widget.');
INSERT INTO chunks VALUES(1, 'c1', 'US1', 0, 'claim', 'claim 1', NULL, '', 'A widget.', 0, 9, 2, 1, NULL, x'00');
"""


def test_catalog_before_locations_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript(_CHUNKS_BEFORE_LOCATION)
    catalog = Catalog(path)
    columns = [row[1] for row in catalog.con.execute("PRAGMA table_info(chunks)")]
    assert columns[-1] == "location"
    _, _, chunks = catalog.document("US1")
    assert [(c.path, c.page, c.location) for c in chunks] == [("claim 1", 2, None)]
    catalog.close()
    Catalog(path).close()  # opening it again adds nothing twice

    doc = Document(doc_id="US2", doc_type="patent", title=None, text="A gadget.", sections=[], source="US2.pdf")
    chunk = Chunk("c2", "US2", 0, "claim", "claim 1", "A gadget.", 0, 9, page=3, location="col. 5, ll. 10-12")
    catalog = Catalog(path)
    catalog.put_documents([(doc, [chunk])], "model|v3", {"c2": b"\x00\x00\x80\x3f"})
    assert catalog.document("US2")[2][0].location == "col. 5, ll. 10-12"


def test_word_legs_beside_the_encoder_give_the_same_results(tmp_path: Path, small_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """retrieval.concurrent_legs runs BM25 and the translation in a worker thread while the
    query is encoded: the same hits, scores and relevance as one after the other, and the
    legs did run elsewhere (first-time queries only: a kept vector has nothing to hide them behind)."""
    import threading

    embedder = HashingEmbedder(256)
    services = {
        on: NavSearch(Settings(index_dir=tmp_path / "index", embedding={"model": "hashing-256"},
                               retrieval={"concurrent_legs": on}), embedder=embedder)
        for on in (False, True)
    }
    services[False].ingest([small_corpus], progress=False)
    threads: list[str] = []
    search = Bm25Index.search

    def recording(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return search(self, *args, **kwargs)

    monkeypatch.setattr(Bm25Index, "search", recording)
    queries = ["pilot enterprises of patent operation", "专利权的期限", "term of a patent in China", "data subject consent"]
    for q in queries:
        # A CJK query is not encoded while its dense ranking weighs nothing (legs.encodes):
        # no encoding to hide its legs behind, so they run in the search's thread.
        encoded = q != "专利权的期限"
        results = {}
        for on, service in services.items():
            threads.clear()
            results[on] = service.search(q, k=5)
            assert threads and all(name.startswith("navsearch-legs") == (on and encoded) for name in threads), (q, on, threads)
        plain, beside = results[False], results[True]
        assert [(h.doc_id, h.score, h.relevance, [p.chunk_id for p in h.passages]) for h in plain.hits] == [
            (h.doc_id, h.score, h.relevance, [p.chunk_id for p in h.passages]) for h in beside.hits
        ], q
        assert (plain.candidates, plain.relevant, plain.notes) == (beside.candidates, beside.relevant, beside.notes)
        threads.clear()
        services[True].search(q, k=5)  # again: its vector is kept, so the legs run in this thread
        assert threads and not any(name.startswith("navsearch-legs") for name in threads), threads


def test_weak_siblings_do_not_push_a_relevant_document_out_of_view() -> None:
    from navsearch.retrieval.hits import in_view
    from navsearch.types import Hit, Passage

    def p(path: str, score: float, relevance: float) -> Passage:
        return Passage("c" + path, "article", path, "t", 0, 1, None, None, score, None, None, path, relevance=relevance)

    def hit(doc: str, *passages: Passage, weak: bool = False) -> Hit:
        return Hit(doc, "statute", doc, None, passages[0].score, None, None, None, (), None, None, passages,
                   relevance=max(x.relevance for x in passages), weak=weak)

    first = hit("rules", p("5", 0.019, 0.53), p("82", 0.0189, 0.58), p("1", 0.013, 0.04), p("note", 0.019, 0.04))
    law = hit("law", p("42", 0.018, 0.53))
    shown = in_view([first, law], floor=0.52)
    # Relevant siblings stay, and so does a weak one that outscores the law's article; the
    # weak one the law's article outscores goes.
    assert [x.path for x in shown[0].passages] == ["5", "82", "note"]
    assert shown[1] == law
    # Before weak hits only, a weak sibling stays (a clause question's answer often is one).
    assert in_view([first, hit("law", p("42", 0.018, 0.3), weak=True)], floor=0.52)[0] == first
