"""Who may reach which people (issue 8): region scopes, and the reads the API and the web UI
need around them. No policy rule lives here: a person is within a scope when one of their
enrollment relations is (or, for someone never enrolled, their hukou or residence), and the
region hierarchy is the policy data's (``Policy.within``).

Reading a person's full record is audited: ``record_read`` appends who, when and whose to
``read_audit`` (never updated or deleted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from psycopg import AsyncConnection
from sqlalchemy import ColumnElement, Connection, bindparam, func, insert, select

from canbao.adapters import pg_async
from canbao.adapters import tables as t
from canbao.adapters.tax_files import FeedbackLine
from canbao.certno import RESIDENT_ID
from canbao.policy import Policy
from canbao.services.registry import person_as_of
from canbao.services.status import BY_CERTIFICATE, Holder, holder, holder_of


def person_regions(connection: Connection, psn_no: str) -> set[str]:
    """The regions of the person's enrollment relations; for someone never enrolled, the
    hukou and residence regions the person's versions give."""
    regions = {str(code) for code in connection.execute(_ENROLLED, {"psn_no": psn_no}).scalars()}
    if regions:
        return regions
    rows = connection.execute(_LIVED, {"psn_no": psn_no})
    return {str(code) for row in rows for code in row if code}


_ENROLLED = select(t.enrollment.c.insuplc_admdvs).where(
    t.enrollment.c.psn_no == bindparam("psn_no")
)
_LIVED = select(t.person_version.c.hukou_admdvs, t.person_version.c.resd_admdvs).where(
    t.person_version.c.psn_no == bindparam("psn_no")
)


def certificate_of(connection: Connection, psn_no: str) -> str | None:
    """A number the person holds (the latest given), or None for a person without one yet (a
    newborn under a parent's name, B5; a foreigner, E6)."""
    c = t.certificate
    found = connection.execute(
        select(c.c.certno)
        .where(c.c.psn_no == psn_no)
        .order_by(c.c.valid_from.desc(), c.c.change_id.desc())
        .limit(1)
    ).scalar()
    return None if found is None else str(found)


def within_scope(policy: Policy, regions: Iterable[str], scope: str) -> bool:
    """Whether any of ``regions`` lies in the scope (a city with its counties, a county)."""
    return any(policy.within(code, scope) for code in regions)


def person_in_scope(
    connection: Connection, policy: Policy, cert_type: str, certno: str, scope: str
) -> tuple[str | None, bool]:
    """The person holding the certificate (None when nobody does) and whether they are within
    the scope: one query, the certificate with the regions of the person's relations; only a
    person never enrolled costs a second (hukou and residence, ``person_regions``)."""
    c, e = t.certificate, t.enrollment
    rows = connection.execute(
        select(c.c.psn_no, e.c.insuplc_admdvs)
        .select_from(c.outerjoin(e, e.c.psn_no == c.c.psn_no))
        .where(c.c.psn_cert_type == cert_type, c.c.certno == certno)
    ).all()
    if not rows:
        return None, False
    psn_no = str(rows[0].psn_no)
    regions = {str(row.insuplc_admdvs) for row in rows if row.insuplc_admdvs is not None}
    return psn_no, within_scope(policy, regions or person_regions(connection, psn_no), scope)


def read_status(
    connection: Connection,
    policy: Policy,
    cert_type: str,
    certno: str,
    scope: str,
    as_of: date,
    reader: str,
    route: str,
    client: str | None,
) -> Holder | None:
    """The certificate's holder with the 1101 status as of a day (``services.status``), for a
    reader whose scope is ``scope``, the read audited (``record_read``) — on the one
    connection, in one statement and the audit row. None when nobody holds the certificate
    or the holder is outside the scope: the same answer, so that a reader cannot learn
    whether another region's person exists."""
    found = holder(connection, cert_type, certno, as_of)
    if found is None:
        return None
    regions = found.regions or person_regions(connection, found.psn_no)
    if not within_scope(policy, regions, scope):
        return None
    if found.status is not None:
        record_read(connection, reader, found.psn_no, route, client)
    return found


