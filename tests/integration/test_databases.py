"""The integration suite's databases: a round trip through SQLAlchemy Core on SQLite and
PostgreSQL, each test's database empty, and 32 processes connected to PostgreSQL at once."""

from __future__ import annotations

import multiprocessing
from datetime import date
from threading import BrokenBarrierError

import pytest
from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.pool import NullPool

metadata = MetaData()
persons = Table(
    "persons",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("birth_date", Date, nullable=False),
)
ROWS = [
    {"id": 1, "name": "张三", "birth_date": date(1990, 1, 31)},
    {"id": 2, "name": "司徒小红", "birth_date": date(2024, 2, 29)},
]


def test_core_round_trip_in_an_empty_database(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as connection:
            metadata.create_all(connection)
            connection.execute(persons.insert(), ROWS)
        with engine.connect() as connection:
            rows = connection.execute(select(persons).order_by(persons.c.id)).mappings().all()
        assert [dict(row) for row in rows] == ROWS
    finally:
        engine.dispose()


PROCESSES = 32


def _connect_and_hold(url: str, connected: object, counted: object) -> None:
    """Connect, SELECT 1, then hold the connection until the parent has counted them all."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1")).scalar_one()
        connected.wait(timeout=60)  # type: ignore[attr-defined]
        counted.wait(timeout=60)  # type: ignore[attr-defined]


@pytest.mark.postgresql
def test_32_processes_connect_at_once(postgresql_database_url: str) -> None:
    context = multiprocessing.get_context("fork")
    connected = context.Barrier(PROCESSES + 1)
    counted = context.Barrier(PROCESSES + 1)
    args = (postgresql_database_url, connected, counted)
    processes = [context.Process(target=_connect_and_hold, args=args) for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    engine = create_engine(postgresql_database_url, poolclass=NullPool)
    try:
        connected.wait(timeout=60)
        with engine.connect() as connection:
            open_connections = connection.execute(
                select(func.count())
                .select_from(text("pg_stat_activity"))
                .where(text("datname = current_database() AND pid <> pg_backend_pid()"))
            ).scalar_one()
        counted.wait(timeout=60)
    except BrokenBarrierError:
        pytest.fail("not all 32 processes connected within 60 s")
    finally:
        engine.dispose()
        for process in processes:
            process.join(timeout=60)
    assert open_connections == PROCESSES
    assert [process.exitcode for process in processes] == [0] * PROCESSES
