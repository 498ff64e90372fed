"""ADR 0007: the same person registered from 32 processes at once gives one person, one
certificate, one relation, and no error to anyone (PostgreSQL; SQLite serialises writers)."""

from __future__ import annotations

import multiprocessing
from datetime import date

import pytest
from sqlalchemy import func, select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, engine, ready, unit_of_work
from canbao.domain.registry import NEW, Registration
from canbao.services import registry

PROCESSES = 32
LI = Registration(
    chg_type=NEW,
    psn_name="李四",
    certno="440783199001011236",
    gend="1",
    brdy=date(1990, 1, 1),
    insuplc_admdvs="440783",
    hukou_admdvs="440783",
    accepted_on=date(2021, 10, 20),
)


def register(url: str, index: int, barrier: multiprocessing.synchronize.Barrier) -> str:
    barrier.wait()
    with unit_of_work(url, Actor(f"process-{index}")) as uow:
        return registry.apply(uow, LI).status


def _child(url: str, index: int, barrier: object, results: object) -> None:
    try:
        results.put((index, register(url, index, barrier)))  # type: ignore[attr-defined]
    except Exception as error:  # reported to the parent, which fails the test
        results.put((index, f"error: {type(error).__name__}: {error}"))  # type: ignore[attr-defined]


@pytest.mark.postgresql
def test_32_processes_register_one_person(postgresql_database_url: str) -> None:
    url = postgresql_database_url
    ready(url)
    engine(url).dispose()  # no connection crosses the fork
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(target=_child, args=(url, index, barrier, results))
        for index in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    answers = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * PROCESSES
    with ready(url).connect() as connection:
        count = {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (t.person, t.certificate, t.person_version, t.enrollment)
        }
        actions = connection.execute(select(t.change_log.c.action)).scalars().all()
    assert count == {"person": 1, "certificate": 1, "person_version": 1, "enrollment": 1}
    assert sorted(answers.values()) == ["accepted"] + ["unchanged"] * (PROCESSES - 1)
    assert sorted(actions) == ["person", "register"]
