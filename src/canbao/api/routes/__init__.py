"""The API's routers, one module per area; ``ROUTERS`` is what the app includes (a new area
is one module and one line here)."""

from __future__ import annotations

from canbao.api.routes import (
    auth,
    collection,
    decide,
    duplicates,
    hardship,
    health,
    matches,
    persons,
    refunds,
    registry,
    targets,
    whatif,
)

ROUTERS = (
    auth.router,
    health.router,
    decide.router,
    persons.router,
    registry.router,
    collection.router,
    hardship.router,
    refunds.router,
    duplicates.router,
    matches.router,
    whatif.router,
    targets.router,
)
