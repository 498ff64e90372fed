"""The web UI's page routers, one module per area (as ``canbao.api.routes``); ``ROUTERS`` is
what ``canbao.web.install`` includes."""

from __future__ import annotations

from canbao.web.routes import dashboard, duplicates, hardship, login, policy

ROUTERS = (
    login.router,
    login.signed_in,
    dashboard.router,
    duplicates.router,
    hardship.router,
    policy.router,
)
