"""Checks every HTTP request passes before any route sees it: a trusted Host header, and a
body no larger than the settings allow, counted as the bytes arrive.

Both are plain ASGI middleware, so they run before FastAPI reads a body: a 100 MB body is
refused after the first chunk past the limit instead of being parsed, whether or not the
client declared a Content-Length (a chunked body has none, and a declared length is only
what the client says).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from navsearch.api.problems import problem
from navsearch.settings import ApiSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WILDCARD_BINDS = {"0.0.0.0", "::", "[::]", ""}
# Room for a multipart upload's boundaries and part headers on top of the file itself.
MULTIPART_OVERHEAD = 64 * 1024


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def host_name(host: str) -> str:
    """The name of a Host header without its port: 'localhost:8000' -> 'localhost',
    '[::1]:8000' -> '[::1]'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def allowed_hosts(api: ApiSettings) -> tuple[str, ...]:
    """The settings' hosts plus the bind host (unless it binds every address, which names
    no host: then the operator lists the names clients use)."""
    hosts = [h.strip().lower() for h in api.allowed_hosts]
    bind = api.host.strip().lower()
    if bind not in WILDCARD_BINDS:
        hosts.append(f"[{bind}]" if ":" in bind and not bind.startswith("[") else bind)
    return tuple(dict.fromkeys(hosts))


class TrustedHost:
    """400 for a Host header that is not one of ``hosts``. A web page on another origin can
    make a browser send requests to 127.0.0.1 through a name it controls (DNS rebinding);
    the Host header still carries that name, so checking it keeps such pages out."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(hosts)
        self.any = "*" in self.hosts
        self.suffixes = tuple(h[1:] for h in self.hosts if h.startswith("*."))

    def allows(self, host: str | None) -> bool:
        if self.any:
            return True
        if not host:
            return False
        name = host_name(host)
        return name in self.hosts or name.endswith(self.suffixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.allows(header(scope, b"host")):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        response = problem(400, "Host not allowed", "this server does not answer for that host name (api.allowed_hosts)")
        await response(scope, receive, send)


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a body passes its limit, to stop whoever reads it."""


Limit = tuple[int, str]  # bytes, and the setting that says so (named in the 413)


class BodyLimit:
    """413 for a request body over its limit: ``limits`` maps (method, path) to a larger
    limit (file uploads), every other request gets ``default``."""

    def __init__(self, app: ASGIApp, default: Limit, limits: dict[tuple[str, str], Limit] | None = None) -> None:
        self.app = app
        self.default = default
        self.limits = limits or {}

    def limit_for(self, scope: Scope) -> Limit:
        return self.limits.get((scope.get("method", ""), scope.get("path", "")), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limit_for(scope)
        declared = header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, setting)
            return
        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the app answers after the limit broke (a parse error): 413 instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send, setting)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, setting: str) -> None:
        response = problem(413, "Request body too large", f"the request body is larger than {setting} allows")
        await response(scope, receive, send)
