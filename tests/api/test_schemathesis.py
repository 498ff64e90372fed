"""Schemathesis against the app's own ``/openapi.json``: requests generated from every
operation's schema, sent by a user who may do everything in Jiangmen, never get a server
error, and every error answers in the one format. Bounded: a few derandomized examples per
operation on SQLite (the whole module stays well under a minute)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from api_helpers import JIANGMEN, KAIPING, WANG, auth, resident, settings_for
from hypothesis import HealthCheck, given, settings

from canbao.adapters.database import Actor, unit_of_work
from canbao.api import create_app
from canbao.services import registry

EXAMPLES = 12


def test_no_operation_gives_a_server_error(tmp_path: Path) -> None:
    url = f"sqlite+pysqlite:///{tmp_path / 'canbao.db'}"
    with unit_of_work(url, Actor("setup")) as uow:
        registry.apply(uow, resident(WANG, "王伟", KAIPING))
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings_for(url)))
    admin = auth("city_admin", JIANGMEN)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def no_server_error(case: Any) -> None:
            response = case.call(headers=admin)
            assert response.status_code < 500, (case.operation.label, response.text)
            if response.status_code >= 400:
                assert set(response.json()) == {"code", "message", "field"}, case.operation.label

        no_server_error()
