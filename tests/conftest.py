"""Shared by every tier: the PostgreSQL server programs, a private PostgreSQL server for the
test run, and a fresh database per test on SQLite or on it.

One server per run (``postgresql_server``, started by ``canbao.adapters.postgres_server``) in a
temporary folder on 127.0.0.1 and a free port; ``postgresql_url`` is its database
``canbao_test``, the template of every test's own database (``postgresql_database_url``);
``database_url`` runs a test once on SQLite and once on PostgreSQL (tests/integration,
tests/api). ADR 0005 says why this is our own fixture and not pytest-postgresql's.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from canbao.adapters.postgres_server import (
    INSTALL_HINT,
    Server,
    ServerError,
    find_bindir,
    private_server,
)


def pytest_report_header() -> str:
    bindir = find_bindir()
    return f"postgresql: {bindir}" if bindir else f"postgresql: not found ({INSTALL_HINT})"


@pytest.fixture(scope="session")
def postgresql_bindir() -> Path:
    """The server programs' folder; the tests that need it fail (never skip) when it is missing."""
    bindir = find_bindir()
    if bindir is None:
        pytest.fail(f"PostgreSQL's initdb and pg_ctl not found: {INSTALL_HINT}", pytrace=False)
    return bindir


DATABASE = "canbao_test"


@pytest.fixture(scope="session")
def postgresql_server(postgresql_bindir: Path) -> Iterator[Server]:
    """One server for the whole run (canbao.adapters.postgres_server), stopped and removed at
    its end however the run ends."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(private_server(postgresql_bindir))
        except ServerError as error:
            pytest.fail(str(error), pytrace=False)
        server.execute(f"CREATE DATABASE {DATABASE}")
        yield server


@pytest.fixture(scope="session")
def postgresql_url(postgresql_server: Server) -> str:
    """The run's database ``canbao_test``: the template every test's database is copied from, so
    whatever a session fixture puts there (close its connections) each test starts with."""
    return postgresql_server.url(DATABASE)


_numbers = itertools.count(1)


@pytest.fixture
def postgresql_database_url(postgresql_server: Server, postgresql_url: str) -> Iterator[str]:
    """A database of the test's own, copied from ``canbao_test``, dropped after the test.

    A copy (~20 ms, and ~8 ms to drop) is faster than dropping and re-creating the schema (~115 ms
    for 25 tables with SQLAlchemy's create_all) and leaves nothing of an earlier test behind."""
    name = f"test_{next(_numbers)}"
    postgresql_server.execute(f"CREATE DATABASE {name} TEMPLATE {DATABASE} STRATEGY FILE_COPY")
    yield postgresql_server.url(name)
    postgresql_server.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of the test's own: a SQLite file, then (second run) a PostgreSQL one."""
    if request.param == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'canbao.db'}"
    url: str = request.getfixturevalue("postgresql_database_url")
    return url
