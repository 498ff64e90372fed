"""The database: engines, schema upgrades (Alembic) and the unit of work.

One use case = one function taking a ``UnitOfWork``; the unit of work is one transaction that
commits when the use case returns and rolls back when it raises (STYLE habit 5). SQLite gets
foreign keys, WAL and a busy timeout; PostgreSQL is used as it is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import make_url

from canbao.adapters.tables import change_log
from canbao.domain.decision import Decision, to_json

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@cache
def engine(url: str) -> Engine:
    """One engine per URL for the process; a SQLite file's folder is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # The driver's own transaction handling is off; each transaction begins IMMEDIATE, so
        # that two writers queue for the lock instead of one failing on upgrade (ADR 0007).
        created = create_engine(url, connect_args={"timeout": 60, "isolation_level": None})
        event.listen(created, "connect", _sqlite_pragmas)
        event.listen(created, "begin", _sqlite_begin)
        return created
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the schema up to date (``canbao db upgrade``; every command does it itself)."""
    from alembic import command

    with engine(url).begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@cache
def ready(url: str) -> Engine:
    """The engine of a database whose schema is up to date (upgraded once per process)."""
    upgrade(url)
    return engine(url)


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and where it comes from (a file row, an API request key)."""

    name: str
    source_file: str | None = None
    source_row: int | None = None
    request_key: str | None = None


#: The statement every change goes through, built once (its values are parameters).
_RECORD = insert(change_log).returning(change_log.c.id)
_RECORD_MANY = insert(change_log).returning(change_log.c.id, sort_by_parameter_order=True)


class UnitOfWork:
    """One transaction: ``record`` writes the change_log row every other row points to."""

    def __init__(self, connection: Connection, actor: Actor) -> None:
        self.connection, self.actor = connection, actor
        self.today = dt.date.today()

    def record(self, action: str, **details: Any) -> int:
        """Write the change ``change(action, **details)`` describes: who, when, why and at which
        office; returns the change id."""
        return int(self.connection.execute(_RECORD, self.change(action, **details)).scalar_one())

    def record_many(self, changes: list[dict[str, Any]]) -> list[int]:
        """Write many changes (``change``'s rows) at once; their ids, in order. On
        PostgreSQL the ids are drawn from the sequence first and the rows copied."""
        if not changes:
            return []
        connection = self.connection
        if connection.dialect.name != "postgresql":
            return [int(i) for i in connection.execute(_RECORD_MANY, changes).scalars()]
        drawn = select(func.nextval(func.pg_get_serial_sequence("change_log", "id"))).select_from(
            func.generate_series(1, len(changes))
        )
        ids = sorted(int(i) for i in connection.execute(drawn).scalars())
        insert_rows(
            connection, change_log, [{"id": i, **c} for i, c in zip(ids, changes, strict=True)]
        )
        return ids

    def change(
        self,
        action: str,
        *,
        psn_no: str | None = None,
        psn_chg_type: str | None = None,
        reason: str = "",
        decisions: tuple[Decision, ...] = (),
        row: int | None = None,
        request_key: str | None = None,
        office_admdvs: str | None = None,
    ) -> dict[str, Any]:
        """The change_log row ``record`` writes: the decisions' rule ids and citations, each
        once, in order; the actor's file row unless ``row`` is given."""
        rules: list[str] = []
        citations: list[dict[str, str]] = []
        for decision in decisions:
            rules += [r for r in decision.rules if r not in rules]
            citations += [
                {"doc": c.doc, "section": c.section}
                for c in decision.citations
                if {"doc": c.doc, "section": c.section} not in citations
            ]
        return dict(
            recorded_at=dt.datetime.now(dt.UTC),
            actor=self.actor.name,
            action=action,
            psn_chg_type=psn_chg_type,
            psn_no=psn_no,
            reason=reason,
            rules=rules,
            citations=citations,
            decision=[to_json(d.as_json()) for d in decisions] or None,
            source_file=self.actor.source_file,
            source_row=row if row is not None else self.actor.source_row,
            request_key=request_key,
            office_admdvs=office_admdvs,
        )

    def seen_keys(self, request_keys: list[str]) -> set[str]:
        """Which of these request keys a change already carries (one query for many)."""
        if not request_keys:
            return set()
        found = self.connection.execute(
            select(change_log.c.request_key).where(change_log.c.request_key.in_(request_keys))
        ).scalars()
        return {str(key) for key in found}

    def seen(self, request_key: str) -> int | None:
        """The change already made for this request key, if any (idempotent requests)."""
        found = self.connection.execute(
            select(change_log.c.id).where(change_log.c.request_key == request_key)
        ).scalar()
        return None if found is None else int(found)


def insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows that all give the same columns, inserted at once: Core executemany, and COPY on
    PostgreSQL (a fraction of the server's time for an INSERT of many rows)."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(column) for column in columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
        for row in rows:
            # a JSON column's value as SQLAlchemy's JSON type writes it (None: JSON null)
            copy.write_row([json.dumps(row[c]) if c in as_json else row[c] for c in columns])


@contextmanager
def unit_of_work(url: str, actor: Actor) -> Iterator[UnitOfWork]:
    """A transaction on an up-to-date database; commits at the end, rolls back on error."""
    with ready(url).begin() as connection:
        yield UnitOfWork(connection, actor)
