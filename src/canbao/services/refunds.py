"""Refunds (W8): apply → the engine decides (F1–F6) → another clerk confirms → paid through the
channel the decision names.

The case is stored with its decision; its confirmation (``review``) and its payment
(``refund_payment``) are events appended later, never flags updated (ADR 0006). Only a decided,
eligible refund with an amount and a channel can be paid, and only after a clerk other than
the one who applied confirmed it. When the decision terminates the relation, the payment
appends the relation's terminated version in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, case, func, insert, or_, select

from canbao.adapters import tables as t
from canbao.adapters.database import UnitOfWork
from canbao.certno import RESIDENT_ID
from canbao.domain.codes import REFUND_REASONS, Scheme
from canbao.domain.decision import Status, to_json
from canbao.domain.money import money
from canbao.policy import Policy, load_policy
from canbao.rules import refund
from canbao.rules.decide import decide_facts
from canbao.services import hardship
from canbao.services.access import scope_regions
from canbao.services.registry import (
    PAYMENT_ENDED,
    SUSPENDED,
    TERMINATED,
    enrollments_as_of,
    find_person,
    new_id,
    person_as_of,
)
from canbao.services.review import Refused, confirm, proposer, reviewed

SUBJECT = "refund"


@dataclass(frozen=True)
class RefundCase:
    """A stored case: its id, whether this application created it, and the engine's decision
    as stored (the decision contract's JSON)."""

    case_id: str
    created: bool
    decision: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "created": self.created, "decision": self.decision}


def apply_refund(
    uow: UnitOfWork,
    certno: str,
    year: int,
    reason: str,
    paid_amount: Decimal,
    paid_on: date,
    applied_on: date,
    event_on: date,
    *,
    region: str | None = None,
    scheme: Scheme = Scheme.RESIDENT,
    employer_contribution_from: date | None = None,
    assistance_subsidized: bool | None = None,
    policy: Policy | None = None,
) -> RefundCase:
    """Decide a refund application with the engine and store the case with its decision.

    The relation is the person's relation of ``scheme`` (in ``region`` when given) as of the
    event; ``relation_suspended`` is its status then. ``assistance_subsidized`` defaults to
    what the registry knows: a confirmed hardship identity in ``year`` that the engine
    subsidizes (C3). The same application again finds the same case."""
    policy = policy or load_policy()
    if reason not in REFUND_REASONS:
        raise Refused(f"退费原因 {reason!r} 不在代码表中（{'、'.join(REFUND_REASONS)}）。")
    if applied_on < max(paid_on, event_on):
        raise Refused("申请日期不能早于缴费日期或事由发生日期。")
    psn_no = find_person(uow.connection, RESIDENT_ID, certno)
    if psn_no is None:
        raise Refused(f"登记库中没有证件号码为 {certno} 的人员。")
    key = (
        "refund:"
        + hashlib.sha256(
            "|".join(
                (certno, str(year), scheme.value, reason, str(money(paid_amount)), str(paid_on))
                + (str(applied_on), str(event_on), str(region))
            ).encode()
        ).hexdigest()[:40]
    )
    seen = uow.seen(key)
    if seen is not None:
        return _stored(uow, seen)
    relation = _relation(uow, psn_no, scheme, region, event_on)
    place = region or (str(relation["insuplc_admdvs"]) if relation is not None else None)
    if place is None:
        raise Refused("未找到该人员的参保关系，请给出参保地。")
    if assistance_subsidized is None:
        assistance_subsidized = _subsidized(uow, psn_no, place, year, policy)
    facts = refund.RefundFacts(
        region=place,
        year=year,
        scheme=scheme,
        paid_amount=money(paid_amount),
        paid_on=paid_on,
        applied_on=applied_on,
        event_on=event_on,
        reason=reason,
        employer_contribution_from=employer_contribution_from,
        assistance_subsidized=assistance_subsidized,
        relation_suspended=None if relation is None else relation["psn_insu_stas"] == SUSPENDED,
        terminated_region=relation["insuplc_admdvs"] if relation else None,
        benefit_period_start=None,
    )
    decision = decide_facts(refund.KIND, facts, policy)
    answer = decision.answer
    change_id = uow.record(
        "refund_apply",
        psn_no=psn_no,
        reason=f"{year}年度退费申请：{REFUND_REASONS[reason]}",
        decisions=(decision,),
        request_key=key,
    )
    case_id = new_id("F")
    uow.connection.execute(
        insert(t.refund_case).values(
            case_id=case_id,
            psn_no=psn_no,
            rlts_id=relation["rlts_id"] if relation else None,
            year=year,
            insutype=scheme.insutype,
            reason=reason,
            paid_amount=money(paid_amount),
            paid_on=paid_on,
            applied_on=applied_on,
            event_on=event_on,
            status=decision.status.value,
            eligible=answer.get("eligible"),
            amount=answer.get("amount"),
            terminate=answer.get("terminate"),
            channel=answer.get("channel"),
            channel_region=answer.get("channel_region"),
            change_id=change_id,
        )
    )
    return RefundCase(case_id, True, to_json(decision.as_json()))


