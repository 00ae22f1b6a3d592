"""The web page: one HTML shell at ``/`` and its static files, served by the HTTP app.

The page is plain JavaScript (ES modules, no build step) that calls the JSON API, so it
sees exactly what an API client sees: the same limits, the same problem details, and, once
the API takes keys, the same 401/403 answers (it then asks for a key and sends it as
``Authorization: Bearer``). The server only renders the shell: the form's choices come
from ``navsearch.types`` and the limits from the settings, never retyped in the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from navsearch.settings import Settings
from navsearch.types import DATE_FIELDS, DOC_TYPES

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))

# Everything the page loads comes from this app: the browser refuses anything else, so a
# stray CDN link would fail loudly in the tests instead of leaking requests in production.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# Labels shown for the Literal values; a value without a label is shown as it is.
DOC_TYPE_LABELS = {"patent": "Patents", "policy": "Policy documents", "statute": "Statutes"}
DATE_FIELD_LABELS = {"publication": "Publication date", "application": "Application (filing) date", "priority": "Priority date"}


def page_config(settings: Settings) -> dict[str, Any]:
    """What the page's script needs to know: the choices and the limits of this app."""
    api, pa = settings.api, settings.prior_art
    return {
        "doc_types": list(DOC_TYPES),
        "date_fields": list(DATE_FIELDS),
        "max_k": api.max_k,
        "max_query_chars": api.max_query_chars,
        "max_filter_values": api.max_filter_values,
        "prior_art_max_k": pa.max_k,
        "max_idea_chars": pa.max_idea_chars,
        "policy_k": pa.policy_k,
        "page_size": 10,
    }


def router(settings: Settings) -> APIRouter:
    config = page_config(settings)
    r = APIRouter(include_in_schema=False)

    @r.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        context = {
            "config": config,
            "doc_types": [(t, DOC_TYPE_LABELS.get(t, t)) for t in DOC_TYPES],
            "date_fields": [(f, DATE_FIELD_LABELS.get(f, f)) for f in DATE_FIELDS],
        }
        response = TEMPLATES.TemplateResponse(request, "index.html", context)
        response.headers.update(SECURITY_HEADERS)
        # The shell is small and the query lives in the URL; no caching keeps a new
        # release's shell and its scripts in step.
        response.headers["Cache-Control"] = "no-cache"
        return response

    return r


def install(app: FastAPI, settings: Settings) -> None:
    """Mount the page at ``/`` and its files at ``/static``."""
    app.include_router(router(settings))
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
