"""API keys with scopes over the real app: every route declares a scope or is on the
allow-list, the matrix of route x key gives the expected status, keys come from settings
or a key file, and no key ever reaches a log."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from navsearch.api import auth
from navsearch.api.app import create_app
from navsearch.errors import InvalidInput
from navsearch.service import NavSearch
from navsearch.settings import Settings

DATA = Path(__file__).parent / "data"
READ_KEY = "read-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
WRONG_KEY = "wrong-key-0123456789abcdef"
KEYS = [{"name": "reader", "scope": "read", "key": READ_KEY}, {"name": "ops", "scope": "admin", "key": ADMIN_KEY}]
DOC = "sipo-2013-27"

# A request each route answers without changing the corpus when its key is accepted
# (admin routes: an id that does not exist, a path outside the roots, an empty form;
# repair publishes the same catalog again). Keyed by (method, path template).
REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/health"): {},
    ("GET", "/openapi.json"): {},
    ("GET", "/docs"): {},
    ("GET", "/docs/oauth2-redirect"): {},
    ("GET", "/redoc"): {},
    ("POST", "/search"): {"json": {"query": "pilot enterprises"}},
    ("GET", "/documents/{doc_id}"): {"path": f"/documents/{DOC}"},
    ("POST", "/prior-art"): {"json": {"idea": "a battery pack at the hinge of a notebook", "policy_k": 0}},
    ("POST", "/ask"): {"json": {"question": "How many pilot enterprises?"}},
    ("GET", "/documents/{doc_id}/report"): {"path": f"/documents/{DOC}/report"},
    ("GET", "/documents/{doc_id}/context"): {"path": f"/documents/{DOC}/context", "params": {"start": 0, "end": 10}},
    ("GET", "/ingest/failures"): {},
    ("POST", "/documents"): {"files": {"file": ("x.bin", b"not a document", "application/octet-stream")}},
    ("DELETE", "/documents/{doc_id}"): {"path": "/documents/no-such-document"},
    ("POST", "/ingest/runs"): {"json": {"paths": ["/etc"]}},
    ("GET", "/ingest/runs"): {},
    ("GET", "/ingest/runs/{run_id}"): {"path": "/ingest/runs/no-such-run"},
    ("POST", "/index/repair"): {},
    ("GET", "/auth/whoami"): {},
    # the web page's shell and files: open, they hold no data
    ("GET", "/"): {},
    ("GET", "/static"): {"path": "/static/js/main.js"},
    ("GET", "/apidocs/assets"): {"path": "/apidocs/assets/favicon.png"},
    ("GET", "/apidocs/redoc.standalone.js"): {},
}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("auth")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "policy" / "sipo-circulars-2013.txt", corpus)
    NavSearch(_settings(root / "index")).ingest([corpus], progress=False)
    return root / "index"


def _settings(index_dir: Path, **api: Any) -> Settings:
    return Settings(
        index_dir=index_dir, corpus_dir=index_dir.parent / "corpus", embedding={"backend": "hashing"}, api=api
    )


@pytest.fixture(scope="module")
def client(index_dir: Path) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NAVSEARCH_API__ALLOWED_HOSTS", '["testserver"]')
        app = create_app(_settings(index_dir, keys=KEYS))
    with TestClient(app) as c:
        yield c


def _operations(client: TestClient) -> list[tuple[str, str, str | None]]:
    """(method, path template, scope) of every route the app answers (HEAD aside)."""
    out = []
    for route in auth.routes(client.app.router):  # type: ignore[attr-defined]
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            out.append((method, auth.route_path(route), auth.route_scope(route)))
    return out


def test_every_route_declares_a_scope_or_is_allow_listed(client: TestClient) -> None:
    missing = [f"{m} {p}" for m, p, scope in _operations(client) if scope is None and p not in auth.OPEN_PATHS]
    assert not missing, f"give these routes dependencies=[READ] or [ADMIN], or allow-list them: {missing}"
    assert {p for _, p, s in _operations(client) if s is None} == set(auth.OPEN_PATHS)
    admin = {f"{m} {p}" for m, p, s in _operations(client) if s == "admin"}
    assert admin == {"POST /documents", "DELETE /documents/{doc_id}", "POST /ingest/runs", "POST /index/repair"}


def test_matrix_covers_every_route(client: TestClient) -> None:
    assert {(m, p) for m, p, _ in _operations(client)} == set(REQUESTS)


def _call(client: TestClient, method: str, path: str, key: str | None) -> Any:
    spec = dict(REQUESTS[(method, path)])
    url = spec.pop("path", path)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.request(method, url, headers=headers, **spec)


@pytest.mark.parametrize("who", ["none", "wrong", "read", "admin"])
def test_auth_matrix(client: TestClient, who: str) -> None:
    key = {"none": None, "wrong": WRONG_KEY, "read": READ_KEY, "admin": ADMIN_KEY}[who]
    wrong = []
    for method, path, scope in _operations(client):
        r = _call(client, method, path, key)
        if scope is None:
            expected = "2xx"
        elif who in ("none", "wrong"):
            expected = "401"
        elif who == "read" and scope == "admin":
            expected = "403"
        else:
            expected = "not auth"
        ok = {
            "2xx": 200 <= r.status_code < 300,
            "401": r.status_code == 401 and r.headers["content-type"] == "application/problem+json",
            "403": r.status_code == 403 and r.headers["content-type"] == "application/problem+json",
            "not auth": r.status_code < 500 and r.status_code not in (401, 403),
        }[expected]
        if not ok:
            wrong.append(f"{method} {path} with {who} key: {r.status_code} (expected {expected}) {r.text[:200]}")
    assert not wrong, "\n".join(wrong)


def test_key_headers_and_messages(client: TestClient) -> None:
    assert client.post("/search", json={"query": "pilot"}, headers={"X-API-Key": READ_KEY}).status_code == 200
    assert client.post("/search", json={"query": "pilot"}, headers={"authorization": f"bearer {READ_KEY}"}).status_code == 200
    r = client.post("/search", json={"query": "pilot"}, headers={"Authorization": f"Basic {READ_KEY}"})
    assert r.status_code == 401
    r = client.delete(f"/documents/{DOC}", headers={"X-API-Key": READ_KEY})
    assert r.status_code == 403 and r.json()["detail"] == "key 'reader' has scope 'read'; this route needs 'admin'"
    r = client.get("/no/such/route")
    assert r.status_code == 401  # an unknown path tells a stranger nothing either
    assert client.get("/no/such/route", headers={"X-API-Key": READ_KEY}).status_code == 404


def test_an_unscoped_route_is_refused_to_everyone(index_dir: Path) -> None:
    """Fail closed: a route added without a scope answers no one while keys are set."""
    app = create_app(_settings(index_dir, keys=KEYS, allowed_hosts=["testserver"]))

    @app.get("/forgot-its-scope")
    def forgot() -> dict[str, str]:
        return {"secret": "data"}

    with TestClient(app) as c:
        for key in (READ_KEY, ADMIN_KEY):
            r = c.get("/forgot-its-scope", headers={"X-API-Key": key})
            assert r.status_code == 403 and "declares no scope" in r.json()["detail"]
        assert c.get("/forgot-its-scope").status_code == 401


def test_no_keys_no_authentication(index_dir: Path) -> None:
    with TestClient(create_app(_settings(index_dir, allowed_hosts=["testserver"]))) as c:
        assert c.post("/search", json={"query": "pilot"}).status_code == 200


def test_key_file_lines_and_json(index_dir: Path, tmp_path: Path) -> None:
    hashed = hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
    lines = tmp_path / "keys.txt"
    lines.write_text(f"# name scope key\nreader read {READ_KEY}\nops admin sha256:{hashed}  # hashed\n")
    as_json = tmp_path / "keys.json"
    as_json.write_text(json.dumps({"keys": [{"name": "reader", "scope": "read", "sha256": hashlib.sha256(READ_KEY.encode()).hexdigest()}, {"name": "ops", "scope": "admin", "key": ADMIN_KEY}]}))
    for path in (lines, as_json):
        with TestClient(create_app(_settings(index_dir, key_file=str(path), allowed_hosts=["testserver"]))) as c:
            assert c.post("/search", json={"query": "pilot"}).status_code == 401
            assert c.post("/search", json={"query": "pilot"}, headers={"X-API-Key": READ_KEY}).status_code == 200
            assert c.delete("/documents/nope", headers={"X-API-Key": READ_KEY}).status_code == 403
            assert c.delete("/documents/nope", headers={"X-API-Key": ADMIN_KEY}).status_code == 404


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"reader read {READ_KEY} extra", "line 1: expected 'name scope key', got 4 fields"),
        ("reader write " + READ_KEY, "scope"),
        ("reader read tiny-k3y", "shorter than 16 characters"),
        (f"a read {READ_KEY}\na admin {ADMIN_KEY}", "unique"),
        ("[{", "not valid JSON"),
    ],
)
def test_bad_key_file_is_refused_without_echoing_it(index_dir: Path, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "keys"
    path.write_text(text)
    with pytest.raises(InvalidInput) as info:
        create_app(_settings(index_dir, key_file=str(path)))
    assert message in str(info.value)
    for secret in (READ_KEY, ADMIN_KEY, "tiny-k3y"):
        assert secret not in str(info.value)


def test_keys_compared_in_constant_time_against_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = auth.hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    ring = auth.Keyring(Settings(api={"keys": KEYS}).api.keys)
    assert ring.identify(READ_KEY).name == "reader"  # type: ignore[union-attr]
    assert ring.identify(WRONG_KEY) is None
    assert len(calls) == 4  # both keys compared each time, found first or not at all


def test_keys_never_reach_logs_or_settings_dumps(index_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = _settings(index_dir, keys=KEYS, allowed_hosts=["testserver"])
    with TestClient(create_app(settings)) as c:
        for key in (READ_KEY, ADMIN_KEY, WRONG_KEY):
            c.post("/search", json={"query": "pilot"}, headers={"Authorization": f"Bearer {key}"})
            c.delete(f"/documents/nope-{key[:3]}", headers={"X-API-Key": key})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused 'DELETE /documents/nope-rea' from testclient: key 'reader' has scope 'read'" in logged
    assert "an invalid API key" in logged
    dumps = [logged, repr(settings), str(settings), settings.model_dump_json()]
    for secret in (READ_KEY, ADMIN_KEY, WRONG_KEY):
        assert not any(secret in text for text in dumps), secret


def test_whoami_tells_a_client_what_its_key_may_do(client: TestClient, index_dir: Path) -> None:
    """The web page shows admin actions only when this says the key is admin."""
    read = client.get("/auth/whoami", headers={"Authorization": f"Bearer {READ_KEY}"}).json()
    admin = client.get("/auth/whoami", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).json()
    assert read == {"name": "reader", "scopes": ["read"], "keys_required": True}
    assert admin["scopes"] == ["read", "admin"] and admin["keys_required"]
    assert client.get("/auth/whoami").status_code == 401
    with TestClient(create_app(_settings(index_dir))) as open_client:  # no keys: no authentication
        assert open_client.get("/auth/whoami").json() == {"name": None, "scopes": ["read", "admin"], "keys_required": False}
