"""Register, change and stop (W1), mid-year enrollees and newborns (W5), scheme switching (W6),
residence-permit expiry (B13), schools as enrollment units (W4); the status of a person as of
any date (1101 shape).

Each use case takes a ``UnitOfWork`` (one transaction), decides with the policy engine, and
records the change with the decisions' rule ids and citations. Nothing is updated in place: a
change is a new version valid from its business date (the form's 受理时间, the day a permit's
stop takes effect, the day a waiting period ends) (ADR 0006).

Readings (not policy):
- benefit dates are decided (``benefit_start``, B1–B13) when the payment day is known: a
  registration that brings ``paid_on`` (mid-year enrollees and newborns pay on the spot), a
  scheme switch; they are stored on the relation's version with the decision;
- an earlier relation covers from its ``psn_insu_date`` to the day before its
  ``paus_insu_date``; one still normal covers up to the day the switch takes effect.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, and_, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from canbao.adapters import tables as t
from canbao.adapters.database import UnitOfWork
from canbao.domain.codes import IDENTITIES, UNKNOWN_SEX, Scheme
from canbao.domain.decision import Decision, Status
from canbao.domain.periods import Period
from canbao.domain.registry import BASIC_INFO, NEW, SCHOOL, STOP, Outcome, Registration
from canbao.policy import Policy, load_policy
from canbao.rules import benefit, eligibility
from canbao.rules import contribution as contribution_rules
from canbao.rules.decide import decide_facts
from canbao.rules.registration import (
    basic_info_change,
    change_too_late,
    enrollment_year,
    office_handling,
    stop_effect,
)
from canbao.services.status import status as person_status

NORMAL, SUSPENDED, TERMINATED = "1", "2", "4"
PAYING, PAYMENT_SUSPENDED, PAYMENT_ENDED = "1", "2", "3"
#: payment.result of a successful payment (W2's tax feedback and other channels).
PAID = "paid"
RESIDENT = Scheme.RESIDENT.insutype
SCHEMES = {scheme.insutype: scheme for scheme in Scheme}
#: A stop's effect (``rules.registration.stop_effect``) → the relation's status and payment
#: status after it.
STOP_STATUS = {
    "terminate": (TERMINATED, PAYMENT_ENDED),
    "suspend": (SUSPENDED, PAYMENT_SUSPENDED),
}


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:20]


def apply(
    uow: UnitOfWork,
    registration: Registration,
    policy: Policy | None = None,
    request_key: str | None = None,
) -> Outcome:
    """The form's 登记类型 decides: 新参保, 停保 or 变更. ``request_key`` (a file row's) goes on
    the change it makes, so that the same request finds it again (``UnitOfWork.seen``)."""
    policy = policy or load_policy()
    if registration.chg_type == NEW:
        return register(uow, registration, policy, request_key)
    if registration.chg_type == STOP:
        return stop(uow, registration, policy, request_key)
    return change(uow, registration, policy, request_key)


def register(
    uow: UnitOfWork, registration: Registration, policy: Policy, request_key: str | None = None
) -> Outcome:
    """新参保: the person (created once per certificate) and a resident enrollment relation;
    through a school unit for students (W4); with its benefit start when paid (W5)."""
    year = registration.year or enrollment_year(
        policy, registration.insuplc_admdvs, registration.accepted_on
    )
    psn_no = find_person(uow.connection, registration.psn_cert_type, registration.certno)
    handled = _handled(policy, registration, year, "new")
    if _open(handled):
        return Outcome("refused", _refusal(handled), psn_no, decisions=handled)
    school = None
    if registration.unit_id is not None:
        school = _unit(uow.connection, registration.unit_id)
        if school is None or school["kind"] != SCHOOL:
            return Outcome("refused", f"参保单位{registration.unit_id}不是已登记的学校。", psn_no)
    decision = _eligibility(
        uow.connection, registration, year, psn_no, policy, school["admdvs"] if school else None
    )
    if decision.status is Status.DECIDED and decision.answer.get("eligible") is False:
        return Outcome("refused", decision.explanation, psn_no, decisions=(decision,))
    missing = [
        proof
        for proof in decision.answer.get("required_proofs") or []
        if proof not in registration.proofs
    ]
    if missing:
        return Outcome("refused", f"须提供：{'、'.join(missing)}。", psn_no, decisions=(decision,))
    decisions = (*handled, decision)
    start = None
    if registration.paid_on is not None:
        start = _benefit(uow.connection, registration, year, psn_no, policy)
        decisions += (start,)
        if start.status is Status.DECIDED and start.answer.get("enrollment_allowed") is False:
            return Outcome("refused", start.explanation, psn_no, decisions=decisions)
    if psn_no is not None:
        existing = _open_enrollment(uow.connection, psn_no, registration.insuplc_admdvs)
        if existing is not None:
            return Outcome("unchanged", "已在该地参保。", psn_no, existing["rlts_id"])
    psn_no = ensure_person(uow, registration)
    existing = _open_enrollment(uow.connection, psn_no, registration.insuplc_admdvs, lock=True)
    if existing is not None:  # registered meanwhile by another process (ADR 0007)
        return Outcome("unchanged", "已在该地参保。", psn_no, existing["rlts_id"])
    change_id = uow.record(
        "register",
        psn_no=psn_no,
        psn_chg_type=NEW,
        reason=f"{year}年度参保登记",
        decisions=decisions,
        request_key=request_key,
        office_admdvs=office_of(registration),
    )
    rlts_id = _relation(uow, psn_no, RESIDENT, registration.insuplc_admdvs, change_id)
    _version(
        uow,
        rlts_id,
        change_id,
        registration.accepted_on,
        registration.psn_type,
        NORMAL,
        PAYING,
        registration.accepted_on,
        None,
        unit_id=registration.unit_id,
        **_benefit_dates(start),
    )
    text = " ".join(d.explanation for d in decisions)
    return Outcome("accepted", text, psn_no, rlts_id, change_id, decisions)


def stop(
    uow: UnitOfWork, registration: Registration, policy: Policy, request_key: str | None = None
) -> Outcome:
    """停保: the relation is suspended or terminated (by its reason, ``stop_effect``) from the
    受理时间, unless the office may not take it (K5) or it is too late (K2)."""
    psn_no = find_person(uow.connection, registration.psn_cert_type, registration.certno)
    current = (
        _open_enrollment(uow.connection, psn_no, registration.insuplc_admdvs, lock=True)
        if psn_no
        else None
    )
    if psn_no is None or current is None:
        return Outcome("refused", "该人员在该地没有正常参保的关系，无需停保。", psn_no)
    region = registration.insuplc_admdvs
    year = registration.year or enrollment_year(policy, region, registration.accepted_on)
    handled = _handled(policy, registration, year, "stop")
    if _open(handled):
        return Outcome("refused", _refusal(handled), psn_no, current["rlts_id"], None, handled)
    late = change_too_late(policy, region, year, registration.accepted_on)
    if late is not None:
        return Outcome("refused", late.explanation, psn_no, current["rlts_id"], decisions=(late,))
    effect = stop_effect(policy, region, year, registration.stop_reason or "other")
    if _open((effect,)):
        return Outcome("refused", _refusal((effect,)), psn_no, current["rlts_id"], None, (effect,))
    status, payment = STOP_STATUS[effect.answer["effect"]]
    decisions = (*handled, effect)
    change_id = uow.record(
        "stop",
        psn_no=psn_no,
        psn_chg_type=STOP,
        reason=registration.stop_reason or "other",
        decisions=decisions,
        request_key=request_key,
        office_admdvs=office_of(registration),
    )
    _version(
        uow,
        current["rlts_id"],
        change_id,
        registration.accepted_on,
        current["psn_type"],
        status,
        payment,
        current["psn_insu_date"],
        registration.accepted_on,
        unit_id=current["unit_id"],
    )
    return Outcome("accepted", "已停保。", psn_no, current["rlts_id"], change_id, decisions)


def change(
    uow: UnitOfWork, registration: Registration, policy: Policy, request_key: str | None = None
) -> Outcome:
    """变更: the person's data as the form gives it, from the 受理时间. A 参保属地 other than
    the one of the person's (only) normal resident relation moves it there: the relation is
    terminated and one in the new region begins that day (参保跨区域流动). The office may take
    it (K5), in time (K2), and a continuing enrollee's 参保属地 or 姓名 before payment (K6)."""
    connection = uow.connection
    psn_no = find_person(connection, registration.psn_cert_type, registration.certno)
    if psn_no is None:
        return Outcome("refused", "未找到该人员，请先办理新参保。", None)
    region = registration.insuplc_admdvs
    year = registration.year or enrollment_year(policy, region, registration.accepted_on)
    relations = _open_relations(connection, psn_no, lock=True)
    here = [r for r in relations if r["insuplc_admdvs"] == region]
    if not here and len(relations) > 1:
        places = "、".join(r["insuplc_admdvs"] for r in relations)
        return Outcome("refused", f"该人员在{places}均有正常参保关系，请先清理重复参保。", psn_no)
    moving = relations[0] if relations and not here else None
    handled = _handled(policy, registration, year, "transfer" if moving else "change")
    if _open(handled):
        return Outcome("refused", _refusal(handled), psn_no, decisions=handled)
    late = change_too_late(policy, region, year, registration.accepted_on)
    if late is not None:
        return Outcome("refused", late.explanation, psn_no, decisions=(late,))
    before = person_as_of(connection, psn_no, registration.accepted_on)
    after = {
        k: v
        for k, v in _person_values(registration).items()
        if v is not None and not (k == "gend" and v == UNKNOWN_SEX)  # a form without 性别
    }
    person_changed = before is None or any(before[k] != v for k, v in after.items())
    if not person_changed and moving is None:
        return Outcome("unchanged", "信息无变化。", psn_no)
    fields = {"insuplc_admdvs"} if moving is not None else set()
    if before is not None and before["psn_name"] != registration.psn_name:
        fields.add("psn_name")
    relation = moving or (here[0] if here else None)
    k6 = basic_info_change(
        policy,
        region,
        year,
        registration.accepted_on,
        frozenset(fields),
        relation["psn_insu_date"] if relation is not None else None,
        _paid_on(connection, year, t.assessment.c.psn_no == psn_no),
    )
    decisions = (*handled, *((k6,) if k6 is not None else ()))
    if _open(decisions):
        return Outcome("refused", _refusal(decisions), psn_no, decisions=decisions)
    change_id = uow.record(
        "change",
        psn_no=psn_no,
        psn_chg_type=registration.chg_type,
        decisions=decisions,
        request_key=request_key,
        office_admdvs=office_of(registration),
    )
    if person_changed:
        # The new version carries every field of the one it follows (nationality, death,
        # residence permit, …) with the form's fields over them: a change loses nothing.
        kept = {k: before[k] for k in _PERSON_DATA} if before is not None else {}
        merged = {"alive": True, "under_parent_name": False, "gend": UNKNOWN_SEX} | kept | after
        connection.execute(
            insert(t.person_version),
            dict(psn_no=psn_no, valid_from=registration.accepted_on, change_id=change_id, **merged),
        )
    rlts_id = None
    if moving is not None:
        rlts_id = _move(uow, psn_no, moving, region, registration.accepted_on, change_id)
    return Outcome("accepted", "已变更。", psn_no, rlts_id, change_id, decisions)


