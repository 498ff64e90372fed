"""Targets (T1, T3) for a region within the user's scope (counts only, no person):

- ``GET /api/v1/regions/{admdvs}/targets/{year}``: coverage against the target of every
  region within the region that has one for the year (``?as_of=``, default today);
- ``GET /api/v1/regions/{admdvs}/students/{month}``: the compulsory-education students per
  district within the region, and how many are enrolled for the year.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam

from canbao.adapters.database import ready
from canbao.api.deps import answer, database_url
from canbao.api.errors import ERRORS, invalid
from canbao.api.security import GuardedRoute, Need
from canbao.policy import load_policy
from canbao.services import targets
from canbao.services.users import User

router = APIRouter(prefix="/api/v1/regions/{admdvs}", tags=["targets"], route_class=GuardedRoute)
RESPONSES: dict[int | str, dict[str, Any]] = {k: ERRORS[k] for k in (401, 403, 422)}
Year = Annotated[int, PathParam(ge=1990, le=2100)]
Month = Annotated[str, PathParam(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


@router.get("/targets/{year}", responses=RESPONSES)
def progress(
    request: Request,
    admdvs: str,
    year: Year,
    _user: Annotated[User, Depends(Need("targets.read"))],
    as_of: Annotated[date | None, Query(description="YYYY-MM-DD；默认今天")] = None,
) -> Any:
    """Per region within this one with a target for the year: the target, the enrolled
    persons that reach it, those assessed and enrolled, the coverage, whether it is reached."""
    policy = load_policy()
    with ready(database_url(request)).connect() as connection:
        found = targets.progress(connection, year, as_of, policy)
    within = tuple(r for r in found.regions if policy.within(r.region, admdvs))
    return answer(dataclasses.replace(found, regions=within).as_json())


@router.get("/students/{month}", responses=RESPONSES)
def students(
    request: Request,
    admdvs: str,
    month: Month,
    _user: Annotated[User, Depends(Need("targets.read"))],
) -> Any:
    """Per district of the school within this region: the compulsory-education students
    enrolled through a school on the month's last day, those enrolled for the year, the rate."""
    policy = load_policy()
    with ready(database_url(request)).connect() as connection:
        try:
            found = targets.students(connection, month, policy)
        except targets.TargetError as error:
            raise invalid(str(error), "path.month") from error
    within = tuple(d for d in found.districts if policy.within(d.region, admdvs))
    return answer(dataclasses.replace(found, districts=within).as_json())
