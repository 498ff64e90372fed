"""The web UI's page routers, one module per area (as ``canbao.api.routes``); ``ROUTERS`` is
what ``canbao.web.install`` includes."""

from __future__ import annotations

from canbao.web.routes import (
    collection,
    dashboard,
    duplicates,
    hardship,
    imports,
    login,
    persons,
    policy,
    refunds,
    registrations,
)

ROUTERS = (
    login.router,
    login.signed_in,
    dashboard.router,
    imports.router,
    collection.router,
    persons.router,
    registrations.router,
    refunds.router,
    duplicates.router,
    hardship.router,
    policy.router,
)
