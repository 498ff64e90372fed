"""Duplicate clean-up on the registry (W7, D1–D8): detect → propose with citations → the
person's written commitment where D4 asks for it → a reviewer other than the proposer confirms
(or rejects) → apply (terminate or suspend, subsidy deductions, notices to the other regions);
nothing is deleted (D7): every step is an event appended (ADR 0006).

Each use case takes a ``UnitOfWork`` (one transaction). Detection is one SQL query over the
registry for the candidates, then one engine decision (``duplicates``) per candidate person;
the batch job over files (``canbao dedup``) decides with the same engine.

Readings of the registry (not policy):

- *normal and paid* (D1, 33号 二（四） 参保缴费状态正常): the relation's version as of the run's
  day has psn_insu_stas 1 and psn_clct_stas 1, and where the registry assessed the relation for
  that day's year (W2), a payment of that assessment succeeded. A relation the registry did not
  assess (an employee relation, one loaded from history) keeps its payment status.
- a record's period: from its ``psn_insu_date``; a normal relation to the end of the run's year
  (the year paid for), another to the day before its ``paus_insu_date``.
- places: ``hukou`` and ``habitual_residence`` where the person's hukou or residence region
  (``resd_admdvs``) is the relation's region; ``school`` or ``employment`` where the relation is
  through a school or an employer unit of its region. The registry does not record where a
  tuopin status was identified; a missing fact is named in the proposal (``missing_facts``)
  and the engine's policy_gap stored as it is.
- categories from the 人员类别 (psn_type) of the normal relations; ``entered_school_year`` the
  year of the first version as 大学生 (1404); ``employee_continuous_months`` counted back from
  the run's day over the person's employee coverage (``registry._history``).
- applying takes effect on the day it is carried out (``on``, default today), not on the day
  the records were looked at: a relation terminated back to that day would leave benefits
  paid in between on a terminated relation, and the documents set no earlier date; the
  duplicate year's subsidy is settled by the deduction (D6) instead.
- the deduction's year is the run's year (both records were normal and paid in it); its
  amount the relation's assessed subsidy of that year, null (to be determined) without one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    RowMapping,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    or_,
    select,
)

from canbao.adapters import tables as t
from canbao.adapters.database import UnitOfWork
from canbao.adapters.sheets import write_xlsx
from canbao.certno import RESIDENT_ID
from canbao.domain.codes import FLEXIBLE_EMPLOYEE, IDENTITIES, PSN_TYPE_CATEGORIES, Scheme
from canbao.domain.decision import Decision, Status, to_json
from canbao.domain.months import continuous_months
from canbao.domain.periods import Period
from canbao.domain.registry import EMPLOYER, SCHOOL
from canbao.policy import Policy, load_policy
from canbao.rules import duplicates as rules
from canbao.rules.decide import decide_facts
from canbao.services.access import scope_regions
from canbao.services.hardship import confirmed_identities
from canbao.services.registry import (
    NORMAL,
    PAID,
    PAYING,
    PAYMENT_ENDED,
    PAYMENT_SUSPENDED,
    SCHEMES,
    SUSPENDED,
    TERMINATED,
    _history,
    _version,
    find_person,
    new_id,
    person_as_of,
)
from canbao.services.review import Refused, confirm, reject

SUBJECT = "duplicate"
#: The PostgreSQL advisory lock a detection run holds for its transaction.
DETECT_LOCK = 70007
COLLEGE_PSN_TYPE = next(code for code, c in PSN_TYPE_CATEGORIES.items() if c == rules.COLLEGE)
#: What a relation becomes when the decision terminates or suspends it.
OUTCOMES = {"terminate": (TERMINATED, PAYMENT_ENDED), "suspend": (SUSPENDED, PAYMENT_SUSPENDED)}
ACTION_NAMES = {"terminate": "终止", "suspend": "暂停"}
#: A case's state, derived from its events: open (proposed, awaiting_consent, policy_gap),
#: then confirmed or rejected, then applied.
STATES = ("proposed", "awaiting_consent", "policy_gap", "confirmed", "rejected", "applied")
OPEN = frozenset(STATES[:3])


@dataclass(frozen=True)
class Case:
    """A proposal as it stands: its state, its proposer and its latest decision (the consent's
    where one was recorded, else the proposal's), as the decision contract's JSON."""

    case_id: str
    psn_no: str
    certno: str
    as_of: date
    records: tuple[str, ...]
    state: str
    proposer: str
    missing_facts: tuple[str, ...]
    decision: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "psn_no": self.psn_no,
            "certno": self.certno,
            "as_of": self.as_of.isoformat(),
            "records": list(self.records),
            "state": self.state,
            "proposer": self.proposer,
            "missing_facts": list(self.missing_facts),
            "decision": self.decision,
        }


@dataclass(frozen=True)
class Detected:
    """A detection run: the day looked at, the persons the query found, the proposals made and
    the open ones found again (not proposed twice)."""

    as_of: date
    candidates: int
    proposed: tuple[Case, ...]
    existing: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "candidates": self.candidates,
            "proposed": [c.as_json() for c in self.proposed],
            "existing": list(self.existing),
        }


@dataclass(frozen=True)
class Applied:
    """A confirmed proposal carried out: the relations terminated or suspended (with the region
    to notify) and the subsidy deductions (amount None: to be determined)."""

    case_id: str
    effective_on: date
    keep: str
    actions: tuple[dict[str, Any], ...]
    deductions: tuple[dict[str, Any], ...]

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = to_json(
            {
                "case_id": self.case_id,
                "effective_on": self.effective_on,
                "keep": self.keep,
                "actions": list(self.actions),
                "deductions": list(self.deductions),
            }
        )
        return body


@dataclass(frozen=True)
class Notice:
    """One line of the notification list to another region's agency (D5: the keeping place
    notifies): the relation there to terminate or suspend, and why."""

    case_id: str
    certno: str
    psn_name: str
    rlts_id: str
    insutype: str
    region: str
    action: str
    effective_on: date
    keep_rlts_id: str
    keep_region: str
    citations: str

    HEADERS = (
        "案件编号",
        "证件号码",
        "姓名",
        "参保关系编号",
        "险种",
        "参保地",
        "处理方式",
        "生效日期",
        "保留参保关系编号",
        "保留参保地",
        "政策依据",
    )

    def cells(self, policy: Policy) -> tuple[object, ...]:
        return (
            self.case_id,
            self.certno,
            self.psn_name,
            self.rlts_id,
            rules.SCHEME_NAMES[SCHEMES[self.insutype]],
            f"{policy.region_name(self.region)}（{self.region}）",
            ACTION_NAMES[self.action],
            self.effective_on,
            self.keep_rlts_id,
            f"{policy.region_name(self.keep_region)}（{self.keep_region}）",
            self.citations,
        )


# --- detect and propose ----------------------------------------------------------------------


def detect(
    uow: UnitOfWork, as_of: date, region: str | None = None, policy: Policy | None = None
) -> Detected:
    """Find the persons with two or more relations normal and paid as of ``as_of`` (in one
    query; with one of them within ``region`` when given: the region or, for a city, one of
    its counties), decide each with the engine, and propose
    each duplicate group not proposed yet (a rejected proposal's group is proposed again)."""
    policy = policy or load_policy()
    if uow.connection.dialect.name == "postgresql":  # one detection at a time (SQLite: IMMEDIATE)
        uow.connection.execute(select(func.pg_advisory_xact_lock(DETECT_LOCK)))
    query = _candidates(region is not None)
    regions = None if region is None else scope_regions(uow.connection, policy, region)
    values = {"as_of": as_of, "year": as_of.year, "regions": regions}
    persons: list[str] = list(uow.connection.execute(query, values).scalars())
    proposed: list[Case] = []
    existing: list[str] = []
    for psn_no in persons:
        facts, missing = _facts(uow.connection, psn_no, as_of)
        decision = decide_facts(rules.KIND, facts, policy)
        if decision.answer.get("duplicate") is False:
            continue
        # A gap for a parameter the year lacks names no group: the records the query found.
        group = tuple(
            decision.answer.get("duplicate_records") or [r.id for r in facts.records if r.normal]
        )
        found, rejected = _open_case(uow.connection, ",".join(group))
        if found is not None:
            existing.append(found)
            continue
        needed = _needed(facts, group, missing)
        proposed.append(_propose(uow, psn_no, as_of, group, decision, needed, rejected))
    return Detected(as_of, len(persons), tuple(proposed), tuple(existing))


@cache
def _candidates(in_region: bool) -> Select[Any]:
    """The persons with two or more relations normal and paid (parameters ``as_of``,
    ``year``, and the list ``regions`` when ``in_region``), built once."""
    r = _relations(by_person=False)
    query = (
        select(r.c.psn_no)
        .where(r.c.psn_insu_stas == NORMAL, r.c.paid == 1)
        .group_by(r.c.psn_no)
        .having(func.count() >= 2)
        .order_by(r.c.psn_no)
    )
    if in_region:
        within = r.c.insuplc_admdvs.in_(bindparam("regions", expanding=True))
        here = case((within, 1), else_=0)
        query = query.having(func.sum(here) > 0)
    return query


def _relations(by_person: bool) -> Subquery:
    """Every relation (of the person ``psn_no`` when ``by_person``) with its version as of
    ``as_of``, its unit's kind and region, and ``paid`` (1/0) for ``year`` (see the module
    notes); those three are parameters."""
    e, v, a, p, u = t.enrollment, t.enrollment_version, t.assessment, t.payment, t.unit
    rank = func.row_number().over(
        partition_by=v.c.rlts_id, order_by=(v.c.valid_from.desc(), v.c.id.desc())
    )
    versions = select(v, rank.label("rank")).where(v.c.valid_from <= bindparam("as_of", type_=Date))
    if by_person:
        owner = e.c.psn_no == bindparam("psn_no")
    else:  # only a person with two or more relations can have a duplicate
        owner = e.c.psn_no.in_(select(e.c.psn_no).group_by(e.c.psn_no).having(func.count() >= 2))
    versions = versions.where(v.c.rlts_id.in_(select(e.c.rlts_id).where(owner)))
    current = versions.subquery("current")
    unpaid = exists().where(
        a.c.rlts_id == current.c.rlts_id,
        a.c.year == bindparam("year", type_=Integer),
        ~exists().where(p.c.assessment_id == a.c.id, p.c.result == PAID),
    )
    paid = case((and_(current.c.psn_clct_stas == PAYING, ~unpaid), 1), else_=0)
    query = select(
        e.c.psn_no,
        e.c.rlts_id,
        e.c.insutype,
        e.c.insuplc_admdvs,
        current.c.psn_type,
        current.c.psn_insu_stas,
        current.c.psn_insu_date,
        current.c.paus_insu_date,
        current.c.valid_from,
        u.c.kind.label("unit_kind"),
        u.c.admdvs.label("unit_admdvs"),
        paid.label("paid"),
    ).select_from(
        e.join(current, and_(current.c.rlts_id == e.c.rlts_id, current.c.rank == 1)).outerjoin(
            u, u.c.unit_id == current.c.unit_id
        )
    )
    if by_person:
        query = query.where(e.c.psn_no == bindparam("psn_no"))
    return query.subquery("relations")


_BY_PERSON = _relations(by_person=True)
#: One person's relations (parameters ``as_of``, ``year``, ``psn_no``), built once.
_PERSON_RELATIONS = select(_BY_PERSON).order_by(_BY_PERSON.c.rlts_id)


def _facts(
    connection: Connection,
    psn_no: str,
    as_of: date,
    chosen_record: str | None = None,
    consent_recorded: bool = False,
) -> tuple[rules.DuplicateFacts, dict[str, str]]:
    """The engine's facts for the person as of ``as_of``, and the facts the registry lacks for
    a record (record id or ``person`` → what is missing)."""
    rows = (
        connection.execute(
            _PERSON_RELATIONS, {"as_of": as_of, "year": as_of.year, "psn_no": psn_no}
        )
        .mappings()
        .all()
    )
    person = person_as_of(connection, psn_no, as_of)
    hukou = person["hukou_admdvs"] if person else None
    residence = person["resd_admdvs"] if person else None
    year_end = date(as_of.year, 12, 31)
    records = []
    missing: dict[str, str] = {}
    for row in rows:
        region = row["insuplc_admdvs"]
        scheme = SCHEMES[row["insutype"]]
        places = {
            name
            for name, holds in (
                ("hukou", hukou == region),
                ("habitual_residence", residence == region),
                ("school", row["unit_kind"] == SCHOOL and row["unit_admdvs"] == region),
                ("employment", row["unit_kind"] == EMPLOYER and row["unit_admdvs"] == region),
            )
            if holds
        }
        if scheme is Scheme.EMPLOYEE and row["unit_kind"] != EMPLOYER:
            missing[row["rlts_id"]] = f"就业地：职工医保关系{row['rlts_id']}无参保单位"
        if row["psn_insu_stas"] == NORMAL:
            end = year_end
        else:
            end = (row["paus_insu_date"] or row["valid_from"]) - timedelta(days=1)
        start = row["psn_insu_date"]
        records.append(
            rules.Record(
                id=row["rlts_id"],
                scheme=scheme,
                region=region,
                period=Period(start, max(start, end)),
                status=row["psn_insu_stas"],
                paid=bool(row["paid"]),
                places=frozenset(places),
                flexible=scheme is Scheme.EMPLOYEE and row["psn_type"] == FLEXIBLE_EMPLOYEE,
            )
        )
    if residence is None:
        missing["person"] = "常住地：人员信息无居住地区划（resd_admdvs）"
    categories = frozenset(
        PSN_TYPE_CATEGORIES[row["psn_type"]]
        for row in rows
        if row["psn_insu_stas"] == NORMAL and row["psn_type"] in PSN_TYPE_CATEGORIES
    )
    confirmed = confirmed_identities().subquery()
    identities = frozenset(
        connection.execute(
            select(confirmed.c.identity).where(
                confirmed.c.psn_no == psn_no,
                confirmed.c.begin <= as_of,
                or_(confirmed.c.end.is_(None), confirmed.c.end >= as_of),
            )
        ).scalars()
    ) & frozenset(IDENTITIES)
    employee = [
        (c.period.start, c.period.end)
        for c in _history(connection, psn_no, as_of)
        if c.scheme is Scheme.EMPLOYEE
    ]
    facts = rules.DuplicateFacts(
        as_of=as_of,
        identities=identities,
        categories=categories,
        entered_school_year=_entered_school_year(connection, psn_no, as_of)
        if rules.COLLEGE in categories
        else None,
        records=tuple(records),
        employee_continuous_months=continuous_months(employee, as_of),
        chosen_record=chosen_record,
        consent_recorded=consent_recorded,
    )
    return facts, missing


def _entered_school_year(connection: Connection, psn_no: str, as_of: date) -> int | None:
    v, e = t.enrollment_version, t.enrollment
    first = connection.execute(
        select(func.min(v.c.valid_from))
        .select_from(v.join(e, e.c.rlts_id == v.c.rlts_id))
        .where(e.c.psn_no == psn_no, v.c.psn_type == COLLEGE_PSN_TYPE, v.c.valid_from <= as_of)
    ).scalar()
    return None if first is None else int(first.year)


def _needed(
    facts: rules.DuplicateFacts, group: tuple[str, ...], missing: dict[str, str]
) -> tuple[str, ...]:
    """The facts the registry lacks that the group's decision may turn on: the habitual
    residence of two resident records, the employment place of two employee records, the
    place a tuopin college student's status was identified."""
    records = [r for r in facts.records if r.id in group]
    residents = [r for r in records if r.scheme is Scheme.RESIDENT]
    employees = [r for r in records if r.scheme is Scheme.EMPLOYEE]
    needed = []
    if len(residents) > 1 and "person" in missing:
        needed.append(missing["person"])
    if len(employees) > 1:
        needed += [missing[r.id] for r in employees if r.id in missing]
    if facts.college and "tuopin" in facts.identities:
        needed.append("建档立卡身份认定地：登记库不记录脱贫身份的认定地区")
    return tuple(needed)


def _open_case(connection: Connection, group_key: str) -> tuple[str | None, int]:
    """The case already proposed for the group unless it was rejected, and how many of the
    group's cases were rejected."""
    c, rv = t.duplicate_case, t.review
    rejected = exists().where(
        rv.c.subject == SUBJECT, rv.c.subject_id == c.c.case_id, rv.c.confirmed.is_(False)
    )
    found = connection.execute(
        select(c.c.case_id, rejected.label("rejected")).where(c.c.group_key == group_key)
    ).all()
    open_ids = [str(row.case_id) for row in found if not row.rejected]
    return (open_ids[0] if open_ids else None), len(found) - len(open_ids)


def _propose(
    uow: UnitOfWork,
    psn_no: str,
    as_of: date,
    group: tuple[str, ...],
    decision: Decision,
    missing: tuple[str, ...],
    rejected: int,
) -> Case:
    """One proposal; its request key (the group and how many of its proposals were rejected)
    makes a second detection running at the same time fail instead of proposing it twice."""
    key = f"duplicate:{hashlib.sha256(','.join(group).encode()).hexdigest()[:40]}:{rejected}"
    reason = f"重复参保处理建议（{as_of.isoformat()}）：{'、'.join(group)}"
    if missing:
        reason += "；登记库缺少：" + "；".join(missing)
    change_id = uow.record(
        "duplicate_propose", psn_no=psn_no, reason=reason, decisions=(decision,), request_key=key
    )
    case_id = new_id("D")
    uow.connection.execute(
        insert(t.duplicate_case).values(
            case_id=case_id,
            psn_no=psn_no,
            records=list(group),
            group_key=",".join(group),
            as_of=as_of,
            status=decision.status.value,
            missing_facts=list(missing),
            change_id=change_id,
        )
    )
    return load_case(uow.connection, case_id)


# --- reading cases ---------------------------------------------------------------------------


def list_cases(
    connection: Connection,
    state: str | None = None,
    psn_no: str | None = None,
    case_id: str | None = None,
    regions: Collection[str] | None = None,
) -> list[Case]:
    """The cases with their state and latest decision, oldest first; ``regions``: only the
    cases of persons with a relation in one of them (a user's scope,
    ``access.scope_regions``), filtered in the query."""
    c, proposal, consent = t.duplicate_case, t.change_log, t.duplicate_consent
    given = t.change_log.alias("consent_change")
    rv, act, cert = t.review, t.duplicate_action, t.certificate
    applied = exists().where(act.c.case_id == c.c.case_id)
    certno = select(func.min(cert.c.certno)).where(cert.c.psn_no == c.c.psn_no).scalar_subquery()
    query = (
        select(
            c,
            proposal.c.actor,
            proposal.c.decision,
            given.c.decision.label("consent_decision"),
            rv.c.confirmed,
            applied.label("applied"),
            certno.label("certno"),
        )
        .select_from(
            c.join(proposal, proposal.c.id == c.c.change_id)
            .outerjoin(consent, consent.c.case_id == c.c.case_id)
            .outerjoin(given, given.c.id == consent.c.change_id)
            .outerjoin(rv, and_(rv.c.subject == SUBJECT, rv.c.subject_id == c.c.case_id))
        )
        .order_by(c.c.change_id)
    )
    if psn_no is not None:
        query = query.where(c.c.psn_no == psn_no)
    if case_id is not None:
        query = query.where(c.c.case_id == case_id)
    if regions is not None:
        e = t.enrollment
        query = query.where(
            exists().where(e.c.psn_no == c.c.psn_no, e.c.insuplc_admdvs.in_(sorted(regions)))
        )
    cases = [_case(row) for row in connection.execute(query).mappings()]
    return [found for found in cases if state is None or found.state == state]


def case_counts(connection: Connection, policy: Policy, scope: str) -> dict[str, int]:
    """How many cases of the persons within ``scope`` are in each state (``STATES``)."""
    counts = dict.fromkeys(STATES, 0)
    for item in cases_within(connection, policy, scope):
        counts[item.state] += 1
    return counts


def cases_within(
    connection: Connection, policy: Policy, scope: str, state: str | None = None
) -> list[Case]:
    """The cases (in ``state`` when given) of the persons within a user's scope, oldest
    first: what the API and the web UI list, confirm and apply there (the scope filtered in
    SQL, :func:`list_cases`)."""
    return list_cases(connection, state, regions=scope_regions(connection, policy, scope))


def load_case(connection: Connection, case_id: str) -> Case:
    found = list_cases(connection, case_id=case_id)
    if not found:
        raise Refused(f"没有编号为 {case_id} 的重复参保处理建议。")
    return found[0]


def _case(row: RowMapping) -> Case:
    decision: dict[str, Any] = (row["consent_decision"] or row["decision"])[0]
    if row["applied"]:
        state = "applied"
    elif row["confirmed"] is not None:
        state = "confirmed" if row["confirmed"] else "rejected"
    elif decision.get("awaiting_consent"):
        state = "awaiting_consent"
    elif decision["status"] == Status.POLICY_GAP.value:
        state = "policy_gap"
    else:
        state = "proposed"
    return Case(
        case_id=row["case_id"],
        psn_no=row["psn_no"],
        certno=row["certno"] or "",
        as_of=row["as_of"],
        records=tuple(row["records"]),
        state=state,
        proposer=row["actor"],
        missing_facts=tuple(row["missing_facts"]),
        decision=decision,
    )


def _what(case_id: str) -> str:
    return f"重复参保处理建议 {case_id}"


# --- consent, review -------------------------------------------------------------------------


def record_consent(
    uow: UnitOfWork,
    case_id: str,
    keep: str,
    document: str,
    signed_on: date,
    policy: Policy | None = None,
) -> Case:
    """D4: the person's written commitment (承诺书) choosing the relation kept; the engine
    decides again with the choice on file, and the case goes on to review."""
    found = load_case(uow.connection, case_id)
    if found.state != "awaiting_consent":
        raise Refused(f"{_what(case_id)}不需要本人书面承诺（当前状态：{found.state}）。")
    if keep not in found.records:
        raise Refused(
            f"参保关系 {keep} 不在{_what(case_id)}的重复记录中（{'、'.join(found.records)}）。"
        )
    if not document.strip():
        raise Refused("须注明书面承诺书（承诺书编号或文件）。")
    if signed_on < found.as_of:
        raise Refused(f"承诺日期不能早于检测日期 {found.as_of.isoformat()}。")
    facts, _ = _facts(uow.connection, found.psn_no, found.as_of, keep, True)
    decision = decide_facts(rules.KIND, facts, policy or load_policy())
    if decision.status is Status.INVALID:
        raise Refused(decision.explanation)
    change_id = uow.record(
        "duplicate_consent",
        psn_no=found.psn_no,
        reason=f"{_what(case_id)}：本人书面承诺保留{keep}（{document.strip()}，{signed_on}）",
        decisions=(decision,),
    )
    uow.connection.execute(
        insert(t.duplicate_consent).values(
            case_id=case_id,
            keep_rlts_id=keep,
            document=document.strip(),
            signed_on=signed_on,
            change_id=change_id,
        )
    )
    return load_case(uow.connection, case_id)


def confirm_case(uow: UnitOfWork, case_id: str) -> int:
    """A clerk other than the proposer confirms the proposal (maker-checker); only a decided
    proposal with the person's commitment where D4 asks for it."""
    found = load_case(uow.connection, case_id)
    if found.state == "rejected":
        raise Refused(f"{_what(case_id)}已被驳回，不能确认。")
    if found.state == "awaiting_consent":
        raise Refused(f"{_what(case_id)}尚待本人书面承诺（D4），承诺书留存备案后方可确认。")
    if found.state == "policy_gap":
        raise Refused(f"{_what(case_id)}属文件未规定的情形（policy_gap），不能确认。")
    return confirm(uow, SUBJECT, {case_id: found.proposer}, _what(case_id), psn_no=found.psn_no)


def reject_case(uow: UnitOfWork, case_id: str, reason: str) -> int:
    """A clerk other than the proposer rejects the proposal, saying why; the group is proposed
    again by a later detection."""
    found = load_case(uow.connection, case_id)
    return reject(
        uow, SUBJECT, case_id, found.proposer, _what(case_id), reason, psn_no=found.psn_no
    )


# --- apply -----------------------------------------------------------------------------------


def apply_case(uow: UnitOfWork, case_id: str, on: date | None = None) -> Applied:
    """Carry out a confirmed proposal from ``on`` (default today): a terminated or suspended
    version of each other relation, the relation kept and the region to notify
    (``duplicate_action``), and the subsidy deductions of D6."""
    on = on or uow.today
    if uow.connection.dialect.name == "postgresql":  # two clerks applying it at once: one waits
        c = t.duplicate_case
        uow.connection.execute(select(c.c.case_id).where(c.c.case_id == case_id).with_for_update())
    found = load_case(uow.connection, case_id)
    if found.state == "applied":
        raise Refused(f"{_what(case_id)}已处理，不能重复处理。")
    if found.state != "confirmed":
        raise Refused(f"{_what(case_id)}尚未经另一名经办人复核确认，不能处理。")
    if on < found.as_of:
        raise Refused(f"处理日期不能早于检测日期 {found.as_of.isoformat()}。")
    decision = found.decision
    keep: str = decision["keep"]
    actions = decision["actions"]
    text = "，".join(f"{ACTION_NAMES[a['action']]}{a['id']}" for a in actions)
    change_id = uow.record(
        "duplicate_apply",
        psn_no=found.psn_no,
        reason=f"处理{_what(case_id)}：保留{keep}，{text}，自{on.isoformat()}起",
    )
    for action in actions:
        _end_relation(uow, action["id"], action["action"], on, change_id)
    uow.connection.execute(
        insert(t.duplicate_action),
        [
            {
                "case_id": case_id,
                "rlts_id": a["id"],
                "action": a["action"],
                "keep_rlts_id": keep,
                "notify_region": a["notify_region"],
                "effective_on": on,
                "change_id": change_id,
            }
            for a in actions
        ],
    )
    deductions = [
        _deduct(uow, case_id, rlts_id, found.as_of.year, change_id)
        for rlts_id in decision["subsidy_deduction"] or []
    ]
    done = tuple(
        {"id": a["id"], "action": a["action"], "notify_region": a["notify_region"]} for a in actions
    )
    return Applied(case_id, on, keep, done, tuple(deductions))


def confirmed_cases(connection: Connection) -> list[str]:
    """The confirmed proposals not applied yet, oldest first (``apply --all-confirmed``)."""
    return [c.case_id for c in list_cases(connection, state="confirmed")]


def _end_relation(uow: UnitOfWork, rlts_id: str, action: str, on: date, change_id: int) -> None:
    v = t.enrollment_version
    current = (
        uow.connection.execute(
            select(v)
            .where(v.c.rlts_id == rlts_id)
            .order_by(v.c.valid_from.desc(), v.c.id.desc())
            .limit(1)
        )
        .mappings()
        .one()
    )
    if current["psn_insu_stas"] != NORMAL or current["valid_from"] > on:
        raise Refused(
            f"参保关系 {rlts_id} 自 {current['valid_from'].isoformat()} 起已有变化"
            "，请重新检测后再处理。"
        )
    status, payment = OUTCOMES[action]
    _version(
        uow,
        rlts_id,
        change_id,
        on,
        current["psn_type"],
        status,
        payment,
        current["psn_insu_date"],
        on,
        unit_id=current["unit_id"],
        household_id=current["household_id"],
    )


def _deduct(
    uow: UnitOfWork, case_id: str, rlts_id: str, year: int, change_id: int
) -> dict[str, Any]:
    a = t.assessment
    assessed = uow.connection.execute(
        select(a.c.id, a.c.subsidy).where(a.c.rlts_id == rlts_id, a.c.year == year)
    ).first()
    amount: Decimal | None = None if assessed is None else assessed.subsidy
    uow.connection.execute(
        insert(t.subsidy_deduction).values(
            case_id=case_id,
            rlts_id=rlts_id,
            year=year,
            assessment_id=None if assessed is None else assessed.id,
            amount=amount,
            change_id=change_id,
        )
    )
    return {"id": rlts_id, "year": year, "amount": amount}


# --- notices and history ---------------------------------------------------------------------


def notices(
    connection: Connection, region: str, kept_within: Callable[[str], bool] | None = None
) -> list[Notice]:
    """The relations in ``region`` that applied proposals terminate or suspend, for that
    region's agency, with the place kept and the documents cited; ``kept_within``: only those
    whose kept relation's region it admits (the keeping place notifies, D5)."""
    act, e = t.duplicate_action, t.enrollment
    kept = t.enrollment.alias("kept")
    rows = connection.execute(
        select(
            act.c.case_id,
            act.c.rlts_id,
            act.c.action,
            act.c.effective_on,
            act.c.keep_rlts_id,
            e.c.psn_no,
            e.c.insutype,
            e.c.insuplc_admdvs,
            kept.c.insuplc_admdvs.label("keep_region"),
        )
        .select_from(
            act.join(e, e.c.rlts_id == act.c.rlts_id).join(
                kept, kept.c.rlts_id == act.c.keep_rlts_id
            )
        )
        .where(act.c.notify_region == region)
        .order_by(act.c.id)
    ).mappings()
    out = []
    for row in rows:
        if kept_within is not None and not kept_within(row["keep_region"]):
            continue
        found = load_case(connection, row["case_id"])
        person = person_as_of(connection, row["psn_no"], row["effective_on"])
        out.append(
            Notice(
                case_id=row["case_id"],
                certno=found.certno,
                psn_name=person["psn_name"] if person else "",
                rlts_id=row["rlts_id"],
                insutype=row["insutype"],
                region=row["insuplc_admdvs"],
                action=row["action"],
                effective_on=row["effective_on"],
                keep_rlts_id=row["keep_rlts_id"],
                keep_region=row["keep_region"],
                citations="；".join(
                    f"{c['doc']} {c['section']}" for c in found.decision["citations"]
                ),
            )
        )
    return out


def notice_regions(connection: Connection, policy: Policy, scope: str) -> list[str]:
    """The regions to notify of the applied proposals whose kept relation is within the
    scope (D5), by code."""
    act, kept = t.duplicate_action, t.enrollment
    rows = connection.execute(
        select(act.c.notify_region, kept.c.insuplc_admdvs)
        .join(kept, kept.c.rlts_id == act.c.keep_rlts_id)
        .where(act.c.notify_region.is_not(None))
        .distinct()
    )
    return sorted({str(n) for n, k in rows if policy.within(k, scope)})


def write_notices(path: Path, region: str, rows: Iterable[Notice], policy: Policy) -> int:
    """The notification list for ``region``'s agency as .xlsx (title, Chinese headers); the
    number of rows written."""
    return write_xlsx(
        path,
        f"重复参保处理通知（致{policy.region_name(region)}{region}医保经办机构）",
        Notice.HEADERS,
        (row.cells(policy) for row in rows),
    )


def history(connection: Connection, certno: str) -> list[dict[str, Any]]:
    """The person's cases, each with its events in order: proposed, consent, review, applied
    (who, when, why, what) — cleared duplicates stay queryable (D7)."""
    psn_no = find_person(connection, RESIDENT_ID, certno)
    if psn_no is None:
        raise Refused(f"登记库中没有证件号码为 {certno} 的人员。")
    out = []
    for found in list_cases(connection, psn_no=psn_no):
        out.append({**found.as_json(), "events": events(connection, found.case_id)})
    return out


def events(connection: Connection, case_id: str) -> list[dict[str, Any]]:
    """A case's events in order (proposed, consent, review, applied): who, when, why."""
    ch = t.change_log
    c, consent, rv = t.duplicate_case, t.duplicate_consent, t.review
    act, ded = t.duplicate_action, t.subsidy_deduction
    steps = (
        select(c.c.change_id).where(c.c.case_id == case_id),
        select(consent.c.change_id).where(consent.c.case_id == case_id),
        select(rv.c.change_id).where(rv.c.subject == SUBJECT, rv.c.subject_id == case_id),
        select(act.c.change_id).where(act.c.case_id == case_id).limit(1),
    )
    found = [connection.execute(step).scalar() for step in steps]
    events = []
    for change_id in sorted(int(i) for i in found if i is not None):
        row = connection.execute(select(ch).where(ch.c.id == change_id)).mappings().one()
        event: dict[str, Any] = {
            "action": row["action"],
            "actor": row["actor"],
            "recorded_at": row["recorded_at"].isoformat(),
            "reason": row["reason"],
            "rules": row["rules"],
        }
        if row["action"] == "duplicate_apply":
            event["actions"] = [
                to_json(dict(a))
                for a in connection.execute(
                    select(act.c.rlts_id, act.c.action, act.c.notify_region, act.c.effective_on)
                    .where(act.c.case_id == case_id)
                    .order_by(act.c.id)
                ).mappings()
            ]
            event["deductions"] = [
                to_json(dict(d))
                for d in connection.execute(
                    select(ded.c.rlts_id, ded.c.year, ded.c.amount)
                    .where(ded.c.case_id == case_id)
                    .order_by(ded.c.id)
                ).mappings()
            ]
        events.append(event)
    return events


__all__ = [
    "Applied",
    "Case",
    "Detected",
    "Notice",
    "apply_case",
    "cases_within",
    "confirm_case",
    "confirmed_cases",
    "detect",
    "events",
    "history",
    "list_cases",
    "load_case",
    "notice_regions",
    "notices",
    "record_consent",
    "reject_case",
    "write_notices",
]
