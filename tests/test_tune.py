"""`navsearch tune`: pairs from each kind of structure, a real (few-step) fine-tuning of
the real model, its ONNX int8 export, and the training recorded in the index manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from navsearch.embedding.fake import HashingEmbedder
from navsearch.embedding.provenance import TUNED_FILE, training_of
from navsearch.errors import InvalidInput
from navsearch.service import NavSearch
from navsearch.settings import Settings, TuneSettings
from navsearch.store.reads import corpus_chunks
from navsearch.tune.pairs import PAIR_KINDS, counts, structure_pairs
from navsearch.tune.qrels import qrels_pairs

ROOT = Path(__file__).resolve().parent.parent
# A few steps on short texts: the test checks the path, not the quality (benchmarks/tune_quality.py).
FAST_TUNE = {"max_pairs": 8, "batch_size": 4, "max_seq_length": 32}


def _hashed_index(tmp_path: Path, corpus: Path, **tune: object) -> NavSearch:
    """An index of the corpus with the fast test encoder: tuning reads only its catalog;
    the model tuned is the settings' real one."""
    settings = Settings(index_dir=tmp_path / "index", tune=tune or {})
    service = NavSearch(settings, embedder=HashingEmbedder(64))
    assert not service.ingest([corpus]).failed
    return service


@pytest.fixture()
def indexed(tmp_path: Path, small_corpus: Path) -> NavSearch:
    return _hashed_index(tmp_path, small_corpus, **FAST_TUNE)


def test_pairs_come_from_each_kind_of_structure(indexed: NavSearch) -> None:
    chunks = corpus_chunks(indexed.catalog)
    pairs = structure_pairs(chunks, TuneSettings())
    found = counts(pairs)
    assert all(found[k] > 0 for k in ("title-abstract", "heading-clause", "claim-description")), found
    kinds = {(c.doc_id, c.text): c.kind for c in chunks}
    titles = {c.doc_id: c.title for c in chunks}
    for p in pairs:
        assert p.doc_id in p.exclude  # a negative never comes from the positive's own document
        if p.kind == "title-abstract":
            assert p.anchor == titles[p.doc_id] and kinds[(p.doc_id, p.positive)] == "abstract"
        if p.kind == "claim-description":
            assert kinds[(p.doc_id, p.anchor)] == "claim" and kinds[(p.doc_id, p.positive)] == "description"


def test_numbered_passages_pair_a_heading_with_the_rules_under_it(tmp_path: Path) -> None:
    rows = [
        ("h1", "1.", "INTRODUCTION"), ("h2", "1.1", "Jurisdiction"),
        ("a", "1.1.1.(1)", "The Rulebook is made in recognition of the Federal AML Legislation."),
        ("b", "1.1.1.(2)", "Nothing in the Rulebook affects the operation of Federal AML Legislation."),
        ("h3", "1.2", "Application"),
        ("c", "1.2.1", "The Rulebook applies to every Relevant Person in respect of all its activities."),
    ]
    corpus = tmp_path / "passages.jsonl"
    corpus.write_text("".join(
        json.dumps({"_id": i, "document_id": 1, "passage_id": p, "text": t}) + "\n" for i, p, t in rows
    ))
    service = _hashed_index(tmp_path, corpus)
    pairs = structure_pairs(corpus_chunks(service.catalog), TuneSettings())
    by_anchor = {p.anchor: p for p in pairs}
    assert set(by_anchor) == {"INTRODUCTION - Jurisdiction", "INTRODUCTION - Application"}
    jurisdiction = by_anchor["INTRODUCTION - Jurisdiction"]
    assert jurisdiction.doc_id in {"a", "b"} and jurisdiction.exclude == {"a", "b"}  # the sibling is no negative
    assert by_anchor["INTRODUCTION - Application"].doc_id == "c"


