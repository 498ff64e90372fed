"""A person's status as of a day in the 1101 interface's shape (SPEC section 7): the basic
information, each enrollment relation in its version of the day, the hardship identities
holding that day.

The status query is the service's most frequent read (issue 8: p99 ≤ 20 ms with 1,000,000
persons), so it is one statement, built once with bound parameters (SQLAlchemy compiles it
once per process): the person's version of the day and latest certificate, joined with each
relation in its version of the day (a relation not begun yet comes with an empty version:
its region still says where the person belongs) and each identity version begun by the day —
one row per relation and identity version, a handful for anyone. ``holder`` reads the same
by certificate, for a reader whose scope the relations' regions decide
(``services.access.read_status``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, select
from sqlalchemy.sql.elements import ColumnElement

from canbao.adapters import tables as t
from canbao.domain.codes import IDENTITIES


@dataclass(frozen=True)
class Holder:
    """The person of a certificate with the regions of all their relations (any day), and
    their status as of the day asked (None: not registered yet on that day)."""

    psn_no: str
    regions: frozenset[str]
    status: dict[str, Any] | None


def _rows(who: ColumnElement[Any]) -> Any:
    """The person ``who`` names, their version and the certificate valid on ``:day`` (the
    latest begun by then: a changed number shows from its day on), each relation with
    its version as of ``:day`` and each identity version begun by then — one row per relation
    and identity version (one row without either)."""
    p, pv, c = t.person, t.person_version, t.certificate
    e, ev, h = t.enrollment, t.enrollment_version, t.hardship_identity
    day = bindparam("day", type_=t.person_version.c.valid_from.type)
    later_c = c.alias("later_c")

    def version_of_the_day(versions: Any, key: str, owner: Any) -> Any:
        """The id of the owner's version valid on ``:day`` (the latest begun by then)."""
        later = versions.alias(f"later_{versions.name}")
        return (
            select(later.c.id)
            .where(later.c[key] == owner.c[key], later.c.valid_from <= day)
            .order_by(later.c.valid_from.desc(), later.c.id.desc())
            .limit(1)
            .correlate(owner)
            .scalar_subquery()
        )

    person_version = version_of_the_day(pv, "psn_no", p)
    relation_version = version_of_the_day(ev, "rlts_id", e)

    def certificate(column: Any) -> Any:
        return (
            select(column)
            .where(later_c.c.psn_no == p.c.psn_no, later_c.c.valid_from <= day)
            .order_by(later_c.c.valid_from.desc(), later_c.c.change_id.desc())
            .limit(1)
            .correlate(p)
            .scalar_subquery()
        )

    return (
        select(
            p.c.psn_no,
            pv.c.id.label("version_id"),
            pv.c.psn_name,
            pv.c.gend,
            pv.c.naty,
            pv.c.brdy,
            certificate(later_c.c.psn_cert_type).label("psn_cert_type"),
            certificate(later_c.c.certno).label("certno"),
            e.c.rlts_id,
            e.c.insutype,
            e.c.insuplc_admdvs,
            ev.c.id.label("relation_version_id"),
            ev.c.psn_type,
            ev.c.psn_insu_stas,
            ev.c.psn_insu_date,
            ev.c.paus_insu_date,
            h.c.id.label("identity_version_id"),
            h.c.identity,
            h.c.begin,
            h.c.end,
        )
        .select_from(
            p.outerjoin(pv, pv.c.id == person_version)
            .outerjoin(e, e.c.psn_no == p.c.psn_no)
            .outerjoin(ev, and_(ev.c.rlts_id == e.c.rlts_id, ev.c.id == relation_version))
            .outerjoin(h, and_(h.c.psn_no == p.c.psn_no, h.c.begin <= day))
        )
        .where(p.c.psn_no == who)
        .order_by(ev.c.psn_insu_date, e.c.rlts_id, h.c.begin, h.c.id)
    )


_BY_PERSON = _rows(bindparam("psn_no", type_=t.person.c.psn_no.type))
BY_CERTIFICATE = _rows(
    select(t.certificate.c.psn_no)
    .where(
        t.certificate.c.psn_cert_type == bindparam("cert_type"),
        t.certificate.c.certno == bindparam("certno"),
    )
    .scalar_subquery()
)


def status(connection: Connection, psn_no: str, as_of: date) -> dict[str, Any] | None:
    """The 1101 answer for a person as of a day; None when not registered on that day."""
    rows = connection.execute(_BY_PERSON, {"psn_no": psn_no, "day": as_of}).all()
    return _answer(rows, as_of)


def holder(connection: Connection, cert_type: str, certno: str, as_of: date) -> Holder | None:
    """The person of a certificate (None when nobody holds it), the regions of their
    relations and their 1101 answer as of a day."""
    rows = connection.execute(
        BY_CERTIFICATE, {"cert_type": cert_type, "certno": certno, "day": as_of}
    ).all()
    return holder_of(rows, as_of)


def holder_of(rows: Sequence[Any], as_of: date) -> Holder | None:
    """The holder from the rows of ``BY_CERTIFICATE`` (None: nobody holds the certificate)."""
    if not rows:
        return None
    regions = frozenset(str(r.insuplc_admdvs) for r in rows if r.insuplc_admdvs is not None)
    return Holder(str(rows[0].psn_no), regions, _answer(rows, as_of))


def _answer(rows: Sequence[Row[Any]], as_of: date) -> dict[str, Any] | None:
    if not rows or rows[0].version_id is None:
        return None
    base = rows[0]
    psn_no = str(base.psn_no)
    brdy = base.brdy
    age = None
    if brdy is not None:
        age = as_of.year - brdy.year - ((as_of.month, as_of.day) < (brdy.month, brdy.day))
    relations = {row.rlts_id: row for row in rows if row.relation_version_id is not None}
    # Each identity (identity, begin) in its latest version: a 减员 appends the version with
    # its end (ADR 0006); rows repeat per relation, so versions are taken by id.
    versions = {row.identity_version_id: row for row in rows if row.identity_version_id is not None}
    latest = {
        (row.identity, row.begin): row
        for row in sorted(versions.values(), key=lambda r: (r.begin, r.identity_version_id))
    }
    return {
        "baseinfo": {
            "psn_no": psn_no,
            "psn_cert_type": base.psn_cert_type or "",
            "certno": base.certno or "",
            "psn_name": base.psn_name,
            "gend": base.gend,
            "naty": base.naty or "",
            "brdy": brdy.isoformat() if brdy else "",
            "age": age,
            "exp_content": "",
        },
        "insuinfo": [
            {
                "balc": 0,
                "insutype": row.insutype,
                "psn_type": row.psn_type,
                "psn_insu_stas": row.psn_insu_stas,
                "psn_insu_date": row.psn_insu_date.isoformat(),
                "paus_insu_date": row.paus_insu_date.isoformat() if row.paus_insu_date else "",
                "cvlserv_flag": "0",
                "insuplc_admdvs": row.insuplc_admdvs,
                "emp_name": "",
            }
            for row in relations.values()
        ],
        "idetinfo": [
            {
                "psn_idet_type": row.identity,
                "psn_type_lv": "",
                "memo": IDENTITIES.get(row.identity, ""),
                "begntime": row.begin.isoformat(),
                "endtime": row.end.isoformat() if row.end else "",
            }
            for row in latest.values()
            if row.end is None or row.end >= as_of
        ],
    }


__all__ = ["Holder", "holder", "status"]
