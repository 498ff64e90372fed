"""Hardship lists (W3, K7) for a region within the user's scope:

- ``POST /api/v1/regions/{admdvs}/hardship/lists/{department}/{month}``: a department's
  monthly list (新增/减员), every person on it within the region;
- ``POST …/lists/{department}/{month}/confirmation``: confirmed by a user other than the one
  who imported it (maker-checker: 409 for the same user);
- ``GET /api/v1/regions/{admdvs}/hardship/funding/{year}``: the funding requested per fund
  from the confirmed lists (totals);
- ``GET …/funding/{year}/xlsx?fund=…``: the same request's .xlsx for one fund (its lines),
  for the subsidies whose split is undetermined (``fund=undetermined``) or the totals
  (``fund=summary``, the default), as the command line writes them; the Chinese file name in
  ``Content-Disposition`` encoded per RFC 5987 (``filename*=UTF-8''…``), an ASCII one beside
  it for old clients.
"""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from canbao.adapters.database import ready, unit_of_work
from canbao.api.deps import actor, answer, database_url, saved
from canbao.api.errors import ERRORS, forbidden, not_found
from canbao.api.security import GuardedRoute, Need
from canbao.domain.codes import FUNDING_SOURCES
from canbao.policy import load_policy
from canbao.services import hardship
from canbao.services.users import User

router = APIRouter(prefix="/api/v1/regions/{admdvs}/hardship", tags=["hardship"],
                   route_class=GuardedRoute)  # fmt: skip
Department = StrEnum("Department", {code: code for code in hardship.DEPARTMENTS})  # type: ignore[misc]
Month = Annotated[str, PathParam(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
Year = Annotated[int, PathParam(ge=1990, le=2100)]
RESPONSES: dict[int | str, dict[str, Any]] = {k: ERRORS[k] for k in (401, 403, 409, 422)}
UNDETERMINED, SUMMARY = "undetermined", "summary"


@router.post("/lists/{department}/{month}", responses=RESPONSES)
async def import_list(
    request: Request,
    admdvs: str,
    department: Department,
    month: Month,
    user: Annotated[User, Depends(Need("hardship.import"))],
    file: Annotated[UploadFile, File(description="姓名, 身份证号码, 身份类别, 变动类型, 认定日期")],
) -> Any:
    """Import a department's monthly list; bad rows reported with row, column and reason."""
    data = await file.read()
    return await run_in_threadpool(
        _import, request, admdvs, str(department), month, user, file, data
    )


def _import(
    request: Request,
    admdvs: str,
    department: str,
    month: str,
    user: User,
    file: UploadFile,
    data: bytes,
) -> Any:
    url, policy = database_url(request), load_policy()
    with saved(file, data) as path:
        rows = hardship.read_list(path)
        with ready(url).connect() as connection:
            rejected = hardship.rows_outside(connection, policy, rows, admdvs)
        if rejected:
            listed = "、".join(str(n) for n in rejected[:20])
            raise forbidden(f"第{listed}行的人员不在区划 {admdvs} 内参保，整个名单未导入。")
        with unit_of_work(url, actor(user, path.name)) as uow:
            report = hardship.import_hardship_list(uow, path, department, month, policy)
    return answer(report.as_json())


@router.post("/lists/{department}/{month}/confirmation", responses=RESPONSES)
def confirm_list(
    request: Request,
    admdvs: str,
    department: Department,
    month: Month,
    user: Annotated[User, Depends(Need("hardship.confirm"))],
) -> Any:
    """Confirm the list (not by the user who imported it); every person on it must be within
    the region."""
    url, policy = database_url(request), load_policy()
    with unit_of_work(url, actor(user)) as uow:
        if hardship.list_outside(uow.connection, policy, str(department), month, admdvs):
            raise forbidden(f"该名单有不在区划 {admdvs} 内参保的人员，须由其上级区划确认。")
        count = hardship.confirm_hardship_list(uow, str(department), month)
    return answer({"confirmed": count})


#: The files of a funding request: one per fund, the undetermined split, the totals.
Fund = StrEnum(  # type: ignore[misc]
    "Fund", {code: code for code in (*FUNDING_SOURCES, UNDETERMINED, SUMMARY)}
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/funding/{year}", responses=RESPONSES)
def funding(
    request: Request,
    admdvs: str,
    year: Year,
    _user: Annotated[User, Depends(Need("hardship.funding"))],
) -> Any:
    """The subsidies to request per funding source from the confirmed lists (K7), and those
    whose split the documents leave undetermined."""
    with (
        tempfile.TemporaryDirectory(prefix="canbao-funding-") as folder,
        ready(database_url(request)).connect() as connection,
    ):
        request_ = hardship.funding_request(
            connection, admdvs, year, Path(folder) / "funding.xlsx", load_policy()
        )
    body = request_.as_json()
    del body["files"]
    return answer(body)


@router.get(
    "/funding/{year}/xlsx",
    responses={**RESPONSES, 404: ERRORS[404], 200: {"content": {XLSX: {}}}},
    response_class=Response,
)
def funding_file(
    request: Request,
    admdvs: str,
    year: Year,
    _user: Annotated[User, Depends(Need("hardship.funding"))],
    fund: Annotated[
        Fund | None, Query(description="资金来源；undetermined 分担未载明；默认 summary 汇总")
    ] = None,
) -> Response:
    """The funding request's .xlsx for one fund (each person's subsidy and this fund's
    share), for the undetermined split, or the totals (``summary``)."""
    policy, chosen = load_policy(), SUMMARY if fund is None else str(fund)
    with tempfile.TemporaryDirectory(prefix="canbao-funding-") as folder:
        path = Path(folder) / "funding.xlsx"
        with ready(database_url(request)).connect() as connection:
            written = hardship.funding_request(connection, admdvs, year, path, policy)
        target = path if chosen == SUMMARY else path.with_name(f"{path.stem}-{chosen}.xlsx")
        if target not in written.files:
            raise not_found(f"{year}年度没有由“{_fund_name(chosen)}”负担的资助。", "query.fund")
        content = target.read_bytes()
    name = f"{policy.region_name(admdvs)}{year}年度资助参保资金申请-{_fund_name(chosen)}.xlsx"
    ascii_name = f"hardship-funding-{admdvs}-{year}-{chosen}.xlsx"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})


def _fund_name(fund: str) -> str:
    return {**FUNDING_SOURCES, UNDETERMINED: "分担未载明", SUMMARY: "汇总"}[fund]
