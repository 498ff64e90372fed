"""Tokens, the guard every route but the token route passes, and the login rate limit.

**Tokens** are signed with the standard library's HMAC-SHA256 (``hmac``, ``hashlib``): the
payload (user, role, region scope, expiry) in base64url JSON, a dot, its signature. That is
all the service needs of a token; the standard library does it in a few lines with a
constant-time comparison, and needs no further dependency (itsdangerous would sign the same
way). Role and scope travel in the signed token, so a request costs no user lookup.

**The guard** (``GuardedRoute``) runs before FastAPI reads a request's body: it checks the
token (401 without a valid one), the route's permission (``Need``, 403 for another role),
a region in the path (``{admdvs}``: 403 outside the scope) and a person in the path
(``{certno}``: 404 when the person is not in the registry or not within the scope, so that a
user cannot learn whether another region's person exists). A route that creates a person
(``Need(..., creates=True)``) accepts a certificate the registry does not hold yet; a read
whose use case applies the scope in its own query (``Need(..., finds_person=True)``: the
status query) gets only the number checked, and answers the same 404 itself. What the guard
found is on ``request.state``: ``user``, ``certno`` (normalised), ``cert_type`` and
``psn_no``.

**Logins** are limited per username and per client address: after ``login_failures`` failed
attempts within ``login_window_seconds`` further attempts are refused (429), in process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer

from canbao.adapters.database import ready
from canbao.api.errors import ApiError, forbidden, invalid, not_found, unauthorized
from canbao.api.settings import ApiSettings
from canbao.certno import RESIDENT_ID, check_certno
from canbao.policy import Policy, load_policy
from canbao.services import access
from canbao.services.users import ROLES, User, authenticate

TOKEN_URL = "/api/v1/auth/token"
_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


# --- tokens ----------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(settings: ApiSettings, user: User, now: float | None = None) -> str:
    expires = int((now or time.time()) + settings.token_minutes * 60)
    payload = {"sub": user.name, "role": user.role, "region": user.region, "exp": expires}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_sign(settings, body)}"


def _sign(settings: ApiSettings, body: str) -> str:
    return _b64(hmac.new(settings.signing_key(), body.encode(), hashlib.sha256).digest())


def read_token(settings: ApiSettings, token: str, now: float | None = None) -> User | None:
    """The user of a valid, unexpired token signed with our key; None otherwise."""
    body, _, signature = token.partition(".")
    if not body or not hmac.compare_digest(signature.encode(), _sign(settings, body).encode()):
        return None
    try:
        payload = json.loads(_unb64(body))
        user = User(str(payload["sub"]), str(payload["role"]), str(payload["region"]))
        expires = int(payload["exp"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires < (now or time.time()) or user.role not in ROLES:
        return None
    return user


# --- permissions -----------------------------------------------------------------------------


class Need:
    """A route's permission (``services.users.PERMISSIONS``); as a dependency it gives the
    user the guard admitted. ``creates``: the route may name a person not registered yet.
    ``finds_person``: a read whose use case finds the person within the user's scope in its
    own query (``access.read_status``) and answers ``person_not_found`` the same way, so that
    the request needs one connection; the guard checks only that the number is valid."""

    def __init__(
        self, permission: str, *, creates: bool = False, finds_person: bool = False
    ) -> None:
        self.permission, self.creates, self.finds_person = permission, creates, finds_person

    async def __call__(
        self, request: Request, _token: Annotated[str | None, Depends(_bearer)] = None
    ) -> User:
        # async: it reads what the guard stored, so FastAPI runs it in the loop rather than
        # handing it to a worker thread (a thread hop a request).
        user: User = request.state.user
        return user


def guard(request: Request, need: Need, session_cookie: str | None = None) -> None:
    """Token, role, region, person: in that order, before the body is read. The token is the
    ``Authorization: Bearer`` header's; a page route (``session_cookie``, the web UI) reads it
    from that cookie instead, which holds the same signed token."""
    settings: ApiSettings = request.app.state.settings
    if session_cookie is None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        user = read_token(settings, token.strip()) if scheme.lower() == "bearer" else None
    else:
        user = read_token(settings, request.cookies.get(session_cookie, ""))
    if user is None:
        raise unauthorized()
    request.state.user = user
    if not user.may(need.permission):
        raise forbidden(f"角色“{ROLES[user.role]}”无权办理此项业务。")
    policy = load_policy()
    params = request.path_params
    if "admdvs" in params and not policy.within(str(params["admdvs"]), user.region):
        raise forbidden(f"区划 {params['admdvs']} 不在您的管辖范围（{user.region}）内。")
    if "certno" in params:
        _person(request, settings, policy, user, need)


def person_not_found(certno: str) -> ApiError:
    """The answer for a person not registered, and for one outside the user's scope: the
    same, so that another region's people stay unseen."""
    return not_found(f"登记库中没有证件号码为 {certno} 的人员。", "path.certno")


