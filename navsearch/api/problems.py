"""Errors as RFC 9457 problem details (application/problem+json), mapped in one place.

Problem bodies never carry the server's filesystem paths: library messages name files
and folders for the CLI's user, who owns them, but over HTTP a path tells a stranger how
the server is laid out. ``Redactor`` replaces the configured folders by their setting's
name (``<index_dir>/vectors``) and any other absolute path by ``<path>``, in every problem
(and in what else the API reports of the server: /health, ingest runs).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from navsearch.errors import NavsearchError
from navsearch.settings import PROJECT_ROOT, Settings

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("navsearch.api")

# An absolute POSIX path: "/" at the start or after a space, quote or bracket (so "G06F1/16",
# "a/b" and "<index_dir>/vectors" stay), then at least one more segment.
_ABSOLUTE = re.compile(r"(?<![\w.~/>-])/(?:[\w.@+~-]+/)*[\w.@+~-]+/?")


class Redactor:
    """Replaces server paths in text sent to clients.

    >>> Redactor({"index_dir": Path("/srv/idx")})("index at /srv/idx/vectors was built with /opt/m")
    'index at <index_dir>/vectors was built with <path>'
    """

    def __init__(self, named: dict[str, Path] | None = None) -> None:
        pairs: list[tuple[str, str]] = []
        for name, path in (named or {}).items():
            for form in {str(path), str(path.resolve())}:
                if form not in ("/", ""):
                    pairs.append((form.rstrip("/"), f"<{name}>"))
        # Longest first: a folder inside another is named by the inner one.
        self._pairs = sorted(pairs, key=lambda p: len(p[0]), reverse=True)

    def __call__(self, text: str) -> str:
        for path, name in self._pairs:
            text = text.replace(path, name)
        return _ABSOLUTE.sub("<path>", text)


def server_paths(settings: Settings) -> dict[str, Path]:
    """The configured folders, by their setting's name: a path inside one is shown from
    there ("<corpus_dir>/policy"), which says where without saying where on the server."""
    return {
        "index_dir": settings.index_dir,
        "corpus_dir": settings.corpus_dir,
        "cache_dir": settings.embedding.cache_dir,
        "project": PROJECT_ROOT,
        **{f"ingest_roots[{i}]": root for i, root in enumerate(settings.api.ingest_roots)},
    }


_PLAIN = Redactor()  # for problems sent where no app (and so no settings) is at hand


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    redact: Redactor = _PLAIN,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": redact(detail), **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def redactor(request: Request) -> Redactor:
    return getattr(request.app.state, "redact", _PLAIN)


def _field(loc: tuple[object, ...]) -> str:
    # loc starts with where the value came from ("body", "query", "path"); the rest names it.
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else list(map(str, loc))
    return ".".join(parts) or "request"


def install(app: FastAPI, settings: Settings | None = None) -> None:
    app.state.redact = Redactor(server_paths(settings)) if settings else _PLAIN

    @app.exception_handler(NavsearchError)
    async def _navsearch(request: Request, exc: NavsearchError) -> JSONResponse:
        return problem(exc.status, exc.title, str(exc), redact=redactor(request))

    @app.exception_handler(sqlite3.DatabaseError)
    async def _database(_: Request, exc: sqlite3.DatabaseError) -> JSONResponse:
        # A catalog damaged while serving: say so plainly instead of a bare 500.
        return problem(
            503, "Catalog damaged", f"the catalog cannot be read ({exc}); run `navsearch repair` to check it"
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        redact = redactor(request)
        errors = [{"field": _field(tuple(e["loc"])), "message": redact(e["msg"])} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "Invalid request", detail, redact=redact, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "HTTP error", str(exc.detail), redact=redactor(request), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug: logged here with its traceback, answered without it (a traceback names files).
        log.exception("%s %s failed", request.method, request.url.path)
        return problem(500, "Internal error", "the server failed to answer; the error is in its log")
