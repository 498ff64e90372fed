"""The staff web UI (issue 9): server-rendered Chinese pages (Jinja2, htmx where a page needs
it) on the same app, security model and use-case functions as the REST API. Every asset is
served from ``static/`` (the vendored chart library and htmx with their licences: see
``static/vendor/VERSIONS`` and ``scripts/vendor-assets.sh``); no page loads anything from
another host."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from canbao.web.pages import install_errors
from canbao.web.routes import ROUTERS


def install(app: FastAPI) -> None:
    """The pages, their error pages and ``/static`` on the service's app (after the API's
    routes and error handlers)."""
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    install_errors(app)
