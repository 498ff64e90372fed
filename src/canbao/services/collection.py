"""The yearly collection with the tax bureau (W2): assess, export, import the feedback; and the
accounts households pay from (K3).

- ``assess``: every active resident enrollee of a region is assessed for the year at the
  year's standard (K2: those who did not change or stop by the deadline are assessed
  automatically). Set-based: a combination (region, confirmed hardship identities, hukou) is
  what the engine decides on, once per distinct one. One pass over the relations' versions
  stages the enrollees in a temporary table; those assessed for the year already are counted
  and left out, and the identity holders among the rest get their combination there. The
  decisions go to temporary tables, and INSERT … SELECT statements write the assessments and
  their funding lines — no per-person decision, query or row in Python. Only identities a
  second clerk confirmed count (maker-checker, ``hardship.confirmed_identities``). One
  change_log row for the run holds the distinct decisions.
- ``export_batch``: the 应征数据 file (SPEC section 7) of the assessments not sent yet and of
  those whose last feedback asks for a resend; one ``tax_batch`` and its members.
- ``import_feedback``: each feedback line becomes a payment event — paid, resend (not the
  person's fault) or abandoned (自动弃保, K1) — or, when it matches no batch, person or
  assessment, an ``unmatched_feedback`` row; a line seen before changes nothing.
- A person's payment status for a year follows from the events: the latest one.

Nothing is updated or deleted (ADR 0006).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    delete,
    distinct,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)

from canbao.adapters import tables as t
from canbao.adapters.database import UnitOfWork
from canbao.adapters.tables import Money, Region
from canbao.adapters.tax_files import (
    DECLARATIONS,
    PAID,
    RESULT_CODES,
    FeedbackLine,
    RowError,
    read_feedback,
    write_assessment,
)
from canbao.certno import RESIDENT_ID
from canbao.domain.codes import IDENTITIES, Scheme
from canbao.domain.decision import Decision, Status, to_json
from canbao.domain.money import money
from canbao.policy import Params, Policy, load_policy
from canbao.rules.contribution import KIND as CONTRIBUTION
from canbao.rules.contribution import ContributionFacts
from canbao.rules.decide import decide_facts
from canbao.rules.outcome import Outcome
from canbao.rules.registration import enrollment_year
from canbao.services.hardship import confirmed_identities
from canbao.services.registry import NORMAL, RESIDENT, find_person, new_id

KIND = "collection"
#: 征收方式 clct_way (SPEC section 2): 02 税务征收.
TAX_COLLECTION = "02"
RESEND, ABANDONED, FAILED = "resend", "abandoned", "failed"
UNDETERMINED = "undetermined"
NONE: frozenset[str] = frozenset()

Progress = Callable[[int, int], None]


# --- assessment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessGap:
    """Persons not assessed because the documents leave their combination open."""

    region: str
    identities: tuple[str, ...]
    count: int
    gaps: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class AssessReport:
    assessed: int
    unchanged: int
    gaps: tuple[AssessGap, ...] = ()
    change_id: int | None = None
    declarations: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "assessed": self.assessed,
            "unchanged": self.unchanged,
            "declarations": self.declarations,
            "gaps": [
                {
                    "region": g.region,
                    "identities": list(g.identities),
                    "count": g.count,
                    "gaps": list(g.gaps),
                    "explanation": g.explanation,
                }
                for g in self.gaps
            ],
            "change_id": self.change_id,
        }


class Combination(NamedTuple):
    """What the engine decides on: the same for every person who shares it."""

    region: str
    identities: frozenset[str]
    hukou: str | None


#: Each hardship identity as one bit: a set of identities is the sum of its bits.
_BITS = {code: 1 << n for n, code in enumerate(IDENTITIES)}

# The assessment's scratch tables (temporary: the connection's own, dropped after the run).
_SCRATCH = MetaData()
#: The enrollees to assess: their identities (bits) and hukou ('' when it does not matter)
#: on the day they are assessed for. Created from its query (``_stage``): its columns here
#: are how it is read.
_ENROLLEE = Table(
    "assess_enrollee",
    _SCRATCH,
    Column("rlts_id", String(32)),
    Column("psn_no", String(32)),
    Column("region", Region),
    Column("day", Date),
    Column("identities", Integer),
    Column("hukou", Region),
    prefixes=["TEMPORARY"],
)
#: The registration days during the year that are for another year (the policy says which).
_DAY = Table(
    "assess_day",
    _SCRATCH,
    Column("region", Region, nullable=False),
    Column("day", Date, nullable=False),
    prefixes=["TEMPORARY"],
)
#: The confirmed hardship identities of the enrollees that overlap the year.
_IDENTITY = Table(
    "assess_identity",
    _SCRATCH,
    Column("psn_no", String(32), nullable=False),
    Column("bit", Integer, nullable=False),
    Column("begin", Date, nullable=False),
    Column("end", Date, nullable=True),
    Index("assess_identity_psn_no", "psn_no"),
    prefixes=["TEMPORARY"],
)


def _combination() -> tuple[Column[Any], ...]:
    """The columns a decision is keyed by, as ``assess_enrollee`` has them."""
    return (
        Column("region", Region, nullable=False),
        Column("identities", Integer, nullable=False),
        Column("hukou", Region, nullable=False),
    )


#: One row per decided combination: what every enrollee sharing it is assessed.
_DECISION = Table(
    "assess_decision",
    _SCRATCH,
    *_combination(),
    Column("standard", Money, nullable=False),
    Column("subsidy", Money, nullable=False),
    Column("payable", Money, nullable=False),
    Column("subsidy_identity", String(40), nullable=True),
    Column("declaration", String(24), nullable=False),
    prefixes=["TEMPORARY"],
)
#: One row per funding line of a subsidized combination (C4), in the decision's order.
_FUNDING = Table(
    "assess_funding",
    _SCRATCH,
    *_combination(),
    Column("line", Integer, nullable=False),
    Column("source", String(40), nullable=False),
    Column("amount", Money, nullable=True),
    prefixes=["TEMPORARY"],
)


def assess(
    uow: UnitOfWork,
    region: str,
    year: int,
    policy: Policy | None = None,
    progress: Progress | None = None,
) -> AssessReport:
    """Assess ``year`` for every active resident enrollee of ``region`` (and its districts).

    Set-based: the enrollees are staged in a temporary table with their combination
    (:func:`_stage`; those assessed for the year already are ``unchanged``); the engine
    decides once per distinct combination; the decisions go to a temporary table; one INSERT
    … SELECT writes the assessments and one their funding lines."""
    policy = policy or load_policy()
    connection = uow.connection
    regions = enrollment_regions(connection, policy, region)
    unchanged = _stage(connection, policy, regions, year, pending=True)
    counts = _staged_counts(connection)
    decisions = {c: decide_combination(policy, c, year) for c in counts}
    decided = {c: n for c, n in counts.items() if decisions[c].status is Status.DECIDED}
    gaps = _gaps(counts, decisions)
    total = sum(decided.values())
    if not total:
        _drop_scratch(connection)
        return AssessReport(0, unchanged, gaps)
    distinct = list({_json_key(decisions[c]): decisions[c] for c in decided}.values())
    k2 = _workflow(policy, region, year, "K2", f"{year}年度按新年度标准自动核定应缴费用")
    change_id = uow.record(
        "assess",
        reason=f"{policy.region_name(region)}{year}年度核定：{total}人",
        decisions=((k2,) if k2 else ()) + tuple(distinct),
    )
    answers = {c: decisions[c].answer for c in decided}
    _write(connection, year, change_id, answers)
    _drop_scratch(connection)
    declarations: dict[str, int] = {}
    for combination, count in decided.items():
        declaration = _declaration(answers[combination])
        declarations[declaration] = declarations.get(declaration, 0) + count
    if progress is not None:
        progress(total, total)
    return AssessReport(total, unchanged, gaps, change_id, declarations)


def combination_counts(
    connection: Connection, policy: Policy, regions: list[str], year: int, pending: bool = True
) -> dict[Combination, int]:
    """How many of the active resident enrollees of ``regions`` for ``year`` share each
    combination, staged (``assess_enrollee``, left for the caller). ``pending``: only those
    not assessed for the year yet (the assessment); otherwise all of them (a what-if)."""
    _stage(connection, policy, regions, year, pending)
    return _staged_counts(connection)


def _staged_counts(connection: Connection) -> dict[Combination, int]:
    en = _ENROLLEE
    return {
        Combination(region, _identities(bits), hukou or None): int(count)
        for region, bits, hukou, count in connection.execute(
            select(en.c.region, en.c.identities, en.c.hukou, func.count()).group_by(
                en.c.region, en.c.identities, en.c.hukou
            )
        )
    }


def funding_lines(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The funding lines of a decided subsidy (C4): the decision's, else one ``undetermined``
    line of the whole subsidy; none without a subsidy."""
    if not answer["subsidy"]:
        return []
    return answer.get("funding") or [{"source": UNDETERMINED, "amount": answer["subsidy"]}]


