"""Temporary: SQLite only, until the PostgreSQL fixture lands."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'canbao.db'}"
