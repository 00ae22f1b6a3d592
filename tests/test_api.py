"""The real HTTP app (FastAPI TestClient) over a real index built with the hashing embedder."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from navsearch.api.app import create_app
from navsearch.service import NavSearch


@pytest.fixture()
def client(fake_service: NavSearch, small_corpus: Path):
    fake_service.ingest([small_corpus], progress=False)
    with TestClient(create_app(fake_service.settings, service=fake_service)) as c:
        yield c


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["ready"] is True and body["status"] == "ok"
    assert body["model"] == "hashing-256" and body["generation"] == 1
    assert body["counts"]["documents_policy"] == 2


def test_search_returns_cited_passages(client: TestClient) -> None:
    r = client.post("/search", json={"query": "pilot enterprises of patent operation", "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    hit = body["hits"][0]
    assert hit["doc_id"] == "sipo-2013-27" and hit["number"] == "G. ZH. F. G. Z. [2013] No. 27"
    assert hit["title"].startswith("Circular of the State Intellectual Property Office")
    p = hit["passages"][0]
    assert p["path"] == "IV.i.3" and "about 30 national pilot enterprises" in p["text"]
    assert p["citation"].endswith("G. ZH. F. G. Z. [2013] No. 27, IV.i.3")
    assert body["candidates"]["dense"] > 0 and body["candidates"]["lexical"] > 0
    doc = client.get(f"/documents/{hit['doc_id']}", params={"include_text": True}).json()
    assert doc["text"][p["start"] : p["end"]] == p["text"]


def test_search_with_filters_and_chunks(client: TestClient) -> None:
    r = client.post(
        "/search",
        json={"query": "battery", "k": 5, "doc_types": ["patent"], "date_to": "1999-12-31", "group": "chunk"},
    )
    hits = r.json()["hits"]
    assert hits and all(h["doc_type"] == "patent" and h["publication_date"] <= "1999-12-31" for h in hits)


def test_document_endpoint(client: TestClient) -> None:
    body = client.get("/documents/US8930553B2").json()
    claims = [c for c in body["chunks"] if c["kind"] == "claim"]
    assert claims and claims[0]["path"] == "claim 1"
    assert body["text"] is None
    r = client.get("/documents/NOPE")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "no document with id 'NOPE'"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"query": "x", "k": 101}, "k"),
        ({"query": "", "k": 3}, "query"),
        ({"query": "x" * 50_001}, "query"),  # api.max_search_chars
        ({"query": "x", "doc_types": ["blog"]}, "doc_types.0"),
        ({"query": "x", "date_to": "2013-02-30"}, "date_to"),
        ({"query": "x", "group": "family"}, "group"),
        ({"query": "x", "colour": "red"}, "colour"),
        ({"k": 3}, "query"),
    ],
)
def test_bad_requests_are_problems_naming_the_field(client: TestClient, payload: dict, field: str) -> None:
    r = client.post("/search", json=payload)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 422 and body["title"] == "Invalid request"
    assert field in [e["field"] for e in body["errors"]], body


def test_bad_ipc_code(client: TestClient) -> None:
    r = client.post("/search", json={"query": "x", "ipc": ["not a code"]})
    assert r.status_code == 422 and "ipc" in r.json()["detail"]


def test_empty_index_is_not_ready(tmp_path: Path) -> None:
    from navsearch.embedding.fake import HashingEmbedder
    from navsearch.settings import Settings

    settings = Settings(index_dir=tmp_path / "empty")
    with TestClient(create_app(settings, service=NavSearch(settings, embedder=HashingEmbedder()))) as c:
        assert c.get("/health").json()["ready"] is False
        r = c.post("/search", json={"query": "x"})
        assert r.status_code == 503 and "run `navsearch ingest` first" in r.json()["detail"]
