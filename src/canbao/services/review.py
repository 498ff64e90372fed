"""Maker-checker: a proposal (a refund case, a hardship identity, a duplicate clean-up) counts
once a reviewer other than its proposer confirmed it. The proposer is the actor of the change
that wrote it; the confirmation (or a rejection, with its reason on the change) is a ``review``
row, written once per proposal (ADR 0006: an event, not a flag).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import Connection, insert, select

from canbao.adapters import tables as t
from canbao.adapters.database import UnitOfWork


class Refused(Exception):
    """A use case refused: the message is the Chinese reason a clerk reads; nothing was
    written (the unit of work rolls back)."""


def confirm(
    uow: UnitOfWork,
    subject: str,
    proposals: Mapping[str, str],
    what: str,
    psn_no: str | None = None,
) -> int:
    """Record the current actor's confirmation of proposals (subject id → proposer) in one
    change; refused when the actor proposed any of them or one is confirmed already."""
    own = sorted({who for who in proposals.values() if who == uow.actor.name})
    if own:
        raise Refused(f"{what}由 {own[0]} 提出，须由另一名经办人复核确认，不能自行确认。")
    if reviewed(uow.connection, subject, list(proposals)):
        raise Refused(f"{what}已复核确认，无需重复确认。")
    change_id = uow.record("review", psn_no=psn_no, reason=f"复核确认{what}")
    uow.connection.execute(
        insert(t.review),
        [
            {"subject": subject, "subject_id": key, "confirmed": True, "change_id": change_id}
            for key in proposals
        ],
    )
    return change_id


def reject(
    uow: UnitOfWork,
    subject: str,
    subject_id: str,
    proposed_by: str,
    what: str,
    reason: str,
    psn_no: str | None = None,
) -> int:
    """Record the current actor's rejection of a proposal, with the reason on the change;
    refused when the actor proposed it, without a reason, or when it was reviewed already."""
    if proposed_by == uow.actor.name:
        raise Refused(f"{what}由 {proposed_by} 提出，须由另一名经办人复核，不能自行驳回。")
    if not reason.strip():
        raise Refused(f"驳回{what}须说明理由。")
    found = uow.connection.execute(
        select(t.review.c.confirmed).where(
            t.review.c.subject == subject, t.review.c.subject_id == subject_id
        )
    ).scalar()
    if found is not None:
        raise Refused(f"{what}已{'复核确认' if found else '驳回'}，不能再驳回。")
    change_id = uow.record("review", psn_no=psn_no, reason=f"驳回{what}：{reason.strip()}")
    uow.connection.execute(
        insert(t.review),
        {"subject": subject, "subject_id": subject_id, "confirmed": False, "change_id": change_id},
    )
    return change_id


def reviewed(connection: Connection, subject: str, subject_ids: Collection[str]) -> set[str]:
    """Which of the proposals were confirmed."""
    if not subject_ids:
        return set()
    rows = connection.execute(
        select(t.review.c.subject_id).where(
            t.review.c.subject == subject,
            t.review.c.subject_id.in_(list(subject_ids)),
            t.review.c.confirmed.is_(True),
        )
    )
    return {str(found) for found in rows.scalars()}


def proposer(connection: Connection, change_id: int) -> str:
    """The actor of the change that wrote a proposal."""
    return str(
        connection.execute(
            select(t.change_log.c.actor).where(t.change_log.c.id == change_id)
        ).scalar_one()
    )
