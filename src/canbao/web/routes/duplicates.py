"""``/duplicates``: the duplicate review queue (W7, D1–D8) within the user's scope — detection
(the maker roles), the cases by state (identity numbers masked for the analyst), a case's page
with the proposal, its rule ids and citations and the facts the registry lacks; the person's
written commitment (D4), confirm or reject (a reviewer other than the proposer), apply; the
notices to the other regions' agencies (.xlsx). The use cases are ``services.duplicates``'s,
the forms' models the API's (``api.routes.duplicates``)."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from canbao.adapters.database import ready, unit_of_work
from canbao.api.deps import Limit, Offset, actor, database_url
from canbao.api.errors import not_found
from canbao.api.routes.duplicates import ApplicationIn, ConsentIn, DetectionIn, RejectionIn
from canbao.api.security import Need
from canbao.domain.codes import ENROLLMENT_STATUS, INSUTYPE_NAMES
from canbao.policy import load_policy
from canbao.services import access, duplicates
from canbao.services.registry import enrollments_as_of, person_as_of
from canbao.services.review import Refused
from canbao.services.users import User
from canbao.web.pages import field_errors, render
from canbao.web.session import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
CaseId = Annotated[str, PathParam(max_length=32, pattern=r"^D[0-9a-f]+$")]
Text = Annotated[str, Form(max_length=1000)]

#: A case's state as the queue shows it.
STATE_NAMES = {
    "proposed": "待复核",
    "awaiting_consent": "待本人书面承诺",
    "policy_gap": "文件未规定",
    "confirmed": "已确认待处理",
    "rejected": "已驳回",
    "applied": "已处理",
}
ACTIONS = {"terminate": "终止", "suspend": "暂停"}


def parsed(model: type[BaseModel], values: dict[str, str]) -> Any:
    """A form's fields as the API's model (an empty optional field is absent)."""
    return model.model_validate({k: v for k, v in values.items() if v.strip()})


# --- the queue -------------------------------------------------------------------------------


@router.get("/duplicates", response_class=HTMLResponse)
def queue(
    request: Request,
    user: Annotated[User, Depends(Need("duplicates.list"))],
    state: Annotated[str | None, Query(max_length=20)] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    return _queue(request, user, state, limit, offset)


def _queue(
    request: Request,
    user: User,
    state: str | None,
    limit: int,
    offset: int,
    status_code: int = 200,
    **form: Any,
) -> Response:
    state = state if state in STATE_NAMES else None
    policy = load_policy()
    with ready(database_url(request)).connect() as connection:
        cases = duplicates.cases_within(connection, policy, user.region, state)
        regions = (
            duplicates.notice_regions(connection, policy, user.region)
            if user.may("duplicates.propose")
            else []
        )
    found = request.query_params
    detected = None
    if found.get("detected"):
        detected = {k: found.get(k, "") for k in ("detected", "candidates", "proposed", "existing")}
    return render(
        request,
        "duplicates/queue.html",
        status_code=status_code,
        scope_name=policy.region_name(user.region),
        cases=cases[offset : offset + limit],
        total=len(cases),
        limit=limit,
        offset=offset,
        state=state or "",
        states=[("", "全部"), *STATE_NAMES.items()],
        state_names=STATE_NAMES,
        notice_regions=[(code, policy.region_name(code)) for code in regions],
        detected=detected,
        as_of=form.get("as_of", date.today().isoformat()),
        errors=form.get("errors", {}),
    )


@router.post("/duplicates/detection", response_class=HTMLResponse)
def detect(
    request: Request,
    user: Annotated[User, Depends(Need("duplicates.propose"))],
    as_of: Text = "",
) -> Response:
    """Detect as of a day within the user's scope; the queue then says what was found."""
    try:
        body: DetectionIn = parsed(DetectionIn, {"as_of": as_of})
    except ValidationError as error:
        return _queue(request, user, None, 20, 0, 422, as_of=as_of, errors=field_errors(error))
    with unit_of_work(database_url(request), actor(user)) as uow:
        found = duplicates.detect(uow, body.as_of, user.region, load_policy())
    query = (
        f"detected={found.as_of.isoformat()}&candidates={found.candidates}"
        f"&proposed={len(found.proposed)}&existing={len(found.existing)}"
    )
    return RedirectResponse(f"/duplicates?{query}", status_code=303)


@router.get("/duplicates/notices.xlsx")
def notices(
    request: Request,
    user: Annotated[User, Depends(Need("duplicates.propose"))],
    region: Annotated[str, Query(pattern=r"^[0-9]{6}$")],
) -> Response:
    """The notices to ``region``'s agency of the proposals applied within the user's scope."""
    policy = load_policy()
    with ready(database_url(request)).connect() as connection:
        if region not in duplicates.notice_regions(connection, policy, user.region):
            raise not_found(f"没有需要通知{policy.region_name(region)}（{region}）的处理结果。")
        rows = duplicates.notices(connection, region, lambda kept: policy.within(kept, user.region))
    with tempfile.TemporaryDirectory(prefix="canbao-notices-") as folder:
        path = Path(folder) / "notices.xlsx"
        duplicates.write_notices(path, region, rows, policy)
        content = path.read_bytes()
    name = f"duplicate-notices-{region}.xlsx"
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- a case ----------------------------------------------------------------------------------


