"""Shared by every tier: where the PostgreSQL server programs are (tests/integration starts one)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Debian's postgresql-15, which `make setup` installs (scripts/install-postgresql.sh).
DEBIAN_BINDIR = Path("/usr/lib/postgresql/15/bin")
INSTALL_HINT = (
    "install Debian's postgresql-15: `make setup` does as root, "
    "otherwise `sudo apt-get install postgresql-15`"
)


def find_postgresql_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: $CANBAO_PG_BINDIR, Debian's postgresql-15, or the PATH."""
    candidates = [os.environ.get("CANBAO_PG_BINDIR"), DEBIAN_BINDIR, shutil.which("initdb")]
    for candidate in filter(None, candidates):
        path = Path(candidate)
        folder = path.parent if path.name == "initdb" else path
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder.resolve()
    return None


def pytest_report_header() -> str:
    bindir = find_postgresql_bindir()
    return f"postgresql: {bindir}" if bindir else f"postgresql: not found ({INSTALL_HINT})"


@pytest.fixture(scope="session")
def postgresql_bindir() -> Path:
    """The server programs' folder; the tests that need it fail (never skip) when it is missing."""
    bindir = find_postgresql_bindir()
    if bindir is None:
        pytest.fail(f"PostgreSQL's initdb and pg_ctl not found: {INSTALL_HINT}", pytrace=False)
    return bindir
