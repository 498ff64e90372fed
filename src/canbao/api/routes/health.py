"""``GET /api/v1/health``: the server answers (for a signed-in user; the load benchmark's
minimal endpoint, guarded like every other route)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from canbao.api.errors import ERRORS
from canbao.api.security import GuardedRoute, Need
from canbao.services.users import User

router = APIRouter(prefix="/api/v1", tags=["health"], route_class=GuardedRoute)


class Health(BaseModel):
    status: str
    user: str


@router.get("/health", responses={401: ERRORS[401]})
async def health(user: Annotated[User, Depends(Need("decide"))]) -> Health:
    """The server is up; answers who is asking."""
    return Health(status="ok", user=user.name)