def _move(
    uow: UnitOfWork, psn_no: str, relation: RowMapping, region: str, day: date, change_id: int
) -> str:
    """The relation terminated on ``day`` and one in ``region`` from ``day`` (参保跨区域流动)."""
    _version(
        uow,
        relation["rlts_id"],
        change_id,
        day,
        relation["psn_type"],
        TERMINATED,
        PAYMENT_ENDED,
        relation["psn_insu_date"],
        day,
        unit_id=relation["unit_id"],
    )
    rlts_id = _relation(uow, psn_no, RESIDENT, region, change_id)
    _version(uow, rlts_id, change_id, day, relation["psn_type"], NORMAL, PAYING, day, None)
    return rlts_id


def office_of(registration: Registration) -> str:
    """The office that took the registration: the one given, else the enrollment region's
    own agency."""
    return registration.office_admdvs or registration.insuplc_admdvs


def _handled(
    policy: Policy, registration: Registration, year: int, action: str
) -> tuple[Decision, ...]:
    """K5: the decision on the office, where one is needed (not for the region's own)."""
    region = registration.insuplc_admdvs
    decision = office_handling(policy, region, year, office_of(registration), action)
    return () if decision is None else (decision,)


def _open(decisions: tuple[Decision, ...]) -> bool:
    """Whether a decision leaves the point open (policy_gap): the use case then refuses."""
    return any(d.status is not Status.DECIDED for d in decisions)


