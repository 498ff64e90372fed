"""A private, throw-away PostgreSQL server on 127.0.0.1 in a temporary folder.

For the test fixture (tests/integration, ADR 0005) and the benchmark (``canbao bench
registry``): initdb and ``pg_ctl start`` on a free port, trust authentication, durability off
(the server is thrown away), stopped and removed when the ``private_server`` block ends — and,
through a watchdog process whose standard input is a pipe from us, also when this process dies
without cleaning up.

initdb and postgres refuse to run as root: as root, they run as Debian's ``postgres`` user
(``runuser``). The server programs are found in ``$CANBAO_PG_BINDIR``, Debian's postgresql-15
or the PATH.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "canbao"
# initdb and postgres refuse to run as root: as root, they run as Debian's `postgres` user.
OWNER = "postgres"
# Debian's postgresql-15, which `make setup` installs (scripts/install-system.sh).
DEBIAN_BINDIR = Path("/usr/lib/postgresql/15/bin")
INSTALL_HINT = (
    "install Debian's postgresql-15: `make setup` does as root, "
    "otherwise `sudo apt-get install postgresql-15`"
)
# Durability is worth nothing to a server thrown away after the run; 32 processes and their
# pools must fit.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "128",
}
# Memory-backed where there is room: CREATE DATABASE takes ~20 ms on tmpfs, ~400 ms on disk.
FAST_FOLDER = Path("/dev/shm")
# Stops the server and removes its folder once we close the pipe on the watchdog's standard
# input, or die (interrupted, killed): the pipe closes then too.
WATCHDOG = """
import shutil, subprocess, sys
sys.stdin.read()
pg_ctl, data, folder, *as_owner = sys.argv[1:]
subprocess.run([*as_owner, pg_ctl, "stop", "-D", data, "-m", "immediate"], capture_output=True)
shutil.rmtree(folder, ignore_errors=True)
"""


class ServerError(RuntimeError):
    """The server could not be started (programs missing, initdb or pg_ctl failed)."""


@dataclass(frozen=True)
class Server:
    port: int

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one of the server's databases."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """One statement on the maintenance database, outside a transaction (CREATE DATABASE)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(sql.encode())


def find_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: $CANBAO_PG_BINDIR, Debian's postgresql-15, or the PATH."""
    candidates = [os.environ.get("CANBAO_PG_BINDIR"), str(DEBIAN_BINDIR), shutil.which("initdb")]
    for candidate in candidates:
        if not candidate:
            continue
        path = Path(candidate)
        folder = path.parent if path.name == "initdb" else path
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder.resolve()
    return None


@contextmanager
def private_server(
    bindir: Path | None = None, settings: dict[str, str] | None = None
) -> Iterator[Server]:
    """A server for the block, stopped and removed at its end however the block ends;
    ``settings`` are added to postgresql.conf."""
    bindir = bindir or find_bindir()
    if bindir is None:
        raise ServerError(f"PostgreSQL's initdb and pg_ctl not found: {INSTALL_HINT}")
    as_owner: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OWNER)
        except KeyError:
            raise ServerError(f"running as root and no `{OWNER}` user: {INSTALL_HINT}") from None
        as_owner = ["runuser", "-u", OWNER, "--"]
    fast = FAST_FOLDER.is_dir() and shutil.disk_usage(FAST_FOLDER).free >= 2**30
    folder = Path(tempfile.mkdtemp(prefix="canbao-pg-", dir=FAST_FOLDER if fast else None))
    data, log = folder / "data", folder / "server.log"
    pg_ctl = str(bindir / "pg_ctl")
    watchdog = subprocess.Popen(
        [sys.executable, "-c", WATCHDOG, pg_ctl, str(data), str(folder), *as_owner],
        stdin=subprocess.PIPE,
        start_new_session=True,
        cwd="/",
    )
    try:
        if as_owner:
            shutil.chown(folder, OWNER)
        _run(
            [
                *as_owner,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ],
            "initdb",
            folder,
        )
        server = Server(_free_port())
        conf = {
            **SETTINGS,
            **(settings or {}),
            "port": str(server.port),
            "unix_socket_directories": f"'{folder}'",
        }
        with (data / "postgresql.conf").open("a") as file:
            file.writelines(f"{name} = {value}\n" for name, value in conf.items())
        _run(
            [*as_owner, pg_ctl, "start", "-w", "-t", "60", "-D", str(data), "-l", str(log)],
            "pg_ctl start",
            folder,
            log,
        )
        yield server
    finally:
        watchdog.communicate(timeout=120)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run(command: list[str], what: str, folder: Path, log: Path | None = None) -> None:
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        server_log = log.read_text(errors="replace") if log and log.exists() else ""
        raise ServerError(
            f"PostgreSQL could not start: {what} exited with {done.returncode}:\n"
            f"{done.stdout}{done.stderr}{server_log}"
        )
