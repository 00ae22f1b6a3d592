"""Every documented limit is owned by the settings: changing it in the environment changes
what the HTTP API and the CLI accept (real app, real index with the hashing encoder)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from navsearch.api.app import create_app
from navsearch.errors import InvalidInput
from navsearch.service import NavSearch
from navsearch.settings import Settings

DATA = Path(__file__).parent / "data"
IDEA = "A notebook computer with a battery pack that detaches at the hinge."
# Over 6,000 characters (the default limit) in ten elements (within the element limit).
LONG_IDEA = " ".join(f"Part {i} of the notebook has " + "a battery pack at the hinge, " * 22 + "and a lid." for i in range(10))


@pytest.fixture(scope="module")
def index_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment of an index built once: policy, statute and patent slices."""
    root = tmp_path_factory.mktemp("limits")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "policy" / "sipo-circulars-2013.txt", corpus)
    shutil.copy(DATA / "statutes" / "gdpr-slice.json", corpus)
    shutil.copy(DATA / "patents" / "patsnap-slice.jsonl", corpus)
    env = {"NAVSEARCH_INDEX_DIR": str(root / "index"), "NAVSEARCH_EMBEDDING__BACKEND": "hashing"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        NavSearch(Settings()).ingest([corpus], progress=False)
    yield env


Request = tuple[str, str, dict[str, Any]]  # method, path, JSON body or query parameters


def _search(**body: Any) -> Request:
    return ("POST", "/search", {"query": "pilot enterprises", **body})


def _prior_art(**body: Any) -> Request:
    return ("POST", "/prior-art", {"idea": IDEA, **body})


# (setting in the environment, a value above its default, a request beyond the default
# but within that value). Each documented limit of ApiSettings and PriorArtSettings.
CASES: list[tuple[str, str, Request]] = [
    ("NAVSEARCH_API__MAX_K", "500", _search(k=150)),
    ("NAVSEARCH_API__MAX_SEARCH_CHARS", "60000", _search(query="pilot enterprises " * 3000)),
    ("NAVSEARCH_API__MAX_QUERY_CHARS", "6000", ("POST", "/ask", {"question": "How many pilot enterprises? " * 150})),
    ("NAVSEARCH_API__MAX_FILTER_VALUES", "40", _search(jurisdictions=[f"{a}{b}" for a in "AB" for b in "ABCDEFGHIJKLM"])),
    ("NAVSEARCH_API__MAX_CONTEXT_WINDOW", "9000", ("GET", "/documents/sipo-2013-27/context", {"start": 0, "end": 10, "window": 7000})),
    ("NAVSEARCH_PRIOR_ART__MAX_K", "80", _prior_art(k=60)),
    ("NAVSEARCH_PRIOR_ART__MAX_POLICY_K", "80", _prior_art(policy_k=60)),
    ("NAVSEARCH_PRIOR_ART__MAX_IDEA_CHARS", "9000", _prior_art(idea=LONG_IDEA)),
    ("NAVSEARCH_PRIOR_ART__MAX_ELEMENTS", "20", _prior_art(elements=[f"a battery element number {i}" for i in range(15)])),
    ("NAVSEARCH_PRIOR_ART__MAX_ELEMENT_CHARS", "3000", _prior_art(elements=["a battery pack " * 150])),
]


def _call(client: TestClient, request: Request) -> Any:
    method, path, payload = request
    if method == "GET":
        return client.get(path, params=payload)
    return client.post(path, json=payload)


def _client(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Callable[[dict[str, str]], TestClient]:
    def make(extra: dict[str, str]) -> TestClient:
        for key, value in {**env, **extra}.items():
            monkeypatch.setenv(key, value)
        return TestClient(create_app(Settings()))

    return make


@pytest.mark.parametrize(("name", "value", "request_"), CASES, ids=[f"{c[0]}:{c[2][1]}" for c in CASES])
def test_http_limit_follows_the_setting(
    index_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, name: str, value: str, request_: Request
) -> None:
    make = _client(monkeypatch, index_env)
    with make({}) as client:
        refused = _call(client, request_)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    with make({name: value}) as client:
        accepted = _call(client, request_)
    assert accepted.status_code == 200, accepted.text


def test_http_limit_lowered(index_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    with _client(monkeypatch, index_env)({"NAVSEARCH_API__MAX_K": "5"}) as client:
        assert client.post("/search", json={"query": "pilot", "k": 5}).status_code == 200
        r = client.post("/search", json={"query": "pilot", "k": 6})
        assert r.status_code == 422 and "k" in [e["field"] for e in r.json()["errors"]]
        assert client.get("/openapi.json").json()["components"]["schemas"]["SearchRequest"]["properties"]["k"]["maximum"] == 5


def test_http_types_are_strict(index_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    with _client(monkeypatch, index_env)({}) as client:
        r = client.post("/search", json={"query": "pilot", "k": "10"})
        assert r.status_code == 422 and "k" in [e["field"] for e in r.json()["errors"]]
        r = client.post("/search", json={"query": "pilot", "date_from": "2014-01-01", "date_to": "2013-01-01"})
        assert r.status_code == 422 and "date_from (2014-01-01) is after date_to" in r.json()["detail"]


CLI_CASES = [
    ("NAVSEARCH_API__MAX_K", "500", ["search", "pilot enterprises", "--k", "150"], "k is 150; the limit is 100"),
    ("NAVSEARCH_API__MAX_QUERY_CHARS", "6000", ["ask", "How many pilot enterprises? " * 150], "the limit is 4000"),
    ("NAVSEARCH_API__MAX_SEARCH_CHARS", "60000", ["search", "pilot enterprises " * 3000], "the limit is 50000"),
    ("NAVSEARCH_API__MAX_FILTER_VALUES", "40", ["search", "pilot", *[x for j in ("AA", "AB", "AC") for x in ("--jurisdiction", j)]], None),
    ("NAVSEARCH_PRIOR_ART__MAX_K", "80", ["prior-art", IDEA, "--k", "60"], "k must be between 1 and 50"),
    ("NAVSEARCH_PRIOR_ART__MAX_IDEA_CHARS", "9000", ["prior-art", LONG_IDEA], "the limit is 6000"),
]


@pytest.mark.parametrize(("name", "value", "argv", "message"), CLI_CASES, ids=[c[0] + ":" + c[2][0] for c in CLI_CASES])
def test_cli_limit_follows_the_setting(
    index_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, name: str, value: str, argv: list[str], message: str | None
) -> None:
    from navsearch.cli import app

    for key, val in index_env.items():
        monkeypatch.setenv(key, val)
    runner = CliRunner()
    if message is None:  # a limit that the default lets through: lower it instead
        monkeypatch.setenv(name, "2")
        refused = runner.invoke(app, argv)
        assert isinstance(refused.exception, InvalidInput) and "the limit is 2" in str(refused.exception)
        monkeypatch.setenv(name, value)
    else:
        refused = runner.invoke(app, argv)
        assert isinstance(refused.exception, InvalidInput) and message in str(refused.exception), refused.output
        monkeypatch.setenv(name, value)
    accepted = runner.invoke(app, argv)
    assert accepted.exit_code == 0, (accepted.output, accepted.exception)
