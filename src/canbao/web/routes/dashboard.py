"""``/``: the dashboard of the user's scope for one enrollment year — coverage (参保率) against
target per district or county (T1), the weekly trend (T2), the collection with the tax bureau
(W2) and the open work of the user's role, as charts and tables.

The year shown: ``?year=``, else the latest year with a target (an imported target table or
a target rate in the policy data) not after the enrollment year of today, else that
enrollment year. Counts are as of today, or as of the end of the scope's concentrated
collection period when the year's period is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from canbao.adapters.database import ready
from canbao.api.deps import database_url
from canbao.api.security import Need
from canbao.policy import Params, Policy, load_policy
from canbao.rules.registration import enrollment_year
from canbao.services import collection, duplicates, hardship, refunds, targets
from canbao.services.access import scope_regions
from canbao.services.users import User
from canbao.web.pages import render
from canbao.web.session import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: Who sees the collection's progress: those who assess, exchange with the tax bureau or
#: follow the targets.
COLLECTION_READERS = ("collection.assess", "collection.exchange", "targets.read")


@dataclass(frozen=True)
class Work:
    """One line of the open work: what waits, how many, where it is done."""

    label: str
    count: int
    path: str


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request,
    user: Annotated[User, Depends(Need("decide"))],
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    policy = load_policy()
    with ready(database_url(request)).connect() as connection:
        years = targets.years(connection, policy)
        current = enrollment_year(policy, user.region, date.today())
        year = year or max((y for y in years if y <= current), default=current)
        as_of = _as_of(policy, user.region, year)
        regions = scope_regions(connection, policy, user.region)
        coverage: list[targets.RegionProgress] = []
        weeks: tuple[targets.WeekPoint, ...] = ()
        if user.may("targets.read"):
            found = targets.progress(connection, year, as_of, policy)
            coverage = [r for r in found.regions if policy.within(r.region, user.region)]
            weeks = targets.trend(connection, user.region, year, as_of, policy)
        progress = (
            collection.collection_progress(connection, regions, year, policy)
            if any(user.may(p) for p in COLLECTION_READERS)
            else []
        )
        work = _work(connection, policy, user, regions, progress)
    scope_row = next((r for r in coverage if r.region == user.region), None)
    return render(
        request,
        "dashboard.html",
        year=year,
        years=sorted({*years, year, current}),
        as_of=as_of,
        coverage=coverage,
        coverage_chart=_coverage_chart(coverage, user.region),
        weeks=weeks,
        trend_chart=_trend_chart(weeks, scope_row),
        progress=progress,
        progress_chart=_progress_chart(progress),
        totals=_totals(progress),
        work=work,
    )


def _as_of(policy: Policy, region: str, year: int) -> date:
    today = date.today()
    period = Params(policy, region, year).get("collection.concentrated_period")
    return min(today, period["end"]) if period is not None else today


def _work(
    connection: Connection,
    policy: Policy,
    user: User,
    regions: list[str],
    progress: list[collection.RegionCollection],
) -> list[Work]:
    """The open work the role does, counted in the scope (zeros included: nothing waits)."""
    work: list[Work] = []
    if user.may("refund.confirm") or user.may("refund.pay"):
        waiting = refunds.open_refunds(connection, regions)
        if user.may("refund.confirm"):
            work.append(Work("待复核确认的退费申请", waiting.awaiting_confirmation, "/refunds"))
        if user.may("refund.pay"):
            work.append(Work("已确认待支付的退费", waiting.awaiting_payment, "/refunds"))
    if user.may("duplicates.review") or user.may("duplicates.propose"):
        cases = duplicates.case_counts(connection, policy, user.region)
        if user.may("duplicates.review"):
            work.append(Work("待复核的重复参保处理建议", cases["proposed"], "/duplicates"))
        if user.may("duplicates.propose"):
            work.append(Work("待取得承诺书的重复参保", cases["awaiting_consent"], "/duplicates"))
            work.append(Work("已确认待执行的重复参保处理", cases["confirmed"], "/duplicates"))
    if user.may("hardship.confirm"):
        lists = hardship.lists_awaiting_confirmation(connection, regions)
        work.append(Work("待确认的困难人员名单（份）", len(lists), "/hardship"))
        work.append(Work("名单中待确认的记录（条）", sum(x.rows for x in lists), "/hardship"))
    if user.may("collection.exchange"):
        exchange = collection.exchange_work(connection, regions)
        work.append(
            Work("已发送、待税务反馈的批次", exchange.batches_awaiting_feedback, "/collection")
        )
        work.append(
            Work("须重新发送税务的应征数据", sum(r.resend for r in progress), "/collection")
        )
        work.append(Work("未能匹配的税务反馈记录", exchange.unmatched_feedback, "/collection"))
    return work


def _regions_axis(names: list[str]) -> dict[str, Any]:
    """A category axis of region names, every name shown (slanted), and room for them."""
    return {
        "grid": {"left": 48, "right": 16, "bottom": 64, "containLabel": True},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"interval": 0, "rotate": 30}},
    }


def _percent(value: Any) -> float | None:
    return None if value is None else round(float(value) * 100, 2)


def _coverage_chart(coverage: list[targets.RegionProgress], scope: str) -> dict[str, Any]:
    """参保率 per district or county (the scope's own row left out where it has others) with
    the rate that reaches the target."""
    shown = [r for r in coverage if r.region != scope] or coverage
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["参保率（%）", "目标（%）"]},
        **_regions_axis([r.name for r in shown]),
        "yAxis": {"type": "value", "name": "%"},
        "series": [
            {"name": "参保率（%）", "type": "bar", "data": [_percent(r.coverage) for r in shown]},
            {
                "name": "目标（%）",
                "type": "line",
                "data": [
                    _percent(r.target_rate if r.target_rate is not None else 1) for r in shown
                ],
            },
        ],
    }


def _trend_chart(
    weeks: tuple[targets.WeekPoint, ...], scope: targets.RegionProgress | None
) -> dict[str, Any]:
    series: list[dict[str, Any]] = [
        {"name": "已参保人数", "type": "line", "data": [w.enrolled for w in weeks]}
    ]
    if scope is not None and scope.required is not None:
        series.append(
            {
                "name": "应达人数",
                "type": "line",
                "data": [scope.required] * len(weeks),
                "lineStyle": {"type": "dashed"},
                "symbol": "none",
            }
        )
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [s["name"] for s in series]},
        "grid": {"left": 48, "right": 16, "containLabel": True},
        "xAxis": {"type": "category", "data": [w.day.isoformat() for w in weeks]},
        "yAxis": {"type": "value", "name": "人"},
        "series": series,
    }


def _progress_chart(progress: list[collection.RegionCollection]) -> dict[str, Any]:
    names = ("已核定", "已发送税务", "已缴费")
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": list(names)},
        **_regions_axis([r.name for r in progress]),
        "yAxis": {"type": "value", "name": "人"},
        "series": [
            {"name": name, "type": "bar", "data": [getattr(r, field) for r in progress]}
            for name, field in zip(names, ("assessed", "sent", "paid"), strict=True)
        ],
    }


def _totals(progress: list[collection.RegionCollection]) -> dict[str, int]:
    fields = ("assessed", "sent", "paid", "resend", "abandoned", "failed")
    return {name: sum(getattr(r, name) for r in progress) for name in fields}
