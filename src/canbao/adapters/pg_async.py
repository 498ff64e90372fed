"""Asynchronous PostgreSQL for the service's most frequent read, the status query (issue 8:
at least half the throughput of a minimal endpoint).

The rest of canbao runs on SQLAlchemy's synchronous engine, which a route reaches from a
worker thread. For the status query that thread hop and SQLAlchemy's execution path cost
more than the query itself, so on PostgreSQL the service runs it from the event loop on
psycopg's asynchronous connections: the same statements (built once with SQLAlchemy and
compiled here for psycopg), autocommit, prepared by the server after their first runs.
SQLite has no asynchronous driver worth the name; there the route keeps the synchronous path
(``pool`` answers None). ADR 0010 gives the reasons.
"""

from __future__ import annotations

import asyncio
from collections import namedtuple
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Executable, Select

from canbao.adapters.database import ready

#: Connections a process keeps for the status query.
POOL_SIZE = 8

_DIALECT = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
# One pool per URL and event loop: a pool's connections belong to the loop that opened them
# (an app serves on one loop; a test client opens a loop of its own).
_POOLS: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncConnectionPool[Any]]] = (
    WeakKeyDictionary()
)
_OPENING: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


async def pool(url: str) -> AsyncConnectionPool[Any] | None:
    """The loop's pool of autocommit connections to the PostgreSQL database ``url`` (its
    schema brought up to date first); None for any other database."""
    if not _postgresql(url):
        return None
    loop = asyncio.get_running_loop()
    pools = _POOLS.setdefault(loop, {})
    found = pools.get(url)
    if found is not None:
        return found
    async with _OPENING.setdefault(loop, asyncio.Lock()):
        found = pools.get(url)
        if found is None:
            await asyncio.to_thread(ready, url)
            libpq = make_url(url).set(drivername="postgresql")
            conninfo = libpq.render_as_string(hide_password=False)
            found = AsyncConnectionPool(
                conninfo,
                min_size=1,
                max_size=POOL_SIZE,
                kwargs={"autocommit": True},
                open=False,
            )
            await found.open()
            pools[url] = found
    return found


@cache
def _postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


async def close() -> None:
    """Close the running loop's pools (the app's shutdown)."""
    for found in _POOLS.pop(asyncio.get_running_loop(), {}).values():
        await found.close()


async def fetch(
    connection: AsyncConnection[Any], query: Select[Any], values: dict[str, Any]
) -> list[Any]:
    """The rows of a SQLAlchemy query with bound ``values``, as named tuples (read by
    attribute, as SQLAlchemy's rows are)."""
    sql, defaults = _compiled(query)
    cursor = await connection.execute(sql, defaults | values)
    row = _row(query)
    return [row._make(values) for values in await cursor.fetchall()]


async def execute(
    connection: AsyncConnection[Any], statement: Executable, values: dict[str, Any]
) -> None:
    """A SQLAlchemy statement that answers no rows (an INSERT), with bound ``values``."""
    sql, defaults = _compiled(statement)
    await connection.execute(sql, defaults | values)


@cache
def _compiled(statement: Executable) -> tuple[str, dict[str, Any]]:
    """The statement's SQL for psycopg and the values of its own parameters (LIMIT 1 …)."""
    compiled = statement.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
    return compiled.string, dict(compiled.params)


@cache
def _row(query: Select[Any]) -> Any:
    """The query's row as a named tuple: built once, rather than from the cursor's column
    descriptions for every answer."""
    return namedtuple("Row", [column.key for column in query.selected_columns])  # type: ignore[misc]
