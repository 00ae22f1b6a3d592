"""Index generations through the IndexStore protocol (store/generation.py): publish and
load round-trip both indexes, checksums guard both files, the files and manifest keep
the format earlier versions wrote, and the store and indexer never import retrieval."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from navsearch.errors import IndexMismatch, NotReady
from navsearch.store.catalog import Catalog
from navsearch.store.generation import MANIFEST, FileGenerationStore, Generation, IndexStore
from navsearch.terms import query_terms
from navsearch.types import Chunk, Document, chunk_id_for

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    "A battery pack detaches from the notebook computer at the hinge.",
    "The national pilot enterprises of patent operation are cultivated.",
    "The controller shall erase personal data without undue delay.",
]
# The manifest fields as navsearch has written them since BM25 joined the generation.
MANIFEST_FIELDS = [
    "generation", "file", "sha256", "count", "model_id", "dimension", "corpus_fingerprint",
    "index_type", "created_at", "lexical_file", "lexical_sha256",
    "encoder_training",  # null unless the encoder was tuned (navsearch tune); older manifests lack it
]


def _catalog(folder: Path) -> tuple[Catalog, np.ndarray]:
    """A catalog of one document per text, each chunk's vector a unit axis."""
    catalog = Catalog(folder / "catalog.sqlite")
    catalog.check_model("m", 4)
    vectors = np.eye(4, dtype=np.float32)[: len(TEXTS)]
    items, stored = [], {}
    for i, text in enumerate(TEXTS):
        doc = Document(f"doc-{i}", "policy", None, text, [], "test")
        chunk = Chunk(chunk_id_for(doc.doc_id, "body", text), doc.doc_id, 0, "clause", "body", text, 0, len(text))
        items.append((doc, [chunk]))
        stored[chunk.chunk_id] = vectors[i].tobytes()
    catalog.put_documents(items, "test", stored)
    return catalog, vectors


def _published(tmp_path: Path) -> tuple[IndexStore, Catalog, np.ndarray, Path]:
    catalog, vectors = _catalog(tmp_path)
    folder = tmp_path / "vectors"
    store: IndexStore = FileGenerationStore(folder, catalog)
    store.publish("m", 4)
    return store, catalog, vectors, folder


def test_publish_then_load_round_trips_both_indexes(tmp_path: Path) -> None:
    catalog, vectors = _catalog(tmp_path)
    folder = tmp_path / "vectors"
    store: IndexStore = FileGenerationStore(folder, catalog)
    assert store.current() is None
    with pytest.raises(NotReady):
        store.load("m", 4)
    manifest = store.publish("m", 4)
    assert store.current() == manifest
    assert (manifest.generation, manifest.count, manifest.index_type) == (1, 3, "IDMap2,FlatIP")
    assert manifest.corpus_fingerprint == catalog.fingerprint()

    generation = store.load("m", 4)
    assert isinstance(generation, Generation) and generation.manifest == manifest
    ids, _ = catalog.all_vectors(4)
    assert generation.dense.count == generation.lexical.count == 3
    assert generation.dense.manifest == manifest
    assert [i for i, _ in generation.dense.search(vectors[1], 1)] == [ids[1]]
    assert [i for i, _ in generation.lexical.search(query_terms("pilot enterprises"), 5)] == [ids[1]]
    allowed = ids[[0, 2]]
    assert [i for i, _ in generation.lexical.search(query_terms("pilot hinge"), 5, allowed)] == [ids[0]]

    assert store.publish("m", 4).generation == 2
    assert store.load("m", 4).manifest.generation == 2
    with pytest.raises(IndexMismatch, match="built with model 'm'"):
        store.load("other", 4)


def test_files_and_manifest_keep_their_format(tmp_path: Path) -> None:
    """Indexes written before the generation module existed must still load."""
    _, _, _, folder = _published(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [
        "gen-000001.bm25.npz", "gen-000001.faiss", "gen-000001.manifest.json", MANIFEST
    ]
    written = json.loads((folder / MANIFEST).read_text())
    assert json.loads((folder / "gen-000001.manifest.json").read_text()) == written  # kept for fallback
    assert list(written) == MANIFEST_FIELDS
    assert (written["file"], written["lexical_file"]) == ("gen-000001.faiss", "gen-000001.bm25.npz")


def test_generation_from_before_bm25_gets_it_from_the_catalog(tmp_path: Path) -> None:
    store, catalog, _, folder = _published(tmp_path)
    written = json.loads((folder / MANIFEST).read_text())
    (folder / written.pop("lexical_file")).unlink()
    del written["lexical_sha256"]  # a manifest as written before BM25 joined the generation
    (folder / MANIFEST).write_text(json.dumps(written))
    generation = store.load("m", 4)
    ids, _ = catalog.all_vectors(4)
    assert [i for i, _ in generation.lexical.search(query_terms("personal data"), 5)] == [ids[2]]


@pytest.mark.parametrize("field", ["file", "lexical_file"])
def test_a_checksum_mismatch_on_either_file_is_refused(tmp_path: Path, field: str) -> None:
    store, _, _, folder = _published(tmp_path)
    name = json.loads((folder / MANIFEST).read_text())[field]
    (folder / name).write_bytes(b"garbage")
    with pytest.raises(IndexMismatch, match="does not match its manifest checksum"):
        store.load("m", 4)


def test_counts_and_fingerprint_follow_every_write(tmp_path: Path) -> None:
    """/health reads them on every call, so the catalog keeps them while the database is
    unchanged; a write by this connection or a commit by another (another process, another
    thread) shows at the next call."""
    import threading

    catalog, _ = _catalog(tmp_path)
    before = (catalog.counts(), catalog.fingerprint())
    assert before == (catalog.counts(), catalog.fingerprint()) and before[0]["documents"] == 3
    other = Catalog(tmp_path / "catalog.sqlite")  # its own connection, as another process has
    text = "A wind turbine blade with a serrated trailing edge."
    doc = Document("doc-new", "patent", None, text, [], "test")
    chunk = Chunk(chunk_id_for(doc.doc_id, "body", text), doc.doc_id, 0, "clause", "body", text, 0, len(text))
    other.put_documents([(doc, [chunk])], "test", {chunk.chunk_id: np.eye(4, dtype=np.float32)[3].tobytes()})
    after = (catalog.counts(), catalog.fingerprint())
    assert after[0]["documents"] == 4 and after[0]["chunks"] == 4 and after[1] != before[1]
    assert after[1] == other.fingerprint() == catalog.fingerprint(at=None)
    seen: list[dict[str, int]] = []
    thread = threading.Thread(target=lambda: seen.append(catalog.counts()))  # another thread's connection
    thread.start()
    thread.join()
    assert seen == [after[0]]
    catalog.counts()["documents"] = 99  # a caller's copy: the kept counts stay as they are
    assert catalog.counts() == after[0]
    text2 = "The controller shall notify a personal data breach within 72 hours."
    doc2 = Document("doc-own", "policy", None, text2, [], "test")
    chunk2 = Chunk(chunk_id_for(doc2.doc_id, "body", text2), doc2.doc_id, 0, "clause", "body", text2, 0, len(text2))
    catalog.put_documents([(doc2, [chunk2])], "test", {chunk2.chunk_id: np.eye(4, dtype=np.float32)[0].tobytes()})
    assert catalog.counts()["documents"] == 5 and catalog.fingerprint() == other.fingerprint() != after[1]