def test_a_tuned_model_loads_encodes_exports_and_is_recorded(indexed: NavSearch, tmp_path: Path, real_embedder) -> None:
    doc_id = corpus_chunks(indexed.catalog)[0].doc_id
    queries, qrels = tmp_path / "q.jsonl", tmp_path / "r.tsv"
    queries.write_text(json.dumps({"_id": "q1", "text": "a query judged against one document"}) + "\n")
    qrels.write_text(f"query-id\tcorpus-id\tscore\nq1\t{doc_id}\t1\nq1\tnot-in-this-index\t1\n")
    out = tmp_path / "tuned"
    report = indexed.tune(out, queries=queries, qrels=qrels)
    record = training_of(out)
    assert record == report.record and (out / TUNED_FILE).is_file()
    assert record["pairs"]["qrels"] == 1 and sum(record["pairs"].values()) == FAST_TUNE["max_pairs"]
    assert record["qrels"]["unresolved"] == 1 and len(record["qrels"]["qrels_sha256"]) == 64
    assert record["steps"] >= 2 and record["index"]["generation"] == indexed.info().generation

    from navsearch.embedding.onnx_encoder import OnnxEmbedder
    from navsearch.embedding.sentence_transformer import SentenceTransformerEmbedder

    torch_model = SentenceTransformerEmbedder(str(out))
    assert torch_model.max_tokens == 256  # trained on 32 tokens, saved reading as much as the base
    assert "@tuned-" in torch_model.model_id
    onnx = OnnxEmbedder(str(out), cache_dir=tmp_path / "onnx")
    texts = ["membrane filtration of waste water", "the right to erasure of personal data"]
    a, b = torch_model.embed(texts), onnx.embed(texts)
    assert a.shape == b.shape == (2, 384)
    assert np.all(np.sum(a * b, axis=1) > 0.97)  # int8 of the tuned weights, not of the base model's
    assert real_embedder.onnx_path.parent.name != onnx.onnx_path.parent.name  # one export per model folder
    assert not np.allclose(real_embedder.embed(texts), b, atol=1e-4)  # the weights did change

    corpus = tmp_path / "tiny"
    corpus.mkdir()
    lines = (ROOT / "tests" / "data" / "patents" / "patsnap-slice.jsonl").read_text().splitlines()[:3]
    (corpus / "patents.jsonl").write_text("\n".join(lines) + "\n")
    tuned = NavSearch(Settings(index_dir=tmp_path / "tuned-index", embedding={"model": str(out), "cache_dir": tmp_path / "onnx"}))
    assert not tuned.ingest([corpus]).failed
    manifest = tuned.index_store().current()
    assert manifest is not None and manifest.encoder_training == record
    assert manifest.model_id.endswith("+onnx-int8") and "@tuned-" in manifest.model_id
    assert tuned.search("filtration", k=1).hits


def test_bad_inputs_are_named(indexed: NavSearch, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"_id": "q1", "text": "membrane"}) + "\n")
    not_a_score = tmp_path / "bad-score.tsv"
    not_a_score.write_text("q1\tUS1\thigh\n")
    foreign = tmp_path / "foreign.tsv"
    foreign.write_text("q1\tdoc-of-another-corpus\t1\n")
    chunks = corpus_chunks(indexed.catalog)
    with pytest.raises(InvalidInput, match="bad-score.tsv"):
        qrels_pairs(queries, not_a_score, chunks)
    with pytest.raises(InvalidInput, match="foreign.tsv.*none of its 1 judged corpus ids"):
        qrels_pairs(queries, foreign, chunks)
    with pytest.raises(InvalidInput, match="missing.tsv does not exist"):
        qrels_pairs(queries, tmp_path / "missing.tsv", chunks)
    with pytest.raises(InvalidInput, match="both --queries and --qrels"):
        indexed.tune(tmp_path / "m", qrels=foreign)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("someone's files")
    with pytest.raises(InvalidInput, match="not a folder `navsearch tune` wrote"):
        indexed.tune(tmp_path / "taken")
    assert set(PAIR_KINDS) == set(counts([]))


def test_the_command_refuses_an_empty_index(tmp_path: Path) -> None:
    env = {**os.environ, "NAVSEARCH_INDEX_DIR": str(tmp_path / "empty"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "navsearch.cli", "tune", "--out", str(tmp_path / "m")],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "holds no documents: ingest a corpus before tuning" in proc.stderr
    assert not (tmp_path / "m").exists()
