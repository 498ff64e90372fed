"""Shared by every tier: where the PostgreSQL server programs are (tests/integration starts one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from canbao.adapters.postgres_server import INSTALL_HINT, find_bindir


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
