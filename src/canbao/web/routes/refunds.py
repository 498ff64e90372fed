"""``/refunds``: payments and refunds (W8) through the same services as the API's
``/api/v1/persons/{certno}/refunds`` routes (``services.refunds``): the list of cases by state
within the user's scope, each with the engine's decision (rule ids, citations); apply (maker,
on ``/persons/{certno}/refunds/new``); confirm (checker: never the applicant —
``services.review`` refuses, and the page says so); pay through the decided channel."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError, field_validator

from canbao.adapters.database import ready, unit_of_work
from canbao.api.deps import Limit, Offset, actor, database_url
from canbao.api.routes.refunds import own_case
from canbao.api.security import Need
from canbao.domain.codes import REFUND_REASONS, Scheme
from canbao.policy import load_policy
from canbao.services import refunds, registry
from canbao.services.review import Refused
from canbao.services.users import User
from canbao.web.codes import identity_number, names
from canbao.web.pages import field_errors, render
from canbao.web.session import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
CaseId = Annotated[str, PathParam(max_length=32)]
SCHEMES = {Scheme.RESIDENT.value: "城乡居民基本医疗保险", Scheme.EMPLOYEE.value: "职工基本医疗保险"}


class RefundForm(BaseModel):
    """退费申请 as the form posts it (the API's ``RefundIn``; blank fields are None)."""

    year: int = Field(ge=1990, le=2100)
    reason: str
    paid_amount: Decimal = Field(ge=0, le=1_000_000, decimal_places=2)
    paid_on: date
    event_on: date
    applied_on: date
    region: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    scheme: Scheme = Scheme.RESIDENT
    employer_contribution_from: date | None = None

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if value not in REFUND_REASONS:
            raise ValueError("请选择退费原因。")
        return value


def _list(
    request: Request,
    user: User,
    state: str = "",
    limit: int = 20,
    offset: int = 0,
    case_id: str = "",
    status_code: int = 200,
    **extra: Any,
) -> Response:
    with ready(database_url(request)).connect() as connection:
        total, entries = refunds.cases(
            connection, load_policy(), user.region, state or None, limit, offset, case_id or None
        )
    return render(
        request,
        "refunds/list.html",
        status_code=status_code,
        state=state,
        states=refunds.STATES,
        case_id=case_id,
        total=total,
        entries=entries,
        limit=limit,
        offset=offset,
        query={"state": state} if state else {},
        today=date.today(),
        names=names(),
        **extra,
    )


@router.get("/refunds", response_class=HTMLResponse)
def cases(
    request: Request,
    user: Annotated[User, Depends(Need("refund.list"))],
    state: Annotated[str, Query(pattern=r"^(|waiting|confirmed|paid|refused|gap)$")] = "",
    case: Annotated[str, Query(max_length=32)] = "",
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    """The cases within the scope by state (one case with ``?case=``)."""
    return _list(request, user, state, limit, offset, case)


@router.get("/refunds/apply")
def apply_for(
    request: Request,
    user: Annotated[User, Depends(Need("refund.apply"))],
    certno: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """From the list's 证件号码 box to the person's application form."""
    number, problem = identity_number(certno)
    if number is None:
        error = {"certno": problem or ""}
        return _list(request, user, status_code=422, certno=certno, errors=error)
    return RedirectResponse(f"/persons/{number}/refunds/new", status_code=303)


def _form(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user: User = request.state.user
    policy = load_policy()
    with ready(database_url(request)).connect() as connection:
        person = registry.person_as_of(connection, request.state.psn_no, date.max)
    return render(
        request,
        "refunds/apply.html",
        status_code=status_code,
        certno=request.state.certno,
        psn_name=person["psn_name"] if person else "",
        values=values,
        errors=errors or {},
        reasons=[("", "请选择")] + list(REFUND_REASONS.items()),
        schemes=list(SCHEMES.items()),
        regions=[("", "按参保关系")]
        + [
            (code, f"{r.name}（{code}）")
            for code, r in policy.regions.items()
            if policy.within(code, user.region)
        ],
    )


@router.get("/persons/{certno}/refunds/new", response_class=HTMLResponse)
def application(
    request: Request, certno: str, user: Annotated[User, Depends(Need("refund.apply"))]
) -> Response:
    today = date.today()
    return _form(request, {"year": today.year, "applied_on": today.isoformat()})


@router.post("/persons/{certno}/refunds", response_class=HTMLResponse)
async def apply(
    request: Request, certno: str, user: Annotated[User, Depends(Need("refund.apply"))]
) -> Response:
    """Apply: the engine decides (F1–F6) and the case is stored with its decision."""
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    try:
        body = RefundForm.model_validate({k: v for k, v in values.items() if v != ""})
    except ValidationError as error:
        return _form(request, values, field_errors(error), 422)
    try:
        with unit_of_work(database_url(request), actor(user)) as uow:
            case = refunds.apply_refund(
                uow,
                request.state.certno,
                body.year,
                body.reason,
                body.paid_amount,
                body.paid_on,
                body.applied_on,
                body.event_on,
                region=body.region,
                scheme=body.scheme,
                employer_contribution_from=body.employer_contribution_from,
                policy=load_policy(),
            )
    except Refused as refused:
        where = "applied_on" if "日期" in str(refused) else "region"
        return _form(request, values, {where: str(refused)}, 422)
    return RedirectResponse(f"/refunds?case={case.case_id}", status_code=303)


@router.post("/persons/{certno}/refunds/{case_id}/confirmation", response_class=HTMLResponse)
def confirm(
    request: Request,
    certno: str,
    case_id: CaseId,
    user: Annotated[User, Depends(Need("refund.confirm"))],
) -> Response:
    """Confirm the case; the applicant's own confirmation is refused, and the list says why."""
    own_case(request, case_id)
    try:
        with unit_of_work(database_url(request), actor(user)) as uow:
            refunds.confirm_refund(uow, case_id)
    except Refused as refused:
        return _list(request, user, case_id=case_id, status_code=409, refusal=str(refused))
    return RedirectResponse(f"/refunds?case={case_id}", status_code=303)


@router.post("/persons/{certno}/refunds/{case_id}/payment", response_class=HTMLResponse)
def pay(
    request: Request,
    certno: str,
    case_id: CaseId,
    user: Annotated[User, Depends(Need("refund.pay"))],
    paid_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Pay a confirmed case through the decided channel."""
    own_case(request, case_id)
    try:
        day = date.fromisoformat(paid_on)
    except ValueError:
        return _list(request, user, case_id=case_id, status_code=422,
                     refusal="支付日期应为 YYYY-MM-DD。")  # fmt: skip
    try:
        with unit_of_work(database_url(request), actor(user)) as uow:
            refunds.pay_refund(uow, case_id, day)
    except Refused as refused:
        return _list(request, user, case_id=case_id, status_code=409, refusal=str(refused))
    return RedirectResponse(f"/refunds?case={case_id}", status_code=303)