def decide_combination(policy: Policy, combination: Combination, year: int) -> Decision:
    return decide_facts(
        CONTRIBUTION,
        ContributionFacts(
            region=combination.region,
            year=year,
            paid_on=None,
            identities=combination.identities,
            district=None,
            scheme=Scheme.RESIDENT,
            hukou_region=combination.hukou,
            employee_contribution=None,
        ),
        policy,
    )


def _identities(bits: int) -> frozenset[str]:
    return frozenset(code for code, bit in _BITS.items() if bits & bit)


def _declaration(answer: dict[str, Any]) -> str:
    return str(answer.get("tax_declaration") or "normal")


def _stage(
    connection: Connection, policy: Policy, regions: list[str], year: int, pending: bool
) -> int:
    """Fill ``assess_enrollee`` with the enrollees: the relations normal on the first day of
    the year, and those registered during the year for the year (:func:`_not_for_year`). With
    ``pending``, those assessed for the year already are counted and left out: how many, the
    answer. Then ``assess_identity`` with the confirmed identities overlapping the year
    (:func:`_held_identities`) of the enrollees' persons, and the identities of the holders on
    the day they are assessed for (:func:`_holds`), and their hukou on it where they hold one
    (:func:`_hukou_on`); the others keep none and ''."""
    first_day = date(year, 1, 1)
    en, day, i, a = _ENROLLEE, _DAY, _IDENTITY, t.assessment
    _drop_scratch(connection)
    # assess_enrollee is created from its query below.
    _SCRATCH.create_all(connection, [i, day, _DECISION, _FUNDING])
    # CREATE TABLE … AS: PostgreSQL reads the relations' versions with parallel workers for
    # it, which it does not for an INSERT. In the relations' order: the assessments are
    # written in it (their (relation, year) key takes them in its own order).
    enrollees = _enrollees(regions, year, pending=False).subquery()
    connection.execute(
        select(
            enrollees.c.rlts_id,
            enrollees.c.psn_no,
            enrollees.c.insuplc_admdvs.label("region"),
            enrollees.c.day,
            literal(0).label("identities"),
            literal("").label("hukou"),
        )
        .order_by(enrollees.c.rlts_id)
        .into(en.name, temporary=True)
    )
    later = en.c.day > first_day
    registration_days = connection.execute(select(en.c.region, en.c.day).where(later).distinct())
    not_for_year = [
        {"region": region, "day": when}
        for region, when in _not_for_year(policy, year, registration_days)
    ]
    if not_for_year:
        connection.execute(insert(day), not_for_year)
        connection.execute(
            delete(en).where(
                later,
                select(day.c.day)
                .where(day.c.region == en.c.region, day.c.day == en.c.day)
                .exists(),
            )
        )
    _analyze(connection, en)
    unchanged = 0
    if pending:
        # A query of its own, before any row of the run is written: the planner sees the
        # assessments as they are (inside the INSERT that writes them, it would plan on the
        # table as it was before — empty on a year's first run — and rescan it for every row).
        assessed = select(a.c.id).where(a.c.rlts_id == en.c.rlts_id, a.c.year == year).exists()
        unchanged = connection.execute(
            select(func.count()).select_from(en).where(assessed)
        ).scalar_one()
        if unchanged:
            connection.execute(delete(en).where(assessed))
    held = _held_identities(year).subquery()
    connection.execute(
        insert(i).from_select(
            ["psn_no", "bit", "begin", "end"],
            select(held).where(held.c.psn_no.in_(select(en.c.psn_no))),
        )
    )
    _analyze(connection, i)
    bits = (
        select(func.coalesce(func.sum(distinct(i.c.bit)), 0))
        .where(_holds(i, en.c.psn_no, en.c.day))
        .scalar_subquery()
    )
    connection.execute(
        update(en).where(en.c.psn_no.in_(select(i.c.psn_no))).values(identities=bits)
    )
    connection.execute(
        update(en)
        .where(en.c.identities > 0)
        .values(hukou=func.coalesce(_hukou_on(en.c.psn_no, en.c.day), ""))
    )
    return int(unchanged)


