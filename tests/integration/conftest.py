"""A private PostgreSQL server for the test run, and a fresh database per test on SQLite or on it.

One server per run (``postgresql_server``), started in a temporary folder on 127.0.0.1 and a free
port; ``postgresql_url`` is its database ``canbao_test``, the template of every test's own database
(``postgresql_database_url``); ``database_url`` runs a test once on SQLite and once on PostgreSQL.
ADR 0005 says why this is our own fixture and not pytest-postgresql's.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

SUPERUSER = "canbao"
DATABASE = "canbao_test"
# initdb and postgres refuse to run as root: as root, they run as Debian's `postgres` user.
OWNER = "postgres"
# Durability is worth nothing to a server thrown away after the run; 32 processes and their
# pools must fit.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "128",
}
# Memory-backed where there is room: CREATE DATABASE takes ~20 ms on tmpfs, ~400 ms on this
# machine's disk.
FAST_FOLDER = Path("/dev/shm")
# Stops the server and removes its folder once the test run closes the pipe on the watchdog's
# standard input, or dies (interrupted, killed): the pipe closes then too.
WATCHDOG = """
import shutil, subprocess, sys
sys.stdin.read()
pg_ctl, data, folder, *as_owner = sys.argv[1:]
subprocess.run([*as_owner, pg_ctl, "stop", "-D", data, "-m", "immediate"], capture_output=True)
shutil.rmtree(folder, ignore_errors=True)
"""


@dataclass(frozen=True)
class PostgreSQLServer:
    port: int

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one of the server's databases."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement on the maintenance database, outside a transaction."""
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(sql.encode())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _temporary_folder() -> Path:
    fast = FAST_FOLDER.is_dir() and shutil.disk_usage(FAST_FOLDER).free >= 2**30
    return Path(tempfile.mkdtemp(prefix="canbao-pg-", dir=FAST_FOLDER if fast else None))


def _run(command: list[str], what: str, folder: Path, log: Path | None = None) -> None:
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        server_log = log.read_text(errors="replace") if log and log.exists() else ""
        pytest.fail(
            f"PostgreSQL could not start: {what} exited with {done.returncode}:\n"
            f"{done.stdout}{done.stderr}{server_log}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def postgresql_server(postgresql_bindir: Path) -> Iterator[PostgreSQLServer]:
    """One server for the whole run, stopped and removed at its end however the run ends."""
    as_owner: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OWNER)
        except KeyError:
            pytest.fail(f"running as root and no `{OWNER}` user to run PostgreSQL as: "
                        "install Debian's postgresql-15 (`make setup`)", pytrace=False)
        as_owner = ["runuser", "-u", OWNER, "--"]
    folder = _temporary_folder()
    data, log = folder / "data", folder / "server.log"
    pg_ctl = str(postgresql_bindir / "pg_ctl")
    watchdog = subprocess.Popen(
        [sys.executable, "-c", WATCHDOG, pg_ctl, str(data), str(folder), *as_owner],
        stdin=subprocess.PIPE, start_new_session=True, cwd="/",
    )
    try:
        if as_owner:
            shutil.chown(folder, OWNER)
        _run([*as_owner, str(postgresql_bindir / "initdb"), "-D", str(data), "-U", SUPERUSER,
              "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
             "initdb", folder)
        server = PostgreSQLServer(_free_port())
        settings = {**SETTINGS, "port": str(server.port), "unix_socket_directories": f"'{folder}'"}
        with (data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        _run([*as_owner, pg_ctl, "start", "-w", "-t", "60", "-D", str(data), "-l", str(log)],
             "pg_ctl start", folder, log)
        server.execute(f"CREATE DATABASE {DATABASE}")
        yield server
    finally:
        watchdog.communicate(timeout=120)


@pytest.fixture(scope="session")
def postgresql_url(postgresql_server: PostgreSQLServer) -> str:
    """The run's database ``canbao_test``: the template every test's database is copied from, so
    whatever a session fixture puts there (close its connections) each test starts with."""
    return postgresql_server.url(DATABASE)


_numbers = itertools.count(1)


@pytest.fixture
def postgresql_database_url(
    postgresql_server: PostgreSQLServer, postgresql_url: str
) -> Iterator[str]:
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