def _refusal(decisions: tuple[Decision, ...]) -> str:
    """Why the use case refuses: the explanation of the first decision left open."""
    return next(d.explanation for d in decisions if d.status is not Status.DECIDED)


def _paid_on(connection: Connection, year: int, whose: Any) -> date | None:
    """The first day a contribution for ``year`` was paid, of the assessments ``whose``
    selects (a person's, a relation's)."""
    a, p = t.assessment, t.payment
    found = connection.execute(
        select(func.min(p.c.paid_on))
        .select_from(p.join(a))
        .where(whose, a.c.year == year, p.c.result == PAID)
    ).scalar()
    return found if isinstance(found, date) else None


# --- newborns (W5: B3–B5) --------------------------------------------------------------------


def attach_certificate(
    uow: UnitOfWork,
    psn_no: str,
    cert_type: str,
    certno: str,
    day: date,
    psn_name: str | None = None,
    policy: Policy | None = None,
    office_admdvs: str | None = None,
) -> Outcome:
    """The number given later to a person registered without one (a newborn under a parent's
    name, B5; a foreigner, E6): the certificate joins the existing person, and from ``day`` the
    person has the own name given (``psn_name``) and is no longer flagged as registered under
    the parent's name (the flag stays in the history). For a person who has a number already
    it is a change of 身份证号码 of the enrollment's region: the office may take it (K5) and a
    continuing enrollee changes it before payment (K6)."""
    connection = uow.connection
    holder = find_person(connection, cert_type, certno)
    if holder == psn_no:
        return Outcome("unchanged", "该证件已属于该人员。", psn_no)
    if holder is not None:
        return Outcome("refused", f"证件号码{certno}已属于另一人员{holder}。", holder)
    current = person_as_of(connection, psn_no, date.max)
    if current is None:
        return Outcome("refused", f"未找到人员{psn_no}。", None)
    numbered = connection.execute(
        select(t.certificate.c.certno).where(t.certificate.c.psn_no == psn_no)
    ).first()
    relations = _open_relations(connection, psn_no, lock=True) if numbered else []
    decisions: tuple[Decision, ...] = ()
    if relations:
        policy = policy or load_policy()
        region, since = relations[0]["insuplc_admdvs"], relations[0]["psn_insu_date"]
        year = enrollment_year(policy, region, day)
        office = office_admdvs or region
        fields = {"certno"} | (
            {"psn_name"} if psn_name not in (None, current["psn_name"]) else set()
        )
        handled = office_handling(policy, region, year, office, "change")
        k6 = basic_info_change(
            policy,
            region,
            year,
            day,
            frozenset(fields),
            since,
            _paid_on(connection, year, t.assessment.c.psn_no == psn_no),
        )
        decisions = tuple(d for d in (handled, k6) if d is not None)
        if _open(decisions):
            return Outcome("refused", _refusal(decisions), psn_no, decisions=decisions)
    change_id = uow.record(
        "attach_certificate",
        psn_no=psn_no,
        psn_chg_type=BASIC_INFO,
        reason="变更证件号码" if numbered else "补登证件号码",
        decisions=decisions,
        office_admdvs=office_admdvs or (relations[0]["insuplc_admdvs"] if relations else None),
    )
    connection.execute(
        insert(t.certificate),
        dict(psn_cert_type=cert_type, certno=certno, psn_no=psn_no, change_id=change_id),
    )
    kept = {k: v for k, v in current.items() if k not in ("id", "valid_from", "change_id")}
    kept.update(valid_from=day, change_id=change_id, under_parent_name=False)
    if psn_name is not None:
        kept["psn_name"] = psn_name
    connection.execute(insert(t.person_version), kept)
    text = "已变更证件号码。" if numbered else "已补登证件号码。"
    return Outcome("accepted", text, psn_no, change_id=change_id, decisions=decisions)