def count_combinations(
    connection: Connection, policy: Policy, regions: list[str], year: int, pending: bool = True
) -> dict[Combination, int]:
    """The same counts as :func:`combination_counts`, without staging the enrollees: one
    ``GROUP BY`` of the enrollees by region and day, and one of those holding a confirmed
    identity on their day by their combination; the plain enrollees of a region are the
    difference. The same definition (:func:`_enrollees`, :func:`_not_for_year`,
    :func:`_held_identities`, :func:`_holds`, :func:`_hukou_on`); a what-if (W11) reads it."""
    enrollee = _enrollees(regions, year, pending).subquery("enrollee")
    region, day = enrollee.c.insuplc_admdvs, enrollee.c.day
    by_day = {
        (r, d): int(n)
        for r, d, n in connection.execute(select(region, day, func.count()).group_by(region, day))
    }
    excluded = set(
        _not_for_year(policy, year, [key for key in by_day if key[1] > date(year, 1, 1)])
    )
    held = _held_identities(year).subquery("held")
    # Driven by the persons who hold an identity: their enrollees only, not all of them again.
    holding = _enrollees(regions, year, pending, select(held.c.psn_no)).subquery("holding")
    region, day = holding.c.insuplc_admdvs, holding.c.day
    holders = (
        select(
            region.label("region"),
            day.label("day"),
            func.sum(distinct(held.c.bit)).label("bits"),
            _hukou_on(holding.c.psn_no, day).label("hukou"),
        )
        .select_from(holding.join(held, held.c.psn_no == holding.c.psn_no))
        .where(_holds(held, holding.c.psn_no, day))
        .group_by(holding.c.rlts_id, holding.c.psn_no, region, day)
        .subquery("holder")
    )
    h = holders.c
    counts: dict[Combination, int] = {}
    for (r, d), n in by_day.items():
        if (r, d) not in excluded:
            counts[Combination(r, NONE, None)] = counts.get(Combination(r, NONE, None), 0) + n
    for r, d, bits, hukou, n in connection.execute(
        select(h.region, h.day, h.bits, h.hukou, func.count()).group_by(
            h.region, h.day, h.bits, h.hukou
        )
    ):
        if (r, d) in excluded:
            continue
        plain = Combination(r, NONE, None)
        counts[plain] -= int(n)
        key = Combination(r, _identities(bits), hukou or None)
        counts[key] = counts.get(key, 0) + int(n)
    return {c: n for c, n in counts.items() if n}


def _enrollees(regions: list[str], year: int, pending: bool, persons: Any = None) -> Any:
    """(rlts_id, psn_no, insuplc_admdvs, day) of the enrollees to assess: the relations normal
    on the first day of the year (that day), then those registered during the year (their
    registration day; whether it is for the year is :func:`_not_for_year`'s to say). With
    ``pending``, only those not assessed for the year yet; with ``persons`` (a query of
    psn_no), only theirs."""
    first_day = date(year, 1, 1)
    e = t.enrollment
    normal = (
        select(e.c.rlts_id, e.c.psn_no, e.c.insuplc_admdvs, literal(first_day, Date).label("day"))
        .select_from(e.join(t.enrollment_version))
        .where(_valid_on(first_day), _to_assess(regions, year, pending))
    )
    registered = _registered(regions, year, pending)
    if persons is not None:
        normal, registered = (q.where(e.c.psn_no.in_(persons)) for q in (normal, registered))
    return union_all(normal, registered)


def _not_for_year(
    policy: Policy, year: int, registration_days: Iterable[Sequence[Any]]
) -> list[tuple[str, date]]:
    """The (region, day) registrations during the year that the policy puts in another year."""
    return [
        (region, when)
        for region, when in registration_days
        if enrollment_year(policy, region, when) != year
    ]


def _held_identities(year: int) -> Select[Any]:
    """(psn_no, bit, begin, end): the confirmed hardship identities overlapping the year."""
    confirmed = confirmed_identities().subquery()
    return select(
        confirmed.c.psn_no,
        case(_BITS, value=confirmed.c.identity).label("bit"),
        confirmed.c.begin,
        confirmed.c.end,
    ).where(
        confirmed.c.identity.in_(list(_BITS)),
        confirmed.c.begin <= date(year, 12, 31),
        or_(confirmed.c.end.is_(None), confirmed.c.end >= date(year, 1, 1)),
    )


def _holds(identity: Any, psn_no: Any, day: Any) -> Any:
    """Row ``identity`` (psn_no, bit, begin, end) is the person's and held on ``day``."""
    return and_(
        identity.c.psn_no == psn_no,
        identity.c.begin <= day,
        or_(identity.c.end.is_(None), identity.c.end >= day),
    )


