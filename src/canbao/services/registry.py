"""Register, change and stop (W1); the status of a person as of any date (1101 shape).

Each use case takes a ``UnitOfWork`` (one transaction) and a ``Registration``, decides with
the policy engine, and records the change with the decision's rule ids and citations. Nothing
is updated in place: a change is a new version valid from the form's 受理时间 (ADR 0006).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, and_, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from canbao.adapters import tables as t
from canbao.adapters.database import UnitOfWork
from canbao.domain.codes import IDENTITIES, Scheme
from canbao.domain.decision import Decision, Status
from canbao.domain.registry import NEW, STOP, Outcome, Registration
from canbao.policy import Policy, load_policy
from canbao.rules import eligibility
from canbao.rules.decide import decide_facts
from canbao.rules.registration import change_too_late, enrollment_year

NORMAL, SUSPENDED, TERMINATED = "1", "2", "4"
PAYING, PAYMENT_SUSPENDED, PAYMENT_ENDED = "1", "2", "3"
RESIDENT = Scheme.RESIDENT.insutype
#: 停保原因 → the relation's status after the stop: a death or a move ends the relation; a
#: switch to the employee scheme suspends it (33号 二（三）: the original relation is suspended).
STOP_STATUS = {
    "death": (TERMINATED, PAYMENT_ENDED),
    "hukou_moved_out": (TERMINATED, PAYMENT_ENDED),
    "other_region_resident": (TERMINATED, PAYMENT_ENDED),
    "duplicate_enrollment": (TERMINATED, PAYMENT_ENDED),
    "joined_employee": (SUSPENDED, PAYMENT_SUSPENDED),
}


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:20]


def apply(uow: UnitOfWork, registration: Registration, policy: Policy | None = None) -> Outcome:
    """The form's 登记类型 decides: 新参保, 停保 or 变更."""
    policy = policy or load_policy()
    if registration.chg_type == NEW:
        return register(uow, registration, policy)
    if registration.chg_type == STOP:
        return stop(uow, registration, policy)
    return change(uow, registration, policy)


def register(uow: UnitOfWork, registration: Registration, policy: Policy) -> Outcome:
    """新参保: the person (created once per certificate) and a resident enrollment relation."""
    year = registration.year or enrollment_year(
        policy, registration.insuplc_admdvs, registration.accepted_on
    )
    psn_no = find_person(uow.connection, registration.psn_cert_type, registration.certno)
    decision = _eligibility(uow.connection, registration, year, psn_no, policy)
    if decision.status is Status.DECIDED and decision.answer.get("eligible") is False:
        return Outcome("refused", decision.explanation, psn_no, decisions=(decision,))
    missing = [
        proof
        for proof in decision.answer.get("required_proofs") or []
        if proof not in registration.proofs
    ]
    if missing:
        return Outcome("refused", f"须提供：{'、'.join(missing)}。", psn_no, decisions=(decision,))
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
        decisions=(decision,),
    )
    rlts_id = new_id("R")
    uow.connection.execute(
        insert(t.enrollment).values(
            rlts_id=rlts_id,
            psn_no=psn_no,
            insutype=RESIDENT,
            insuplc_admdvs=registration.insuplc_admdvs,
            change_id=change_id,
        )
    )
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
    )
    return Outcome("accepted", decision.explanation, psn_no, rlts_id, change_id, (decision,))


def stop(uow: UnitOfWork, registration: Registration, policy: Policy) -> Outcome:
    """停保: the relation is suspended or terminated from the 受理时间, unless too late (K2)."""
    psn_no = find_person(uow.connection, registration.psn_cert_type, registration.certno)
    current = (
        _open_enrollment(uow.connection, psn_no, registration.insuplc_admdvs, lock=True)
        if psn_no
        else None
    )
    if psn_no is None or current is None:
        return Outcome("refused", "该人员在该地没有正常参保的关系，无需停保。", psn_no)
    year = registration.year or enrollment_year(
        policy, registration.insuplc_admdvs, registration.accepted_on
    )
    late = change_too_late(policy, registration.insuplc_admdvs, year, registration.accepted_on)
    if late is not None:
        return Outcome("refused", late.explanation, psn_no, current["rlts_id"], decisions=(late,))
    status, payment = STOP_STATUS.get(
        registration.stop_reason or "", (SUSPENDED, PAYMENT_SUSPENDED)
    )
    change_id = uow.record(
        "stop",
        psn_no=psn_no,
        psn_chg_type=STOP,
        reason=registration.stop_reason or "other",
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
    )
    return Outcome("accepted", "已停保。", psn_no, current["rlts_id"], change_id)


