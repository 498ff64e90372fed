"""Shared by the integration tests: the number of rows of every registry table, to assert
exactly what a use case wrote and that nothing else changed."""

from __future__ import annotations

from sqlalchemy import func, select

from canbao.adapters import tables as t
from canbao.adapters.database import ready


def counts(url: str) -> dict[str, int]:
    with ready(url).connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in t.metadata.sorted_tables
        }
