"""Prior-art workbench pieces: elements, coverage, export, limits (hashing embedder, real store)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from navsearch.api.app import create_app
from navsearch.errors import InvalidInput
from navsearch.priorart.coverage import coverage
from navsearch.priorart.elements import split_elements
from navsearch.priorart.export import to_csv, to_json
from navsearch.service import NavSearch


def test_claim_elements() -> None:
    claim = (
        "1. A water treatment system comprising: a membrane filter having pores below 0.1 micron; "
        "an ozone dosing unit upstream of the filter; and a blower, wherein the blower backwashes the filter."
    )
    assert split_elements(claim) == [
        "A water treatment system",
        "a membrane filter having pores below 0.1 micron",
        "an ozone dosing unit upstream of the filter",
        "a blower",
        "the blower backwashes the filter.",
    ]
    assert split_elements("First idea sentence here. Second one follows.") == [
        "First idea sentence here.",
        "Second one follows.",
    ]


def test_coverage_matrix() -> None:
    c = coverage(
        {
            "A": ["disclosed", "disclosed", "not found"],
            "B": ["not found", "partly", "disclosed"],
            "C": ["disclosed", "disclosed", "disclosed"],
            "D": ["partly", "not found", "not found"],
        },
        3,
    )
    assert c.anticipating == ("C",)
    assert c.covering_pairs == (("A", "B"),)
    assert c.novelty_candidates == ()
    c2 = coverage({"A": ["disclosed", "not found"], "B": ["partly", "not found"]}, 2)
    assert c2.novelty_candidates == (1,) and c2.anticipating == () and c2.covering_pairs == ()


@pytest.fixture()
def ingested(fake_service: NavSearch, small_corpus: Path) -> NavSearch:
    fake_service.ingest([small_corpus], progress=False)
    return fake_service


def test_record_export_and_verified_quotes(ingested: NavSearch) -> None:
    idea = "A portable computer with a detachable battery pack. The battery pack rotates at the hinge."
    result = ingested.prior_art(idea, k=3, priority_date=date(2001, 1, 1))
    assert result.references and len(result.elements) == 2
    for ref in result.references:
        assert ref.publication_date < date(2001, 1, 1)
        text = ingested.catalog.document_text(ref.doc_id)
        assert all(m.verified and text[m.start : m.end] == m.quote for m in ref.matches)
    record = json.loads(to_json(result))
    assert record["filters"]["priority_date"] == "2001-01-01"
    assert record["model"] == "hashing-256" and record["corpus_fingerprint"] and record["generation"] == 1
    rows = list(csv.reader(io.StringIO(to_csv(result))))
    header = rows.index(next(r for r in rows if r and r[0] == "rank"))
    assert len(rows) - header - 1 == sum(len(r.matches) for r in result.references)
    assert result.policy and all(h.doc_type in ("policy", "statute") for h in result.policy)


def test_limits(ingested: NavSearch) -> None:
    with pytest.raises(InvalidInput, match="idea is empty"):
        ingested.prior_art("  ")
    with pytest.raises(InvalidInput, match="the limit is 12"):
        ingested.prior_art("x", elements=[f"element {i}" for i in range(13)])
    with pytest.raises(InvalidInput, match="k must be between 1 and 50"):
        ingested.prior_art("battery", k=0)


def test_prior_art_over_http(ingested: NavSearch) -> None:
    with TestClient(create_app(ingested.settings, service=ingested)) as client:
        r = client.post("/prior-art", json={"idea": "detachable battery pack for a portable computer", "k": 2})
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["references"]) == 2 and body["elements"]
        assert body["references"][0]["matches"][0]["verified"] is True
        r = client.post("/prior-art", json={"idea": "battery", "format": "csv", "k": 1})
        assert r.headers["content-type"].startswith("text/csv") and "# idea,battery" in r.text
        for payload, field in [
            ({"idea": "x", "priority_date": "2013-02-30"}, "priority_date"),
            ({"idea": "x", "ipc": ["H01M 2/10 x"]}, "ipc.0"),
            ({"idea": "x", "k": 51}, "k"),
            ({"idea": "x" * 6001}, "idea"),
            ({"idea": "x", "elements": ["a"] * 13}, "elements"),
            ({"idea": "x", "cutoff_field": "grant"}, "cutoff_field"),
        ]:
            bad = client.post("/prior-art", json=payload)
            assert bad.status_code == 422, payload
            assert field in [e["field"] for e in bad.json()["errors"]], bad.json()
