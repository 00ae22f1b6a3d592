"""``/docs`` (Swagger UI) and ``/redoc`` with their assets served by the app itself.

FastAPI's defaults load both from a CDN (and ReDoc's fonts from Google), so on a machine
without internet access they are blank pages. The assets come from the ``fastapi-offline``
package (Swagger UI and ReDoc bundles, MIT / Apache-2.0), mounted under ``/apidocs/assets``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/apidocs/assets"
REDOC_JS = "/apidocs/redoc.standalone.js"
# ReDoc draws its maker's logo from their CDN (the only outside request either page makes,
# found by the browser test that blocks them); this copy points it at our own icon.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def redoc_js() -> bytes:
    text = (ASSETS / "redoc.standalone.js").read_text(encoding="utf-8")
    return text.replace(REDOC_LOGO, f"{PREFIX}/favicon.png").encode("utf-8")


def install(app: FastAPI) -> None:
    """Call on an app created with ``docs_url=None, redoc_url=None``."""
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"
    app.mount(PREFIX, StaticFiles(directory=str(ASSETS)), name="apidocs")
    favicon = f"{PREFIX}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=oauth2_url,
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=favicon,
            # validatorUrl None: Swagger UI would otherwise fetch a badge from swagger.io.
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
        )

    @app.get(oauth2_url, include_in_schema=False)
    def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_JS, include_in_schema=False)
    def redoc_script() -> Response:
        return Response(redoc_js(), media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=REDOC_JS,
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
