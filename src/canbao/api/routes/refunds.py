"""Refunds (W8) of a person within the user's scope:

- ``POST /api/v1/persons/{certno}/refunds``: apply; the engine decides (F1–F6);
- ``POST …/refunds/{case_id}/confirmation``: confirmed by a user other than the applicant
  (maker-checker: the service refuses the applicant, 409);
- ``POST …/refunds/{case_id}/payment``: paid through the channel the decision names (F3).

Applying and paying create money records, so they honour an ``Idempotency-Key``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from canbao.adapters.database import UnitOfWork, ready, unit_of_work
from canbao.api.deps import actor, answer, database_url
from canbao.api.errors import ERRORS, not_found
from canbao.api.idempotency import IdempotencyKey, fingerprint, once
from canbao.api.security import GuardedRoute, Need
from canbao.domain.codes import REFUND_REASONS, Scheme
from canbao.policy import load_policy
from canbao.services import access, refunds
from canbao.services.users import User

router = APIRouter(prefix="/api/v1/persons/{certno}/refunds", tags=["refunds"],
                   route_class=GuardedRoute)  # fmt: skip
RESPONSES: dict[int | str, dict[str, Any]] = {k: ERRORS[k] for k in (401, 403, 404, 409, 422)}
Reason = Annotated[str, Field(json_schema_extra={"enum": list(REFUND_REASONS)})]


class RefundIn(BaseModel):
    """退费申请 (SPEC section 6: the refund case's facts)."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1990, le=2100)
    reason: Reason
    paid_amount: Decimal = Field(ge=0, le=1_000_000, decimal_places=2)
    paid_on: date
    event_on: date
    applied_on: date
    region: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    scheme: Scheme = Scheme.RESIDENT
    employer_contribution_from: date | None = None


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paid_on: date


@router.post("", responses=RESPONSES)
def apply(
    request: Request,
    certno: str,
    body: RefundIn,
    user: Annotated[User, Depends(Need("refund.apply"))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Apply for a refund; the case is stored with the engine's decision (F1–F6)."""

    def work(uow: UnitOfWork) -> Response:
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
        return answer(case.as_json(), 201 if case.created else 200)

    key = fingerprint(request.url.path, body.model_dump_json())
    return once(database_url(request), actor(user), idempotency_key, key, work)


def own_case(request: Request, case_id: str) -> None:
    """The case must be this person's (another's case is not found here)."""
    with ready(database_url(request)).connect() as connection:
        psn_no = access.refund_case_person(connection, case_id)
    if psn_no is None or psn_no != request.state.psn_no:
        raise not_found(f"该人员没有编号为 {case_id} 的退费申请。", "path.case_id")


@router.post("/{case_id}/confirmation", responses=RESPONSES)
def confirm(
    request: Request,
    certno: str,
    case_id: Annotated[str, PathParam(max_length=32)],
    user: Annotated[User, Depends(Need("refund.confirm"))],
) -> Any:
    """Confirm the case (never by the user who applied)."""
    own_case(request, case_id)
    with unit_of_work(database_url(request), actor(user)) as uow:
        change_id = refunds.confirm_refund(uow, case_id)
    return answer({"case_id": case_id, "confirmed": True, "change_id": change_id})


@router.post("/{case_id}/payment", responses=RESPONSES)
def pay(
    request: Request,
    certno: str,
    case_id: Annotated[str, PathParam(max_length=32)],
    body: PaymentIn,
    user: Annotated[User, Depends(Need("refund.pay"))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Pay a confirmed refund through the decided channel; the relation is terminated with
    it when the decision says so."""
    own_case(request, case_id)

    def work(uow: UnitOfWork) -> Response:
        change_id = refunds.pay_refund(uow, case_id, body.paid_on)
        return answer({"case_id": case_id, "paid_on": body.paid_on, "change_id": change_id})

    key = fingerprint(request.url.path, body.model_dump_json())
    return once(database_url(request), actor(user), idempotency_key, key, work)
