"""Hardship lists (W3, K7): the departments' monthly lists, identities with validity, the
benefits of hardship residents registered first (B12), the subsidy (C3, C4) and the funding
requests per fund from the confirmed list.

A list row is matched to a person by ID number. 新增 appends an identity valid from the row's
date; 减员 appends the identity again with that date as its ``end`` (the last day it holds):
nothing is updated (ADR 0006), and an identity's state as of a date is its latest version. A
version proposed by one clerk counts for funding once another confirmed it (maker-checker,
``services.review``). Each accepted row is one change whose request key is the row's content, so
that importing the same list again changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    Select,
    String,
    and_,
    cast,
    func,
    insert,
    or_,
    select,
)

from canbao.adapters import tables as t
from canbao.adapters.database import UnitOfWork
from canbao.adapters.sheets import SheetError, read_table, write_xlsx
from canbao.certno import RESIDENT_ID, check_certno
from canbao.domain.codes import FUNDING_SOURCES, IDENTITIES, Scheme
from canbao.domain.decision import Decision, Status
from canbao.domain.money import ZERO, money
from canbao.policy import Params, Policy, load_policy
from canbao.rules import benefit, contribution
from canbao.rules.decide import decide_facts
from canbao.rules.registration import enrollment_year
from canbao.services import access
from canbao.services.registry import (
    NORMAL,
    RESIDENT,
    enrollments_as_of,
    find_person,
    identities_as_of,
    person_as_of,
)
from canbao.services.review import Refused, confirm, proposer, reviewed

SUBJECT = "hardship"

#: The departments that send lists (K7): code → name.
DEPARTMENTS: dict[str, str] = {
    "civil_affairs": "民政",
    "rural_revitalization": "乡村振兴",
    "disabled_persons_federation": "残联",
    "veterans_affairs": "退役军人",
    "health": "卫健",
}
ADD, REMOVE = "add", "remove"
CHANGES = {"新增": ADD, "减员": REMOVE, ADD: ADD, REMOVE: REMOVE}

#: Header text (Chinese form or national field name) → canonical column.
COLUMNS: dict[str, str] = {
    "姓名": "psn_name",
    "psn_name": "psn_name",
    "身份证号码": "certno",
    "公民身份号码": "certno",
    "certno": "certno",
    "身份类别": "identity",
    "psn_idet_type": "identity",
    "identity": "identity",
    "变动类型": "change",
    "change": "change",
    "认定日期": "date",
    "生效日期": "date",
    "date": "date",
}
HEADERS = {
    "psn_name": "姓名",
    "certno": "身份证号码",
    "identity": "身份类别",
    "change": "变动类型",
    "date": "认定日期/生效日期",
}
REQUIRED = ("certno", "identity", "change", "date")
IDENTITY_CODES = {name: code for code, name in IDENTITIES.items()} | {c: c for c in IDENTITIES}


@dataclass(frozen=True)
class ListRow:
    """One row of a list: the clerk's row number and its cells by canonical column."""

    number: int
    cells: Mapping[str, str]
    issues: tuple[tuple[str, str, str], ...] = ()  # (column, code, reason): cells not trusted


@dataclass
class ImportReport:
    """``{"accepted", "unchanged", "rejected": [{"row", "column", "code", "reason"}]}``."""

    accepted: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, row: int, column: str, code: str, reason: str) -> None:
        self.rejected.append(
            {"row": row, "column": HEADERS[column], "code": code, "reason": reason}
        )

    def as_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "unchanged": self.unchanged, "rejected": self.rejected}


# --- import ----------------------------------------------------------------------------------