def _case(request: Request, user: User, case_id: str) -> duplicates.Case:
    """The case, when its person is within the user's scope (another's is not found)."""
    with ready(database_url(request)).connect() as connection:
        found = duplicates.list_cases(connection, case_id=case_id)
        if not found or access.outside_scope(
            connection, load_policy(), [found[0].psn_no], user.region
        ):
            raise not_found(f"没有编号为 {case_id} 的重复参保处理建议。", "path.case_id")
    return found[0]


@router.get("/duplicates/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: CaseId, user: Annotated[User, Depends(Need("duplicates.list"))]
) -> Response:
    return _case_page(request, user, case_id)


def _case_page(
    request: Request,
    user: User,
    case_id: str,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    refusal: str = "",
) -> Response:
    """The case's page; a form's ``values`` and ``errors`` come back beside its fields, the
    service's ``refusal`` (its reason, in plain Chinese) above."""
    policy = load_policy()
    found = _case(request, user, case_id)
    with ready(database_url(request)).connect() as connection:
        person = person_as_of(connection, found.psn_no, found.as_of)
        relations = {
            row["rlts_id"]: row
            for row in enrollments_as_of(connection, found.psn_no, found.as_of)
            if row["rlts_id"] in found.records
        }
        events = duplicates.events(connection, case_id)
    decision = found.decision
    records = [
        {
            "id": rlts_id,
            "scheme": INSUTYPE_NAMES.get(row["insutype"], row["insutype"]),
            "region": f"{policy.region_name(row['insuplc_admdvs'])}（{row['insuplc_admdvs']}）",
            "status": ENROLLMENT_STATUS.get(row["psn_insu_stas"], row["psn_insu_stas"]),
            "since": row["psn_insu_date"],
            "keep": rlts_id == decision.get("keep"),
        }
        for rlts_id in found.records
        if (row := relations.get(rlts_id)) is not None
    ]
    actions = [
        {
            "id": a["id"],
            "action": ACTIONS.get(a["action"], a["action"]),
            "notify": f"{policy.region_name(a['notify_region'])}（{a['notify_region']}）"
            if a.get("notify_region")
            else "",
        }
        for a in decision.get("actions") or []
    ]
    return render(
        request,
        "duplicates/case.html",
        status_code=status_code,
        case=found,
        state_name=STATE_NAMES[found.state],
        person_name=person["psn_name"] if person else "",
        records=records,
        keep_options=[("", "请选择"), *((r, r) for r in found.records)],
        actions=actions,
        deductions=decision.get("subsidy_deduction") or [],
        events=events,
        values=values or {},
        errors=errors or {},
        refusal=refusal,
        today=date.today().isoformat(),
    )


def _act(
    request: Request, user: User, case_id: str, form: str, values: dict[str, str], model: Any
) -> Response:
    """Parse a case form into the API's model and run the use case ``form`` with it:
    on success back to the case's page (303), otherwise the page again with the values
    typed, the field errors (422) or the service's refusal (409)."""
    _case(request, user, case_id)
    try:
        body = parsed(model, values)
    except ValidationError as error:
        errors = field_errors(error)
        return _case_page(request, user, case_id, 422, values, errors)
    policy = load_policy()
    try:
        with unit_of_work(database_url(request), actor(user)) as uow:
            if form == "consent":
                duplicates.record_consent(
                    uow, case_id, body.keep, body.document, body.signed_on, policy
                )
            elif form == "confirm":
                duplicates.confirm_case(uow, case_id)
            elif form == "reject":
                duplicates.reject_case(uow, case_id, body.reason)
            else:
                duplicates.apply_case(uow, case_id, body.on)
    except Refused as refused:
        return _case_page(request, user, case_id, 409, values, refusal=str(refused))
    return RedirectResponse(f"/duplicates/{case_id}", status_code=303)


class _Nothing(BaseModel):
    """A form without fields (the confirmation)."""


@router.post("/duplicates/{case_id}/consent", response_class=HTMLResponse)
def consent(
    request: Request,
    case_id: CaseId,
    user: Annotated[User, Depends(Need("duplicates.propose"))],
    keep: Text = "",
    document: Text = "",
    signed_on: Text = "",
) -> Response:
    """The person's written commitment (承诺书, D4) choosing the relation kept."""
    values = {"keep": keep, "document": document, "signed_on": signed_on}
    return _act(request, user, case_id, "consent", values, ConsentIn)


@router.post("/duplicates/{case_id}/confirmation", response_class=HTMLResponse)
def confirm(
    request: Request, case_id: CaseId, user: Annotated[User, Depends(Need("duplicates.review"))]
) -> Response:
    """Confirm the proposal (never by its proposer: the refusal is shown)."""
    return _act(request, user, case_id, "confirm", {}, _Nothing)


@router.post("/duplicates/{case_id}/rejection", response_class=HTMLResponse)
def reject(
    request: Request,
    case_id: CaseId,
    user: Annotated[User, Depends(Need("duplicates.review"))],
    reason: Text = "",
) -> Response:
    """Reject the proposal, saying why (never by its proposer)."""
    return _act(request, user, case_id, "reject", {"reason": reason}, RejectionIn)


@router.post("/duplicates/{case_id}/application", response_class=HTMLResponse)
def apply(
    request: Request,
    case_id: CaseId,
    user: Annotated[User, Depends(Need("duplicates.propose"))],
    on: Text = "",
) -> Response:
    """Carry out the confirmed proposal from the day given (default today)."""
    return _act(request, user, case_id, "apply", {"on": on}, ApplicationIn)
