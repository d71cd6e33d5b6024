"""The API's documentation pages, /docs (Swagger UI) and /redoc, served whole from here.

FastAPI's own pages load their scripts, styles and favicon from a CDN: on a machine without
internet (or behind a firewall that blocks it) they stay blank. The fastapi-offline package
ships those files (Swagger UI 5 and ReDoc 2, with FastAPI's favicon); this server serves them
under /static/docs, and the pages point there.

ReDoc's side menu shows the Redocly logo from its own CDN, with no option to turn it off: each
page's Content-Security-Policy lets it load nothing that this server does not serve, so the
browser does not even ask.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/static/docs"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
# The pages' own start-up code is inline (FastAPI's templates); ReDoc runs its search in a
# worker it makes from a blob, and draws some icons as data: URLs.
POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
          "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
          "worker-src 'self' blob:")


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = POLICY
    return page


def install_docs(app: FastAPI) -> None:
    """Add /docs, its OAuth2 redirect and /redoc to an app made with docs_url=redoc_url=None."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    redirect_url = app.swagger_ui_oauth2_redirect_url
    if redirect_url is None:
        raise ValueError("install_docs needs the app's swagger_ui_oauth2_redirect_url")

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _local_only(get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{redirect_url}",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            # No badge from the online validator either.
            swagger_ui_parameters={"validatorUrl": None} | (app.swagger_ui_parameters or {}),
        ))

    @app.get(redirect_url, include_in_schema=False)
    def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return _local_only(get_swagger_ui_oauth2_redirect_html())

    @app.get(REDOC_URL, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _local_only(get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png", with_google_fonts=False,
        ))