def confirm_refund(uow: UnitOfWork, case_id: str) -> int:
    """A clerk other than the applicant's confirms the case (maker-checker)."""
    case = _case(uow, case_id)
    _payable(case)
    return confirm(
        uow,
        SUBJECT,
        {case_id: proposer(uow.connection, case["change_id"])},
        f"退费申请 {case_id}",
        psn_no=case["psn_no"],
    )


def pay_refund(uow: UnitOfWork, case_id: str, paid_on: date) -> int:
    """Pay a confirmed refund: the amount and channel of the decision (F3: the medical
    assistance channel of the terminated place); the relation is terminated with it when the
    decision says so. Returns the change id."""
    case = _case(uow, case_id)
    _payable(case)
    if not reviewed(uow.connection, SUBJECT, [case_id]):
        raise Refused(f"退费申请 {case_id} 尚未经另一名经办人复核确认，不能支付。")
    paid = uow.connection.execute(
        select(t.refund_payment.c.id).where(t.refund_payment.c.case_id == case_id)
    ).scalar()
    if paid is not None:
        raise Refused(f"退费申请 {case_id} 已支付，不能重复支付。")
    if paid_on < case["applied_on"]:
        raise Refused("支付日期不能早于申请日期。")
    change_id = uow.record(
        "refund_pay",
        psn_no=case["psn_no"],
        reason=f"退费 {case_id}：{case['amount']}元，{case['channel']}",
    )
    uow.connection.execute(
        insert(t.refund_payment).values(
            case_id=case_id,
            amount=case["amount"],
            channel=case["channel"],
            channel_region=case["channel_region"],
            paid_on=paid_on,
            change_id=change_id,
        )
    )
    if case["terminate"] and case["rlts_id"] is not None:
        _terminate(uow, case, change_id)
    return change_id


@dataclass(frozen=True)
class RefundWork:
    """The refunds of a scope that wait: for a reviewer's confirmation, then for payment."""

    awaiting_confirmation: int
    awaiting_payment: int


