"""Every route the app has (read from ``app.routes``, not from a list kept here) rejects a
request without a token (401), a user of another region (403, or 404 for a person), and a
role without the route's permission (403) — before it reads the body (a broken body gets the
same answer) and without writing anything. A token of each role reaches exactly the routes
its role allows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from api_helpers import GUIYANG, JIANGMEN, KAIPING, LI, SECRET, WANG, auth
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from canbao.api.security import TOKEN_URL, Need, issue_token
from canbao.api.settings import ApiSettings
from canbao.services.users import PERMISSIONS, ROLES, User
from registry_helpers import counts

#: A value for each path parameter: a person and a region of Jiangmen's scope.
PARAMS = {
    "certno": WANG,
    "admdvs": KAIPING,
    "year": "2022",
    "department": "civil_affairs",
    "month": "2021-11",
    "case_id": "F0",
}
#: Routes with no person and no region: the engine's decisions and the health check (no
#: personal data), and the list of persons (it lists the user's scope only, tested below).
UNSCOPED = {("POST", "/api/v1/decide"), ("GET", "/api/v1/health"), ("GET", "/api/v1/persons")}
BROKEN = {"content": b"{", "headers": {"Content-Type": "application/json"}}


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Every API route of the app, through the routers it includes (the web UI's pages are
    walked by tests/web/test_page_security.py)."""

    def walk(routes: list[object]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute) and route.path.startswith("/api/"):
                yield route
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)

    yield from walk(list(app.routes))


def requests(app: FastAPI) -> list[tuple[str, str, str | None]]:
    """(method, path with its parameters filled, permission) of every route; an unscoped
    route (no person, no region in its path) is marked by its path ending in ``?``."""
    found = []
    for route in api_routes(app):
        need = next(
            (d.call for d in route.dependant.dependencies if isinstance(d.call, Need)), None
        )
        path = re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], route.path)
        if "{certno}" not in route.path and "{admdvs}" not in route.path:
            path += "?"
        for method in sorted(route.methods):
            found.append((method, path, need.permission if need else None))
    return found


def call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    response = client.request(
        method, path, content=BROKEN["content"], headers=BROKEN["headers"] | headers
    )
    if response.status_code >= 400:
        assert set(response.json()) == {"code", "message", "field"}
    return response.status_code


def test_every_route_but_the_token_route_is_guarded(client: TestClient, url: str) -> None:
    routes = requests(client.app)  # type: ignore[arg-type]
    assert len(routes) >= 20
    assert [(m, p) for m, p, need in routes if need is None] == [("POST", TOKEN_URL + "?")]
    before = counts(url)
    anyone = User("x", "city_admin", JIANGMEN)
    expired_token = issue_token(ApiSettings(secret_key=SECRET, token_minutes=-1), anyone)
    forged_token = issue_token(ApiSettings(secret_key="another key"), anyone)
    expired = {"Authorization": f"Bearer {expired_token}"}
    forged = {"Authorization": f"Bearer {forged_token}"}
    other_region = auth("city_admin", GUIYANG)  # a role with every permission, elsewhere
    for method, path, need in routes:
        if need is None:
            continue
        for headers in ({}, expired, forged, {"Authorization": "Basic eDp5"}):
            assert call(client, method, path, headers) == 401, (method, path)
        if not path.endswith("?"):
            assert call(client, method, path, other_region) in (403, 404), (method, path)
        for role in sorted(set(ROLES) - PERMISSIONS[need]):
            assert call(client, method, path, auth(role, JIANGMEN)) == 403, (method, path, role)
    assert counts(url) == before
    assert {(m, p[:-1]) for m, p, need in routes if p.endswith("?") and need} == UNSCOPED


def test_the_list_of_persons_shows_only_the_users_scope(client: TestClient) -> None:
    kaiping = client.get("/api/v1/persons", params={"name": "王伟"}, headers=auth("clerk", KAIPING))
    meizhou = client.get(
        "/api/v1/persons", params={"name": "王伟"}, headers=auth("clerk", "441400")
    )
    assert sorted(i["certno"] for i in kaiping.json()["items"]) == sorted([WANG, LI])
    assert meizhou.json() == {"total": 0, "limit": 20, "offset": 0, "items": []}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_token_of_each_role_reaches_only_what_the_role_allows(
    client: TestClient, url: str, role: str
) -> None:
    """Allowed: the route answers (422 for the broken body, or its own answer); not allowed:
    403 before anything else."""
    reached = {
        (method, path)
        for method, path, need in requests(client.app)  # type: ignore[arg-type]
        if need is not None and call(client, method, path, auth(role, JIANGMEN)) != 403
    }
    allowed = {
        (method, path)
        for method, path, need in requests(client.app)  # type: ignore[arg-type]
        if need is not None and role in PERMISSIONS[need]
    }
    assert reached == allowed
