"""Idempotency keys on requests that create money records (assessments, tax batches, payments,
refunds): the first answer to a user's ``Idempotency-Key`` is stored in the same transaction as
the records it created; the same key again returns that answer and writes nothing. The same key
with another request (another route or body) is refused (422), never answered wrongly.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, Response
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, UnitOfWork, ready, unit_of_work
from canbao.api.errors import ApiError

#: The header, as a route parameter (optional: without it a request is not deduplicated).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description="同一键的重复请求返回第一次的结果，不再写入任何记录",
    ),
]
_BINARY = ("application/vnd", "text/csv", "application/octet-stream")


def fingerprint(route: str, *parts: bytes | str) -> str:
    digest = hashlib.sha256(route.encode())
    for part in parts:
        digest.update(b"\0" + (part.encode() if isinstance(part, str) else part))
    return digest.hexdigest()


def once(
    url: str,
    actor: Actor,
    key: str | None,
    request_fingerprint: str,
    work: Callable[[UnitOfWork], Response],
) -> Response:
    """``work`` in one unit of work, its answer remembered under ``key``; or the answer
    remembered before."""
    if key is None:
        with unit_of_work(url, actor) as uow:
            return work(uow)
    try:
        with unit_of_work(url, actor) as uow:
            stored = _stored(uow.connection, actor.name, key, request_fingerprint)
            if stored is not None:
                return stored
            response = work(uow)
            _remember(uow.connection, actor.name, key, request_fingerprint, response)
            return response
    except IntegrityError:
        # The same key in a request that ran at the same time: its answer is the first one.
        with ready(url).connect() as connection:
            stored = _stored(connection, actor.name, key, request_fingerprint)
        if stored is None:
            raise
        return stored


def _stored(connection: Connection, username: str, key: str, fingerprint: str) -> Response | None:
    k = t.idempotency_key
    row = (
        connection.execute(select(k).where(k.c.username == username, k.c.key == key))
        .mappings()
        .first()
    )
    if row is None:
        return None
    if row["fingerprint"] != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于另一个请求；新请求请使用新的键。",
            "header.Idempotency-Key",
        )
    body = str(row["body"])
    content = base64.b64decode(body) if row["media_type"].startswith(_BINARY) else body.encode()
    return Response(
        content,
        status_code=row["status_code"],
        media_type=row["media_type"],
        headers={**row["headers"], "Idempotent-Replayed": "true"},
    )


def _remember(
    connection: Connection, username: str, key: str, fingerprint: str, response: Response
) -> None:
    media_type = response.media_type or "application/json"
    raw = bytes(response.body)
    body = base64.b64encode(raw).decode() if media_type.startswith(_BINARY) else raw.decode()
    headers = {
        name: value
        for name, value in response.headers.items()
        if name.lower() in ("content-disposition", "x-batch-id", "location")
    }
    connection.execute(
        insert(t.idempotency_key).values(
            username=username,
            key=key,
            fingerprint=fingerprint,
            status_code=response.status_code,
            media_type=media_type,
            headers=headers,
            body=body,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
