"""Every page route the app has (read from ``app.routes``) passes the API's guard on the
session cookie and the CSRF check: without a valid session it goes to the login page, a user
of another region gets 403 (404 for a person), a role without the page's permission 403, a
change without the session's CSRF value 403 — and nothing is written. The only pages without
a session are the login form and its post."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from web_helpers import Demo, settings_for

from canbao.adapters.database import Actor
from canbao.api.security import Need, issue_token
from canbao.api.settings import ApiSettings
from canbao.services.users import PERMISSIONS, ROLES, User
from canbao.web.session import COOKIE, UNSAFE, PageRoute
from registry_helpers import counts, register

#: A value for each path parameter: a person and a region of Jiangmen's scope (440700).
PARAMS = {
    "certno": "440783200001010014",
    "admdvs": "440783",
    "year": "2022",
    "batch_id": "4407832022-0001",
    "case_id": "D0123456789abcdef0123",
    "department": "civil_affairs",
    "month": "2022-03",
    "psn_no": "DP404",  # no such person: another region's person is tested in test_persons.py
}
HOME, OTHER = "440700", "520100"


def pages(app: FastAPI) -> Iterator[tuple[str, str, str | None, bool]]:
    """(method, path with its parameters filled, permission, whether a person or a region is
    in the path) of every page route."""

    def walk(routes: list[object]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute) and not route.path.startswith("/api/"):
                yield route
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)

    for route in walk(list(app.routes)):
        need = next(
            (d.call for d in route.dependant.dependencies if isinstance(d.call, Need)), None
        )
        assert need is None or isinstance(route, PageRoute), route.path
        path = re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], route.path)
        for method in sorted(route.methods):
            scoped = any(f"{{{p}}}" in route.path for p in ("certno", "admdvs", "psn_no"))
            yield method, path, need.permission if need else None, scoped


def visit(client: TestClient, method: str, path: str, user: User | None, **cookie: str) -> int:
    client.cookies.clear()
    if user is not None:
        client.cookies.set(COOKIE, issue_token(settings_for(""), user))
    for name, value in cookie.items():
        client.cookies.set(name, value)
    answer = client.request(method, path, data={"x": "1"}, follow_redirects=False)
    if answer.status_code == 303:
        assert answer.headers["location"].startswith("/login?next="), (method, path)
    return answer.status_code


def test_every_page_but_the_login_passes_the_guard(web_client: TestClient, demo: Demo) -> None:
    app: FastAPI = web_client.app  # type: ignore[assignment]
    routes = list(pages(app))
    unguarded = [(m, p) for m, p, need, _ in routes if need is None]
    assert unguarded == [("GET", "/login"), ("POST", "/login")]
    register(demo.url, Actor("setup"), "王伟", PARAMS["certno"], PARAMS["admdvs"])
    before = counts(demo.url)
    anyone = User("x", "city_admin", HOME)
    expired = issue_token(ApiSettings(secret_key="web-test-key", token_minutes=-1), anyone)
    forged = issue_token(ApiSettings(secret_key="another key"), anyone)
    for method, path, need, scoped in routes:
        if need is None:
            continue
        assert visit(web_client, method, path, None) == 303, (method, path)
        assert visit(web_client, method, path, None, canbao_session=expired) == 303
        assert visit(web_client, method, path, None, canbao_session=forged) == 303
        if scoped:
            other = visit(web_client, method, path, User("x", "city_admin", OTHER))
            assert other in (403, 404), (method, path)
        for role in sorted(set(ROLES) - PERMISSIONS[need]):
            assert visit(web_client, method, path, User("x", role, HOME)) == 403, (path, role)
        if method in UNSAFE:
            allowed = User("x", sorted(PERMISSIONS[need])[0], HOME)
            assert visit(web_client, method, path, allowed) == 403, (method, path, "csrf")
    assert counts(demo.url) == before
