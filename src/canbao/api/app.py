"""The service's app: ``create_app(settings)`` builds the FastAPI application — the routers of
``canbao.api.routes``, the one error format, the contract's models in the OpenAPI document,
and the staff web UI's pages (``canbao.web``) on the same security model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from canbao import __version__, web
from canbao.adapters import pg_async
from canbao.api import errors
from canbao.api.routes import ROUTERS
from canbao.api.routes.decide import CONTRACT_MODELS
from canbao.api.security import LoginLimiter
from canbao.api.settings import ApiSettings

DESCRIPTION = """基本医疗保险参保登记与征缴的服务接口 (canbao).

Every route but `POST /api/v1/auth/token` needs `Authorization: Bearer <access_token>`.
A user reaches the people and regions of the scope (a city with its counties, or one
county) and the work of the role. Errors: `{code, message, field}`.
"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await pg_async.close()


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()
    app = FastAPI(
        title="canbao 参保",
        version=__version__,
        description=DESCRIPTION,
        redirect_slashes=False,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.login_limiter = LoginLimiter(settings.login_failures, settings.login_window_seconds)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    web.install(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            _, contract = models_json_schema(
                [(model, "validation") for model in CONTRACT_MODELS],
                ref_template="#/components/schemas/{model}",
                by_alias=True,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in contract.get("$defs", {}).items():
                components.setdefault(name, definition)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
