"""Errors as RFC 9457 problem details (application/problem+json), mapped in one place."""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from navsearch.errors import NavsearchError

MEDIA_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: object) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def _field(loc: tuple[object, ...]) -> str:
    # loc starts with where the value came from ("body", "query", "path"); the rest names it.
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else list(map(str, loc))
    return ".".join(parts) or "request"


def install(app: FastAPI) -> None:
    @app.exception_handler(NavsearchError)
    async def _navsearch(_: Request, exc: NavsearchError) -> JSONResponse:
        return problem(exc.status, exc.title, str(exc))

    @app.exception_handler(sqlite3.DatabaseError)
    async def _database(_: Request, exc: sqlite3.DatabaseError) -> JSONResponse:
        # A catalog damaged while serving: say so plainly instead of a bare 500.
        return problem(
            503, "Catalog damaged", f"the catalog cannot be read ({exc}); run `navsearch repair` to check it"
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "HTTP error", str(exc.detail))