async def read_status_async(
    connection: AsyncConnection[Any],
    policy: Policy,
    cert_type: str,
    certno: str,
    scope: str,
    as_of: date,
    reader: str,
    route: str,
    client: str | None,
) -> Holder | None:
    """``read_status`` on an asynchronous PostgreSQL connection in autocommit (the service's
    status query, ``adapters.pg_async``): the same statements and answers; the audit row is
    written before the answer is returned."""
    rows = await pg_async.fetch(
        connection, BY_CERTIFICATE, {"cert_type": cert_type, "certno": certno, "day": as_of}
    )
    found = holder_of(rows, as_of)
    if found is None:
        return None
    regions = found.regions
    if not regions:
        enrolled = await pg_async.fetch(connection, _ENROLLED, {"psn_no": found.psn_no})
        regions = frozenset(str(row[0]) for row in enrolled)
    if not regions:
        lived = await pg_async.fetch(connection, _LIVED, {"psn_no": found.psn_no})
        regions = frozenset(str(code) for row in lived for code in row if code)
    if not within_scope(policy, regions, scope):
        return None
    if found.status is not None:
        await pg_async.execute(connection, _READ, _read_values(reader, found.psn_no, route, client))
    return found


def scope_regions(connection: Connection, policy: Policy, scope: str) -> list[str]:
    """The enrollment regions the registry holds within the scope (and the scope itself)."""
    held = connection.execute(select(t.enrollment.c.insuplc_admdvs).distinct()).scalars()
    return sorted({code for code in held if policy.within(code, scope)} | {scope})


@dataclass(frozen=True)
class PersonEntry:
    """A person in a list: the current name, certificate, birth date, phone and the regions
    of the relations within the scope."""

    psn_no: str
    psn_name: str
    psn_cert_type: str
    certno: str
    gend: str
    brdy: date | None
    tel: str | None
    bank_acct: str | None
    regions: tuple[str, ...]


def persons_named(
    connection: Connection,
    policy: Policy,
    name: str | None,
    scope: str,
    limit: int,
    offset: int,
    today: date | None = None,
    certno: str | None = None,
) -> tuple[int, list[PersonEntry]]:
    """The persons enrolled within the scope who bear or bore ``name`` (any version) and hold
    the certificate ``certno`` (either may be None, not both), in the order of their psn_no:
    how many in all, and the page ``offset``…``offset + limit``."""
    if not name and not certno:
        return 0, []
    today = today or date.today()
    regions = scope_regions(connection, policy, scope)
    v, e = t.person_version, t.enrollment
    wanted: list[ColumnElement[bool]] = [e.c.insuplc_admdvs.in_(regions)]
    if name:
        wanted.append(v.c.psn_name == name)
    if certno:
        c = t.certificate
        wanted.append(v.c.psn_no.in_(select(c.c.psn_no).where(c.c.certno == certno)))
    matching = (
        select(v.c.psn_no).join(e, e.c.psn_no == v.c.psn_no).where(*wanted).distinct().subquery()
    )
    total = connection.execute(select(func.count()).select_from(matching)).scalar_one()
    page = connection.execute(
        select(matching.c.psn_no).order_by(matching.c.psn_no).limit(limit).offset(offset)
    ).scalars()
    entries = []
    for psn_no in page:
        person = person_as_of(connection, psn_no, today) or person_as_of(
            connection, psn_no, date.max
        )
        cert = connection.execute(
            select(t.certificate.c.psn_cert_type, t.certificate.c.certno)
            .where(t.certificate.c.psn_no == psn_no)
            .order_by(t.certificate.c.psn_cert_type, t.certificate.c.certno)
        ).first()
        held = connection.execute(
            select(e.c.insuplc_admdvs).where(e.c.psn_no == psn_no, e.c.insuplc_admdvs.in_(regions))
        ).scalars()
        assert person is not None  # a matching version exists
        entries.append(
            PersonEntry(
                psn_no=psn_no,
                psn_name=person["psn_name"],
                psn_cert_type=cert.psn_cert_type if cert else "",
                certno=cert.certno if cert else "",
                gend=person["gend"],
                brdy=person["brdy"],
                tel=person["tel"],
                bank_acct=person["bank_acct"],
                regions=tuple(sorted(set(held))),
            )
        )
    return int(total), entries