# --- scheme switching (W6: B6–B11) -----------------------------------------------------------


def switch_scheme(
    uow: UnitOfWork,
    psn_no: str,
    scheme: Scheme,
    region: str,
    joined_on: date,
    paid_on: date,
    psn_type: str,
    categories: frozenset[str] = frozenset(),
    identities: frozenset[str] = frozenset(),
    policy: Policy | None = None,
) -> Outcome:
    """A person joins ``scheme`` in ``region`` from ``joined_on`` (paid on ``paid_on``): the
    engine's benefit_start (B6–B11) decides the start and the waiting months; the new relation
    is stored with them, and the other scheme's relation is suspended when the decision says
    so, from the day it names (a new version)."""
    policy = policy or load_policy()
    current = enrollments_as_of(uow.connection, psn_no, joined_on)
    if any(
        r["insutype"] == scheme.insutype
        and r["insuplc_admdvs"] == region
        and r["psn_insu_stas"] == NORMAL
        for r in current
    ):
        return Outcome("unchanged", "已在该险种参保。", psn_no)
    person = person_as_of(uow.connection, psn_no, joined_on)
    facts = benefit.BenefitFacts(
        region=region,
        year=paid_on.year,
        scheme=scheme,
        paid_on=paid_on,
        registered_on=joined_on,
        birth_date=person["brdy"] if person else None,
        identities=identities & frozenset(IDENTITIES),
        categories=categories,
        history=_history(uow.connection, psn_no, joined_on),
        hukou_region=person["hukou_admdvs"] if person else None,
        employee_from=joined_on,
    )
    decision = decide_facts(benefit.KIND, facts, policy)
    change_id = uow.record(
        "switch",
        psn_no=psn_no,
        psn_chg_type=NEW,
        reason=decision.explanation,
        decisions=(decision,),
    )
    rlts_id = _relation(uow, psn_no, scheme.insutype, region, change_id)
    _version(
        uow,
        rlts_id,
        change_id,
        joined_on,
        psn_type,
        NORMAL,
        PAYING,
        joined_on,
        None,
        **_benefit_dates(decision),
    )
    suspend_on = decision.answer.get("suspend_relation_on")
    if decision.answer.get("suspend_relation") and isinstance(suspend_on, date):
        for row in current:
            if row["insutype"] != scheme.insutype and row["psn_insu_stas"] == NORMAL:
                _version(
                    uow,
                    row["rlts_id"],
                    change_id,
                    suspend_on,
                    row["psn_type"],
                    SUSPENDED,
                    PAYMENT_SUSPENDED,
                    row["psn_insu_date"],
                    suspend_on,
                    unit_id=row["unit_id"],
                    benefit_start=row["benefit_start"],
                    waiting_months=row["waiting_months"],
                    benefit_end=suspend_on - timedelta(days=1),
                )
    return Outcome("accepted", decision.explanation, psn_no, rlts_id, change_id, (decision,))


