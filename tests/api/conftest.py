"""The API in process (FastAPI's test client) on a database of the test's own (SQLite, then
PostgreSQL: ``database_url``), with three residents registered, all named 王伟: two in Kaiping
(江门市 440700's county 440783), one in Guiyang's 南明区 (520102) (``api_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_helpers import KAIPING, LI, NANMING, WANG, ZHAO, resident, settings_for
from fastapi.testclient import TestClient

from canbao.adapters.database import Actor, unit_of_work
from canbao.api import create_app
from canbao.services import registry


@pytest.fixture
def url(database_url: str) -> str:
    with unit_of_work(database_url, Actor("setup")) as uow:
        for number, region in ((WANG, KAIPING), (LI, KAIPING), (ZHAO, NANMING)):
            assert registry.apply(uow, resident(number, "王伟", region)).status == "accepted"
    return database_url


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(url)), raise_server_exceptions=False) as test_client:
        yield test_client
