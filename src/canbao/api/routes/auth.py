"""``POST /api/v1/auth/token``: the OAuth2 password flow (form fields ``username`` and
``password``) → a signed access token. The only route without a token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from canbao.adapters.database import ready
from canbao.api.errors import ERRORS, unauthorized
from canbao.api.security import GuardedRoute, LoginLimiter, issue_token
from canbao.api.settings import ApiSettings
from canbao.services.users import authenticate

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], route_class=GuardedRoute)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post("/token", responses={k: ERRORS[k] for k in (401, 422, 429)})
def token(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> Token:
    """An access token for a user and password (send it as ``Authorization: Bearer …``).
    Failed logins are limited per username and per client address."""
    settings: ApiSettings = request.app.state.settings
    limiter: LoginLimiter = request.app.state.login_limiter
    by_name, by_address = f"user:{username}", f"address:{_client(request)}"
    limiter.check(by_name, by_address)
    with ready(settings.url()).connect() as connection:
        user = authenticate(connection, username, password)
    if user is None:
        limiter.failed(by_name, by_address)
        raise unauthorized("用户名或密码错误。")
    limiter.succeeded(by_name)
    return Token(access_token=issue_token(settings, user), expires_in=settings.token_minutes * 60)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