def open_refunds(connection: Connection, regions: Sequence[str]) -> RefundWork:
    """How many payable refunds (decided, eligible, with an amount and a channel) of persons
    with a relation in ``regions`` wait for confirmation, and how many confirmed ones wait
    for payment."""
    c, e, rv, paid = t.refund_case, t.enrollment, t.review, t.refund_payment
    within = (
        select(e.c.rlts_id)
        .where(e.c.psn_no == c.c.psn_no, e.c.insuplc_admdvs.in_(list(regions)))
        .exists()
    )
    reviewed_as = (
        select(rv.c.confirmed)
        .where(rv.c.subject == SUBJECT, rv.c.subject_id == c.c.case_id)
        .scalar_subquery()
    )
    is_paid = select(paid.c.id).where(paid.c.case_id == c.c.case_id).exists()
    waiting, confirmed = connection.execute(
        select(
            func.count(case((reviewed_as.is_(None), c.c.case_id))),
            func.count(case((and_(reviewed_as.is_(True), ~is_paid), c.c.case_id))),
        ).where(
            c.c.status == Status.DECIDED.value,
            c.c.eligible.is_(True),
            c.c.amount > 0,
            c.c.channel.is_not(None),
            within,
        )
    ).one()
    return RefundWork(int(waiting), int(confirmed))


#: The states of a case, in the order of the work: 待复核 (an eligible decision awaiting
#: another clerk's confirmation), 待支付 (confirmed), 已支付, and the cases that stop:
#: 不予退费 (the engine refused) and 政策未规定 (policy_gap).
STATES: dict[str, str] = {
    "waiting": "待复核",
    "confirmed": "待支付",
    "paid": "已支付",
    "refused": "不予退费",
    "gap": "政策未规定",
}


@dataclass(frozen=True)
class CaseEntry:
    """A case in a list: the person, the application, the decision and where it stands."""

    case_id: str
    psn_no: str
    certno: str
    psn_name: str
    year: int
    reason: str
    paid_amount: Decimal
    applied_on: date
    amount: Decimal | None
    channel: str | None
    channel_region: str | None
    applicant: str
    state: str
    paid_on: date | None
    decision: dict[str, Any] | None


def cases(
    connection: Connection,
    policy: Policy,
    scope: str,
    state: str | None,
    limit: int,
    offset: int,
    case_id: str | None = None,
) -> tuple[int, list[CaseEntry]]:
    """The refund cases of persons enrolled within the scope (in the state given, or all; the
    one case ``case_id``), newest application first: how many in all, and the page
    ``offset``…``offset + limit``."""
    rc, pay, rv, log, e = t.refund_case, t.refund_payment, t.review, t.change_log, t.enrollment
    confirmed = (
        select(rv.c.subject_id).where(rv.c.subject == SUBJECT, rv.c.confirmed.is_(True)).subquery()
    )
    state_of = case(
        (pay.c.id.is_not(None), "paid"),
        (confirmed.c.subject_id.is_not(None), "confirmed"),
        (rc.c.status != Status.DECIDED.value, "gap"),
        (
            or_(
                rc.c.eligible.is_not(True),
                func.coalesce(rc.c.amount, 0) == 0,
                rc.c.channel.is_(None),
            ),
            "refused",
        ),
        else_="waiting",
    ).label("state")
    regions = scope_regions(connection, policy, scope)
    within = select(e.c.psn_no).where(e.c.insuplc_admdvs.in_(regions))
    listed = (
        select(
            rc,
            state_of,
            log.c.actor.label("applicant"),
            log.c.decision.label("decisions"),
            pay.c.paid_on.label("refunded_on"),
        )
        .join(log, log.c.id == rc.c.change_id)
        .outerjoin(pay, pay.c.case_id == rc.c.case_id)
        .outerjoin(confirmed, confirmed.c.subject_id == rc.c.case_id)
        .where(rc.c.psn_no.in_(within))
        .subquery()
    )
    chosen = select(listed)
    if state:
        chosen = chosen.where(listed.c.state == state)
    if case_id:
        chosen = chosen.where(listed.c.case_id == case_id)
    total = connection.execute(select(func.count()).select_from(chosen.subquery())).scalar_one()
    rows = connection.execute(
        chosen.order_by(listed.c.applied_on.desc(), listed.c.case_id).limit(limit).offset(offset)
    ).mappings()
    entries = []
    for row in rows:
        person = person_as_of(connection, row["psn_no"], date.max)
        entries.append(
            CaseEntry(
                case_id=row["case_id"],
                psn_no=row["psn_no"],
                certno=connection.execute(
                    select(t.certificate.c.certno).where(
                        t.certificate.c.psn_no == row["psn_no"],
                        t.certificate.c.psn_cert_type == RESIDENT_ID,
                    )
                ).scalar()
                or "",
                psn_name=person["psn_name"] if person is not None else "",
                year=row["year"],
                reason=row["reason"],
                paid_amount=row["paid_amount"],
                applied_on=row["applied_on"],
                amount=row["amount"],
                channel=row["channel"],
                channel_region=row["channel_region"],
                applicant=row["applicant"],
                state=row["state"],
                paid_on=row["refunded_on"],
                decision=row["decisions"][0] if row["decisions"] else None,
            )
        )
    return int(total), entries


