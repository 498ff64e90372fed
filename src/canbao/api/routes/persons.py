"""Persons: ``GET /api/v1/persons?name=…`` (a page of the persons within the user's scope who
bear the name; numbers masked unless the role needs them) and ``GET /api/v1/persons/{certno}``
(the 1101 status as of a date; every such read is audited)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from canbao.adapters import pg_async
from canbao.adapters.database import ready
from canbao.api.deps import Limit, Offset, Page, database_url
from canbao.api.errors import ERRORS, not_found
from canbao.api.masking import mask_account, mask_certno, mask_phone
from canbao.api.security import GuardedRoute, Need, person_not_found
from canbao.policy import load_policy
from canbao.services import access
from canbao.services.status import Holder
from canbao.services.users import User

router = APIRouter(prefix="/api/v1/persons", tags=["persons"], route_class=GuardedRoute)
CertNo = Annotated[str, "证件号码"]


class PersonItem(BaseModel):
    psn_no: str
    psn_name: str
    psn_cert_type: str
    certno: str = Field(description="证件号码；无需查看的角色看到的是遮盖后的号码")
    gend: str
    brdy: date | None
    tel: str | None
    bank_acct: str | None
    regions: list[str] = Field(description="本辖区内的参保地")


@router.get("", responses={k: ERRORS[k] for k in (401, 403, 422)})
def persons(
    request: Request,
    user: Annotated[User, Depends(Need("person.list"))],
    name: Annotated[str, Query(min_length=1, max_length=64, description="姓名（完全相同）")],
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[PersonItem]:
    """The persons enrolled within your scope who bear or bore this name."""
    with ready(database_url(request)).connect() as connection:
        total, entries = access.persons_named(
            connection, load_policy(), name, user.region, limit, offset
        )
    shown = user.unmasked
    items = [
        PersonItem(
            psn_no=e.psn_no,
            psn_name=e.psn_name,
            psn_cert_type=e.psn_cert_type,
            certno=e.certno if shown else mask_certno(e.certno) or "",
            gend=e.gend,
            brdy=e.brdy,
            tel=e.tel if shown else mask_phone(e.tel),
            bank_acct=e.bank_acct if shown else mask_account(e.bank_acct),
            regions=list(e.regions),
        )
        for e in entries
    ]
    return Page[PersonItem](total=total, limit=limit, offset=offset, items=items)


class BaseInfo(BaseModel):
    psn_no: str
    psn_cert_type: str
    certno: str
    psn_name: str
    gend: str
    naty: str
    brdy: str
    age: int | None
    exp_content: str


class InsuInfo(BaseModel):
    balc: float
    insutype: str
    psn_type: str
    psn_insu_stas: str
    psn_insu_date: str
    paus_insu_date: str
    cvlserv_flag: str
    insuplc_admdvs: str
    emp_name: str


class IdetInfo(BaseModel):
    psn_idet_type: str
    psn_type_lv: str
    memo: str
    begntime: str
    endtime: str


class Status1101(BaseModel):
    """The 1101 interface's answer (SPEC section 7)."""

    baseinfo: BaseInfo
    insuinfo: list[InsuInfo]
    idetinfo: list[IdetInfo]


@router.get(
    "/{certno}",
    response_model=Status1101,
    responses={k: ERRORS[k] for k in (401, 403, 404, 422)},
)
async def person(
    request: Request,
    certno: CertNo,
    user: Annotated[User, Depends(Need("person.read", finds_person=True))],
    as_of: Annotated[date | None, Query(description="YYYY-MM-DD；默认今天")] = None,
) -> Any:
    """The person's status as of a date in the 1101 shape (baseinfo, insuinfo, idetinfo).
    Audited: who read whose record, and when."""
    day = as_of or date.today()
    client = request.client.host if request.client else None
    route = getattr(request.scope.get("route"), "path", request.url.path)
    url = database_url(request)
    asked = (request.state.cert_type, request.state.certno, user.region, day, user.name, route)
    connections = await pg_async.pool(url)
    if connections is None:
        read = await run_in_threadpool(_read_status, url, *asked, client)
    else:
        # PostgreSQL: from the loop, on an asynchronous connection (adapters.pg_async).
        async with connections.connection() as connection:
            read = await access.read_status_async(connection, load_policy(), *asked, client)
    if read is None:
        raise person_not_found(request.state.certno)
    if read.status is None:
        raise not_found(f"{request.state.certno} 截至 {day} 不在登记库中。", "query.as_of")
    # The answer is the 1101 shape already (strings and numbers): sent as it is, not checked
    # again against the response model, which documents it.
    return JSONResponse(read.status)


def _read_status(
    url: str,
    cert_type: str,
    certno: str,
    scope: str,
    day: date,
    reader: str,
    route: str,
    client: str | None,
) -> Holder | None:
    with ready(url).begin() as connection:
        return access.read_status(
            connection, load_policy(), cert_type, certno, scope, day, reader, route, client
        )