def _history(connection: Connection, psn_no: str, until: date) -> tuple[benefit.Coverage, ...]:
    """The person's earlier coverage: each relation from its insured date up to ``until``
    while it is normal and paid then; else to the day before its pause (or before the version
    that stopped the payment: 中断缴费)."""
    coverages = []
    for row in enrollments_as_of(connection, psn_no, until):
        end = until
        if row["psn_insu_stas"] != NORMAL or row["psn_clct_stas"] != PAYING:
            end = (row["paus_insu_date"] or row["valid_from"]) - timedelta(days=1)
        if end >= row["psn_insu_date"]:
            coverages.append(
                benefit.Coverage(
                    SCHEMES[row["insutype"]],
                    row["insuplc_admdvs"],
                    Period(row["psn_insu_date"], end),
                )
            )
    return tuple(coverages)


# --- residence permits (B13) -----------------------------------------------------------------


def stop_expired_permits(
    uow: UnitOfWork, as_of: date, policy: Policy | None = None, region: str | None = None
) -> list[Outcome]:
    """Every normal resident relation of a person whose residence permit expired before
    ``as_of`` stops the day after the expiry where the engine says so (B13): a stop version
    from that day, with the benefits of the paid year the decision keeps. The payment day
    given to the engine is the relation's first successful payment for the expiry's year.
    ``region``: only the relations within it (a city with its counties, or a county)."""
    policy = policy or load_policy()
    pv = t.person_version
    later = pv.alias("later")
    current_version = (
        select(later.c.id)
        .where(later.c.psn_no == pv.c.psn_no, later.c.valid_from <= as_of)
        .order_by(later.c.valid_from.desc(), later.c.id.desc())
        .limit(1)
        .correlate(pv)
        .scalar_subquery()
    )
    latest = (
        select(pv.c.psn_no, pv.c.permit_expires_on)
        .where(pv.c.permit_expires_on.is_not(None), pv.c.permit_expires_on < as_of)
        .where(pv.c.id == current_version)
        .order_by(pv.c.psn_no)
    )
    outcomes = []
    for psn_no, expires in uow.connection.execute(latest).all():
        for row in enrollments_as_of(uow.connection, psn_no, as_of):
            if row["insutype"] != RESIDENT or row["psn_insu_stas"] != NORMAL:
                continue
            if region is not None and not policy.within(row["insuplc_admdvs"], region):
                continue
            outcomes.append(_permit_stop(uow, psn_no, row, expires, policy))
    return outcomes


def _permit_stop(
    uow: UnitOfWork, psn_no: str, row: RowMapping, expires: date, policy: Policy
) -> Outcome:
    person = person_as_of(uow.connection, psn_no, expires)
    paid_on = _paid_on(uow.connection, expires.year, t.assessment.c.rlts_id == row["rlts_id"])
    facts = benefit.BenefitFacts(
        region=row["insuplc_admdvs"],
        year=expires.year,
        scheme=Scheme.RESIDENT,
        paid_on=paid_on,
        registered_on=row["psn_insu_date"],
        birth_date=person["brdy"] if person else None,
        identities=frozenset(),
        categories=frozenset(),
        history=(),
        residence_permit_expires_on=expires,
    )
    decision = decide_facts(benefit.KIND, facts, policy)
    stops_on = decision.answer.get("auto_stop_on")
    if not isinstance(stops_on, date):
        return Outcome("unchanged", decision.explanation, psn_no, row["rlts_id"], None, (decision,))
    change_id = uow.record(
        "permit_expired",
        psn_no=psn_no,
        psn_chg_type=STOP,
        reason=decision.explanation,
        decisions=(decision,),
    )
    _version(
        uow,
        row["rlts_id"],
        change_id,
        stops_on,
        row["psn_type"],
        SUSPENDED,
        PAYMENT_SUSPENDED,
        row["psn_insu_date"],
        stops_on,
        unit_id=row["unit_id"],
        benefit_start=row["benefit_start"],
        waiting_months=row["waiting_months"],
        benefit_end=decision.answer.get("benefit_end"),
    )
    return Outcome("accepted", decision.explanation, psn_no, row["rlts_id"], change_id, (decision,))


