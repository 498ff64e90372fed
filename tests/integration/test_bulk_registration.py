"""The import's bulk path (``registry.apply_all``) on both databases: a mixed form stores
exactly the rows the single use cases store applied one row at a time, and the certificate
shown as of a date is the one valid on it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from test_office_and_basic_info import ZHANG

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, UnitOfWork, ready, unit_of_work
from canbao.adapters.sheets import write_xlsx
from canbao.certno import check_character
from canbao.domain.codes import ENROLLMENT_INFO
from canbao.domain.registry import NEW, STOP, Registration
from canbao.policy import load_policy
from canbao.services import registry
from canbao.services.imports import (
    import_registrations,
    read_registrations,
    request_key,
    to_registration,
)
from registry_helpers import changed, counts, pay, register


def number(body: str) -> str:
    """A valid 18-character ID number from its first 17 characters."""
    return body + check_character(body)


KAIPING, GUANGZHOU = "广东省江门市开平市三埠街道1号", "广东省广州市天河区1号"
A, B, C, H = (number(f"44078319850615{n:03d}") for n in (101, 102, 103, 104))
D, E, F, G = (number(f"44078319900101{n:03d}") for n in (201, 202, 203, 204))
#: Registered before the import, on 2021-10-15.
BEFORE = [(A, "甲一"), (B, "乙二"), (C, "丙三"), (H, "丁四")]
HEADERS = ["序号", "姓名", "身份证号码", "联系电话", "户籍地址", "参保属地", "登记类型"]
HEADERS += ["停保原因", "受理时间"]
FORM = [
    ["1", "新一", D, "13800000001", KAIPING, "440783", "新参保", "", "2021-10-20"],
    ["2", "外二", E, "", GUANGZHOU, "440783", "新参保", "", "2021-10-20"],  # refused (E)
    ["3", "甲一", A, "13900000000", KAIPING, "440783", "变更", "", "2021-11-01"],
    ["4", "乙二", B, "", KAIPING, "440783", "停保", "死亡", "2021-11-10"],
    ["5", "丙三", C, "", KAIPING, "440783", "停保", "死亡", "2021-11-25"],  # refused (K2)
    ["6", "坏六", D[:-1] + ("1" if D[-1] != "1" else "2"), "", KAIPING, "440783", "新参保", ""]
    + ["2021-10-20"],  # bad check character
    ["7", "冲七", F, "", KAIPING, "440783", "新参保", "", "2021-10-20"],
    ["8", "冲柒", F, "", KAIPING, "440783", "新参保", "", "2021-10-20"],  # conflicts with 7
    ["9", "新一", D, "13800000001", KAIPING, "440783", "新参保", "", "2021-10-20"],  # = 1
    ["10", "无十", G, "", KAIPING, "440783", "变更", "", "2021-11-01"],  # refused: unknown
    ["11", "丁四", H, "", KAIPING, "440783", "新参保", "", "2021-10-15"],  # unchanged
]


def registered_before(url: str) -> None:
    for certno, name in BEFORE:
        register(url, Actor("clerk"), name, certno, "440783")


def one_by_one(uow: UnitOfWork, path: Path) -> None:
    """What the import did before the bulk path: each good row's registration applied with
    ``registry.apply``, in its own savepoint, as the clerk's row of the file."""
    policy = load_policy()
    rows, _, title_year = read_registrations(path)
    for row in rows:
        registration = to_registration(row, policy, None, title_year)
        assert isinstance(registration, Registration)
        uow.actor = Actor("clerk", source_file=path.name, source_row=row.row)
        with uow.connection.begin_nested():
            registry.apply(uow, registration, policy, request_key=request_key(row))


