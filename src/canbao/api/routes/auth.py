"""``POST /api/v1/auth/token``: the OAuth2 password flow (form fields ``username`` and
``password``) → a signed access token. The only route without a token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from canbao.api.errors import ERRORS
from canbao.api.security import GuardedRoute, issue_token, sign_in
from canbao.api.settings import ApiSettings

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
    user = sign_in(request, username, password)
    return Token(access_token=issue_token(settings, user), expires_in=settings.token_minutes * 60)
