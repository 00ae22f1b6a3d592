"""Nothing wrong while the catalog changes, and nothing lost when files are damaged:
readers bound to a generation, damaged generations survived, damaged catalogs refused.

Each test reproduces a problem an operator found (issue "Nothing lost, nothing wrong,
nobody let in", problems 2, 4 and 6) with the real catalog, FAISS and BM25 files.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from navsearch.api.app import create_app
from navsearch.embedding.fake import HashingEmbedder
from navsearch.errors import CatalogDamaged, IndexMismatch
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.store.generation import FileGenerationStore

DATA = Path(__file__).parent / "data"
LAW = "专利法(2020-10-17).md"


def _service(index: Path) -> NavSearch:
    return NavSearch(Settings(index_dir=index, embedding={"backend": "hashing"}), embedder=HashingEmbedder(256))


@pytest.fixture()
def law_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    shutil.copy(DATA / "statutes" / LAW, root / LAW)
    return root


def _quotes(ns: NavSearch, doc_id: str) -> list[tuple[str, str]]:
    """(article path, a verbatim sentence of it) for the articles of a stored document."""
    out = []
    for chunk in ns.document(doc_id).chunks:
        if chunk.kind != "article":
            continue
        sentence = re.split(r"(?<=[。；：])", chunk.text.strip())[0]
        if len(sentence) >= 12:
            out.append((chunk.path, sentence))
    return out


def _drop_first_article(path: Path) -> None:
    """Edit the law as an operator did: a paragraph near its top removed, so every later
    article's chunk changes its offsets and is re-inserted."""
    text = path.read_text(encoding="utf-8")
    start = text.index("第一条")
    end = text.index("第二条")
    path.write_text(text[:start] + text[end:], encoding="utf-8")


def _check_answers(ns: NavSearch, quotes: list[tuple[str, str]]) -> list[str]:
    """Every verbatim quote must come back as the clause it quotes, at offsets that index
    the text the reader is shown; the mismatches."""
    wrong = []
    for path, quote in quotes:
        hits = ns.search(quote, k=1, group="chunk", mode="lexical").hits
        if not hits:
            wrong.append(f"{quote[:20]}… quoted {path}, answered nothing")
            continue
        hit = hits[0]
        p = hit.passages[0]
        shown = ns.document(hit.doc_id).text[p.start : p.end]
        if p.path != path or quote not in p.text or shown != p.text:
            wrong.append(f"{quote[:20]}… quoted {path}, answered {p.path}")
    return wrong


class _PausedStore:
    """A generation store whose publish waits for a signal (or fails): the window in which
    an ingest has committed its rows but not yet published them."""

    def __init__(self, inner: FileGenerationStore, entered: threading.Event, release: threading.Event, fail: bool) -> None:
        self.inner, self.entered, self.release, self.fail = inner, entered, release, fail

    def publish(self, model_id: str, dimension: int, encoder_training: Any = None) -> Any:
        self.entered.set()
        self.release.wait(60)
        if self.fail:
            raise RuntimeError("the ingest died before publishing")
        return self.inner.publish(model_id, dimension, encoder_training)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _ingest_paused(index: Path, corpus: Path, *, fail: bool) -> tuple[threading.Thread, threading.Event, threading.Event]:
    writer = _service(index)
    entered, release = threading.Event(), threading.Event()
    real: Callable[[], FileGenerationStore] = writer.index_store  # type: ignore[assignment]
    writer.index_store = lambda: _PausedStore(real(), entered, release, fail)  # type: ignore[method-assign]

    def run() -> None:
        try:
            writer.ingest([corpus], progress=False)
        except RuntimeError:
            pass

    thread = threading.Thread(target=run)
    thread.start()
    assert entered.wait(60), "the ingest never reached its publish"
    return thread, entered, release


def test_searches_during_an_ingest_answer_the_clause_they_quote(tmp_path: Path, law_corpus: Path) -> None:
    """Problem 2: a verbatim quote of 第二条 returned 第三条 while an ingest ran (the loaded
    generation's ids were looked up in a catalog the ingest had rewritten)."""
    index = tmp_path / "index"
    server = _service(index)
    server.ingest([law_corpus], progress=False)
    doc_id = server.catalog.counts() and next(iter(server.catalog.files().values()))[0]
    before = _quotes(server, doc_id)
    assert len(before) > 15 and _check_answers(server, before) == []

    _drop_first_article(law_corpus / LAW)
    thread, _, release = _ingest_paused(index, law_corpus, fail=False)
    try:
        # The ingest has committed the new version; the server still serves generation 1.
        assert server.catalog.document(doc_id).text != server.document(doc_id).text
        assert _check_answers(server, before) == []
    finally:
        release.set()
        thread.join(60)
    after = _quotes(server, doc_id)
    assert server.info().generation == 2 and after != before
    assert _check_answers(server, after) == []


def test_an_ingest_that_dies_before_publishing_leaves_answers_right(tmp_path: Path, law_corpus: Path) -> None:
    """Problem 2: when the ingest died before publishing, the wrong answers lasted until the
    next ingest."""
    index = tmp_path / "index"
    server = _service(index)
    server.ingest([law_corpus], progress=False)
    doc_id = next(iter(server.catalog.files().values()))[0]
    before = _quotes(server, doc_id)
    _drop_first_article(law_corpus / LAW)
    thread, _, release = _ingest_paused(index, law_corpus, fail=True)
    release.set()
    thread.join(60)
    assert _check_answers(server, before) == []
    assert not server.info().index_current  # the catalog moved on; the next ingest publishes it
    report = _service(index).ingest([law_corpus], progress=False)
    assert report.generation == 2 and _check_answers(server, _quotes(server, doc_id)) == []