# --- enrollment units (W4) -------------------------------------------------------------------


def register_unit(uow: UnitOfWork, kind: str, name: str, admdvs: str) -> str:
    """An enrollment unit (a school, W4), once per kind, name and region; its unit_id."""
    u = t.unit
    found = uow.connection.execute(
        select(u.c.unit_id).where(u.c.kind == kind, u.c.name == name, u.c.admdvs == admdvs)
    ).scalar()
    if found is not None:
        return str(found)
    change_id = uow.record("unit", reason=f"{kind}:{name}")
    unit_id = new_id("U")
    uow.connection.execute(
        insert(u).values(unit_id=unit_id, kind=kind, name=name, admdvs=admdvs, change_id=change_id)
    )
    return unit_id


def unit_members(connection: Connection, unit_id: str, day: date) -> list[tuple[str, RowMapping]]:
    """(psn_no, relation version) of everyone enrolled through the unit on ``day``."""
    e = t.enrollment
    persons = connection.execute(
        select(e.c.psn_no)
        .distinct()
        .select_from(e.join(t.enrollment_version))
        .where(t.enrollment_version.c.unit_id == unit_id)
        .order_by(e.c.psn_no)
    ).scalars()
    return [
        (psn_no, row)
        for psn_no in persons
        for row in enrollments_as_of(connection, psn_no, day)
        if row["unit_id"] == unit_id
    ]


def _unit(connection: Connection, unit_id: str) -> RowMapping | None:
    return connection.execute(select(t.unit).where(t.unit.c.unit_id == unit_id)).mappings().first()


# --- persons ---------------------------------------------------------------------------------


def find_person(connection: Connection, cert_type: str, certno: str | None) -> str | None:
    if certno is None:
        return None
    found = connection.execute(
        select(t.certificate.c.psn_no).where(
            t.certificate.c.psn_cert_type == cert_type, t.certificate.c.certno == certno
        )
    ).scalar()
    return None if found is None else str(found)


def ensure_person(uow: UnitOfWork, registration: Registration) -> str:
    """The person of the certificate, created once even when many register it at once: the
    certificate's key decides, and a loser's rows are rolled back to a savepoint (ADR 0007)."""
    connection = uow.connection
    existing = find_person(connection, registration.psn_cert_type, registration.certno)
    if existing is not None:
        return existing
    psn_no = new_id("P")
    try:
        with connection.begin_nested():
            change_id = uow.record(
                "person", psn_no=psn_no, psn_chg_type=NEW, office_admdvs=office_of(registration)
            )
            connection.execute(insert(t.person), {"psn_no": psn_no, "change_id": change_id})
            if registration.certno is not None and not _claim(uow, registration, psn_no, change_id):
                raise _Taken
            connection.execute(
                insert(t.person_version),
                dict(
                    psn_no=psn_no,
                    valid_from=registration.accepted_on,
                    change_id=change_id,
                    **_person_values(registration),
                    alive=True,
                    under_parent_name=registration.under_parent_name,
                    permit_expires_on=registration.permit_expires_on,
                ),
            )
    except _Taken:  # the savepoint is rolled back: nothing of this attempt remains
        winner = find_person(connection, registration.psn_cert_type, registration.certno)
        return winner if winner is not None else ensure_person(uow, registration)
    return psn_no


class _Taken(Exception):
    """Another transaction holds the certificate (ADR 0007)."""


def _claim(uow: UnitOfWork, registration: Registration, psn_no: str, change_id: int) -> bool:
    """The certificate for ``psn_no``, unless another person holds it (then no row is
    written: on PostgreSQL the insert waits for the other transaction to end)."""
    claimed = uow.connection.execute(
        _insert_ignore(uow.connection, t.certificate)
        .values(
            psn_cert_type=registration.psn_cert_type,
            certno=registration.certno,
            psn_no=psn_no,
            change_id=change_id,
        )
        .returning(t.certificate.c.psn_no)
    ).first()
    return claimed is not None


