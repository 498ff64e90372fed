"""The REST API (issue 8): ``create_app(settings)``; one router module per area in
``canbao.api.routes``; every route calls a use-case function (no rule lives in a route)."""

from __future__ import annotations

from canbao.api.app import create_app

__all__ = ["create_app"]
