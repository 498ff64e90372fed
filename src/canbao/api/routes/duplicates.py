"""Duplicate enrollments (W7, D1–D8) within the user's scope:

- ``POST /api/v1/regions/{admdvs}/duplicates/detection``: detect as of a day the persons with
  a relation within the region and propose how to clear each duplicate;
- ``GET /api/v1/regions/{admdvs}/duplicates``: a page of the proposals of the persons within
  the region (identity numbers masked unless the role needs them);
- ``POST /api/v1/persons/{certno}/duplicates/{case_id}/consent``: the person's written
  commitment choosing the relation kept (D4);
- ``POST …/{case_id}/confirmation`` and ``…/rejection``: by a user other than the proposer
  (maker-checker: the service refuses the proposer, 409);
- ``POST /api/v1/regions/{admdvs}/duplicates/application``: carry out the confirmed proposals
  of the persons within the region, each in its own transaction.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from canbao.adapters.database import ready, unit_of_work
from canbao.api.deps import Limit, Offset, Page, actor, answer, database_url
from canbao.api.errors import ERRORS, not_found
from canbao.api.masking import mask_certno
from canbao.api.security import GuardedRoute, Need
from canbao.policy import load_policy
from canbao.services import duplicates
from canbao.services.users import User

router = APIRouter(prefix="/api/v1", tags=["duplicates"], route_class=GuardedRoute)
RESPONSES: dict[int | str, dict[str, Any]] = {k: ERRORS[k] for k in (401, 403, 404, 409, 422)}
CaseId = Annotated[str, PathParam(max_length=32)]
State = StrEnum("State", {state: state for state in duplicates.STATES})  # type: ignore[misc]


class DetectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date = Field(description="检测日期")


class ConsentIn(BaseModel):
    """本人书面承诺 (D4)."""

    model_config = ConfigDict(extra="forbid")

    keep: str = Field(min_length=1, max_length=64, description="保留的参保关系编号")
    document: str = Field(min_length=1, max_length=200, description="承诺书编号或文件")
    signed_on: date


class RejectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="驳回理由")


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: date | None = Field(default=None, description="生效日期；默认今天")


@router.post("/regions/{admdvs}/duplicates/detection", responses=RESPONSES)
def detect(
    request: Request,
    admdvs: str,
    body: DetectionIn,
    user: Annotated[User, Depends(Need("duplicates.propose"))],
) -> Any:
    """Detect duplicate enrollments with a relation within the region and propose how to
    clear each (open proposals are not proposed twice)."""
    with unit_of_work(database_url(request), actor(user)) as uow:
        found = duplicates.detect(uow, body.as_of, admdvs, load_policy())
    return answer(found.as_json())


@router.get("/regions/{admdvs}/duplicates", responses=RESPONSES)
def cases(
    request: Request,
    admdvs: str,
    user: Annotated[User, Depends(Need("duplicates.list"))],
    state: Annotated[State | None, Query(description="只列此状态的建议")] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[dict[str, Any]]:
    """The proposals of the persons within the region, oldest first."""
    with ready(database_url(request)).connect() as connection:
        found = duplicates.cases_within(
            connection, load_policy(), admdvs, None if state is None else str(state)
        )
    within = [c.as_json() for c in found]
    if not user.unmasked:
        for item in within:
            item["certno"] = mask_certno(item["certno"])
    items = within[offset : offset + limit]
    return Page[dict[str, Any]](total=len(within), limit=limit, offset=offset, items=items)


def _own_case(request: Request, case_id: str) -> None:
    """The case must be this person's (another's case is not found here)."""
    with ready(database_url(request)).connect() as connection:
        found = duplicates.list_cases(connection, case_id=case_id)
    if not found or found[0].psn_no != request.state.psn_no:
        raise not_found(f"该人员没有编号为 {case_id} 的重复参保处理建议。", "path.case_id")


@router.post("/persons/{certno}/duplicates/{case_id}/consent", responses=RESPONSES)
def consent(
    request: Request,
    certno: str,
    case_id: CaseId,
    body: ConsentIn,
    user: Annotated[User, Depends(Need("duplicates.propose"))],
) -> Any:
    """Record the person's written commitment (D4); the engine decides again with it."""
    _own_case(request, case_id)
    with unit_of_work(database_url(request), actor(user)) as uow:
        found = duplicates.record_consent(
            uow, case_id, body.keep, body.document, body.signed_on, load_policy()
        )
    return answer(found.as_json())


@router.post("/persons/{certno}/duplicates/{case_id}/confirmation", responses=RESPONSES)
def confirm(
    request: Request,
    certno: str,
    case_id: CaseId,
    user: Annotated[User, Depends(Need("duplicates.review"))],
) -> Any:
    """Confirm the proposal (never by the user who proposed it)."""
    _own_case(request, case_id)
    with unit_of_work(database_url(request), actor(user)) as uow:
        change_id = duplicates.confirm_case(uow, case_id)
    return answer({"case_id": case_id, "confirmed": True, "change_id": change_id})


@router.post("/persons/{certno}/duplicates/{case_id}/rejection", responses=RESPONSES)
def reject(
    request: Request,
    certno: str,
    case_id: CaseId,
    body: RejectionIn,
    user: Annotated[User, Depends(Need("duplicates.review"))],
) -> Any:
    """Reject the proposal, saying why (never by the user who proposed it); a later detection
    proposes the group again."""
    _own_case(request, case_id)
    with unit_of_work(database_url(request), actor(user)) as uow:
        change_id = duplicates.reject_case(uow, case_id, body.reason)
    return answer({"case_id": case_id, "confirmed": False, "change_id": change_id})


@router.post("/regions/{admdvs}/duplicates/application", responses=RESPONSES)
def apply(
    request: Request,
    admdvs: str,
    body: ApplicationIn,
    user: Annotated[User, Depends(Need("duplicates.propose"))],
) -> Any:
    """Carry out the confirmed proposals of the persons within the region: the other
    relations terminated or suspended, the subsidies deducted (D6), the regions to notify
    recorded. Each proposal is its own transaction."""
    url = database_url(request)
    with ready(url).connect() as connection:
        found = duplicates.cases_within(connection, load_policy(), admdvs, "confirmed")
    done = []
    for case in found:
        with unit_of_work(url, actor(user)) as uow:
            done.append(duplicates.apply_case(uow, case.case_id, body.on).as_json())
    return answer({"applied": done})