def import_hardship_list(
    uow: UnitOfWork,
    path_or_rows: Path | str | Sequence[Mapping[str, Any]],
    department: str,
    month: str,
    policy: Policy | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a department's monthly list (K7): every good row is kept, every bad one reported;
    ``progress(done, total)`` is called after each row."""
    policy = policy or load_policy()
    dept = _department(department)
    _month(month)
    rows = (
        read_list(Path(path_or_rows))
        if isinstance(path_or_rows, (str, Path))
        else _given_rows(path_or_rows)
    )
    report = ImportReport()
    for done, row in enumerate(rows, 1):
        _import_row(uow, row, dept, month, policy, report)
        if progress is not None:
            progress(done, len(rows))
    return report


def _department(department: str) -> str:
    by_name = {name: code for code, name in DEPARTMENTS.items()}
    code = by_name.get(department, department)
    if code not in DEPARTMENTS:
        raise Refused(
            f"部门 {department!r} 不是提供困难人员名单的部门（{'、'.join(DEPARTMENTS.values())}）。"
        )
    return code


def _month(month: str) -> None:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise Refused(f"名单月份应为 YYYY-MM，得到 {month!r}。")


def _import_row(
    uow: UnitOfWork, row: ListRow, dept: str, month: str, policy: Policy, report: ImportReport
) -> None:
    parsed = _parse(row, report)
    if parsed is None:
        return
    certno, identity, change, day = parsed
    key = (
        "hardship:"
        + hashlib.sha256(
            "|".join((dept, month, certno, identity, change, day.isoformat())).encode()
        ).hexdigest()[:40]
    )
    if uow.seen(key) is not None:
        report.unchanged += 1
        return
    connection = uow.connection
    psn_no = find_person(connection, RESIDENT_ID, certno)
    if psn_no is None:
        report.reject(row.number, "certno", "unmatched", "登记库中没有该身份证号码的人员。")
        return
    name = row.cells.get("psn_name", "").strip()
    person = person_as_of(connection, psn_no, date.max)
    if name and person is not None and person["psn_name"] != name:
        report.reject(
            row.number,
            "psn_name",
            "name_mismatch",
            f"姓名与登记库不符（登记库：{person['psn_name']}）。",
        )
        return
    current = _latest(connection, psn_no, identity)
    if change == ADD:
        if current is not None and current["end"] is None:
            report.unchanged += 1
            return
        _add(uow, row, psn_no, identity, dept, month, day, key, person, policy)
    else:
        if current is None:
            report.reject(
                row.number,
                "identity",
                "not_listed",
                f"该人员没有{IDENTITIES[identity]}身份，无法减员。",
            )
            return
        if current["end"] is not None:
            report.unchanged += 1
            return
        if day < current["begin"]:
            report.reject(
                row.number,
                "date",
                "before_begin",
                f"减员日期早于该身份的认定日期{current['begin']}。",
            )
            return
        change_id = uow.record(
            "hardship_remove",
            psn_no=psn_no,
            reason=f"{DEPARTMENTS[dept]}{month}名单减员：{IDENTITIES[identity]}，{day}止",
            decisions=_ended(connection, psn_no, identity, current["begin"], day, person, policy),
            row=row.number,
            request_key=key,
        )
        _insert(uow, psn_no, identity, current["begin"], day, dept, month, None, change_id)
    report.accepted += 1


def _add(
    uow: UnitOfWork,
    row: ListRow,
    psn_no: str,
    identity: str,
    dept: str,
    month: str,
    day: date,
    key: str,
    person: RowMapping | None,
    policy: Policy,
) -> None:
    """新增: the identity from its date; the subsidy it gives (C3) and, where hardship residents
    are registered first (B12), the day benefits start, decided and recorded with it."""
    connection = uow.connection
    relation = _resident_relation(connection, psn_no, day)
    decisions: list[Decision] = []
    starts: date | None = None
    if relation is not None:
        region = relation["insuplc_admdvs"]
        year = enrollment_year(policy, region, day)
        identities = frozenset(open_identities(connection, psn_no, day)) | {identity}
        hukou = person["hukou_admdvs"] if person else None
        decisions.append(_contribution(region, year, identities, hukou, policy))
        if Params(policy, region, year).get("benefit.hardship_register_first"):
            started = _benefit(relation, year, identities, person, day, policy)
            decisions.append(started)
            if started.status is Status.DECIDED:
                starts = started.answer.get("benefit_start")
    change_id = uow.record(
        "hardship_add",
        psn_no=psn_no,
        reason=f"{DEPARTMENTS[dept]}{month}名单新增：{IDENTITIES[identity]}，{day}起",
        decisions=tuple(decisions),
        row=row.number,
        request_key=key,
    )
    _insert(uow, psn_no, identity, day, None, dept, month, starts, change_id)


def _ended(
    connection: Connection,
    psn_no: str,
    identity: str,
    begin: date,
    day: date,
    person: RowMapping | None,
    policy: Policy,
) -> tuple[Decision, ...]:
    """B12 where hardship residents are registered first: no longer one, the hardship benefit
    standard stops from the next month (the engine says from when)."""
    relation = _resident_relation(connection, psn_no, day)
    if relation is None:
        return ()
    year = enrollment_year(policy, relation["insuplc_admdvs"], day)
    if not Params(policy, relation["insuplc_admdvs"], year).get("benefit.hardship_register_first"):
        return ()
    held = frozenset(open_identities(connection, psn_no, day)) | {identity}
    return (_benefit(relation, year, held, person, begin, policy, ended_on=day),)


def _insert(
    uow: UnitOfWork,
    psn_no: str,
    identity: str,
    begin: date,
    end: date | None,
    dept: str,
    month: str,
    benefit_start: date | None,
    change_id: int,
) -> None:
    uow.connection.execute(
        insert(t.hardship_identity).values(
            psn_no=psn_no,
            identity=identity,
            begin=begin,
            end=end,
            department=dept,
            list_month=month,
            benefit_start=benefit_start,
            change_id=change_id,
        )
    )


def _parse(row: ListRow, report: ImportReport) -> tuple[str, str, str, date] | None:
    for column, code, reason in row.issues[:1]:
        report.reject(row.number, column, code, reason)
        return None
    cells = {k: (v or "").strip() for k, v in row.cells.items()}
    checked = check_certno(cells.get("certno", ""))
    if not checked.valid or checked.certno18 is None:
        report.reject(row.number, "certno", "invalid_certno", f"身份证号码无效：{checked.reason}")
        return None
    identity = IDENTITY_CODES.get(cells.get("identity", ""))
    if identity is None:
        report.reject(
            row.number,
            "identity",
            "unknown_identity",
            f"身份类别 {cells.get('identity')!r} 不是资助参保身份。",
        )
        return None
    change = CHANGES.get(cells.get("change", ""))
    if change is None:
        report.reject(row.number, "change", "unknown_change", "变动类型应为“新增”或“减员”。")
        return None
    day = _date(cells.get("date", ""))
    if day is None:
        report.reject(row.number, "date", "invalid_date", "日期应为 YYYY-MM-DD。")
        return None
    return checked.certno18, identity, change, day


def _date(text: str) -> date | None:
    text = text.split(" ")[0].split("T")[0]
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


# --- identities as of a date -----------------------------------------------------------------


def _latest(connection: Connection, psn_no: str, identity: str) -> RowMapping | None:
    """The latest version of the person's most recent identity of that kind."""
    h = t.hardship_identity
    return (
        connection.execute(
            select(h)
            .where(h.c.psn_no == psn_no, h.c.identity == identity)
            .order_by(h.c.begin.desc(), h.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )


def open_identities(connection: Connection, psn_no: str, day: date) -> set[str]:
    return {row["identity"] for row in identities_as_of(connection, psn_no, day)}


# --- lists within a scope --------------------------------------------------------------------


def rows_outside(
    connection: Connection, policy: Policy, rows: Sequence[ListRow], scope: str
) -> list[int]:
    """The numbers of a list's rows whose person (by a valid ID number) the registry holds
    outside the scope: a list is imported within one scope or not at all."""
    numbers = {}
    for row in rows:
        checked = check_certno(row.cells.get("certno", ""))
        if checked.valid and checked.certno18:
            numbers[row.number] = checked.certno18
    persons = access.persons_of_certificates(connection, numbers.values())
    outside = access.outside_scope(connection, policy, persons.values(), scope)
    return sorted(n for n, c in numbers.items() if persons.get(c) in outside)


def list_outside(
    connection: Connection, policy: Policy, department: str, month: str, scope: str
) -> bool:
    """Whether a department's monthly list has a person outside the scope (it is confirmed
    within a scope that holds all its persons)."""
    persons = access.hardship_list_persons(connection, _department(department), month)
    return bool(access.outside_scope(connection, policy, persons, scope))


@dataclass(frozen=True)
class ListedIdentity:
    """One version of a list (新增 or 减员) as imported: the person, the identity with its
    validity, the day benefits start (B12), who imported it, whether it is confirmed, and the
    subsidy decided with it (C3, the contribution decision as JSON; None without one)."""

    id: int
    psn_no: str
    psn_name: str
    certno: str
    identity: str
    begin: date
    end: date | None
    benefit_start: date | None
    imported_by: str
    confirmed: bool
    subsidy: dict[str, Any] | None


@dataclass(frozen=True)
class HardshipList:
    """A department's monthly list within a scope: its versions there, how many are confirmed,
    who imported them, and how many of its persons are outside the scope."""

    department: str
    month: str
    identities: tuple[ListedIdentity, ...]
    outside: int

    @property
    def confirmed(self) -> int:
        return sum(1 for i in self.identities if i.confirmed)

    @property
    def imported_by(self) -> tuple[str, ...]:
        return tuple(sorted({i.imported_by for i in self.identities}))


def lists_within(
    connection: Connection,
    policy: Policy,
    scope: str,
    department: str | None = None,
    month: str | None = None,
) -> list[HardshipList]:
    """The departments' monthly lists (or the one given) with a person within the scope, latest
    month first, each with its versions of persons within the scope."""
    h, ch, rv = t.hardship_identity, t.change_log, t.review
    confirmed = (
        select(rv.c.id)
        .where(
            rv.c.subject == SUBJECT,
            rv.c.subject_id == cast(h.c.id, String),
            rv.c.confirmed.is_(True),
        )
        .exists()
    )
    query = (
        select(h, ch.c.actor, ch.c.decision, confirmed.label("confirmed"))
        .join(ch, ch.c.id == h.c.change_id)
        .order_by(h.c.list_month.desc(), h.c.department, h.c.id)
    )
    candidates = select(h.c.psn_no)
    if department is not None:
        query = query.where(h.c.department == department)
        candidates = candidates.where(h.c.department == department)
    if month is not None:
        query = query.where(h.c.list_month == month)
        candidates = candidates.where(h.c.list_month == month)
    rows = connection.execute(query).mappings().all()
    persons = _persons(connection, candidates)
    outside = access.outside_scope(connection, policy, {r["psn_no"] for r in rows}, scope)
    grouped: dict[tuple[str, str], list[RowMapping]] = {}
    for row in rows:
        grouped.setdefault((row["department"], row["list_month"]), []).append(row)
    found = []
    for (dept, listed), members in grouped.items():
        within = [r for r in members if r["psn_no"] not in outside]
        if not within:
            continue
        identities = tuple(
            ListedIdentity(
                id=r["id"],
                psn_no=r["psn_no"],
                psn_name=persons.get(r["psn_no"], ("", "", None))[0],
                certno=persons.get(r["psn_no"], ("", "", None))[1],
                identity=r["identity"],
                begin=r["begin"],
                end=r["end"],
                benefit_start=r["benefit_start"],
                imported_by=r["actor"],
                confirmed=bool(r["confirmed"]),
                subsidy=next(
                    (d for d in r["decision"] or [] if d.get("kind") == contribution.KIND), None
                ),
            )
            for r in within
        )
        outside_count = len({r["psn_no"] for r in members if r["psn_no"] in outside})
        found.append(HardshipList(dept, listed, identities, outside_count))
    return found


# --- maker-checker ---------------------------------------------------------------------------


def confirm_hardship_list(uow: UnitOfWork, department: str, month: str) -> int:
    """Confirm every version of a department's monthly list not yet confirmed (K7: funding is
    requested per the confirmed list); refused for the clerk who imported it."""
    dept = _department(department)
    _month(month)
    h = t.hardship_identity
    rows = uow.connection.execute(
        select(h.c.id, h.c.change_id).where(h.c.department == dept, h.c.list_month == month)
    ).all()
    done = reviewed(uow.connection, SUBJECT, [str(r.id) for r in rows])
    waiting = {
        str(r.id): proposer(uow.connection, r.change_id) for r in rows if str(r.id) not in done
    }
    what = f"{DEPARTMENTS[dept]}{month}困难人员名单"
    if not waiting:
        raise Refused(f"{what}没有待确认的记录。")
    confirm(uow, SUBJECT, waiting, what)
    return len(waiting)


@dataclass(frozen=True)
class ListWaiting:
    """A department's monthly list with rows no reviewer confirmed yet."""

    department: str
    month: str
    rows: int

    @property
    def name(self) -> str:
        return f"{DEPARTMENTS.get(self.department, self.department)}{self.month}困难人员名单"


def lists_awaiting_confirmation(
    connection: Connection, regions: Sequence[str]
) -> list[ListWaiting]:
    """The monthly lists with rows of persons enrolled in ``regions`` that wait for a
    reviewer's confirmation (K7), by department and month."""
    h, e, rv = t.hardship_identity, t.enrollment, t.review
    confirmed = (
        select(rv.c.id)
        .where(rv.c.subject == SUBJECT, rv.c.subject_id == cast(h.c.id, String))
        .exists()
    )
    within = (
        select(e.c.rlts_id)
        .where(e.c.psn_no == h.c.psn_no, e.c.insuplc_admdvs.in_(list(regions)))
        .exists()
    )
    rows = connection.execute(
        select(h.c.department, h.c.list_month, func.count())
        .where(~confirmed, within)
        .group_by(h.c.department, h.c.list_month)
        .order_by(h.c.list_month, h.c.department)
    )
    return [ListWaiting(str(d), str(m), int(n)) for d, m, n in rows]


# --- decisions -------------------------------------------------------------------------------


def _resident_relation(connection: Connection, psn_no: str, day: date) -> RowMapping | None:
    """The person's resident relation in force on ``day`` (or registered later), if any."""
    for when in (day, date.max):
        for row in enrollments_as_of(connection, psn_no, when):
            if row["insutype"] == RESIDENT and row["psn_insu_stas"] == NORMAL:
                return row
    return None


def _contribution(
    region: str, year: int, identities: frozenset[str], hukou: str | None, policy: Policy
) -> Decision:
    facts = contribution.ContributionFacts(
        region=region,
        year=year,
        paid_on=None,
        identities=identities,
        district=None,
        scheme=Scheme.RESIDENT,
        hukou_region=hukou,
        employee_contribution=None,
    )
    return decide_facts(contribution.KIND, facts, policy)


def _benefit(
    relation: RowMapping,
    year: int,
    identities: frozenset[str],
    person: RowMapping | None,
    day: date,
    policy: Policy,
    ended_on: date | None = None,
) -> Decision:
    """B12: benefits from the day registration and identity flag (``day``) are both done;
    ``ended_on``: the day the platform learnt the person is no longer a hardship resident."""
    registered: date = relation["psn_insu_date"]
    facts = benefit.BenefitFacts(
        region=relation["insuplc_admdvs"],
        year=year,
        scheme=Scheme.RESIDENT,
        paid_on=None,
        registered_on=registered,
        birth_date=person["brdy"] if person else None,
        identities=identities,
        categories=frozenset(),
        history=(),
        hukou_region=person["hukou_admdvs"] if person else None,
        hardship_flagged_on=max(registered, day),
        hardship_ended_on=ended_on,
    )
    return decide_facts(benefit.KIND, facts, policy)


# --- funding requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class FundingLine:
    psn_no: str
    psn_name: str
    certno: str
    region: str
    identity: str | None
    subsidy: Decimal
    funding: tuple[tuple[str, Decimal], ...] | None  # None: the split is undetermined (C4)


@dataclass(frozen=True)
class FundingRequest:
    """What was requested: total per funding source, the subsidies whose split the documents
    leave undetermined, and the files written."""

    totals: dict[str, Decimal]
    undetermined: Decimal
    persons: int
    files: tuple[Path, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "persons": self.persons,
            "totals": {k: str(v) for k, v in self.totals.items()},
            "undetermined": str(self.undetermined),
            "files": [str(p) for p in self.files],
        }


def funding_lines(
    connection: Connection,
    region: str,
    year: int,
    policy: Policy | None = None,
    psn_no: str | None = None,
) -> list[FundingLine]:
    """The subsidy in ``year`` of every resident of ``region`` (or of one person) who holds a
    confirmed identity on some day of the year, as the engine decides it (C3: the highest
    single subsidy; C4: its funding sources). An unconfirmed 新增 or 减员 does not count yet.
    Set-based: four queries, and one decision per distinct (place, identities, hukou)."""
    policy = policy or load_policy()
    first, last = date(year, 1, 1), date(year, 12, 31)
    h = t.hardship_identity
    candidates = select(h.c.psn_no).where(h.c.begin <= last)
    if psn_no is not None:
        candidates = candidates.where(h.c.psn_no == psn_no)
    held = _confirmed(connection, first, last, psn_no)
    relations = _relations(connection, region, first, last, candidates, policy)
    relations = {k: v for k, v in relations.items() if k in held}
    persons = _persons(connection, candidates)
    decided: dict[tuple[str, frozenset[str], str | None], Decision] = {}
    lines = []
    for person_no, relation in sorted(relations.items()):
        name, certno, hukou = persons.get(person_no, ("", "", None))
        key = (relation["insuplc_admdvs"], frozenset(held[person_no]), hukou)
        if key not in decided:
            decided[key] = _contribution(key[0], year, key[1], hukou, policy)
        answer = decided[key].answer
        if decided[key].status is not Status.DECIDED or not answer.get("subsidy"):
            continue
        funding = answer.get("funding")
        lines.append(
            FundingLine(
                person_no,
                name,
                certno,
                key[0],
                answer.get("subsidy_identity"),
                money(answer["subsidy"]),
                None
                if funding is None
                else tuple((f["source"], money(f["amount"])) for f in funding),
            )
        )
    return lines


def _confirmed(
    connection: Connection, first: date, last: date, psn_no: str | None
) -> dict[str, set[str]]:
    """Person → the identities holding on some day of [first, last], each identity by its
    latest confirmed version."""
    confirmed = confirmed_identities().subquery()
    query = select(confirmed.c.psn_no, confirmed.c.identity).where(
        confirmed.c.begin <= last,
        or_(confirmed.c.end.is_(None), confirmed.c.end >= first),
    )
    if psn_no is not None:
        query = query.where(confirmed.c.psn_no == psn_no)
    held: dict[str, set[str]] = {}
    for person_no, identity in connection.execute(query):
        held.setdefault(person_no, set()).add(identity)
    return held


def confirmed_identities() -> Select[tuple[str, str, date, date | None]]:
    """(psn_no, identity, begin, end) of every identity by its latest confirmed version: a
    version counts once a reviewer confirmed it (maker-checker), so an unconfirmed 新增 does not
    hold yet and an unconfirmed 减员 does not end it yet. Used for funding and the yearly
    assessment (W2) alike."""
    h, r = t.hardship_identity, t.review
    later, later_review = t.hardship_identity.alias("later"), t.review.alias("later_review")

    def confirmed_by(review: Any, version: Any) -> Any:
        return and_(
            review.c.subject == SUBJECT,
            review.c.subject_id == cast(version.c.id, String),
            review.c.confirmed.is_(True),
        )

    newer = (
        select(later.c.id)
        .join(later_review, confirmed_by(later_review, later))
        .where(
            later.c.psn_no == h.c.psn_no,
            later.c.identity == h.c.identity,
            later.c.begin == h.c.begin,
            later.c.id > h.c.id,
        )
    )
    return (
        select(h.c.psn_no, h.c.identity, h.c.begin, h.c.end)
        .join(r, confirmed_by(r, h))
        .where(~newer.exists())
    )


def _relations(
    connection: Connection,
    region: str,
    first: date,
    last: date,
    candidates: Select[tuple[str]],
    policy: Policy,
) -> dict[str, RowMapping]:
    """Person → the resident relation in ``region`` in force on some day of the year (its
    version as of the last day), for the candidate persons."""
    e, v = t.enrollment, t.enrollment_version
    rank = (
        func.row_number()
        .over(partition_by=v.c.rlts_id, order_by=(v.c.valid_from.desc(), v.c.id.desc()))
        .label("rank")
    )
    versions = (
        select(v.c.rlts_id, v.c.psn_insu_stas, v.c.paus_insu_date, rank)
        .where(v.c.valid_from <= last)
        .subquery()
    )
    rows = connection.execute(
        select(e.c.psn_no, e.c.insuplc_admdvs, versions.c.psn_insu_stas, versions.c.paus_insu_date)
        .join(versions, and_(versions.c.rlts_id == e.c.rlts_id, versions.c.rank == 1))
        .where(e.c.insutype == RESIDENT, e.c.psn_no.in_(candidates))
        .order_by(e.c.psn_no, e.c.rlts_id)
    ).mappings()
    found: dict[str, RowMapping] = {}
    for row in rows:
        ended = row["paus_insu_date"]
        in_force = row["psn_insu_stas"] == NORMAL or (ended is not None and ended >= first)
        if in_force and policy.within(row["insuplc_admdvs"], region):
            found.setdefault(row["psn_no"], row)
    return found


def _persons(
    connection: Connection, candidates: Select[tuple[str]]
) -> dict[str, tuple[str, str, str | None]]:
    """Person → (name, certificate number, hukou region) as the registry has them today."""
    p, c = t.person_version, t.certificate
    rank = (
        func.row_number()
        .over(partition_by=p.c.psn_no, order_by=(p.c.valid_from.desc(), p.c.id.desc()))
        .label("rank")
    )
    versions = (
        select(p.c.psn_no, p.c.psn_name, p.c.hukou_admdvs, rank)
        .where(p.c.psn_no.in_(candidates))
        .subquery()
    )
    rows = connection.execute(
        select(versions.c.psn_no, versions.c.psn_name, versions.c.hukou_admdvs, c.c.certno)
        .outerjoin(c, c.c.psn_no == versions.c.psn_no)
        .where(versions.c.rank == 1)
        .order_by(versions.c.psn_no, c.c.certno)
    )
    found: dict[str, tuple[str, str, str | None]] = {}
    for row in rows:
        found.setdefault(row.psn_no, (row.psn_name, row.certno or "", row.hukou_admdvs))
    return found


def funding_request(
    connection: Connection, region: str, year: int, path: Path, policy: Policy | None = None
) -> FundingRequest:
    """K7: one .xlsx per funding source from the confirmed list (``<stem>-<source>.xlsx``
    beside ``path``), one for subsidies whose split is undetermined, and ``path`` itself with
    the totals."""
    policy = policy or load_policy()
    lines = funding_lines(connection, region, year, policy)
    place = policy.region_name(region)
    headers = ["序号", "姓名", "身份证号码", "参保地", "资助身份", "资助金额", "本资金来源金额"]
    totals: dict[str, Decimal] = {}
    by_source: dict[str, list[list[Any]]] = {}
    undetermined: list[list[Any]] = []
    for line in lines:
        base = [
            line.psn_name,
            line.certno,
            line.region,
            _identity_name(line.identity),
            line.subsidy,
        ]
        if line.funding is None:
            undetermined.append(base)
            continue
        for source, amount in line.funding:
            by_source.setdefault(source, []).append([*base, amount])
            totals[source] = totals.get(source, ZERO) + amount
    files: list[Path] = []
    for source in (s for s in FUNDING_SOURCES if s in by_source):
        rows = by_source[source]
        target = path.with_name(f"{path.stem}-{source}{path.suffix}")
        write_xlsx(
            target,
            f"{place}{year}年度资助参保资金申请（{FUNDING_SOURCES[source]}）",
            headers,
            [[n, *r] for n, r in enumerate(rows, 1)]
            + [["合计", "", "", "", "", sum((r[4] for r in rows), ZERO), totals[source]]],
        )
        files.append(target)
    undetermined_total = sum((r[4] for r in undetermined), ZERO)
    if undetermined:
        target = path.with_name(f"{path.stem}-undetermined{path.suffix}")
        write_xlsx(
            target,
            f"{place}{year}年度资助参保资金（文件未载明分担，待确定资金来源）",
            headers[:-1],
            [[n, *r] for n, r in enumerate(undetermined, 1)]
            + [["合计", "", "", "", "", undetermined_total]],
        )
        files.append(target)
    summary = [
        [FUNDING_SOURCES[s], len(by_source[s]), totals[s]] for s in FUNDING_SOURCES if s in totals
    ]
    if undetermined:
        summary.append(["分担未载明", len(undetermined), undetermined_total])
    write_xlsx(
        path,
        f"{place}{year}年度资助参保资金申请汇总（按确认名单）",
        ["资金来源", "人数", "金额"],
        summary,
    )
    return FundingRequest(
        {s: totals[s] for s in FUNDING_SOURCES if s in totals},
        undetermined_total,
        len(lines),
        (path, *files),
    )


def _identity_name(code: str | None) -> str:
    return IDENTITIES.get(code or "", "")


# --- files --------------------------------------------------------------------------------


def read_list(path: Path) -> list[ListRow]:
    """The rows of a list file (.xlsx, or CSV in UTF-8 or GBK; title rows above the header are
    normal); row numbers are those the clerk sees, with the cells that cannot be trusted (an
    ID typed into a number cell has lost digits)."""
    try:
        table = read_table(path, COLUMNS, required=REQUIRED)
    except SheetError as error:
        raise Refused(f"{path.name}：{error.reason}") from None
    return [
        ListRow(row.number, row.cells, tuple((i.field, i.code, i.reason) for i in row.issues))
        for row in table.rows
    ]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _given_rows(rows: Sequence[Mapping[str, Any]]) -> list[ListRow]:
    """Rows given as mappings (header text or canonical names); ``row`` gives the number."""
    return [
        ListRow(
            int(row.get("row", n)),
            {COLUMNS[k]: _cell(v) for k, v in row.items() if k in COLUMNS},
        )
        for n, row in enumerate(rows, 2)
    ]