def _insert_ignore(connection: Connection, table: Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the connection's dialect."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


#: The person's data a version holds (every column but its identity, person and change).
_PERSON_DATA = tuple(
    c.name
    for c in t.person_version.columns
    if c.name not in ("id", "psn_no", "valid_from", "change_id")
)


def _person_values(registration: Registration) -> dict[str, Any]:
    return {
        "psn_name": registration.psn_name,
        "gend": registration.gend,
        "brdy": registration.brdy,
        "tel": registration.tel,
        "bank_acct": registration.bank_acct,
        "hukou_admdvs": registration.hukou_admdvs,
        "resd_admdvs": registration.resd_admdvs,
    }


def person_as_of(connection: Connection, psn_no: str, day: date) -> RowMapping | None:
    v = t.person_version
    return (
        connection.execute(
            select(v)
            .where(v.c.psn_no == psn_no, v.c.valid_from <= day)
            .order_by(v.c.valid_from.desc(), v.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )


# --- enrollments -----------------------------------------------------------------------------


_EARLIER = t.enrollment_version.alias("earlier")


def enrollments_as_of(connection: Connection, psn_no: str, day: date) -> list[RowMapping]:
    """Each relation of the person with its version valid on ``day`` (none before it began)."""
    e, v, earlier = t.enrollment, t.enrollment_version, _EARLIER
    latest = (
        select(earlier.c.id)
        .where(earlier.c.rlts_id == e.c.rlts_id, earlier.c.valid_from <= day)
        .order_by(earlier.c.valid_from.desc(), earlier.c.id.desc())
        .limit(1)
        .correlate(e)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(e.c.insutype, e.c.insuplc_admdvs, v)
        .select_from(e.join(v, and_(v.c.rlts_id == e.c.rlts_id, v.c.id == latest)))
        .where(e.c.psn_no == psn_no)
        .order_by(v.c.psn_insu_date, e.c.rlts_id)
    )
    return list(rows.mappings())


def _open_enrollment(
    connection: Connection, psn_no: str, region: str, lock: bool = False
) -> RowMapping | None:
    """The person's normal resident relation in ``region`` as of today, if any."""
    relations = _open_relations(connection, psn_no, lock)
    return next((row for row in relations if row["insuplc_admdvs"] == region), None)


def _open_relations(connection: Connection, psn_no: str, lock: bool = False) -> list[RowMapping]:
    """The person's normal resident relations as of today; ``lock``: the person's row is
    locked first on PostgreSQL (ADR 0007)."""
    if lock and connection.dialect.name == "postgresql":
        connection.execute(
            select(t.person.c.psn_no).where(t.person.c.psn_no == psn_no).with_for_update()
        )
    return [
        row
        for row in enrollments_as_of(connection, psn_no, date.max)
        if row["insutype"] == RESIDENT and row["psn_insu_stas"] == NORMAL
    ]


def _relation(uow: UnitOfWork, psn_no: str, insutype: str, region: str, change_id: int) -> str:
    rlts_id = new_id("R")
    uow.connection.execute(
        insert(t.enrollment),
        dict(
            rlts_id=rlts_id,
            psn_no=psn_no,
            insutype=insutype,
            insuplc_admdvs=region,
            change_id=change_id,
        ),
    )
    return rlts_id


def _version(
    uow: UnitOfWork,
    rlts_id: str,
    change_id: int,
    valid_from: date,
    psn_type: str,
    status: str,
    payment: str,
    insu_date: date,
    paused: date | None,
    **extra: Any,
) -> None:
    """A version of the relation; ``extra``: unit_id, benefit_start, benefit_end,
    waiting_months."""
    uow.connection.execute(
        insert(t.enrollment_version),
        dict(
            rlts_id=rlts_id,
            valid_from=valid_from,
            change_id=change_id,
            psn_type=psn_type,
            psn_insu_stas=status,
            psn_clct_stas=payment,
            psn_insu_date=insu_date,
            paus_insu_date=paused,
            **extra,
        ),
    )


def _benefit_dates(decision: Decision | None) -> dict[str, Any]:
    """The benefit dates a benefit_start decision gives, for the relation's version."""
    answer = decision.answer if decision is not None else {}
    return {
        "benefit_start": answer.get("benefit_start"),
        "benefit_end": answer.get("benefit_end"),
        "waiting_months": answer.get("waiting_months"),
    }


def _benefit(
    connection: Connection,
    registration: Registration,
    year: int,
    psn_no: str | None,
    policy: Policy,
) -> Decision:
    """When the benefits of a paid registration start (B1–B5, B12, B13)."""
    facts = benefit.BenefitFacts(
        region=registration.insuplc_admdvs,
        year=year,
        scheme=Scheme.RESIDENT,
        paid_on=registration.paid_on,
        registered_on=registration.accepted_on,
        birth_date=registration.brdy,
        identities=registration.identities & frozenset(IDENTITIES),
        categories=registration.engine_categories,
        history=_history(connection, psn_no, registration.accepted_on) if psn_no else (),
        hukou_region=registration.hukou_admdvs,
        enrolled_under_parent_name=registration.under_parent_name,
        residence_permit_expires_on=registration.permit_expires_on,
    )
    return decide_facts(benefit.KIND, facts, policy)


def _eligibility(
    connection: Connection,
    registration: Registration,
    year: int,
    psn_no: str | None,
    policy: Policy,
    school_region: str | None = None,
) -> Decision:
    employee = psn_no is not None and any(
        row["insutype"] == Scheme.EMPLOYEE.insutype and row["psn_insu_stas"] == NORMAL
        for row in enrollments_as_of(connection, psn_no, registration.accepted_on)
    )
    facts = eligibility.EligibilityFacts(
        region=registration.insuplc_admdvs,
        year=year,
        as_of=registration.accepted_on,
        hukou_region=registration.hukou_admdvs,
        residence_permit_region=(
            registration.resd_admdvs if registration.permit_expires_on is not None else None
        ),
        school_region=school_region,
        in_employee_scheme=employee,
        in_resident_scheme_elsewhere=False,
        employed=False,
        categories=registration.engine_categories,
        identities=registration.identities & frozenset(IDENTITIES),
        entered_school_year=None,
        registry_match=None,
        special_payer=False,
        poverty_identified_region=None,
        parent_insured_region=None,
        birth_date=registration.brdy,
    )
    return decide_facts(eligibility.KIND, facts, policy)


def identities_as_of(connection: Connection, psn_no: str, day: date) -> list[RowMapping]:
    """The person's hardship identities holding on ``day``: each identity (person, identity,
    begin) is in its latest version (a 减员 appends the version with its end, ADR 0006)."""
    h = t.hardship_identity
    rows = connection.execute(
        select(h).where(h.c.psn_no == psn_no, h.c.begin <= day).order_by(h.c.begin, h.c.id)
    ).mappings()
    latest = {(r["identity"], r["begin"]): r for r in rows}
    return [r for r in latest.values() if r["end"] is None or r["end"] >= day]


# --- preview (the registration form's step before saving) -----------------------------------


@dataclass(frozen=True)
class Preview:
    """What saving a registration would do, before it is saved: the outcome and decisions of
    the very use case (``apply``, run and rolled back), and for a 新参保 what the person pays
    for the year (C1–C7: the standard, the subsidy of the identities given, the payable)."""

    outcome: Outcome
    contribution: Decision | None


def preview(uow: UnitOfWork, registration: Registration, policy: Policy | None = None) -> Preview:
    """``apply`` in a savepoint that is rolled back: the answers saving would give (eligibility,
    the proofs it needs, the benefit start and waiting period when ``paid_on`` is given), and
    nothing written."""
    policy = policy or load_policy()
    with uow.connection.begin_nested() as savepoint:
        outcome = apply(uow, registration, policy)
        savepoint.rollback()
    contribution = None
    if registration.chg_type == NEW:
        region = registration.insuplc_admdvs
        facts = contribution_rules.ContributionFacts(
            region=region,
            year=registration.year or enrollment_year(policy, region, registration.accepted_on),
            paid_on=registration.paid_on,
            identities=registration.identities & frozenset(IDENTITIES),
            district=None,
            scheme=Scheme.RESIDENT,
            hukou_region=registration.hukou_admdvs,
            employee_contribution=None,
        )
        contribution = decide_facts(contribution_rules.KIND, facts, policy)
    return Preview(outcome, contribution)


# --- status (1101) ---------------------------------------------------------------------------


def status(connection: Connection, psn_no: str, as_of: date) -> dict[str, Any] | None:
    """The 1101 interface's answer for a person as of a date (SPEC section 7):
    ``services.status``, which the API's status query shares."""
    return person_status(connection, psn_no, as_of)


__all__ = [
    "apply",
    "attach_certificate",
    "change",
    "find_person",
    "preview",
    "register",
    "register_unit",
    "status",
    "stop",
    "stop_expired_permits",
    "switch_scheme",
    "unit_members",
]
