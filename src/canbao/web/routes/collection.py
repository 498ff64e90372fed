"""``/collection``: the yearly collection with the tax bureau (W2; K1, K2) for a region of the
user's scope and a year — the assessment run, the batches of 应征数据 sent (each file to
download again, a new batch to export), the deduction feedback to upload, and the resend and
abandonment lists.

The same use cases as ``canbao collection …`` and ``/api/v1/regions/{admdvs}/collection/…``
(``services.collection``); the region is in the path, so the guard checks it as the API's.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.adapters.tax_files import TaxFileError, read_feedback
from canbao.api.deps import Limit, Offset, database_url, saved
from canbao.api.errors import ApiError, not_found
from canbao.api.security import Need
from canbao.policy import load_policy
from canbao.rules.registration import enrollment_year
from canbao.services import access, collection
from canbao.services.users import User
from canbao.web.pages import render
from canbao.web.routes.imports import xlsx
from canbao.web.session import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Exchange = Annotated[User, Depends(Need("collection.exchange"))]
Assessor = Annotated[User, Depends(Need("collection.assess"))]
Year = Annotated[int, PathParam(ge=1990, le=2100)]
#: The lists of the page: its tabs.
LISTS = {
    "batches": "应征数据批次",
    collection.RESEND: "重新传送名单",
    collection.ABANDONED: "自动弃保名单",
}
ListName = Literal["batches", "resend", "abandoned"]


@router.get("/collection")
def start(
    user: Exchange,
    admdvs: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    """The page of a region and year (the chooser's GET form): by default the user's region
    and the enrollment year of today. The region's page checks the scope."""
    region = admdvs or user.region
    year = year or enrollment_year(load_policy(), region, date.today())
    return RedirectResponse(f"/collection/{region}/{year}", status_code=303)


@router.get("/collection/{admdvs}/{year}", response_class=HTMLResponse)
def collection_page(
    request: Request,
    user: Exchange,
    admdvs: str,
    year: Year,
    show: Annotated[ListName, Query(alias="list")] = "batches",
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    """The region's year: the assessment, the batches and the feedback lists (paged)."""
    policy = load_policy()
    items: list[collection.BatchEntry] | list[collection.FeedbackEntry]
    with ready(database_url(request)).connect() as connection:
        if show == "batches":
            total, items = collection.batches(connection, policy, admdvs, year, limit, offset)
        else:
            total, items = collection.feedback_list(
                connection, policy, admdvs, year, show, limit, offset
            )
    regions = [(code, policy.region_name(code)) for code in _choices(user)]
    return render(
        request,
        "collection/index.html",
        admdvs=admdvs,
        region_name=policy.region_name(admdvs),
        year=year,
        regions=regions,
        lists=LISTS,
        show=show,
        total=total,
        items=items,
        limit=limit,
        offset=offset,
        query={"list": show},
        done=request.query_params,
    )


def _choices(user: User) -> list[str]:
    """The user's region and the regions of the policy data within it."""
    policy = load_policy()
    within = sorted(c for c in policy.regions if c != user.region and policy.within(c, user.region))
    return [user.region, *within]


@router.post("/collection/{admdvs}/{year}/assessment")
def assess(request: Request, user: Assessor, admdvs: str, year: Year) -> Response:
    """Assess the year (K2, C6); again: unchanged. The page then says how many."""
    with unit_of_work(database_url(request), Actor(user.name)) as uow:
        report = collection.assess(uow, admdvs, year, load_policy())
    gaps = sum(gap.count for gap in report.gaps)
    done = f"assessed={report.assessed}&unchanged={report.unchanged}&not_assessed={gaps}"
    return RedirectResponse(f"/collection/{admdvs}/{year}?{done}", status_code=303)


@router.post("/collection/{admdvs}/{year}/exports")
def export(request: Request, user: Exchange, admdvs: str, year: Year) -> Response:
    """A new batch of the 应征数据 not sent yet and those to resend (K1); the page then links
    its file. Nothing to send: no batch."""
    with (
        tempfile.TemporaryDirectory(prefix="canbao-export-") as folder,
        unit_of_work(database_url(request), Actor(user.name)) as uow,
    ):
        path = Path(folder) / f"{admdvs}-{year}.xlsx"
        batch_id = collection.export_batch(uow, admdvs, year, path, load_policy())
    return RedirectResponse(
        f"/collection/{admdvs}/{year}?exported={batch_id or ''}", status_code=303
    )


@router.get("/collection/{admdvs}/{year}/batches/{batch_id}")
def batch_file(
    request: Request, user: Exchange, admdvs: str, year: Year, batch_id: str
) -> Response:
    """The 应征数据 file of a batch of the region and year, as it was sent."""
    policy = load_policy()
    with ready(database_url(request)).connect() as connection:
        region = access.batch_regions(connection, [batch_id]).get(batch_id)
        if region is None or not policy.within(region, admdvs):
            raise not_found(f"区划 {admdvs} 没有批次 {batch_id}。")
        with tempfile.TemporaryDirectory(prefix="canbao-batch-") as folder:
            path = Path(folder) / "batch.xlsx"
            collection.write_batch(connection, batch_id, path, policy)
            return xlsx(path.read_bytes(), f"应征数据-{batch_id}.xlsx")


@router.get("/collection/{admdvs}/{year}/feedback", response_class=HTMLResponse)
def feedback_page(request: Request, user: Exchange, admdvs: str, year: Year) -> Response:
    return _feedback_page(request, admdvs, year)


def _feedback_page(
    request: Request, admdvs: str, year: int, status_code: int = 200, **context: object
) -> Response:
    context.setdefault("errors", {})
    return render(
        request,
        "collection/feedback.html",
        status_code=status_code,
        admdvs=admdvs,
        region_name=load_policy().region_name(admdvs),
        year=year,
        **context,
    )


@router.post("/collection/{admdvs}/{year}/feedback", response_class=HTMLResponse)
def feedback(
    request: Request,
    user: Exchange,
    admdvs: str,
    year: Year,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The tax bureau's deduction feedback (K1): what it did, or the reason beside the file
    field (422). Every batch named in it must be of the region (as the API); lines seen
    before change nothing."""

    def refused(message: str) -> Response:
        return _feedback_page(request, admdvs, year, 422, errors={"file": message})

    if file is None or not file.filename:
        return refused("请选择税务部门的扣费反馈文件（.xlsx 或 .csv）。")
    policy = load_policy()
    url = database_url(request)
    try:
        with saved(file, file.file.read()) as path:
            lines, _rejected = read_feedback(path)
            with ready(url).connect() as connection:
                refusal = access.feedback_outside_scope(connection, policy, lines, admdvs)
            if refusal:
                return refused(refusal)
            with unit_of_work(url, Actor(user.name, source_file=path.name)) as uow:
                report = collection.import_feedback(uow, path, policy)
    except ApiError as error:
        return refused(error.message)
    except TaxFileError as error:
        return refused(f"{file.filename}：{error.reason}")
    return _feedback_page(request, admdvs, year, report=report.as_json(), filename=file.filename)
