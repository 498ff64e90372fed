"""``canbao demo`` on both databases: exactly the rows of the first N persons, valid ID numbers,
every row pointing to a demo change, a second run adding nothing, and a demo person's status."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.certno import check_certno
from canbao.services import collection, demo, hardship, registry
from canbao.services.registry import enrollments_as_of
from registry_helpers import changed, counts

PERSONS = 200
#: The rows of the first 200 persons (71 households) and of the units: fixed by the seed.
ADDED = {
    "unit": 49,
    "collective_account": 5,
    "change_log": 72 + 1,  # a change per household, one for the units, one confirmation
    "person": 200,
    "certificate": 200,
    "person_version": 200,
    "household": 71,
    "household_member": 200,
    "enrollment": 210,
    "enrollment_version": 228,
    "hardship_identity": 10,
    "review": 10,
}

#: The subsidies of the 2022 assessment of those 200 persons: (declaration, identity,
#: subsidy, persons).
SUBSIDIZED = [
    ("normal", "dibao", Decimal("376.00"), 1),  # Kaiping: declared as usual
    ("zero", "dibao", Decimal("320.00"), 1),  # Guiyang: full subsidy, zero declaration (C6)
    ("zero", "tekun", Decimal("320.00"), 1),
]


def load(url: str, persons: int = PERSONS) -> demo.Loaded:
    with unit_of_work(url, Actor(demo.ACTOR)) as uow:
        return demo.load(uow, persons)


def test_demo_writes_exactly_the_rows_of_its_persons(database_url: str) -> None:
    before = counts(database_url)
    loaded = load(database_url)
    assert changed(before, counts(database_url)) == ADDED == loaded.added
    assert (loaded.persons, loaded.households, loaded.skipped) == (200, 71, 0)
    with ready(database_url).connect() as connection:
        log = connection.execute(select(t.change_log)).mappings().all()
        assert {(r["actor"], r["action"]) for r in log} == {
            ("demo", "demo"),
            (demo.REVIEWER, "review"),
        }
        assert all(r["request_key"].startswith(demo.KEY + ":") for r in log if r["actor"] == "demo")
        ids = {r["id"] for r in log}
        for table in t.metadata.sorted_tables:
            if "change_id" in table.c:
                pointed = connection.execute(select(table.c.change_id).distinct()).scalars()
                assert set(pointed) <= ids, table.name


def test_demo_numbers_are_valid_and_agree_with_sex_and_birth_date(database_url: str) -> None:
    load(database_url)
    with ready(database_url).connect() as connection:
        rows = connection.execute(
            select(t.certificate.c.certno, t.person_version.c.gend, t.person_version.c.brdy).join(
                t.person_version, t.person_version.c.psn_no == t.certificate.c.psn_no
            )
        ).all()
        names = connection.execute(select(t.person_version.c.psn_name)).scalars().all()
        regions = connection.execute(select(t.enrollment.c.insuplc_admdvs)).scalars().all()
    assert len(rows) == PERSONS
    for certno, gend, brdy in rows:
        assert check_certno(certno).valid, certno
        assert int(certno[16]) % 2 == (1 if gend == "1" else 0)
        assert certno[6:14] == f"{brdy:%Y%m%d}"
        assert certno[:6] != "520190"  # Gui'an has no GB/T 2260 code
    assert any(name.startswith(("司徒", "欧阳")) for name in names)
    assert {r[:4] for r in regions} >= {"4407", "4414", "5201"}
    assert "520190" in regions


def test_demo_histories_hold_stops_switches_and_duplicates(database_url: str) -> None:
    load(database_url)
    with ready(database_url).connect() as connection:
        statuses = {
            (row["insutype"], row["psn_insu_stas"])
            for (psn_no,) in connection.execute(select(t.person.c.psn_no))
            for row in enrollments_as_of(connection, psn_no, demo.AS_OF)
        }
        normal_twice = connection.execute(
            select(func.count()).select_from(
                select(t.enrollment.c.psn_no)
                .where(t.enrollment.c.insutype == "390")
                .group_by(t.enrollment.c.psn_no)
                .having(func.count() > 1)
                .subquery()
            )
        ).scalar_one()
        students = connection.execute(
            select(func.count())
            .select_from(t.enrollment_version)
            .where(t.enrollment_version.c.unit_id.is_not(None))
        ).scalar_one()
    assert statuses >= {("390", "1"), ("390", "2"), ("390", "4"), ("310", "1")}
    assert normal_twice > 0
    assert students > 0


def test_a_second_clerk_confirms_the_demo_identities_so_they_count(database_url: str) -> None:
    """Maker-checker: the demo lists its identities as one clerk and confirms them as another,
    so the yearly assessment of the demo population grants their subsidies."""
    load(database_url)
    h, r, c = t.hardship_identity, t.review, t.change_log
    with ready(database_url).connect() as connection:
        listed = connection.execute(select(h.c.id, h.c.psn_no)).all()
        reviews = connection.execute(
            select(r.c.subject, r.c.subject_id, r.c.confirmed, c.c.actor).join(c)
        ).all()
        confirmed = connection.execute(
            select(hardship.confirmed_identities().subquery().c.psn_no)
        ).scalars()
        assert sorted(confirmed) == sorted(psn_no for _, psn_no in listed)
    assert sorted(reviews) == sorted(
        (hardship.SUBJECT, str(identity), True, demo.REVIEWER) for identity, _ in listed
    )
    a = t.assessment
    with unit_of_work(database_url, Actor("clerk")) as uow:
        for region in ("440783", "441400", "520100", "520190"):
            collection.assess(uow, region, 2022)
        subsidized = uow.connection.execute(
            select(a.c.declaration, a.c.subsidy_identity, a.c.subsidy, func.count())
            .where(a.c.subsidy > 0)
            .group_by(a.c.declaration, a.c.subsidy_identity, a.c.subsidy)
            .order_by(a.c.declaration, a.c.subsidy_identity, a.c.subsidy)
        ).all()
    assert [tuple(row) for row in subsidized] == SUBSIDIZED


def test_a_second_run_adds_nothing_and_says_so(database_url: str) -> None:
    load(database_url)
    before = counts(database_url)
    again = load(database_url)
    assert counts(database_url) == before
    assert (again.persons, again.households, again.skipped, again.added) == (0, 0, 71, {})


def test_the_status_of_a_demo_person(database_url: str) -> None:
    load(database_url)
    with ready(database_url).connect() as connection:
        certno = connection.execute(
            select(t.certificate.c.certno).where(t.certificate.c.psn_no == "DP00000000000")
        ).scalar_one()
        psn_no = registry.find_person(connection, "01", certno)
        answer: Any = registry.status(connection, psn_no or "", date(2026, 1, 1))
    assert answer["baseinfo"]["psn_no"] == "DP00000000000"
    assert answer["baseinfo"]["certno"] == certno
    assert [i["insutype"] for i in answer["insuinfo"]] == ["390"]


def test_the_command_line_loads_and_then_says_it_is_there(database_url: str) -> None:
    env = {**os.environ, "CANBAO_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "canbao", "demo", "--persons", "30"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("已加载演示数据：30 人")
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("演示数据已在库中")
