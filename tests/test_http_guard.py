"""Regressions of "Nothing lost, nothing wrong, nobody let in": each test here failed on
the code before the fix (a 500, a formula in a CSV, a 100 MB body parsed, any Host
answered, server paths in problems, no keys, no way to add or remove a document over
HTTP). The real app over a real index built with the hashing encoder."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from navsearch.api.app import create_app
from navsearch.embedding.fake import HashingEmbedder
from navsearch.service import NavSearch
from navsearch.settings import Settings

DATA = Path(__file__).parent / "data"
READ_KEY = "read-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
KEYS = [{"name": "reader", "scope": "read", "key": READ_KEY}, {"name": "ops", "scope": "admin", "key": ADMIN_KEY}]
IDEA = "A notebook computer with a battery pack that detaches at the hinge."
FORMULAS = ["=1+2", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)"]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("guard")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "policy" / "sipo-circulars-2013.txt", corpus)
    shutil.copy(DATA / "patents" / "patsnap-slice.jsonl", corpus)
    settings = Settings(index_dir=root / "index", corpus_dir=corpus, embedding={"backend": "hashing"})
    NavSearch(settings).ingest([corpus], progress=False)
    return root / "index"


def _settings(index_dir: Path, **api: Any) -> Settings:
    return Settings(
        index_dir=index_dir, corpus_dir=index_dir.parent / "corpus", embedding={"backend": "hashing"}, api=api
    )


@pytest.fixture()
def client(index_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(index_dir))) as c:
        yield c


def _is_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    return body


# --- /prior-art with the first day a date can name ----------------------------------------
def test_priority_date_day_one_finds_nothing_and_says_why(client: TestClient) -> None:
    """Was a text/plain 500 (date arithmetic overflow). No reference can be dated before
    0001-01-01, so the search is valid and finds nothing, as for 0001-01-02."""
    r = client.post("/prior-art", json={"idea": IDEA, "priority_date": "0001-01-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["references"] == [] and body["filters"]["priority_date"] == "0001-01-01"
    assert any("before 0001-01-01" in n for n in body["notes"])
    next_day = client.post("/prior-art", json={"idea": IDEA, "priority_date": "0001-01-02"}).json()
    assert next_day["references"] == []
    csv_r = client.post("/prior-art", json={"idea": IDEA, "priority_date": "0001-01-01", "format": "csv"})
    assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv")


# --- CSV export: no formulas ---------------------------------------------------------------
def test_csv_export_escapes_formula_cells(client: TestClient) -> None:
    r = client.post(
        "/prior-art", json={"idea": "=HYPERLINK(\"http://x\") " + IDEA, "elements": FORMULAS, "format": "csv"}
    )
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.text)))
    cells = [c for row in rows for c in row]
    assert len(rows) > 5, "the search should find references, so element cells are written"
    dangerous = [
        c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not c.lstrip("+-").replace(".", "").isdigit()
    ]
    assert not dangerous, dangerous
    for formula in FORMULAS:
        assert "'" + formula in cells
    assert rows[0][1].startswith("'=HYPERLINK")


# --- request bodies: counted, limited -------------------------------------------------------
BIG = 2 * 1024 * 1024


def test_large_json_body_is_refused_not_parsed(client: TestClient) -> None:
    body = _is_problem(client.post("/search", json={"query": "x" * BIG}), 413)
    assert "api.max_body_bytes" in body["detail"]


def test_chunked_body_is_counted(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "'
        for _ in range(BIG // 65536):
            yield b"x" * 65536
        yield b'"}'

    r = client.post("/search", content=chunks(), headers={"content-type": "application/json"})
    _is_problem(r, 413)


def test_declared_length_is_not_trusted(client: TestClient) -> None:
    data = b'{"query": "' + b"x" * BIG + b'"}'
    r = client.post("/search", content=data, headers={"content-type": "application/json", "content-length": "100"})
    _is_problem(r, 413)


def test_body_limit_follows_the_setting(index_dir: Path) -> None:
    with TestClient(create_app(_settings(index_dir, max_body_bytes=4 * BIG))) as c:
        r = c.post("/search", json={"query": "x" * BIG})
    assert r.status_code == 422, r.text  # parsed: the query is over its own limit


# --- Host header ----------------------------------------------------------------------------
def test_unknown_host_is_refused(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NAVSEARCH_API__ALLOWED_HOSTS")  # the defaults, not the tests' list
    with TestClient(create_app(_settings(index_dir))) as c:
        body = _is_problem(c.get("/health", headers={"host": "rebind.attacker.example"}), 400)
        assert "api.allowed_hosts" in body["detail"]
        _is_problem(c.post("/search", json={"query": "pilot"}, headers={"host": "rebind.attacker.example:8000"}), 400)
        for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"):
            assert c.get("/health", headers={"host": host}).status_code == 200, host
    with TestClient(create_app(_settings(index_dir, host="10.1.2.3", allowed_hosts=["search.example.org"]))) as c:
        assert c.get("/health", headers={"host": "10.1.2.3:8000"}).status_code == 200  # the bind host
        assert c.get("/health", headers={"host": "search.example.org"}).status_code == 200
        _is_problem(c.get("/health", headers={"host": "localhost"}), 400)


# --- problems carry no server paths ---------------------------------------------------------
def test_problems_do_not_leak_paths(index_dir: Path) -> None:
    other = NavSearch(_settings(index_dir), embedder=HashingEmbedder(128))  # not the model of the index
    with TestClient(create_app(other.settings, service=other)) as c:
        r = c.post("/search", json={"query": "pilot enterprises"})
        health = c.get("/health").json()
    body = _is_problem(r, 409)
    assert body["title"] == "Index does not match" and "dimension" in body["detail"]
    for text in (body["detail"], health["detail"]):
        assert str(index_dir) not in text and str(index_dir.parent) not in text, text
        assert "/tmp" not in text and "<index_dir>" in text, text


def test_strict_types_are_kept(client: TestClient) -> None:
    r = client.post("/search", json={"query": "pilot", "k": "10"})
    assert "k" in [e["field"] for e in _is_problem(r, 422)["errors"]]


# --- keys and scopes ------------------------------------------------------------------------
def test_keys_are_required_when_configured(index_dir: Path) -> None:
    with TestClient(create_app(_settings(index_dir, keys=KEYS))) as c:
        assert c.get("/health").status_code == 200
        r = c.post("/search", json={"query": "pilot"})
        _is_problem(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")
        read = {"Authorization": f"Bearer {READ_KEY}"}
        assert c.post("/search", json={"query": "pilot"}, headers=read).status_code == 200
        _is_problem(c.delete("/documents/sipo-2013-27", headers=read), 403)


# --- documents in and out over HTTP ---------------------------------------------------------
def test_upload_then_delete_a_document(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", embedding={"backend": "hashing"}, api={"keys": KEYS})
    admin = {"X-API-Key": ADMIN_KEY}
    with TestClient(create_app(settings)) as c:
        data = (DATA / "policy" / "sipo-circulars-2013.txt").read_bytes()
        r = c.post("/documents", files={"file": ("circulars.txt", data, "text/plain")}, headers=admin)
        assert r.status_code == 201, r.text
        assert "sipo-2013-27" in r.json()["doc_ids"]
        hits = c.post("/search", json={"query": "pilot enterprises"}, headers=admin).json()["hits"]
        assert hits[0]["doc_id"] == "sipo-2013-27"
        gone = c.delete("/documents/sipo-2013-27", headers=admin)
        assert gone.status_code == 200, gone.text
        assert c.get("/documents/sipo-2013-27", headers=admin).status_code == 404


def test_real_server_stops_a_chunked_body_and_checks_the_host(tmp_path: Path) -> None:
    """The same over a socket: `navsearch serve` (uvicorn) answers 413 to a chunked body
    past the limit and to one too long for its Content-Length, 400 to a foreign Host, and
    goes on serving."""
    import httpx

    from benchmarks.load import READ_KEY as LOAD_KEY
    from benchmarks.load import build_corpus, free_port, server, server_env

    corpus, extra = build_corpus(tmp_path, ingest_files=[])
    env = {**server_env(tmp_path / "index", corpus, extra, free_port()), "NAVSEARCH_EMBEDDING__BACKEND": "hashing"}
    NavSearch(_settings(tmp_path / "index")).ingest([corpus], progress=False)

    def chunks() -> Iterator[bytes]:
        yield b'{"query": "'
        for _ in range(BIG // 65536):
            yield b"x" * 65536
        yield b'"}'

    headers = {"Authorization": f"Bearer {LOAD_KEY}", "content-type": "application/json"}
    with server(env, tmp_path / "server.log") as base:
        _is_problem(httpx.post(f"{base}/search", content=chunks(), headers=headers, timeout=30), 413)
        _is_problem(httpx.post(f"{base}/search", content=b"x" * BIG, headers=headers, timeout=30), 413)
        _is_problem(httpx.get(f"{base}/health", headers={"host": "rebind.attacker.example"}), 400)
        assert httpx.post(f"{base}/search", json={"query": "pilot"}, headers=headers, timeout=30).status_code == 200