# --- helpers ---------------------------------------------------------------------------------


def _case(uow: UnitOfWork, case_id: str) -> RowMapping:
    case = (
        uow.connection.execute(select(t.refund_case).where(t.refund_case.c.case_id == case_id))
        .mappings()
        .first()
    )
    if case is None:
        raise Refused(f"没有编号为 {case_id} 的退费申请。")
    return case


def _stored(uow: UnitOfWork, change_id: int) -> RefundCase:
    """The case an earlier identical application created, with its decision as stored."""
    found = uow.connection.execute(
        select(t.refund_case.c.case_id, t.change_log.c.decision)
        .join(t.change_log, t.change_log.c.id == t.refund_case.c.change_id)
        .where(t.refund_case.c.change_id == change_id)
    ).one()
    return RefundCase(found.case_id, False, found.decision[0])


def _payable(case: RowMapping) -> None:
    """Only a decided, eligible refund with an amount and a channel can go on."""
    if case["status"] != Status.DECIDED.value:
        raise Refused(
            f"退费申请 {case['case_id']} 属文件未规定的情形（policy_gap），不能确认或支付。"
        )
    if not case["eligible"] or not case["amount"] or case["channel"] is None:
        raise Refused(f"退费申请 {case['case_id']} 经判断不予退费，不能确认或支付。")


def _relation(
    uow: UnitOfWork, psn_no: str, scheme: Scheme, region: str | None, day: date
) -> RowMapping | None:
    rows = [
        row
        for row in enrollments_as_of(uow.connection, psn_no, day)
        if row["insutype"] == scheme.insutype
        and (region is None or row["insuplc_admdvs"] == region)
    ]
    open_rows = [row for row in rows if row["psn_insu_stas"] != TERMINATED]
    chosen = open_rows or rows
    return chosen[-1] if chosen else None


def _subsidized(uow: UnitOfWork, psn_no: str, region: str, year: int, policy: Policy) -> bool:
    lines = hardship.funding_lines(uow.connection, region, year, policy, psn_no=psn_no)
    return any(line.subsidy > 0 for line in lines)


def _terminate(uow: UnitOfWork, case: RowMapping, change_id: int) -> None:
    """The relation's terminated version, from the event (or its latest version's date)."""
    v = t.enrollment_version
    current = (
        uow.connection.execute(
            select(v)
            .where(v.c.rlts_id == case["rlts_id"])
            .order_by(v.c.valid_from.desc(), v.c.id.desc())
            .limit(1)
        )
        .mappings()
        .one()
    )
    if current["psn_insu_stas"] == TERMINATED:
        return
    day = max(case["event_on"], current["valid_from"])
    uow.connection.execute(
        insert(v).values(
            rlts_id=case["rlts_id"],
            valid_from=day,
            change_id=change_id,
            psn_type=current["psn_type"],
            psn_insu_stas=TERMINATED,
            psn_clct_stas=PAYMENT_ENDED,
            psn_insu_date=current["psn_insu_date"],
            paus_insu_date=day,
            unit_id=current["unit_id"],
            household_id=current["household_id"],
        )
    )