def _person(
    request: Request, settings: ApiSettings, policy: Policy, user: User, need: Need
) -> None:
    checked = check_certno(str(request.path_params["certno"]))
    if not checked.valid or checked.certno18 is None:
        raise invalid(f"证件号码无效：{checked.reason}", "path.certno")
    certno, cert_type = checked.certno18, checked.cert_type or RESIDENT_ID
    request.state.certno, request.state.cert_type = certno, cert_type
    if need.finds_person:
        return
    with ready(settings.url()).connect() as connection:
        psn_no, within = access.person_in_scope(connection, policy, cert_type, certno, user.region)
    if psn_no is None and not need.creates:
        raise person_not_found(certno)
    if psn_no is not None and not need.creates and not within:
        raise person_not_found(certno)
    request.state.psn_no = psn_no


class GuardedRoute(APIRoute):
    """A route whose ``Need`` dependency is checked before anything else of the request.
    ``session_cookie``: None for the API (bearer tokens); the web UI's page routes name their
    session cookie (``canbao.web.session.PageRoute``)."""

    session_cookie: str | None = None

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        need = next((d.call for d in self.dependant.dependencies if isinstance(d.call, Need)), None)
        if need is None:
            return handler

        # Only a person in the path needs the database: the other checks run in the loop.
        reads_database = "{certno}" in self.path_format and not need.finds_person

        cookie = self.session_cookie

        async def guarded(request: Request) -> Response:
            if reads_database:
                await run_in_threadpool(guard, request, need, cookie)
            else:
                guard(request, need, cookie)
            await self.admitted(request)
            return await handler(request)

        return guarded

    async def admitted(self, request: Request) -> None:
        """What a kind of route checks after the guard admitted the user (pages: CSRF)."""


# --- logins ----------------------------------------------------------------------------------


def sign_in(request: Request, username: str, password: str) -> User:
    """The user of a username and password (the token route and the login page), within the
    login limit: 429 after too many failures, 401 for a wrong name or password."""
    settings: ApiSettings = request.app.state.settings
    limiter: LoginLimiter = request.app.state.login_limiter
    by_name = f"user:{username}"
    by_address = f"address:{request.client.host if request.client else 'unknown'}"
    limiter.check(by_name, by_address)
    with ready(settings.url()).connect() as connection:
        user = authenticate(connection, username, password)
    if user is None:
        limiter.failed(by_name, by_address)
        raise unauthorized("用户名或密码错误。")
    limiter.succeeded(by_name)
    return user


class LoginLimiter:
    """Failed logins per username and per client address within a sliding window."""

    def __init__(self, failures: int, window_seconds: float) -> None:
        self.failures, self.window = failures, window_seconds
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                recent = self._recent(key, now)
                if len(recent) >= self.failures:
                    wait = int(recent[0] + self.window - now) + 1
                    raise ApiError(
                        429,
                        "too_many_attempts",
                        f"登录失败次数过多，请{wait}秒后再试。",
                        headers={"Retry-After": str(wait)},
                    )

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        recent = self._seen.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent
