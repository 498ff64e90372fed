"""W1 on both databases: register, register again, stop, change; the history as of any date
(W12) and exactly the rows each use case writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.domain.registry import BASIC_INFO, NEW, STOP, Registration
from canbao.services import registry

CLERK = Actor("clerk-kaiping")
WANG = Registration(
    chg_type=NEW,
    psn_name="王小明",
    certno="440783198506151234",
    gend="1",
    brdy=date(1985, 6, 15),
    insuplc_admdvs="440783",
    hukou_admdvs="440783",
    accepted_on=date(2021, 10, 15),
    tel="13800000000",
    bank_acct="6222000000000000",
)


def counts(url: str) -> dict[str, int]:
    with ready(url).connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in t.metadata.sorted_tables
        }


def run(url: str, registration: Registration) -> Any:
    with unit_of_work(url, CLERK) as uow:
        return registry.apply(uow, registration)


def status(url: str, as_of: date) -> Any:
    with ready(url).connect() as connection:
        psn_no = registry.find_person(connection, "01", WANG.certno)
        assert psn_no is not None
        return registry.status(connection, psn_no, as_of)


def test_register_writes_one_person_one_relation_and_its_decision(database_url: str) -> None:
    before = counts(database_url)
    outcome = run(database_url, WANG)
    assert outcome.status == "accepted"
    assert outcome.decisions[0].rules == ("E2", "E4")
    after = counts(database_url)
    changed = {name: after[name] - before[name] for name in after if after[name] != before[name]}
    assert changed == {
        "change_log": 2,
        "person": 1,
        "certificate": 1,
        "person_version": 1,
        "enrollment": 1,
        "enrollment_version": 1,
    }
    with ready(database_url).connect() as connection:
        log = connection.execute(select(t.change_log).order_by(t.change_log.c.id)).mappings().all()
    assert [(r["action"], r["actor"], r["psn_chg_type"]) for r in log] == [
        ("person", "clerk-kaiping", "11"),
        ("register", "clerk-kaiping", "11"),
    ]
    assert log[1]["rules"] == ["E2", "E4"]
    assert {"doc": "开平市2022年度城乡居民基本医疗保险参保工作方案", "section": "二"} in log[1][
        "citations"
    ]


def test_registering_again_changes_nothing(database_url: str) -> None:
    run(database_url, WANG)
    before = counts(database_url)
    again = run(database_url, WANG)
    assert again.status == "unchanged"
    assert counts(database_url) == before


def test_a_stop_shows_as_of_after_and_not_before(database_url: str) -> None:
    run(database_url, WANG)
    stopped = run(
        database_url,
        Registration(
            chg_type=STOP,
            psn_name="王小明",
            certno=WANG.certno,
            insuplc_admdvs="440783",
            accepted_on=date(2022, 3, 1),
            stop_reason="joined_employee",
        ),
    )
    assert stopped.status == "accepted"
    earlier = status(database_url, date(2022, 2, 28))["insuinfo"]
    later = status(database_url, date(2022, 3, 1))["insuinfo"]
    assert [(i["psn_insu_stas"], i["paus_insu_date"]) for i in earlier] == [("1", "")]
    assert [(i["psn_insu_stas"], i["paus_insu_date"]) for i in later] == [("2", "2022-03-01")]
    assert status(database_url, date(2021, 10, 14)) is None  # not yet registered


def test_a_stop_after_the_kaiping_deadline_is_refused_with_k2(database_url: str) -> None:
    run(database_url, WANG)
    before = counts(database_url)
    late = run(
        database_url,
        Registration(
            chg_type=STOP,
            psn_name="王小明",
            certno=WANG.certno,
            insuplc_admdvs="440783",
            accepted_on=date(2021, 11, 21),
            stop_reason="other",
        ),
    )
    assert late.status == "refused"
    assert late.decisions[0].rules == ("K2",)
    assert "2021-11-20" in late.reason
    assert counts(database_url) == before


def test_a_change_is_a_new_version_from_its_date(database_url: str) -> None:
    run(database_url, WANG)
    changed = run(
        database_url,
        Registration(
            chg_type=BASIC_INFO,
            psn_name="王小明",
            certno=WANG.certno,
            insuplc_admdvs="440783",
            accepted_on=date(2022, 5, 1),
            tel="13900000000",
        ),
    )
    assert changed.status == "accepted"
    assert status(database_url, date(2022, 4, 30))["baseinfo"]["psn_name"] == "王小明"
    with ready(database_url).connect() as connection:
        phones = (
            connection.execute(select(t.person_version.c.tel).order_by(t.person_version.c.id))
            .scalars()
            .all()
        )
    assert phones == ["13800000000", "13900000000"]


def test_the_1101_shape(database_url: str) -> None:
    run(database_url, WANG)
    answer = status(database_url, date(2022, 1, 1))
    assert answer["baseinfo"] | {"psn_no": "-"} == {
        "psn_no": "-",
        "psn_cert_type": "01",
        "certno": "440783198506151234",
        "psn_name": "王小明",
        "gend": "1",
        "naty": "",
        "brdy": "1985-06-15",
        "age": 36,
        "exp_content": "",
    }
    assert answer["insuinfo"] == [
        {
            "balc": 0,
            "insutype": "390",
            "psn_type": "1501",
            "psn_insu_stas": "1",
            "psn_insu_date": "2021-10-15",
            "paus_insu_date": "",
            "cvlserv_flag": "0",
            "insuplc_admdvs": "440783",
            "emp_name": "",
        }
    ]
    assert answer["idetinfo"] == []