def change(uow: UnitOfWork, registration: Registration, policy: Policy) -> Outcome:
    """变更: the person's data as the form gives it, from the 受理时间 (K6: before payment)."""
    psn_no = find_person(uow.connection, registration.psn_cert_type, registration.certno)
    if psn_no is None:
        return Outcome("refused", "未找到该人员，请先办理新参保。", None)
    year = registration.year or enrollment_year(
        policy, registration.insuplc_admdvs, registration.accepted_on
    )
    late = change_too_late(policy, registration.insuplc_admdvs, year, registration.accepted_on)
    if late is not None:
        return Outcome("refused", late.explanation, psn_no, decisions=(late,))
    before = person_as_of(uow.connection, psn_no, registration.accepted_on)
    after = _person_values(registration)
    if before is not None and all(before[k] == v for k, v in after.items() if v is not None):
        return Outcome("unchanged", "信息无变化。", psn_no)
    merged = {
        **(dict(before) if before else {}),
        **{k: v for k, v in after.items() if v is not None},
    }
    change_id = uow.record("change", psn_no=psn_no, psn_chg_type=registration.chg_type)
    uow.connection.execute(
        insert(t.person_version).values(
            psn_no=psn_no,
            valid_from=registration.accepted_on,
            change_id=change_id,
            **{k: merged.get(k) for k in after},
            alive=merged.get("alive", True),
            under_parent_name=bool(merged.get("under_parent_name")),
        )
    )
    return Outcome("accepted", "已变更。", psn_no, change_id=change_id)


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
            change_id = uow.record("person", psn_no=psn_no, psn_chg_type=NEW)
            connection.execute(insert(t.person).values(psn_no=psn_no, change_id=change_id))
            if registration.certno is not None and not _claim(uow, registration, psn_no, change_id):
                raise _Taken
            connection.execute(
                insert(t.person_version).values(
                    psn_no=psn_no,
                    valid_from=registration.accepted_on,
                    change_id=change_id,
                    **_person_values(registration),
                    alive=True,
                    under_parent_name=registration.under_parent_name,
                )
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


def enrollments_as_of(connection: Connection, psn_no: str, day: date) -> list[RowMapping]:
    """Each relation of the person with its version valid on ``day`` (none before it began)."""
    e, v = t.enrollment, t.enrollment_version
    earlier = v.alias("earlier")
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
    if lock and connection.dialect.name == "postgresql":
        connection.execute(
            select(t.person.c.psn_no).where(t.person.c.psn_no == psn_no).with_for_update()
        )
    for row in enrollments_as_of(connection, psn_no, date.max):
        if (
            row["insutype"] == RESIDENT
            and row["insuplc_admdvs"] == region
            and row["psn_insu_stas"] == NORMAL
        ):
            return row
    return None


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
) -> None:
    uow.connection.execute(
        insert(t.enrollment_version).values(
            rlts_id=rlts_id,
            valid_from=valid_from,
            change_id=change_id,
            psn_type=psn_type,
            psn_insu_stas=status,
            psn_clct_stas=payment,
            psn_insu_date=insu_date,
            paus_insu_date=paused,
        )
    )


def _eligibility(
    connection: Connection,
    registration: Registration,
    year: int,
    psn_no: str | None,
    policy: Policy,
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
        residence_permit_region=None,
        school_region=None,
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


# --- status (1101) ---------------------------------------------------------------------------


def status(connection: Connection, psn_no: str, as_of: date) -> dict[str, Any] | None:
    """The 1101 interface's answer for a person as of a date (SPEC section 7)."""
    base = person_as_of(connection, psn_no, as_of)
    if base is None:
        return None
    cert = (
        connection.execute(select(t.certificate).where(t.certificate.c.psn_no == psn_no))
        .mappings()
        .first()
    )
    brdy = base["brdy"]
    age = None
    if brdy is not None:
        age = as_of.year - brdy.year - ((as_of.month, as_of.day) < (brdy.month, brdy.day))
    h = t.hardship_identity
    identities = connection.execute(
        select(h).where(h.c.psn_no == psn_no, h.c.begin <= as_of).order_by(h.c.begin, h.c.id)
    ).mappings()
    return {
        "baseinfo": {
            "psn_no": psn_no,
            "psn_cert_type": cert["psn_cert_type"] if cert else "",
            "certno": cert["certno"] if cert else "",
            "psn_name": base["psn_name"],
            "gend": base["gend"],
            "naty": base["naty"] or "",
            "brdy": brdy.isoformat() if brdy else "",
            "age": age,
            "exp_content": "",
        },
        "insuinfo": [
            {
                "balc": 0,
                "insutype": row["insutype"],
                "psn_type": row["psn_type"],
                "psn_insu_stas": row["psn_insu_stas"],
                "psn_insu_date": row["psn_insu_date"].isoformat(),
                "paus_insu_date": row["paus_insu_date"].isoformat()
                if row["paus_insu_date"]
                else "",
                "cvlserv_flag": "0",
                "insuplc_admdvs": row["insuplc_admdvs"],
                "emp_name": "",
            }
            for row in enrollments_as_of(connection, psn_no, as_of)
        ],
        "idetinfo": [
            {
                "psn_idet_type": row["identity"],
                "psn_type_lv": "",
                "memo": IDENTITIES.get(row["identity"], ""),
                "begntime": row["begin"].isoformat(),
                "endtime": row["end"].isoformat() if row["end"] else "",
            }
            for row in identities
            if row["end"] is None or row["end"] >= as_of
        ],
    }


__all__ = ["apply", "change", "find_person", "register", "status", "stop"]