def contents(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted; generated values (ids, times, psn_no, rlts_id) as
    what they stand for: a person as its certificates, a relation as its person, scheme and
    region, a change as its action, file row and person."""
    certificates: dict[str, list[str]] = {}
    for certno, psn_no in connection.execute(
        select(t.certificate.c.certno, t.certificate.c.psn_no)
    ):
        certificates.setdefault(psn_no, []).append(certno)
    person = {psn_no: tuple(sorted(numbers)) for psn_no, numbers in certificates.items()}
    e, c = t.enrollment, t.change_log
    relation = {
        rlts_id: (person[psn_no], insutype, region)
        for rlts_id, psn_no, insutype, region in connection.execute(
            select(e.c.rlts_id, e.c.psn_no, e.c.insutype, e.c.insuplc_admdvs)
        )
    }
    change = {
        change_id: (action, row, person.get(psn_no))
        for change_id, action, row, psn_no in connection.execute(
            select(c.c.id, c.c.action, c.c.source_row, c.c.psn_no)
        )
    }
    generated = {"psn_no": person, "rlts_id": relation, "change_id": change}
    tables = {}
    for table in t.metadata.sorted_tables:
        rows = []
        for row in connection.execute(select(table)).mappings():
            rows.append(
                tuple(
                    (name, generated[name].get(value, value) if name in generated else value)
                    for name, value in row.items()
                    if name not in ("id", "recorded_at")
                )
            )
        tables[table.name] = sorted(rows, key=repr)
    return tables


def test_the_bulk_import_stores_what_the_use_cases_store_one_by_one(
    database_url: str, tmp_path: Path
) -> None:
    registered_before(database_url)
    path = tmp_path / "登记表.xlsx"
    write_xlsx(path, "江门市2022年度城乡居民基本医疗保险新参保、变更、停保登记表", HEADERS, FORM)
    with ready(database_url).connect() as connection:
        with connection.begin() as transaction:
            one_by_one(UnitOfWork(connection, Actor("clerk")), path)
            expected = contents(connection)
            transaction.rollback()
    before = counts(database_url)
    report = import_registrations(database_url, path, "clerk").as_json()
    with ready(database_url).connect() as connection:
        stored = contents(connection)
    assert stored == expected
    assert (report["accepted"], report["unchanged"]) == (3, 2)  # rows 1, 3, 4; rows 9, 11
    assert [(r["row"], r["column"], r["code"]) for r in report["rejected"]] == [
        (4, None, "refused"),
        (7, None, "refused"),
        (8, "身份证号码", "bad_check_character"),
        (9, "姓名", "conflicting_rows"),
        (10, "姓名", "conflicting_rows"),
        (12, None, "refused"),
    ]
    assert [r["reason"] for r in report["rejected"] if r["code"] == "refused"] == [
        "该人员不属于开平市居民医保参保范围。",
        report["rejected"][1]["reason"],
        "未找到该人员，请先办理新参保。",
    ]
    assert "2021-11-20" in report["rejected"][1]["reason"]  # K2, against 受理时间
    assert changed(before, counts(database_url)) == {
        "change_log": 4,  # D's person and registration, A's change, B's stop
        "person": 1,
        "certificate": 1,
        "person_version": 2,  # D's, A's new one
        "enrollment": 1,
        "enrollment_version": 2,  # D's, B's stop
    }
    assert import_registrations(database_url, path, "clerk").as_json() == {
        **report,
        "accepted": 0,
        "unchanged": 5,
    }
    with ready(database_url).connect() as connection:
        assert contents(connection) == stored


def test_requests_for_one_person_in_one_call_see_each_other(database_url: str) -> None:
    """``apply_all`` starts a new batch where a person comes again: a registration, its change
    and its stop in one call store what the three calls one by one store."""
    first = Registration(
        chg_type=NEW,
        psn_name="戊五",
        certno=D,
        gend="1",
        brdy=date(1990, 1, 1),
        insuplc_admdvs="440783",
        hukou_admdvs="440783",
        accepted_on=date(2021, 10, 15),
    )
    requests = [
        registry.Request(first, "k1", 1),
        registry.Request(replace(first, chg_type=ENROLLMENT_INFO, tel="13700000000"), "k2", 2),
        registry.Request(
            replace(first, chg_type=STOP, stop_reason="death", accepted_on=date(2021, 11, 1)),
            "k3",
            3,
        ),
        registry.Request(replace(first, certno=E, psn_name="己六"), "k4", 4),
    ]
    with ready(database_url).connect() as connection:
        with connection.begin() as transaction:
            uow = UnitOfWork(connection, Actor("clerk"))
            singly = []
            for request in requests:
                uow.actor = Actor("clerk", source_row=request.row)
                singly.append(
                    registry.apply(uow, request.registration, request_key=request.request_key)
                )
            expected = contents(connection)
            transaction.rollback()
    with unit_of_work(database_url, Actor("clerk")) as uow:
        together = registry.apply_all(uow, requests)
    assert [o.status for o in together] == [o.status for o in singly] == ["accepted"] * 4
    assert [o.reason for o in together] == [o.reason for o in singly]
    with ready(database_url).connect() as connection:
        assert contents(connection) == expected


def test_status_as_of_shows_the_certificate_valid_then(database_url: str) -> None:
    zhang = ZHANG
    clerk = Actor("clerk-meizhou")
    with unit_of_work(database_url, clerk) as uow:
        registered = registry.apply(uow, zhang)
    pay(database_url, clerk, registered.psn_no, registered.rlts_id, 2022, date(2021, 10, 10))
    with unit_of_work(database_url, clerk) as uow:
        moved = registry.attach_certificate(
            uow, registered.psn_no, "01", "441402198501011263", date(2021, 10, 9), "张叁"
        )
    assert moved.status == "accepted"
    with ready(database_url).connect() as connection:
        certificates = connection.execute(
            select(t.certificate.c.certno, t.certificate.c.valid_from).order_by(
                t.certificate.c.valid_from
            )
        ).all()
        shown = {
            day: registry.status(connection, registered.psn_no, day)
            for day in (date(2021, 3, 1), date(2021, 10, 8), date(2021, 10, 9))
        }
        assert registry.status(connection, registered.psn_no, date(2021, 2, 28)) is None
    assert certificates == [
        ("441402198501011239", date(2021, 3, 1)),
        ("441402198501011263", date(2021, 10, 9)),
    ]
    assert {
        day: (s["baseinfo"]["certno"], s["baseinfo"]["psn_name"]) for day, s in shown.items()
    } == {
        date(2021, 3, 1): ("441402198501011239", "张三"),
        date(2021, 10, 8): ("441402198501011239", "张三"),
        date(2021, 10, 9): ("441402198501011263", "张叁"),
    }


def test_a_newborn_shows_no_number_before_it_was_given(database_url: str) -> None:
    day = date(2022, 4, 1)
    newborn = replace(ZHANG, psn_name="陈大文", psn_type="1401", certno=None, year=None)
    newborn = replace(newborn, brdy=date(2022, 3, 1), accepted_on=day, paid_on=day)
    newborn = replace(newborn, insuplc_admdvs="440783", hukou_admdvs="440783")
    newborn = replace(newborn, under_parent_name=True, proofs=frozenset({"入户后的户口簿"}))
    with unit_of_work(database_url, Actor("clerk")) as uow:
        outcome = registry.apply(uow, newborn)
    assert outcome.status == "accepted" and outcome.psn_no is not None
    with unit_of_work(database_url, Actor("clerk")) as uow:
        attached = registry.attach_certificate(
            uow, outcome.psn_no, "01", "440783202203011233", date(2022, 6, 1), "陈小宝"
        )
    assert attached.status == "accepted"
    with ready(database_url).connect() as connection:
        numbers = [
            registry.status(connection, outcome.psn_no, day)["baseinfo"]["certno"]
            for day in (date(2022, 5, 31), date(2022, 6, 1))
        ]
    assert numbers == ["", "440783202203011233"]