def _two_generations(tmp_path: Path, law_corpus: Path) -> tuple[Path, str]:
    index = tmp_path / "index"
    ns = _service(index)
    ns.ingest([law_corpus], progress=False)
    _drop_first_article(law_corpus / LAW)
    assert ns.ingest([law_corpus], progress=False).generation == 2
    return index, next(iter(ns.catalog.files().values()))[0]


@pytest.mark.parametrize("damage", ["flip", "delete", "manifest"])
def test_a_damaged_generation_falls_back_and_repair_rebuilds_it(tmp_path: Path, law_corpus: Path, damage: str) -> None:
    """Problem 4: after a checksum mismatch every search answered 409 for good, and a
    manifest naming a missing file crashed the start with a traceback."""
    index, doc_id = _two_generations(tmp_path, law_corpus)
    vectors = index / "vectors"
    if damage == "flip":
        data = bytearray((vectors / "gen-000002.faiss").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (vectors / "gen-000002.faiss").write_bytes(bytes(data))
    elif damage == "delete":
        (vectors / "gen-000002.bm25.npz").unlink()
    else:
        (vectors / "manifest.json").write_text("{not json")
    ns = _service(index)
    hits = ns.search("专利权", k=3).hits  # answered, from the newest intact generation
    serving = 2 if damage == "manifest" else 1  # generation 2's own manifest copy is intact
    assert hits and ns.info().degraded and f"serving generation {serving}" in (ns.info().degraded or "")
    assert _check_answers(ns, _quotes(ns, doc_id)[:20]) == []
    repaired = ns.repair()
    assert repaired.problem and repaired.generation == 3
    fresh = _service(index)
    assert fresh.search("专利权", k=3).hits and fresh.info().degraded is None and fresh.info().index_current


def test_ingest_republishes_a_damaged_generation(tmp_path: Path, law_corpus: Path) -> None:
    """Problem 4: `ingest` did not republish a damaged generation (its fingerprint was unchanged)."""
    index = tmp_path / "index"
    ns = _service(index)
    ns.ingest([law_corpus], progress=False)
    (index / "vectors" / "gen-000001.faiss").write_bytes(b"garbage")
    assert _service(index).ingest([law_corpus], progress=False).generation == 2
    assert _service(index).index_problem() is None


def test_a_damaged_generation_without_an_older_one_says_what_to_do(tmp_path: Path, law_corpus: Path) -> None:
    index = tmp_path / "index"
    _service(index).ingest([law_corpus], progress=False)
    (index / "vectors" / "gen-000001.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexMismatch, match="navsearch repair") as caught:
        _service(index).search("专利权")
    assert str(tmp_path) not in str(caught.value)  # no server paths in what a client sees


def test_leftover_temporary_files_are_swept(tmp_path: Path, law_corpus: Path) -> None:
    """Problem 6: temp files from a kill during publish were never removed."""
    index = tmp_path / "index"
    ns = _service(index)
    ns.ingest([law_corpus], progress=False)
    leftover = index / "vectors" / ".gen-000002.faiss.tmp-999999999"
    leftover.write_bytes(b"half a file")
    assert ns.repair().temp_files_removed == 1 and not leftover.exists()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_empty_catalog_is_refused_not_served_empty(tmp_path: Path, law_corpus: Path) -> None:
    """Problem 6: a 0-byte catalog answered 200 with no hits."""
    index = tmp_path / "index"
    writer = _service(index)
    writer.ingest([law_corpus], progress=False)
    writer.catalog.close()  # as after a stop: no open connection writes the file back
    (index / "catalog.sqlite").write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        (index / f"catalog.sqlite{suffix}").unlink(missing_ok=True)
    ns = _service(index)
    with pytest.raises(CatalogDamaged, match="empty file"):
        ns.search("专利权")
    with pytest.raises(CatalogDamaged):
        with TestClient(create_app(ns.settings, service=ns)):
            pass
    assert (index / "catalog.sqlite").stat().st_size == 0  # left as it was


def test_a_damaged_catalog_stops_the_server_and_is_left_untouched(tmp_path: Path, law_corpus: Path) -> None:
    """Problem 6: a flipped SQLite page gave bare 500s while /health said ok."""
    index = tmp_path / "index"
    ns = _service(index)
    ns.ingest([law_corpus], progress=False)
    ns.catalog.close()
    path = index / "catalog.sqlite"
    data = bytearray(path.read_bytes())
    page = 4096
    for i in range(page * 3, min(len(data), page * 3 + page)):  # a whole page of the table's b-tree
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    damaged = _file_hash(path)
    fresh = _service(index)
    with pytest.raises(CatalogDamaged, match="damaged"):
        with TestClient(create_app(fresh.settings, service=fresh)):
            pass
    with pytest.raises(CatalogDamaged, match="left as it is"):
        fresh.repair()
    assert _file_hash(path) == damaged


def test_a_read_only_index_folder_still_serves(tmp_path: Path, law_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Problem 6: a read-only index folder was unusable. (Tests run as root, whom no mode
    bit stops, so the folder is made read-only the way the catalog sees it.)"""
    import navsearch.store.catalog as catalog_module

    index = tmp_path / "index"
    writer = _service(index)
    writer.ingest([law_corpus], progress=False)
    writer.catalog.close()
    real_access = catalog_module.os.access
    monkeypatch.setattr(
        catalog_module.os, "access", lambda p, mode: False if Path(p) == index else real_access(p, mode)
    )
    before = sorted(p.name for p in index.rglob("*"))
    ns = _service(index)
    assert ns.catalog.read_only
    assert ns.search("专利权", k=3).hits and ns.info().index_current
    assert sorted(p.name for p in index.rglob("*")) == before  # nothing written
