"""``/hardship``: the hardship lists (W3, K7) within the user's scope — a department's monthly
roster imported (the maker roles), confirmed by another user (the checker), the identities of
each list with their validity and the subsidy decided with them, and the funding to request
per fund from the confirmed lists, each as .xlsx. The use cases are ``services.hardship``'s."""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from canbao.adapters.database import ready, unit_of_work
from canbao.api.deps import Limit, Offset, actor, database_url, saved
from canbao.api.errors import ApiError, forbidden, not_found
from canbao.api.security import Need
from canbao.domain.codes import FUNDING_SOURCES, IDENTITIES
from canbao.policy import load_policy
from canbao.services import hardship
from canbao.services.review import Refused
from canbao.services.users import User
from canbao.web.pages import render
from canbao.web.session import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
Department = Annotated[str, PathParam(pattern="^(" + "|".join(hardship.DEPARTMENTS) + ")$")]
Month = Annotated[str, PathParam(pattern=MONTH)]
Year = Annotated[int, PathParam(ge=1990, le=2100)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The funding request's files: the summary, one per fund, the subsidies of undetermined split.
PARTS = {"summary": "汇总", **FUNDING_SOURCES, "undetermined": "分担未载明"}


def _lists(request: Request, user: User, **which: str) -> list[hardship.HardshipList]:
    with ready(database_url(request)).connect() as connection:
        return hardship.lists_within(connection, load_policy(), user.region, **which)


@router.get("/hardship", response_class=HTMLResponse)
def lists(
    request: Request,
    user: Annotated[User, Depends(Need("hardship.funding"))],
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    return _page(request, user, year, limit=limit, offset=offset)


def _page(
    request: Request,
    user: User,
    year: int | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    report: dict[str, Any] | None = None,
    limit: int = 20,
    offset: int = 0,
) -> Response:
    """A page of the lists, the import form (with the values typed, its errors or the import's
    report) and the funding request of ``year``."""
    year = year or date.today().year
    funding = None
    if user.may("hardship.funding"):
        with tempfile.TemporaryDirectory(prefix="canbao-funding-") as folder:
            funding = _funding(request, user, year, Path(folder))[0]
    found = _lists(request, user)
    return render(
        request,
        "hardship/lists.html",
        status_code=status_code,
        scope_name=load_policy().region_name(user.region),
        lists=found[offset : offset + limit],
        total=len(found),
        limit=limit,
        offset=offset,
        departments=[("", "请选择"), *hardship.DEPARTMENTS.items()],
        department_names=hardship.DEPARTMENTS,
        values=values or {"month": date.today().strftime("%Y-%m")},
        errors=errors or {},
        report=report,
        year=year,
        funding=funding,
        parts=PARTS,
    )


def _funding(
    request: Request, user: User, year: int, folder: Path
) -> tuple[hardship.FundingRequest, dict[str, Path]]:
    """The funding request of the user's scope for ``year`` (K7) written into ``folder``, and
    its files by part (``PARTS``)."""
    with ready(database_url(request)).connect() as connection:
        found = hardship.funding_request(
            connection, user.region, year, folder / "funding.xlsx", load_policy()
        )
    files = {"summary": found.files[0]}
    files |= {path.stem.removeprefix("funding-"): path for path in found.files[1:]}
    return found, files


@router.post("/hardship/lists", response_class=HTMLResponse)
def import_list(
    request: Request,
    user: Annotated[User, Depends(Need("hardship.import"))],
    department: Annotated[str, Form(max_length=40)] = "",
    month: Annotated[str, Form(max_length=7)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import a department's monthly list: every person on it must be within the user's scope
    (otherwise nothing is imported); bad rows are reported with row, column and reason."""
    values = {"department": department, "month": month}
    errors = {}
    if department not in hardship.DEPARTMENTS:
        errors["department"] = "请选择提供名单的部门。"
    if not re.fullmatch(MONTH, month):
        errors["month"] = "名单月份应为 YYYY-MM。"
    if file is None or not file.filename:
        errors["file"] = "请选择名单文件（.xlsx 或 .csv）。"
    if errors or file is None:
        return _page(request, user, None, 422, values, errors)
    url, policy = database_url(request), load_policy()
    try:
        with saved(file, file.file.read()) as path:
            rows = hardship.read_list(path)
            with ready(url).connect() as connection:
                outside = hardship.rows_outside(connection, policy, rows, user.region)
            if outside:
                listed = "、".join(str(n) for n in outside[:20])
                raise Refused(f"第{listed}行的人员不在您的管辖范围内参保，整个名单未导入。")
            with unit_of_work(url, actor(user, path.name)) as uow:
                report = hardship.import_hardship_list(uow, path, department, month, policy)
    except (Refused, ApiError) as refused:
        message = refused.message if isinstance(refused, ApiError) else str(refused)
        return _page(request, user, None, 422, values, {"file": message})
    if report.rejected:
        return _page(request, user, None, 200, values, None, report.as_json())
    target = f"/hardship/lists/{department}/{month}"
    return RedirectResponse(
        f"{target}?accepted={report.accepted}&unchanged={report.unchanged}", status_code=303
    )


@router.get("/hardship/lists/{department}/{month}", response_class=HTMLResponse)
def list_page(
    request: Request,
    department: Department,
    month: Month,
    user: Annotated[User, Depends(Need("hardship.funding"))],
) -> Response:
    return _list_page(request, user, department, month)


def _list_page(
    request: Request,
    user: User,
    department: str,
    month: str,
    status_code: int = 200,
    refusal: str = "",
) -> Response:
    found = _lists(request, user, department=department, month=month)
    if not found:
        name = hardship.DEPARTMENTS[department]
        raise not_found(f"您的管辖范围内没有{name}{month}的困难人员名单。")
    imported = request.query_params
    return render(
        request,
        "hardship/list.html",
        status_code=status_code,
        found=found[0],
        department_name=hardship.DEPARTMENTS[department],
        identities=IDENTITIES,
        refusal=refusal,
        imported={k: imported[k] for k in ("accepted", "unchanged") if k in imported},
    )


@router.post("/hardship/lists/{department}/{month}/confirmation", response_class=HTMLResponse)
def confirm_list(
    request: Request,
    department: Department,
    month: Month,
    user: Annotated[User, Depends(Need("hardship.confirm"))],
) -> Response:
    """Confirm the list (never by the user who imported it: the refusal is shown); every person
    on it must be within the user's scope."""
    url, policy = database_url(request), load_policy()
    try:
        with unit_of_work(url, actor(user)) as uow:
            if hardship.list_outside(uow.connection, policy, department, month, user.region):
                raise Refused("该名单有不在您的管辖范围内参保的人员，须由其上级区划确认。")
            hardship.confirm_hardship_list(uow, department, month)
    except Refused as refused:
        return _list_page(request, user, department, month, 409, str(refused))
    return RedirectResponse(f"/hardship/lists/{department}/{month}", status_code=303)


@router.get("/hardship/funding/{year}.xlsx")
def funding_file(
    request: Request,
    year: Year,
    user: Annotated[User, Depends(Need("hardship.funding"))],
    part: Annotated[str, Query(pattern="^(" + "|".join(PARTS) + ")$")] = "summary",
) -> Response:
    """One file of the funding request (the summary or a fund's list). The lists carry full
    identity numbers: not for a role that sees them masked."""
    if not user.unmasked:
        raise forbidden("资金申请清单含完整身份证号码，您的角色只能查看汇总金额。")
    with tempfile.TemporaryDirectory(prefix="canbao-funding-") as folder:
        _, files = _funding(request, user, year, Path(folder))
        if part not in files:
            raise not_found(f"{year}年度没有“{PARTS[part]}”的资金申请清单。")
        content = files[part].read_bytes()
    name = f"hardship-funding-{user.region}-{year}-{part}.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