def refund_case_person(connection: Connection, case_id: str) -> str | None:
    """The psn_no of a refund case, or None when there is no such case."""
    found = connection.execute(
        select(t.refund_case.c.psn_no).where(t.refund_case.c.case_id == case_id)
    ).scalar()
    return None if found is None else str(found)


def persons_of_certificates(connection: Connection, certnos: Iterable[str]) -> dict[str, str]:
    """certno → psn_no of the identity cards (证件类型 01) the registry holds among ``certnos``."""
    wanted = sorted(set(certnos))
    if not wanted:
        return {}
    c = t.certificate
    rows = connection.execute(
        select(c.c.certno, c.c.psn_no).where(
            c.c.psn_cert_type == RESIDENT_ID, c.c.certno.in_(wanted)
        )
    )
    return {str(row.certno): str(row.psn_no) for row in rows}


def outside_scope(
    connection: Connection, policy: Policy, psn_nos: Iterable[str], scope: str
) -> set[str]:
    """Which of the persons are not within the scope."""
    return {
        p for p in set(psn_nos) if not within_scope(policy, person_regions(connection, p), scope)
    }


def file_outside_scope(
    policy: Policy, rows: Iterable[tuple[int, str | None]], scope: str, what: str
) -> str | None:
    """The refusal of a whole file (the API and the pages refuse it alike) when some of its
    ``rows`` — (row number as the clerk sees it, the region the row belongs to, None when
    not known) — lie outside the scope; ``what`` names the row's region (参保属地, 批次).
    None when every row is within."""
    outside = [row for row, region in rows if region and not policy.within(region, scope)]
    if not outside:
        return None
    listed = "、".join(str(row) for row in outside[:20])
    return f"第{listed}行的{what}不在区划 {scope} 内，整个文件未导入。"


def feedback_outside_scope(
    connection: Connection, policy: Policy, lines: Sequence[FeedbackLine], scope: str
) -> str | None:
    """The refusal of a tax bureau feedback file some of whose lines name a batch of a region
    outside the scope (``file_outside_scope``); None when every batch it names is within."""
    regions = batch_regions(connection, [line.batch_id for line in lines])
    placed = ((line.row, regions.get(line.batch_id)) for line in lines)
    return file_outside_scope(policy, placed, scope, "批次")


def batch_regions(connection: Connection, batch_ids: Iterable[str]) -> dict[str, str]:
    """batch_id → region of the tax batches the registry holds among ``batch_ids``."""
    wanted = sorted(set(batch_ids))
    if not wanted:
        return {}
    b = t.tax_batch
    rows = connection.execute(select(b.c.batch_id, b.c.admdvs).where(b.c.batch_id.in_(wanted)))
    return {str(row.batch_id): str(row.admdvs) for row in rows}


def hardship_list_persons(connection: Connection, department: str, month: str) -> set[str]:
    """The persons on a department's monthly list (every version imported for it)."""
    h = t.hardship_identity
    rows = connection.execute(
        select(h.c.psn_no).where(h.c.department == department, h.c.list_month == month)
    ).scalars()
    return {str(p) for p in rows}


def record_read(
    connection: Connection, username: str, psn_no: str, route: str, client: str | None
) -> None:
    """Append who read whose full record, when, through which route."""
    connection.execute(_READ, _read_values(username, psn_no, route, client))


def _read_values(username: str, psn_no: str, route: str, client: str | None) -> dict[str, Any]:
    return {
        "read_at": dt.datetime.now(dt.UTC),
        "username": username,
        "psn_no": psn_no,
        "route": route[:255],
        "client": client[:64] if client else None,
    }


#: The audit row's statement, built once (it runs on every status query).
_AUDITED = ("read_at", "username", "psn_no", "route", "client")
_READ = (
    insert(t.read_audit)
    .values({name: bindparam(name) for name in _AUDITED})
    .inline()  # no RETURNING of the new id: nobody reads it
)
