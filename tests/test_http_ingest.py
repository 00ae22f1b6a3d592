"""Changing the corpus over HTTP: upload (streamed, limited, idempotent, durable), delete,
ingest runs with progress, repair. Real app, real catalog, the hashing encoder."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from navsearch.api.app import create_app
from navsearch.embedding.fake import HashingEmbedder
from navsearch.service import FileReport, NavSearch
from navsearch.settings import Settings

DATA = Path(__file__).parent / "data"
CIRCULARS = DATA / "policy" / "sipo-circulars-2013.txt"
PATENTS = DATA / "patents" / "patsnap-slice.jsonl"
ADMIN_KEY = "admin-key-0123456789abcdef"
ADMIN = {"X-API-Key": ADMIN_KEY}


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "policy").mkdir(parents=True)
    shutil.copy(CIRCULARS, root / "policy")
    shutil.copy(PATENTS, root)
    return root


def _settings(tmp_path: Path, corpus: Path, **api: Any) -> Settings:
    return Settings(
        index_dir=tmp_path / "index",
        corpus_dir=corpus,
        embedding={"backend": "hashing"},
        api={"keys": [{"name": "ops", "scope": "admin", "key": ADMIN_KEY}], **api},
    )


@pytest.fixture()
def client(tmp_path: Path, corpus: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(tmp_path, corpus))) as c:
        yield c


def _upload(client: TestClient, name: str, data: bytes, **kw: Any) -> Any:
    return client.post("/documents", files={"file": (name, data, "application/octet-stream")}, headers=ADMIN, **kw)


def _wait(client: TestClient, run_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/ingest/runs/{run_id}", headers=ADMIN).json()
        if run["state"] != "running":
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.05)


def test_upload_is_committed_published_and_idempotent(client: TestClient, tmp_path: Path) -> None:
    r = _upload(client, "circulars.txt", CIRCULARS.read_bytes())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "indexed" and body["doc_ids"] == ["sipo-circular-2013-03-26", "sipo-2013-27"]
    assert body["generation"] == 1 and body["documents_changed"] == 2
    stored = tmp_path / "index" / "uploads" / body["sha256"] / "circulars.txt"
    assert stored.read_bytes() == CIRCULARS.read_bytes()
    # Durable: another service opening the folder (a restarted server) has it all.
    fresh = NavSearch(Settings(index_dir=tmp_path / "index", embedding={"backend": "hashing"}))
    assert fresh.info().generation == 1 and fresh.info().index_current
    assert fresh.search("pilot enterprises of patent operation", k=1).hits[0].doc_id == "sipo-2013-27"
    # The same bytes again, under any name: nothing changes.
    for name in ("circulars.txt", "again.txt"):
        again = _upload(client, name, CIRCULARS.read_bytes())
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "unchanged" and again.json()["generation"] == 1
        assert again.json()["doc_ids"] == body["doc_ids"] and again.json()["file"] == "circulars.txt"
    assert sorted(p.name for p in (tmp_path / "index" / "uploads").iterdir()) == [body["sha256"]]


def test_upload_limits_and_refusals_leave_no_file(tmp_path: Path, corpus: Path) -> None:
    with TestClient(create_app(_settings(tmp_path, corpus, max_upload_bytes=4096))) as c:
        big = _upload(c, "big.txt", b"x" * 20_000)
        assert big.status_code == 413 and big.headers["content-type"] == "application/problem+json"
        huge = _upload(c, "huge.txt", b"x" * 200_000)  # past the body limit (file limit + multipart room)
        assert huge.status_code == 413 and "api.max_upload_bytes" in huge.json()["detail"]
        over = _upload(c, "over.txt", b"x" * 4097)  # within the body's multipart room, over the file limit
        assert over.status_code == 413 and "api.max_upload_bytes" in over.json()["detail"]
        bad = _upload(c, "x.exe", b"MZ not a document")
        assert bad.status_code == 422 and "x.exe was not indexed" in bad.json()["detail"]
        assert "unsupported suffix '.exe'" in bad.json()["detail"] and str(tmp_path) not in bad.text
        two = c.post("/documents", files=[("file", ("a.txt", b"a", "text/plain")), ("file", ("b.txt", b"b", "text/plain"))], headers=ADMIN)
        assert two.status_code == 422 and "one file per request" in two.json()["detail"]
        other = c.post("/documents", files={"document": ("a.txt", b"a", "text/plain")}, headers=ADMIN)
        assert other.status_code == 422 and "'file'" in other.json()["detail"]
        plain = c.post("/documents", json={"file": "x"}, headers=ADMIN)
        assert plain.status_code == 422 and "multipart/form-data" in plain.json()["detail"]
    uploads = tmp_path / "index" / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir()), list(uploads.rglob("*"))


def test_upload_name_cannot_escape_the_uploads_folder(client: TestClient, tmp_path: Path) -> None:
    r = _upload(client, "../../../circulars 2013.txt", CIRCULARS.read_bytes())
    assert r.status_code == 201, r.text
    assert r.json()["file"] == "circulars_2013.txt"
    assert (tmp_path / "index" / "uploads" / r.json()["sha256"] / "circulars_2013.txt").is_file()


def test_delete_uploaded_document(client: TestClient, tmp_path: Path) -> None:
    body = _upload(client, "circulars.txt", CIRCULARS.read_bytes()).json()
    first = client.delete("/documents/sipo-2013-27", headers=ADMIN)
    assert first.status_code == 200, first.text
    assert first.json()["uploaded"] and "other documents" in first.json()["note"]
    hits = client.post("/search", json={"query": "pilot enterprises of patent operation"}, headers=ADMIN).json()["hits"]
    assert "sipo-2013-27" not in [h["doc_id"] for h in hits]
    second = client.delete("/documents/sipo-circular-2013-03-26", headers=ADMIN).json()
    assert "removed with its last document" in second["note"]
    assert not (tmp_path / "index" / "uploads" / body["sha256"]).exists()
    assert client.get("/documents/sipo-circular-2013-03-26", headers=ADMIN).status_code == 404
    assert client.delete("/documents/sipo-circular-2013-03-26", headers=ADMIN).status_code == 404
    # Sending the file again brings both back.
    assert _upload(client, "circulars.txt", CIRCULARS.read_bytes()).json()["doc_ids"] == body["doc_ids"]


def test_ingest_run_progress_then_delete_returns_at_next_ingest(client: TestClient) -> None:
    r = client.post("/ingest/runs", json={}, headers=ADMIN)
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/ingest/runs/{r.json()['id']}"
    run = _wait(client, r.json()["id"])
    assert run["state"] == "done" and run["files_done"] == run["files_total"] == 2
    assert run["documents"] == 352 and run["documents_changed"] == 352 and run["errors"] == []
    assert run["generation"] == 1 and run["started_by"] == "ops" and run["finished_at"]
    assert client.get("/health").json()["ready"] is True
    # A document of a folder's file: gone now, back at the next ingest of the folder.
    gone = client.delete("/documents/sipo-2013-27", headers=ADMIN).json()
    assert not gone["uploaded"] and "next ingest" in gone["note"] and gone["generation"] == 2
    patent = client.delete("/documents/US5901035", headers=ADMIN).json()  # one of many in the JSONL
    assert patent["documents_removed"] == 1
    assert client.get("/documents/US5293300", headers=ADMIN).status_code == 200  # its file's others stay
    again = _wait(client, client.post("/ingest/runs", json={"paths": []}, headers=ADMIN).json()["id"])
    assert again["state"] == "done" and again["documents_changed"] == 2, again
    for doc in ("sipo-2013-27", "US5901035"):
        assert client.get(f"/documents/{doc}", headers=ADMIN).status_code == 200
    runs = client.get("/ingest/runs", headers=ADMIN).json()
    assert [x["id"] for x in runs] == [again["id"], run["id"]]


def test_ingest_run_paths_stay_inside_the_roots(client: TestClient, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (tmp_path / "corpus" / "link").symlink_to(outside)
    for paths in (["../elsewhere"], [str(outside)], ["link"], ["/etc/passwd"]):
        r = client.post("/ingest/runs", json={"paths": paths}, headers=ADMIN)
        assert r.status_code == 422 and "outside the folders" in r.json()["detail"], (paths, r.text)
        assert str(tmp_path) not in r.text
    r = client.post("/ingest/runs", json={"paths": ["missing.txt"]}, headers=ADMIN)
    assert r.status_code == 422 and "does not exist" in r.json()["detail"]
    assert client.get("/ingest/runs/nope", headers=ADMIN).status_code == 404


def test_ingest_roots_setting_and_file_errors(tmp_path: Path, corpus: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(CIRCULARS, extra)
    (extra / "broken.xml").write_text("<not-a-patent/>")
    with TestClient(create_app(_settings(tmp_path, corpus, ingest_roots=[str(extra)]))) as c:
        run = _wait(c, c.post("/ingest/runs", json={"paths": [str(extra)]}, headers=ADMIN).json()["id"])
    assert run["state"] == "done" and run["files_done"] == 2 and run["documents"] == 2
    assert [e["path"] for e in run["errors"]] == ["extra/broken.xml"]
    assert run["errors"][0]["error"].startswith("extra/broken.xml: detect format")  # no server path in it
    assert run["paths"] == ["<ingest_roots[0]>"] and str(tmp_path) not in str(run)


class _GatedEmbedder(HashingEmbedder):
    """Waits for a gate before embedding: keeps an ingest run running while a test looks."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__(256)
        self.gate = gate

    def embed(self, texts: list[str]) -> np.ndarray:
        assert self.gate.wait(30), "gate never opened"
        return super().embed(texts)