def _hukou_on(psn_no: Any, day: Any) -> Any:
    """The person's hukou region on ``day`` (their version then), or NULL."""
    pv = t.person_version
    return (
        select(pv.c.hukou_admdvs)
        .where(pv.c.psn_no == psn_no, pv.c.valid_from <= day)
        .order_by(pv.c.valid_from.desc(), pv.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _registered(regions: list[str], year: int, pending: bool) -> Select[Any]:
    """Relations registered during the year (their first version valid after its first day),
    normal then, with the day; whether they are for the year is the policy's to say."""
    e, v, other = t.enrollment, t.enrollment_version, _OTHER_VERSION
    earlier = (
        select(other.c.id)
        .where(
            other.c.rlts_id == v.c.rlts_id,
            or_(
                other.c.valid_from < v.c.valid_from,
                and_(other.c.valid_from == v.c.valid_from, other.c.id < v.c.id),
            ),
        )
        .exists()
    )
    return (
        select(e.c.rlts_id, e.c.psn_no, e.c.insuplc_admdvs, v.c.valid_from)
        .select_from(e.join(v, v.c.rlts_id == e.c.rlts_id))
        .where(
            _to_assess(regions, year, pending),
            v.c.valid_from > date(year, 1, 1),
            v.c.valid_from <= date(year, 12, 31),
            ~earlier,
        )
    )


def _write(
    connection: Connection, year: int, change_id: int, answers: dict[Combination, Any]
) -> None:
    """The decisions into their scratch tables, then the staged enrollees' assessments and
    their funding lines (C4: they add up to the subsidy; ``undetermined`` where the documents
    leave the split open), each by one INSERT … SELECT."""
    decision_rows, funding_rows = [], []
    for combination, answer in answers.items():
        key = {
            "region": combination.region,
            "identities": sum(_BITS[code] for code in combination.identities),
            "hukou": combination.hukou or "",
        }
        decision_rows.append(
            key
            | {
                "standard": answer["standard"],
                "subsidy": answer["subsidy"],
                "payable": answer["payable"],
                "subsidy_identity": answer["subsidy_identity"],
                "declaration": _declaration(answer),
            }
        )
        funding_rows += [
            key | {"line": n, "source": line["source"], "amount": line["amount"]}
            for n, line in enumerate(funding_lines(answer))
        ]
    connection.execute(insert(_DECISION), decision_rows)
    _analyze(connection, _DECISION)
    en, d, f, a = _ENROLLEE, _DECISION, _FUNDING, t.assessment
    connection.execute(
        insert(a).from_select(
            [
                "rlts_id",
                "psn_no",
                "year",
                "standard",
                "subsidy",
                "payable",
                "subsidy_identity",
                "declaration",
                "change_id",
            ],
            select(
                en.c.rlts_id,
                en.c.psn_no,
                literal(year),
                d.c.standard,
                d.c.subsidy,
                d.c.payable,
                d.c.subsidy_identity,
                d.c.declaration,
                literal(change_id),
            )
            # In the staging's order, the relations' (hash joined, the decisions hashed).
            .select_from(en.join(d, _same_combination(d, en))),
        )
    )
    if not funding_rows:
        return
    connection.execute(insert(f), funding_rows)
    _analyze(connection, f)
    # The assessment by its key, one lookup a funded row: as a join, the planner (misjudging
    # how many rows share a combination) may rescan the assessments for every row.
    assessment_id = (
        select(a.c.id).where(a.c.rlts_id == en.c.rlts_id, a.c.year == year).scalar_subquery()
    )
    connection.execute(
        insert(t.subsidy_line).from_select(
            ["assessment_id", "source", "amount"],
            select(assessment_id, f.c.source, f.c.amount)
            .select_from(f.join(en, _same_combination(f, en)))
            .order_by(en.c.rlts_id, f.c.line),
        )
    )


def _same_combination(table: Table, en: Any) -> Any:
    return and_(
        table.c.region == en.c.region,
        table.c.identities == en.c.identities,
        table.c.hukou == en.c.hukou,
    )


def _analyze(connection: Connection, table: Table) -> None:
    """The planner's statistics of a scratch table (PostgreSQL never analyses temporary tables
    itself, and guesses badly without them)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {table.name}")


def _drop_scratch(connection: Connection) -> None:
    _SCRATCH.drop_all(connection, checkfirst=True)


def enrollment_regions(connection: Connection, policy: Policy, region: str) -> list[str]:
    """The enrollment regions within ``region`` (itself and its districts) the registry holds."""
    held = connection.execute(select(t.enrollment.c.insuplc_admdvs).distinct()).scalars()
    return sorted({code for code in held if policy.within(code, region)} | {region})


_OTHER_VERSION = t.enrollment_version.alias("other_version")


def _valid_on(day: date) -> Any:
    """The enrollment version is the one valid on ``day``: the latest begun by then. (NOT
    EXISTS rather than a correlated LIMIT 1: the databases run it as one anti-join.)"""
    v, other = t.enrollment_version, _OTHER_VERSION
    later = (
        select(other.c.id)
        .where(
            other.c.rlts_id == v.c.rlts_id,
            other.c.valid_from <= day,
            or_(
                other.c.valid_from > v.c.valid_from,
                and_(other.c.valid_from == v.c.valid_from, other.c.id > v.c.id),
            ),
        )
        .exists()
    )
    return and_(v.c.valid_from <= day, ~later)


def _to_assess(regions: list[str], year: int, pending: bool = True) -> Any:
    """A normal resident relation of the regions; ``pending``: not assessed for the year yet."""
    e, v, a = t.enrollment, t.enrollment_version, t.assessment
    active = and_(
        e.c.insutype == RESIDENT, e.c.insuplc_admdvs.in_(regions), v.c.psn_insu_stas == NORMAL
    )
    if not pending:
        return active
    return and_(
        active, ~select(a.c.id).where(a.c.rlts_id == e.c.rlts_id, a.c.year == year).exists()
    )


def _gaps(
    counts: dict[Combination, int], decisions: dict[Combination, Decision]
) -> tuple[AssessGap, ...]:
    """The persons left unassessed, counted by region, identities and what is missing."""
    found: dict[tuple[str, tuple[str, ...], tuple[str, ...]], int] = {}
    explanations: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}
    for combination, count in counts.items():
        decision = decisions[combination]
        if decision.status is not Status.DECIDED:
            key = (combination.region, tuple(sorted(combination.identities)), decision.gaps)
            found[key] = found.get(key, 0) + count
            explanations.setdefault(key, decision.explanation)
    return tuple(
        AssessGap(region, identities, found[key], gaps, explanations[key])
        for key in sorted(found)
        for region, identities, gaps in (key,)
    )


# --- export to the tax bureau ----------------------------------------------------------------


def export_batch(
    uow: UnitOfWork, region: str, year: int, path: Path, policy: Policy | None = None
) -> str | None:
    """Write the 应征数据 file of a new batch: the region's assessments for ``year`` never sent,
    and those whose latest feedback asks for a resend (K1). None when there is nothing to send
    (then nothing is written)."""
    policy = policy or load_policy()
    connection = uow.connection
    regions = enrollment_regions(connection, policy, region)
    to_send = _to_send(regions, year)
    count = connection.execute(select(func.count()).select_from(to_send.subquery())).scalar_one()
    if not count:
        return None
    sent_before = connection.execute(
        select(func.count()).where(t.tax_batch.c.admdvs == region, t.tax_batch.c.year == year)
    ).scalar_one()
    batch_id = f"{region}{year}-{sent_before + 1:04d}"
    k1 = _workflow(policy, region, year, "K1", f"应征数据送税务部门代扣代缴（批次{batch_id}）")
    change_id = uow.record(
        "tax_export",
        reason=f"{policy.region_name(region)}{year}年度应征数据，批次{batch_id}，{count}人",
        decisions=(k1,) if k1 else (),
    )
    connection.execute(
        insert(t.tax_batch).values(batch_id=batch_id, admdvs=region, year=year, change_id=change_id)
    )
    chosen = to_send.subquery()
    connection.execute(
        insert(t.tax_batch_item).from_select(
            ["batch_id", "assessment_id"], select(literal(batch_id), chosen.c.id)
        )
    )
    _write_batch(connection, policy, batch_id, region, year, path, uow.today)
    return batch_id


def write_batch(connection: Connection, batch_id: str, path: Path, policy: Policy) -> bool:
    """The 应征数据 file of a batch sent before, again, as it was sent: the persons' data as
    of the day of the batch. False (nothing written) when there is no such batch."""
    b, log = t.tax_batch, t.change_log
    found = connection.execute(
        select(b.c.admdvs, b.c.year, log.c.recorded_at)
        .join(log, log.c.id == b.c.change_id)
        .where(b.c.batch_id == batch_id)
    ).first()
    if found is None:
        return False
    region, year, recorded_at = found
    _write_batch(connection, policy, batch_id, region, year, path, recorded_at.date())
    return True


def _write_batch(
    connection: Connection,
    policy: Policy,
    batch_id: str,
    region: str,
    year: int,
    path: Path,
    today: date,
) -> None:
    title = f"{policy.region_name(region)}{year}年度城乡居民基本医疗保险应征数据（批次{batch_id}）"
    write_assessment(path, title, _file_rows(connection, batch_id, date(year, 1, 1), today))


def _to_send(regions: list[str], year: int) -> Select[Any]:
    a, e, p, item, batch = (
        t.assessment,
        t.enrollment,
        t.payment,
        t.tax_batch_item,
        t.tax_batch,
    )
    last_sent = (
        select(func.max(batch.c.change_id))
        .select_from(item.join(batch, batch.c.batch_id == item.c.batch_id))
        .where(item.c.assessment_id == a.c.id)
        .scalar_subquery()
    )
    latest = select(p.c.result, p.c.change_id).where(p.c.assessment_id == a.c.id)
    latest = latest.order_by(p.c.id.desc()).limit(1)
    latest_result = latest.with_only_columns(p.c.result).scalar_subquery()
    latest_change = latest.with_only_columns(p.c.change_id).scalar_subquery()
    return (
        select(a.c.id)
        .select_from(a.join(e, e.c.rlts_id == a.c.rlts_id))
        .where(
            a.c.year == year,
            e.c.insuplc_admdvs.in_(regions),
            or_(
                last_sent.is_(None),
                and_(latest_result == RESEND, latest_change > last_sent),
            ),
        )
    )


def _file_rows(
    connection: Connection, batch_id: str, first_day: date, today: date
) -> Iterator[tuple[object, ...]]:
    """The batch's rows, a household's members together under the account they pay from (K3):
    the household's collective account, else the household's account, else the person's."""
    a, e, item, pv = t.assessment, t.enrollment, t.tax_batch_item, t.person_version
    hm, hh, ca = t.household_member, t.household, t.collective_account

    def person(column: Any) -> Any:
        return _person_on(column, a.c.psn_no, today)

    household = (
        select(hm.c.household_id)
        .where(
            hm.c.psn_no == a.c.psn_no,
            hm.c.joined_on <= first_day,
            or_(hm.c.left_on.is_(None), hm.c.left_on > first_day),
        )
        .order_by(hm.c.joined_on.desc(), hm.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    certno = _certno_of(a.c.psn_no)
    inner = (
        select(
            a.c.psn_no,
            person(pv.c.psn_name).label("psn_name"),
            certno.label("certno"),
            a.c.year,
            e.c.insutype,
            a.c.payable,
            a.c.declaration,
            a.c.subsidy_identity,
            person(pv.c.bank_acct).label("own_acct"),
            household.label("household_id"),
        )
        .select_from(
            item.join(a, a.c.id == item.c.assessment_id).join(e, e.c.rlts_id == a.c.rlts_id)
        )
        .where(item.c.batch_id == batch_id)
        .subquery()
    )
    account = func.coalesce(ca.c.bank_acct, hh.c.bank_acct, inner.c.own_acct)
    query = (
        select(inner, account.label("account"))
        .select_from(
            inner.outerjoin(hh, hh.c.household_id == inner.c.household_id).outerjoin(
                ca, ca.c.account_id == hh.c.account_id
            )
        )
        .order_by(account, inner.c.household_id, inner.c.certno)
    )
    for row in connection.execute(query).mappings():
        yield (
            row["psn_no"],
            row["psn_name"],
            row["certno"],
            row["year"],
            row["insutype"],
            row["payable"],
            DECLARATIONS[row["declaration"]],
            IDENTITIES.get(row["subsidy_identity"] or "", ""),
            row["account"],
            row["household_id"],
            batch_id,
        )


def _person_on(column: Any, psn_no: Any, day: date) -> Any:
    """The person's ``column`` (of ``person_version``) in the version valid on ``day``."""
    pv = t.person_version
    return (
        select(column)
        .where(pv.c.psn_no == psn_no, pv.c.valid_from <= day)
        .order_by(pv.c.valid_from.desc(), pv.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _certno_of(psn_no: Any) -> Any:
    cert = t.certificate
    return select(func.min(cert.c.certno)).where(cert.c.psn_no == psn_no).scalar_subquery()


# --- feedback from the tax bureau ------------------------------------------------------------


@dataclass
class FeedbackReport:
    """What a feedback import did: payments by result, lines seen before, lines that match
    nothing (kept in ``unmatched_feedback``) and lines that cannot be read."""

    results: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[RowError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "paid": self.results.get(PAID, 0),
            "resend": self.results.get(RESEND, 0),
            "abandoned": self.results.get(ABANDONED, 0),
            "failed": self.results.get(FAILED, 0),
            "unchanged": self.unchanged,
            "unmatched": self.unmatched,
            "rejected": [error.as_json() for error in self.rejected],
        }


PROBLEMS = {
    "unknown_batch": "税务反馈的批次号不存在",
    "unknown_person": "证件号码不在登记库中",
    "not_in_batch": "该人员该年度的应征数据不在此批次中",
}


def import_feedback(
    uow: UnitOfWork,
    path: Path,
    policy: Policy | None = None,
    progress: Progress | None = None,
) -> FeedbackReport:
    """Import the tax bureau's feedback file (raises ``TaxFileError`` for an unreadable one)."""
    policy = policy or load_policy()
    lines, rejected = read_feedback(path)
    report = FeedbackReport(rejected=rejected)
    outcomes: dict[tuple[str, int, str], tuple[str, Decision | None]] = {}
    for done, line in enumerate(lines, start=1):
        _feedback_line(uow, policy, line, report, outcomes)
        if progress is not None:
            progress(done, len(lines))
    return report


def _feedback_line(
    uow: UnitOfWork,
    policy: Policy,
    line: FeedbackLine,
    report: FeedbackReport,
    outcomes: dict[tuple[str, int, str], tuple[str, Decision | None]],
) -> None:
    key = _request_key(line)
    if uow.seen(key) is not None:
        report.unchanged += 1
        return
    connection = uow.connection
    psn_no = find_person(connection, RESIDENT_ID, line.certno)
    problem, matched = _match(connection, line, psn_no)
    if matched is None:
        change_id = uow.record(
            "tax_feedback_unmatched",
            psn_no=psn_no,
            reason=PROBLEMS[problem],
            row=line.row,
            request_key=key,
        )
        connection.execute(
            insert(t.unmatched_feedback).values(
                problem=problem,
                batch_id=line.batch_id,
                certno=line.certno,
                year=line.year,
                result_code=line.result_code,
                paid_amount=line.paid_amount,
                paid_on=line.paid_on,
                failure_reason=line.failure_reason,
                change_id=change_id,
            )
        )
        report.unmatched.append(
            {
                "row": line.row,
                "batch_id": line.batch_id,
                "certno": line.certno,
                "year": line.year,
                "problem": problem,
                "reason": PROBLEMS[problem],
            }
        )
        return
    assessment_id, region = matched
    outcome_key = (region, line.year, line.meaning)
    if outcome_key not in outcomes:
        outcomes[outcome_key] = classify_feedback(policy, region, line.year, line.meaning)
    result, decision = outcomes[outcome_key]
    change_id = uow.record(
        "tax_feedback",
        psn_no=psn_no,
        reason=f"批次{line.batch_id}：{RESULT_CODES[line.result_code][1]}",
        decisions=(decision,) if decision else (),
        row=line.row,
        request_key=key,
    )
    connection.execute(
        insert(t.payment).values(
            assessment_id=assessment_id,
            result=result,
            paid_amount=line.paid_amount,
            paid_on=line.paid_on,
            clct_way=TAX_COLLECTION,
            failure_reason=line.failure_reason,
            batch_id=line.batch_id,
            result_code=line.result_code,
            change_id=change_id,
        )
    )
    report.results[result] = report.results.get(result, 0) + 1


def _match(
    connection: Connection, line: FeedbackLine, psn_no: str | None
) -> tuple[str, tuple[int, str] | None]:
    batch = connection.execute(
        select(t.tax_batch.c.batch_id).where(t.tax_batch.c.batch_id == line.batch_id)
    ).scalar()
    if batch is None:
        return "unknown_batch", None
    if psn_no is None:
        return "unknown_person", None
    a, e, item = t.assessment, t.enrollment, t.tax_batch_item
    found = connection.execute(
        select(a.c.id, e.c.insuplc_admdvs)
        .select_from(
            item.join(a, a.c.id == item.c.assessment_id).join(e, e.c.rlts_id == a.c.rlts_id)
        )
        .where(item.c.batch_id == line.batch_id, e.c.psn_no == psn_no, a.c.year == line.year)
        .order_by(a.c.id)
        .limit(1)
    ).first()
    if found is None:
        return "not_in_batch", None
    return "", (int(found[0]), str(found[1]))


def classify_feedback(
    policy: Policy, region: str, year: int, meaning: str
) -> tuple[str, Decision | None]:
    """Paid (K4: the channel is recorded); a failure the policy data names as the person's own
    → abandoned (自动弃保), any other → resend (K1); where the documents do not say which
    failures abandon: failed, with the gap."""
    params = Params(policy, region, year)
    out = Outcome(KIND, params)
    if meaning == PAID:
        if policy.rule_citations("K4", region):
            out.apply("K4")
            return PAID, out.decided("税务部门扣费成功，记录缴费渠道（税务征收）。", result=PAID)
        return PAID, None
    out.apply("K1")
    abandoning = params.get("collection.abandoning_failures")
    if abandoning is None:
        return FAILED, out.gap(
            "个人原因扣费不成功是否视为自动弃保，本地文件未规定",
            f"{policy.region_name(region)}文件未规定扣费不成功如何处理，记为扣费失败。",
            result=FAILED,
        )
    if meaning in abandoning:
        return ABANDONED, out.decided(
            "个人原因（缴费银行账户余额不足、账户状态不正常等）导致扣费不成功，视为自动弃保。",
            result=ABANDONED,
        )
    return RESEND, out.decided(
        "非参保人个人原因导致扣费不成功，应征数据重新传送税务部门补缴扣费。", result=RESEND
    )


def _request_key(line: FeedbackLine) -> str:
    text = "|".join(
        str(part)
        for part in (
            line.batch_id,
            line.certno,
            line.year,
            line.result_code,
            line.paid_amount,
            line.paid_on,
            line.failure_reason,
        )
    )
    return "tax-feedback:" + hashlib.sha256(text.encode()).hexdigest()[:48]


def payment_status(connection: Connection, psn_no: str, year: int) -> str | None:
    """The person's payment status for ``year``, from the events: the latest feedback's result
    (paid, resend, abandoned, failed); ``sent`` when sent without feedback yet; ``assessed``
    when not sent; None when not assessed."""
    a, e, p, item = t.assessment, t.enrollment, t.payment, t.tax_batch_item
    mine = (
        select(a.c.id)
        .select_from(e.join(a, a.c.rlts_id == e.c.rlts_id))
        .where(e.c.psn_no == psn_no, a.c.year == year)
    )
    latest = connection.execute(
        select(p.c.result).where(p.c.assessment_id.in_(mine)).order_by(p.c.id.desc()).limit(1)
    ).scalar()
    if latest is not None:
        return str(latest)
    if connection.execute(select(item.c.batch_id).where(item.c.assessment_id.in_(mine))).first():
        return "sent"
    if connection.execute(mine).first():
        return "assessed"
    return None


@dataclass(frozen=True)
class RegionCollection:
    """How far ``year``'s collection went in an enrollment region: the assessments, those sent
    to the tax bureau, and by their latest feedback paid, to send again (``resend``),
    abandoned (自动弃保, K1) and failed (the documents do not say which failures abandon)."""

    region: str
    name: str
    assessed: int
    sent: int
    paid: int
    resend: int
    abandoned: int
    failed: int

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def collection_progress(
    connection: Connection, regions: Sequence[str], year: int, policy: Policy | None = None
) -> list[RegionCollection]:
    """Per enrollment region of ``regions`` with assessments for ``year``, in code order: one
    GROUP BY over the assessments, their batches and their latest payment event."""
    policy = policy or load_policy()
    a, e, p, item = t.assessment, t.enrollment, t.payment, t.tax_batch_item
    latest = (
        select(p.c.assessment_id, func.max(p.c.id).label("id")).group_by(p.c.assessment_id)
    ).subquery()
    last = p.alias("last_payment")
    sent = select(item.c.assessment_id.label("id")).distinct().subquery()

    def results(result: str) -> Any:
        return func.count(case((last.c.result == result, a.c.id)))

    rows = connection.execute(
        select(
            e.c.insuplc_admdvs,
            func.count(a.c.id),
            func.count(sent.c.id),
            results(PAID),
            results(RESEND),
            results(ABANDONED),
            results(FAILED),
        )
        .select_from(
            a.join(e, e.c.rlts_id == a.c.rlts_id)
            .outerjoin(sent, sent.c.id == a.c.id)
            .outerjoin(latest, latest.c.assessment_id == a.c.id)
            .outerjoin(last, last.c.id == latest.c.id)
        )
        .where(a.c.year == year, e.c.insuplc_admdvs.in_(list(regions)))
        .group_by(e.c.insuplc_admdvs)
        .order_by(e.c.insuplc_admdvs)
    )
    return [
        RegionCollection(str(code), policy.region_name(str(code)), *map(int, counts))
        for code, *counts in rows
    ]


# --- lists: the batches and the feedback of a region's year ---------------------------------


@dataclass(frozen=True)
class BatchEntry:
    """A batch sent to the tax bureau: when, how many persons, what they owe in all, and the
    feedback lines received for it by result (paid, resend, abandoned, failed)."""

    batch_id: str
    admdvs: str
    year: int
    sent_at: datetime
    persons: int
    payable: Decimal
    feedback: dict[str, int]


def batches(
    connection: Connection, policy: Policy, region: str, year: int, limit: int, offset: int
) -> tuple[int, list[BatchEntry]]:
    """The batches of ``year`` exported for ``region`` or a region within it, newest first:
    how many in all, and the page ``offset``…``offset + limit``."""
    b, item, a, p, log = t.tax_batch, t.tax_batch_item, t.assessment, t.payment, t.change_log
    held = connection.execute(select(b.c.admdvs).where(b.c.year == year).distinct()).scalars()
    regions = [code for code in held if policy.within(code, region)]
    mine = and_(b.c.year == year, b.c.admdvs.in_(regions))
    total = connection.execute(select(func.count()).select_from(b).where(mine)).scalar_one()
    members = (
        select(item.c.batch_id, func.count().label("persons"), func.sum(a.c.payable).label("sum"))
        .join(a, a.c.id == item.c.assessment_id)
        .group_by(item.c.batch_id)
        .subquery()
    )
    page = connection.execute(
        select(b.c.batch_id, b.c.admdvs, b.c.year, log.c.recorded_at, members.c.persons,
               members.c.sum)
        .join(log, log.c.id == b.c.change_id)
        .outerjoin(members, members.c.batch_id == b.c.batch_id)
        .where(mine)
        .order_by(b.c.change_id.desc())
        .limit(limit)
        .offset(offset)
    ).all()  # fmt: skip
    results: dict[str, dict[str, int]] = {row.batch_id: {} for row in page}
    for batch_id, result, count in connection.execute(
        select(p.c.batch_id, p.c.result, func.count())
        .where(p.c.batch_id.in_(list(results)))
        .group_by(p.c.batch_id, p.c.result)
    ):
        results[batch_id][result] = int(count)
    return int(total), [
        BatchEntry(
            row.batch_id,
            row.admdvs,
            row.year,
            row.recorded_at,
            int(row.persons or 0),
            money(row.sum or 0),
            results[row.batch_id],
        )
        for row in page
    ]


@dataclass(frozen=True)
class ExchangeWork:
    """The tax exchange's open work in a scope: batches sent without any feedback yet, and
    feedback lines that matched nothing (kept in ``unmatched_feedback``)."""

    batches_awaiting_feedback: int
    unmatched_feedback: int


def exchange_work(connection: Connection, regions: Sequence[str]) -> ExchangeWork:
    """The open work of the exchange with the tax bureau for the batches of ``regions``."""
    b, p, u = t.tax_batch, t.payment, t.unmatched_feedback
    answered = select(p.c.id).where(p.c.batch_id == b.c.batch_id).exists()
    waiting = connection.execute(
        select(func.count()).where(b.c.admdvs.in_(list(regions)), ~answered)
    ).scalar_one()
    unmatched = connection.execute(
        select(func.count())
        .select_from(u.join(b, b.c.batch_id == u.c.batch_id))
        .where(b.c.admdvs.in_(list(regions)))
    ).scalar_one()
    return ExchangeWork(int(waiting), int(unmatched))


@dataclass(frozen=True)
class FeedbackEntry:
    """An assessment whose latest feedback is of one result (the resend list, the
    abandonment list): the person, what was owed, the line of the tax bureau (batch, code,
    reason, when received) and, after a resend, the batch that sent it again."""

    psn_no: str
    psn_name: str
    certno: str
    payable: Decimal
    batch_id: str | None
    result_code: str | None
    failure_reason: str | None
    received_at: datetime
    sent_again_in: str | None


def feedback_list(
    connection: Connection,
    policy: Policy,
    region: str,
    year: int,
    result: str,
    limit: int,
    offset: int,
) -> tuple[int, list[FeedbackEntry]]:
    """The region's assessments of ``year`` whose latest feedback is ``result`` (``resend``:
    to send again; ``abandoned``: 自动弃保, K1), in the order the lines came: how many in all,
    and the page ``offset``…``offset + limit``."""
    a, e, p, log = t.assessment, t.enrollment, t.payment, t.change_log
    item, b = t.tax_batch_item, t.tax_batch
    later = t.payment.alias("later_payment")
    newer = select(later.c.id).where(
        later.c.assessment_id == p.c.assessment_id, later.c.id > p.c.id
    )
    mine = and_(
        a.c.year == year,
        e.c.insuplc_admdvs.in_(enrollment_regions(connection, policy, region)),
        p.c.result == result,
        ~newer.exists(),
    )
    joined = a.join(e, e.c.rlts_id == a.c.rlts_id).join(p, p.c.assessment_id == a.c.id)
    total = connection.execute(select(func.count()).select_from(joined).where(mine)).scalar_one()
    sent_again = (
        select(func.max(item.c.batch_id))
        .join(b, b.c.batch_id == item.c.batch_id)
        .where(item.c.assessment_id == a.c.id, b.c.change_id > p.c.change_id)
        .scalar_subquery()
    )
    today = date.today()
    rows = connection.execute(
        select(
            a.c.psn_no,
            _person_on(t.person_version.c.psn_name, a.c.psn_no, today).label("psn_name"),
            _certno_of(a.c.psn_no).label("certno"),
            a.c.payable,
            p.c.batch_id,
            p.c.result_code,
            p.c.failure_reason,
            log.c.recorded_at,
            sent_again.label("sent_again_in"),
        )
        .select_from(joined.join(log, log.c.id == p.c.change_id))
        .where(mine)
        .order_by(p.c.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return int(total), [
        FeedbackEntry(
            row.psn_no,
            row.psn_name or "",
            row.certno or "",
            money(row.payable),
            row.batch_id,
            row.result_code,
            row.failure_reason,
            row.recorded_at,
            row.sent_again_in,
        )
        for row in rows
    ]


# --- households and collective accounts (K3) -------------------------------------------------


def create_collective_account(
    uow: UnitOfWork,
    name: str,
    admdvs: str,
    bank_acct: str,
    year: int,
    policy: Policy | None = None,
) -> str:
    """A village's collective account (集体账户) that pays for its households (K3)."""
    policy = policy or load_policy()
    k3 = _workflow(policy, admdvs, year, "K3", f"{name}集体账户代扣代缴家庭户居民医保费")
    change_id = uow.record(
        "collective_account", reason=f"{name}集体账户", decisions=(k3,) if k3 else ()
    )
    unit_id, account_id = new_id("U"), new_id("A")
    uow.connection.execute(
        insert(t.unit).values(
            unit_id=unit_id, kind="village", name=name, admdvs=admdvs, change_id=change_id
        )
    )
    uow.connection.execute(
        insert(t.collective_account).values(
            account_id=account_id, unit_id=unit_id, bank_acct=bank_acct, change_id=change_id
        )
    )
    return account_id


def create_household(
    uow: UnitOfWork,
    admdvs: str,
    members: Sequence[str],
    joined_on: date,
    bank_acct: str | None = None,
    account_id: str | None = None,
    policy: Policy | None = None,
) -> str:
    """A household (家庭户) whose members pay from one bank account, its own or a village's
    collective account (K3)."""
    policy = policy or load_policy()
    k3 = _workflow(policy, admdvs, joined_on.year, "K3", "以家庭户办理缴费")
    change_id = uow.record(
        "household", reason=f"家庭户，{len(members)}人", decisions=(k3,) if k3 else ()
    )
    household_id = new_id("H")
    uow.connection.execute(
        insert(t.household).values(
            household_id=household_id,
            admdvs=admdvs,
            bank_acct=bank_acct,
            account_id=account_id,
            change_id=change_id,
        )
    )
    uow.connection.execute(
        insert(t.household_member),
        [
            {
                "household_id": household_id,
                "psn_no": psn_no,
                "joined_on": joined_on,
                "change_id": change_id,
            }
            for psn_no in members
        ],
    )
    return household_id


# --- shared ----------------------------------------------------------------------------------


def _workflow(policy: Policy, region: str, year: int, rule: str, text: str) -> Decision | None:
    """The decision of a workflow rule (K) in a region whose documents state it; None where
    they do not (the rule is then not claimed)."""
    if not policy.rule_citations(rule, region):
        return None
    out = Outcome(KIND, Params(policy, region, year))
    out.apply(rule)
    return out.decided(text + "。")


def _json_key(decision: Decision) -> str:
    import json

    return json.dumps(to_json(decision.as_json()), sort_keys=True, ensure_ascii=False)


__all__ = [
    "AssessReport",
    "BatchEntry",
    "Combination",
    "FeedbackEntry",
    "FeedbackReport",
    "assess",
    "combination_counts",
    "create_collective_account",
    "create_household",
    "decide_combination",
    "enrollment_regions",
    "batches",
    "export_batch",
    "feedback_list",
    "funding_lines",
    "import_feedback",
    "payment_status",
    "write_batch",
]
