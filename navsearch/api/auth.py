"""API keys with scopes: ``read`` (search and read) and ``admin`` (also change the corpus).

Keys come from the settings (``api.keys``) and an optional key file (``api.key_file``).
With none configured there is no authentication, as before (the server binds loopback
by default). With any, every route needs a key of its scope, except the few on
``OPEN_PATHS``; a route that declares no scope is refused to everyone (fail closed), so a
route added without one cannot leak (tests/test_auth.py also fails on it).

A route declares its scope with ``dependencies=[READ]`` or ``[ADMIN]``; ``AuthMiddleware``
enforces it before the request body is read (an upload is refused before its bytes are
taken). Keys are compared as SHA-256 digests with ``hmac.compare_digest`` against every
configured key, so timing tells nothing about a near miss; a key is never logged or
echoed, only its name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import RouteContext, iter_route_contexts
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from starlette.routing import BaseRoute, Match, Router

from navsearch.api.guards import MULTIPART_OVERHEAD, ASGIApp, BodyLimit, Receive, Scope, Send, TrustedHost, allowed_hosts, header
from navsearch.api.problems import problem
from navsearch.errors import InvalidInput
from navsearch.settings import ApiKey, ApiSettings, Settings

log = logging.getLogger("navsearch.api.auth")

# Routes anyone may call even when keys are configured: liveness, and the API's own
# description and its documentation pages (they describe the API, they show no data).
# A web page's shell and static assets may be added here; the data they show comes from
# scoped routes. Matched against the route's path template (a Mount: its prefix).
OPEN_PATHS: frozenset[str] = frozenset(
    {
        "/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
        # The web page's shell and files (navsearch/api/web.py, apidocs.py): they hold no
        # data; the page asks for a key when the scoped JSON routes answer 401.
        "/", "/static", "/apidocs/assets", "/apidocs/redoc.standalone.js",
    }
)
RANK = {"read": 1, "admin": 2}  # a key may call routes of its scope and below
MAX_KEY_CHARS = 4096
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass(frozen=True)
class KeyEntry:
    name: str
    scope: str
    digest: bytes  # SHA-256 of the key: the key itself is not kept


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def _entry(key: ApiKey) -> KeyEntry:
    raw = digest(key.key.get_secret_value()) if key.key is not None else bytes.fromhex(key.sha256 or "")
    return KeyEntry(key.name, key.scope, raw)


def _parse_key_file(path: Path) -> list[ApiKey]:
    """JSON (a list of {name, scope, key | sha256}, or {"keys": [...]}) or lines of
    ``name scope key`` (``sha256:<hex>`` for a hashed key; ``#`` starts a comment)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"api.key_file cannot be read: {exc.strerror}") from exc
    try:
        if text.lstrip().startswith(("[", "{")):
            data: Any = json.loads(text)
            items = data.get("keys", []) if isinstance(data, dict) else data
            return [ApiKey.model_validate(item) for item in items]
        keys = []
        for n, line in enumerate(text.splitlines(), start=1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            if len(fields) != 3:
                # The line is not echoed: it may hold a key.
                raise InvalidInput(f"api.key_file line {n}: expected 'name scope key', got {len(fields)} fields")
            name, scope, secret = fields
            hashed = secret.startswith("sha256:")
            keys.append(
                ApiKey(name=name, scope=scope, **({"sha256": secret[7:]} if hashed else {"key": secret}))  # type: ignore[arg-type]
            )
        return keys
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
        raise InvalidInput(f"api.key_file has an invalid key: {reasons}") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"api.key_file is not valid JSON (line {exc.lineno})") from None


class Keyring:
    """The configured keys; ``identify`` finds the one a client presented."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self.entries = tuple(_entry(k) for k in keys)
        names = [e.name for e in self.entries]
        if len(set(names)) != len(names):
            raise InvalidInput(f"API key names must be unique: {sorted({n for n in names if names.count(n) > 1})}")

    @classmethod
    def from_settings(cls, api: ApiSettings) -> "Keyring":
        return cls([*api.keys, *(_parse_key_file(api.key_file) if api.key_file else [])])

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    def identify(self, presented: str) -> KeyEntry | None:
        """The entry whose key this is. Every entry is compared, in constant time each."""
        if len(presented) > MAX_KEY_CHARS:
            return None
        given = digest(presented)
        found = None
        for entry in self.entries:
            if hmac.compare_digest(given, entry.digest) and found is None:
                found = entry
        return found


# --- declaring a route's scope -------------------------------------------------------------
BEARER = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key, instead of a bearer token.")


class Scoped:
    """A route's scope, as a dependency: ``dependencies=[READ]``. It only declares (and
    puts the key schemes in OpenAPI): ``AuthMiddleware`` has checked the key before the
    request reached the route."""

    def __init__(self, scope: str) -> None:
        if scope not in RANK:
            raise ValueError(f"scope must be one of {', '.join(RANK)}, got {scope!r}")
        self.scope = scope

    async def __call__(
        self,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
        _key: Annotated[str | None, Depends(API_KEY)],
    ) -> None:
        return None


READ = Depends(Scoped("read"))
ADMIN = Depends(Scoped("admin"))


def routes(router: Router) -> list[RouteContext]:
    """Every route the app answers, those of included routers too, each with the
    dependencies it gets from its routers (FastAPI's own flattening, as OpenAPI uses)."""
    return list(iter_route_contexts(router.routes))


def route_scope(route: BaseRoute | RouteContext) -> str | None:
    """The scope a route declares (the highest, if its routers add others), or None."""
    scopes = [
        d.dependency.scope for d in getattr(route, "dependencies", None) or () if isinstance(d.dependency, Scoped)
    ]
    return max(scopes, key=RANK.__getitem__) if scopes else None


def route_path(route: BaseRoute | RouteContext) -> str:
    return str(getattr(route, "path", ""))


def _presented(scope: Scope) -> str | None:
    auth = header(scope, b"authorization")
    if auth:
        kind, _, value = auth.strip().partition(" ")
        return value.strip() if kind.lower() == "bearer" else ""
    return header(scope, b"x-api-key")


class AuthMiddleware:
    """Checks the key of every request against the scope of the route it reaches."""

    def __init__(self, app: ASGIApp, router: Router, keyring: Keyring) -> None:
        self.app = app
        self.router = router
        self.keyring = keyring

    def needed(self, scope: Scope) -> str | None:
        """The scope a request needs: None for an open route, "" for a route that declares
        none (refused), the route's scope otherwise; a path no route answers needs a read
        key, so probing for routes tells a stranger nothing."""
        for route in routes(self.router):
            match, _ = route.matches(scope)
            if match == Match.FULL:
                if route_path(route) in OPEN_PATHS:
                    return None
                return route_scope(route) or ""
        return None if scope.get("path") in OPEN_PATHS else "read"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.keyring.enabled:
            await self.app(scope, receive, send)
            return
        needed = self.needed(scope)
        if needed is None:
            await self.app(scope, receive, send)
            return
        where = f"{scope.get('method', 'WS')} {scope.get('path', '')}"
        client = (scope.get("client") or ("?",))[0]
        presented = _presented(scope)
        entry = self.keyring.identify(presented) if presented else None
        if entry is None:
            reason = "no API key" if not presented else "an invalid API key"
            log.warning("refused %r from %s: %s", where, client, reason)
            detail = (
                f"this route needs an API key with scope {needed or 'admin'!r}: send 'Authorization: Bearer <key>'"
                if not presented
                else "the API key is not valid"
            )
            challenge = 'Bearer realm="navsearch"' + ("" if not presented else ', error="invalid_token"')
            await self._refuse(scope, receive, send, 401, "Unauthorized", detail, {"WWW-Authenticate": challenge})
            return
        if not needed or RANK[entry.scope] < RANK[needed]:
            log.warning("refused %r from %s: key %r has scope %r", where, client, entry.name, entry.scope)
            detail = (
                f"key {entry.name!r} has scope {entry.scope!r}; this route needs {needed!r}"
                if needed
                else "this route declares no scope, so no key may call it (see navsearch/api/auth.py)"
            )
            await self._refuse(scope, receive, send, 403, "Forbidden", detail, {})
            return
        log.debug("%r by key %r", where, entry.name)
        state = scope.setdefault("state", {})
        state["api_key"] = entry.name  # request.state.api_key, for records
        state["api_scope"] = entry.scope  # what GET /auth/whoami reports
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(
        scope: Scope, receive: Receive, send: Send, status: int, title: str, detail: str, headers: dict[str, str]
    ) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await problem(status, title, detail, headers=headers)(scope, receive, send)


def install(app: FastAPI, settings: Settings, upload_paths: Iterable[tuple[str, str]] = ()) -> None:
    """Every request passes, in order: the Host check, the body limit, the key check.
    ``upload_paths`` are (method, path) pairs that take files: api.max_upload_bytes."""
    api = settings.api
    keyring = Keyring.from_settings(api)
    if keyring.enabled:
        log.info("API keys: %s", ", ".join(f"{e.name} ({e.scope})" for e in keyring.entries))
    elif api.host not in LOOPBACK:
        log.warning("serving on %s without API keys: whoever reaches it may change the corpus", api.host)
    # add_middleware puts each in front of the ones added before it.
    app.add_middleware(AuthMiddleware, router=app.router, keyring=keyring)  # type: ignore[arg-type]
    upload = (api.max_upload_bytes + MULTIPART_OVERHEAD, f"api.max_upload_bytes ({api.max_upload_bytes} bytes)")
    app.add_middleware(
        BodyLimit,  # type: ignore[arg-type]
        default=(api.max_body_bytes, f"api.max_body_bytes ({api.max_body_bytes} bytes)"),
        limits={route: upload for route in upload_paths},
    )
    app.add_middleware(TrustedHost, hosts=allowed_hosts(api))  # type: ignore[arg-type]


class WhoAmI(BaseModel):
    name: str | None = Field(description="The key's name; None when the server has no keys.")
    scopes: list[str] = Field(description="What the key may do: read, or read and admin.")
    keys_required: bool


def whoami_router(settings: Settings) -> APIRouter:
    """``GET /auth/whoami``: what the key in use may do, so a client (the web page) shows
    admin actions only to an admin key."""
    keyring = Keyring.from_settings(settings.api)
    router = APIRouter(tags=["auth"])

    @router.get("/auth/whoami", response_model=WhoAmI, dependencies=[READ])
    def whoami(request: Request) -> WhoAmI:
        if not keyring.enabled:
            return WhoAmI(name=None, scopes=list(RANK), keys_required=False)
        scope = getattr(request.state, "api_scope", "read")
        return WhoAmI(
            name=getattr(request.state, "api_key", None),
            scopes=[s for s, rank in RANK.items() if rank <= RANK[scope]],
            keys_required=True,
        )

    return router
