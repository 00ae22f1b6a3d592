"""The web page's server side without a browser: the shell, its choices and limits, its
files, the offline API docs, and that the package ships them."""

from __future__ import annotations

import json
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from navsearch.api import web
from navsearch.api.app import create_app
from navsearch.embedding.fake import HashingEmbedder
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.types import DATE_FIELDS, DOC_TYPES

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = [p for p in (web.HERE / "templates").rglob("*") if p.is_file()] + [
    p for p in web.STATIC_DIR.rglob("*") if p.is_file()
]


@pytest.fixture()
def client(tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index", api={"max_k": 7}, prior_art={"max_k": 9})
    with TestClient(create_app(settings, service=NavSearch(settings, embedder=HashingEmbedder()))) as c:
        yield c


def test_the_page_is_served_at_the_root_with_a_strict_policy(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert 'lang="en"' in r.text and '<meta name="viewport"' in r.text


def test_choices_and_limits_come_from_types_and_settings(client: TestClient) -> None:
    html = client.get("/").text
    assert re.findall(r'name="type" id="type-\w+" value="(\w+)"', html) == list(DOC_TYPES)
    assert re.findall(r'<option value="(\w+)">', html) == list(DATE_FIELDS)
    config = json.loads(re.search(r'<script type="application/json" id="config">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert config["max_k"] == 7 and config["prior_art_max_k"] == 9  # this app's settings, not defaults
    assert config["doc_types"] == list(DOC_TYPES) and config["date_fields"] == list(DATE_FIELDS)


def test_every_control_has_a_label(client: TestClient) -> None:
    html = client.get("/").text
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert ids and set(ids) <= labelled, set(ids) - labelled


def test_the_page_and_its_files_name_no_other_host(client: TestClient) -> None:
    html = client.get("/").text
    for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert ref.startswith(("/", "#", "data:")), ref
        if ref.startswith("/"):
            assert client.get(ref).status_code == 200, ref
    for path in PAGE_FILES:
        assert not re.search(r"https?://", path.read_text(encoding="utf-8")), path


def test_api_docs_use_local_assets_only(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        refs = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html)
        assert refs and all(r.startswith("/") for r in refs), (page, refs)
        for ref in refs:
            assert client.get(ref).status_code == 200, ref
    redoc = client.get("/apidocs/redoc.standalone.js").text
    assert "cdn.redoc.ly" not in redoc
    assert "fonts.googleapis.com" not in client.get("/redoc").text


def test_the_json_api_stays_where_it_is(client: TestClient) -> None:
    assert client.get("/health").json()["ready"] is False
    assert client.post("/search", json={"query": ""}).status_code == 422
    assert "/search" in client.get("/openapi.json").json()["paths"]
    assert "/" not in client.get("/openapi.json").json()["paths"]  # the page is not an API route


def test_the_package_ships_the_page_files() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["navsearch.api"]
    base = web.HERE
    for path in PAGE_FILES:
        rel = path.relative_to(base).as_posix()
        assert any(fnmatch(rel, p) for p in patterns), f"{rel} is not in package-data"
