"""The web UI's session: the API's signed token (``api.security.issue_token``) kept in an
HttpOnly, SameSite=Lax cookie, and a CSRF token derived from it.

A page route (``PageRoute``) passes the API's guard — the same token, role, region and person
checks as the REST API, reading the token from the cookie — and then, for every request that
changes something (POST, PUT, PATCH, DELETE), the CSRF check: the form field ``csrf_token``
or the ``X-CSRF-Token`` header (htmx sends it, see base.html) must carry the HMAC of the
session's token under the signing key. A page of another site can make the browser send the
cookie, never this value (the synchronizer-token pattern without server state).
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request, Response

from canbao.api.errors import ApiError
from canbao.api.security import GuardedRoute, issue_token
from canbao.api.settings import ApiSettings
from canbao.services.users import User

COOKIE = "canbao_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token(request: Request) -> str:
    """The CSRF value of this request's session ('' without one)."""
    session = request.cookies.get(COOKIE, "")
    if not session:
        return ""
    settings: ApiSettings = request.app.state.settings
    mac = hmac.new(settings.signing_key(), b"csrf." + session.encode(), hashlib.sha256)
    return mac.hexdigest()


async def check_csrf(request: Request) -> None:
    """403 for a changing request without this session's CSRF value."""
    if request.method not in UNSAFE:
        return
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        given = str((await request.form()).get(CSRF_FIELD, ""))
    expected = csrf_token(request)
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(403, "csrf", "页面已过期或来源不明，请刷新页面后重试。")


class PageRoute(GuardedRoute):
    """A page of the web UI: the API's guard on the session cookie, then the CSRF check."""

    session_cookie = COOKIE

    async def admitted(self, request: Request) -> None:
        await check_csrf(request)


def start(request: Request, response: Response, user: User) -> None:
    """Sign the user in: the session cookie, valid as long as an API token."""
    settings: ApiSettings = request.app.state.settings
    response.set_cookie(
        COOKIE,
        issue_token(settings, user),
        max_age=settings.token_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def end(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")