def test_one_run_at_a_time_and_writes_wait_for_it(tmp_path: Path, corpus: Path) -> None:
    gate = threading.Event()
    settings = _settings(tmp_path, corpus)
    ns = NavSearch(settings, embedder=_GatedEmbedder(gate))
    with TestClient(create_app(settings, service=ns)) as c:
        first = c.post("/ingest/runs", json={}, headers=ADMIN).json()
        try:
            live = c.get(f"/ingest/runs/{first['id']}", headers=ADMIN).json()
            assert live["state"] == "running" and live["files_done"] < 2
            for r in (
                c.post("/ingest/runs", json={}, headers=ADMIN),
                _upload(c, "circulars.txt", CIRCULARS.read_bytes()),
                c.delete("/documents/sipo-2013-27", headers=ADMIN),
                c.post("/index/repair", headers=ADMIN),
            ):
                assert r.status_code == 409 and first["id"] in r.json()["detail"], r.text
        finally:
            gate.set()
        assert _wait(c, first["id"])["state"] == "done"


def test_ingest_reports_each_file_as_it_is_done(fake_service: NavSearch, corpus: Path) -> None:
    """The live progress of a run rests on this hook (Indexer.ingest's on_file)."""
    seen: list[FileReport] = []
    report = fake_service.ingest([corpus], progress=False, on_file=seen.append)
    assert [f.path for f in seen] == [f.path for f in report.files] and len(seen) == 2
    assert fake_service.count_files([corpus]) == 2


def test_repair_mends_a_damaged_index(client: TestClient, tmp_path: Path) -> None:
    _wait(client, client.post("/ingest/runs", json={}, headers=ADMIN).json()["id"])
    for f in (tmp_path / "index" / "vectors").glob("gen-*.faiss"):
        f.write_bytes(b"damaged")
    r = client.post("/search", json={"query": "pilot"}, headers=ADMIN)
    assert r.status_code == 409 and str(tmp_path) not in r.json()["detail"], r.text
    fixed = client.post("/index/repair", headers=ADMIN)
    assert fixed.status_code == 200 and fixed.json()["generation"] == 2 and fixed.json()["vectors"] > 0
    assert client.post("/search", json={"query": "pilot"}, headers=ADMIN).status_code == 200
    assert client.get("/health").json()["ready"] is True
