"""A person's record over time, as the person page shows it beside the 1101 status
(``registry.status``): every enrollment relation with every version (ADR 0006: versions are
appended, never updated), every change recorded for the person with the decisions behind it
(rule ids, citations), and the household the registry links the person to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from canbao.adapters import tables as t
from canbao.services.registry import person_as_of


@dataclass(frozen=True)
class RelationVersion:
    """A version of an enrollment relation, valid from ``valid_from`` until the next one."""

    valid_from: date
    psn_type: str
    psn_insu_stas: str
    psn_insu_date: date
    paus_insu_date: date | None
    benefit_start: date | None
    benefit_end: date | None
    waiting_months: int | None
    change_id: int


@dataclass(frozen=True)
class Relation:
    """An enrollment relation (险种, 参保地) with its versions, oldest first."""

    rlts_id: str
    insutype: str
    insuplc_admdvs: str
    versions: tuple[RelationVersion, ...]

    def version_on(self, day: date) -> RelationVersion | None:
        """The version in effect on ``day`` (None before the relation began)."""
        held = [v for v in self.versions if v.valid_from <= day]
        return held[-1] if held else None


@dataclass(frozen=True)
class Change:
    """A change recorded for the person: who, when, why, at which office, and the engine's
    decisions (the decision contract's JSON, each with its rule ids and citations)."""

    change_id: int
    recorded_at: dt.datetime
    actor: str
    action: str
    reason: str
    office_admdvs: str | None
    rules: tuple[str, ...]
    decisions: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Member:
    """A member of the person's household as of the day asked."""

    psn_no: str
    psn_name: str
    certno: str
    joined_on: date
    left_on: date | None


@dataclass(frozen=True)
class PersonHistory:
    relations: tuple[Relation, ...]
    changes: tuple[Change, ...]
    household: tuple[Member, ...]


def person_history(connection: Connection, psn_no: str, as_of: date) -> PersonHistory:
    """The person's relations and changes (all of them, in order), and the household members
    as of ``as_of`` (the person included)."""
    return PersonHistory(
        _relations(connection, psn_no),
        _changes(connection, psn_no),
        _household(connection, psn_no, as_of),
    )


def _relations(connection: Connection, psn_no: str) -> tuple[Relation, ...]:
    e, v = t.enrollment, t.enrollment_version
    rows = connection.execute(
        select(e.c.rlts_id, e.c.insutype, e.c.insuplc_admdvs, v)
        .join(v, v.c.rlts_id == e.c.rlts_id)
        .where(e.c.psn_no == psn_no)
        .order_by(e.c.rlts_id, v.c.valid_from, v.c.id)
    ).mappings()
    found: dict[str, tuple[Any, list[RelationVersion]]] = {}
    for row in rows:
        _, versions = found.setdefault(row["rlts_id"], (row, []))
        versions.append(
            RelationVersion(
                valid_from=row["valid_from"],
                psn_type=row["psn_type"],
                psn_insu_stas=row["psn_insu_stas"],
                psn_insu_date=row["psn_insu_date"],
                paus_insu_date=row["paus_insu_date"],
                benefit_start=row["benefit_start"],
                benefit_end=row["benefit_end"],
                waiting_months=row["waiting_months"],
                change_id=row["change_id"],
            )
        )
    relations = [
        Relation(rlts_id, first["insutype"], first["insuplc_admdvs"], tuple(versions))
        for rlts_id, (first, versions) in found.items()
    ]
    return tuple(sorted(relations, key=lambda r: (r.versions[0].psn_insu_date, r.rlts_id)))


def _changes(connection: Connection, psn_no: str) -> tuple[Change, ...]:
    c = t.change_log
    rows = connection.execute(select(c).where(c.c.psn_no == psn_no).order_by(c.c.id)).mappings()
    return tuple(
        Change(
            change_id=row["id"],
            recorded_at=row["recorded_at"],
            actor=row["actor"],
            action=row["action"],
            reason=row["reason"] or "",
            office_admdvs=row["office_admdvs"],
            rules=tuple(row["rules"] or ()),
            decisions=tuple(row["decision"] or ()),
        )
        for row in rows
    )


def _household(connection: Connection, psn_no: str, day: date) -> tuple[Member, ...]:
    m, c = t.household_member, t.certificate
    current = and_(m.c.joined_on <= day, or_(m.c.left_on.is_(None), m.c.left_on > day))
    households = select(m.c.household_id).where(m.c.psn_no == psn_no, current)
    rows = connection.execute(
        select(m.c.psn_no, m.c.joined_on, m.c.left_on)
        .where(m.c.household_id.in_(households), current)
        .order_by(m.c.joined_on, m.c.psn_no)
    ).all()
    members = []
    for row in rows:
        person = person_as_of(connection, row.psn_no, day) or person_as_of(
            connection, row.psn_no, date.max
        )
        certno = connection.execute(
            select(c.c.certno).where(c.c.psn_no == row.psn_no).order_by(c.c.psn_cert_type)
        ).scalar()
        members.append(
            Member(
                psn_no=row.psn_no,
                psn_name=person["psn_name"] if person is not None else "",
                certno=certno or "",
                joined_on=row.joined_on,
                left_on=row.left_on,
            )
        )
    return tuple(members)
