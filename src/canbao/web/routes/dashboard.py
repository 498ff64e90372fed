"""``/``: the dashboard of the user's scope — coverage (参保率) against target per district or
county (T1), as a table and a chart."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from canbao.adapters.database import ready
from canbao.api.deps import database_url
from canbao.api.security import Need
from canbao.policy import load_policy
from canbao.services import targets
from canbao.services.users import User
from canbao.web.pages import render
from canbao.web.session import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request,
    user: Annotated[User, Depends(Need("decide"))],
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    policy = load_policy()
    year = year or date.today().year
    regions: list[targets.RegionProgress] = []
    if user.may("targets.read"):
        with ready(database_url(request)).connect() as connection:
            found = targets.progress(connection, year, policy=policy)
        regions = [r for r in found.regions if policy.within(r.region, user.region)]
    chart = {
        "tooltip": {},
        "legend": {"data": ["已参保", "目标"]},
        "xAxis": {"type": "category", "data": [r.name for r in regions]},
        "yAxis": {"type": "value"},
        "series": [
            {"name": "已参保", "type": "bar", "data": [r.enrolled for r in regions]},
            {"name": "目标", "type": "bar", "data": [r.required or 0 for r in regions]},
        ],
    }
    return render(request, "dashboard.html", year=year, regions=regions, chart=chart)
