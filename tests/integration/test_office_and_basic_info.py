"""W1 on both databases: the office that takes a registration (全市通办, K5) and basic information
changed before payment (K6). Each boundary on both sides: the region's own office, another
county's office of the city, another city's; a change before the payment, on its day, after it;
the exact rows and change-log entries written, and nothing written when refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.adapters.sheets import write_csv
from canbao.domain.codes import ENROLLMENT_INFO
from canbao.domain.registry import NEW, STOP, Outcome, Registration
from canbao.services import registry
from canbao.services.imports import import_registrations
from registry_helpers import changed, counts, pay

#: Workflow rules these tests prove (tests/rules/test_rule_coverage.py).
COVERS = {"K5", "K6"}

CLERK = Actor("clerk-meizhou")
MEIZHOU_DOC = {"doc": "梅市医保〔2021〕7号", "section": "三（一）"}
#: What a K6 decision cites: the rule and the payment period it reads.
K6_DOCS = [MEIZHOU_DOC, {"doc": "梅市医保〔2021〕7号", "section": "二"}]
#: What the eligibility decision (E1) cites: the scope and the payment period.
E1_DOCS = [
    {"doc": "梅市医保〔2021〕7号", "section": "一"},
    {"doc": "梅市医保〔2021〕7号", "section": "二"},
]
KAIPING_DOC = {"doc": "开平市2022年度城乡居民基本医疗保险参保工作方案", "section": "五（八）"}
#: A 梅江区 resident enrolled for 2022 before its payment period began (a continuing enrollee).
ZHANG = Registration(
    chg_type=NEW,
    psn_name="张三",
    certno="441402198501011239",
    gend="1",
    brdy=date(1985, 1, 1),
    insuplc_admdvs="441402",
    hukou_admdvs="441402",
    accepted_on=date(2021, 3, 1),
    year=2022,
)
KAIPING = replace(
    ZHANG,
    psn_name="黄五",
    certno="440783198705051279",
    brdy=date(1987, 5, 5),
    insuplc_admdvs="440783",
    hukou_admdvs="440783",
    accepted_on=date(2021, 10, 15),
    year=None,
)


def run(url: str, registration: Registration) -> Outcome:
    with unit_of_work(url, CLERK) as uow:
        return registry.apply(uow, registration)


def log(url: str, *actions: str) -> list[dict[str, Any]]:
    """The change_log rows of ``actions``: action, office, rules, citations, decision statuses."""
    c = t.change_log
    with ready(url).connect() as connection:
        rows = connection.execute(
            select(c).where(c.c.action.in_(actions)).order_by(c.c.id)
        ).mappings()
        return [
            {
                "action": row["action"],
                "office": row["office_admdvs"],
                "rules": row["rules"],
                "citations": row["citations"],
                "statuses": [d["status"] for d in row["decision"] or []],
            }
            for row in rows
        ]


def versions(url: str) -> list[tuple[Any, ...]]:
    e, v = t.enrollment, t.enrollment_version
    with ready(url).connect() as connection:
        rows = connection.execute(
            select(
                e.c.insuplc_admdvs,
                v.c.valid_from,
                v.c.psn_insu_stas,
                v.c.psn_clct_stas,
                v.c.psn_insu_date,
                v.c.paus_insu_date,
            )
            .select_from(e.join(v))
            .order_by(v.c.id)
        )
        return [tuple(row) for row in rows]


# --- K5: who may take a registration ----------------------------------------------------------


def test_the_regions_own_office_takes_it_without_k5(database_url: str) -> None:
    before = counts(database_url)
    outcome = run(database_url, replace(ZHANG, office_admdvs="441402"))
    assert outcome.status == "accepted"
    assert [d.rules for d in outcome.decisions] == [("E1",)]
    assert changed(before, counts(database_url)) == {
        "change_log": 2,
        "person": 1,
        "certificate": 1,
        "person_version": 1,
        "enrollment": 1,
        "enrollment_version": 1,
    }
    assert log(database_url, "person", "register") == [
        {"action": "person", "office": "441402", "rules": [], "citations": [], "statuses": []},
        {
            "action": "register",
            "office": "441402",
            "rules": ["E1"],
            "citations": E1_DOCS,
            "statuses": ["decided"],
        },
    ]


def test_without_an_office_the_regions_own_agency_is_recorded(database_url: str) -> None:
    assert run(database_url, ZHANG).status == "accepted"
    assert [row["office"] for row in log(database_url, "person", "register")] == [
        "441402",
        "441402",
    ]


def test_another_countys_office_of_the_city_registers_citing_k5(database_url: str) -> None:
    before = counts(database_url)
    outcome = run(database_url, replace(ZHANG, office_admdvs="441403"))
    assert outcome.status == "accepted"
    assert [(d.rules, d.status.value) for d in outcome.decisions] == [
        (("K5",), "decided"),
        (("E1",), "decided"),
    ]
    assert outcome.decisions[0].explanation == (
        "全市通办（梅市医保〔2021〕7号 三（一））：梅州市任一经办机构可办理新参保登记、"
        "参保属地变更（参保跨区域流动），梅县区（441403）的经办机构受理参保属地梅江区（441402）"
        "的新参保登记。"
    )
    assert changed(before, counts(database_url)) == {
        "change_log": 2,
        "person": 1,
        "certificate": 1,
        "person_version": 1,
        "enrollment": 1,
        "enrollment_version": 1,
    }
    assert log(database_url, "register") == [
        {
            "action": "register",
            "office": "441403",
            "rules": ["K5", "E1"],
            "citations": [MEIZHOU_DOC, *E1_DOCS],
            "statuses": ["decided", "decided"],
        }
    ]


def test_the_city_agency_registers_a_county_resident_citing_k5(database_url: str) -> None:
    outcome = run(database_url, replace(ZHANG, office_admdvs="441400"))
    assert (outcome.status, outcome.decisions[0].rules) == ("accepted", ("K5",))


@pytest.mark.parametrize(
    ("office", "gap"),
    [
        (
            "440783",
            "梅市医保〔2021〕7号 三（一）：全市通办限于梅州市（441400）的经办机构和参保人，"
            "未规定开平市（440783）的经办机构可否办理参保属地梅江区（441402）的新参保登记",
        ),
        (
            "445102",  # 潮州市湘桥区: in Guangdong, not in the documents' regions
            "梅市医保〔2021〕7号 三（一）：全市通办限于梅州市（441400）的经办机构和参保人，"
            "未规定广东省潮州市湘桥区（445102）的经办机构可否办理参保属地梅江区（441402）的新参保登记",
        ),
    ],
)
def test_another_citys_office_is_a_policy_gap_and_nothing_is_written(
    database_url: str, office: str, gap: str
) -> None:
    before = counts(database_url)
    outcome = run(database_url, replace(ZHANG, office_admdvs=office))
    assert outcome.status == "refused"
    [decision] = outcome.decisions
    assert (decision.rules, decision.status.value, decision.gaps) == (
        ("K5",),
        "policy_gap",
        (gap,),
    )
    assert [c.doc + " " + c.section for c in decision.citations] == ["梅市医保〔2021〕7号 三（一）"]
    assert counts(database_url) == before


def test_a_stop_at_another_countys_office_is_not_settled_in_meizhou(database_url: str) -> None:
    registered = run(database_url, ZHANG)
    stop = Registration(
        chg_type=STOP,
        psn_name="张三",
        certno=ZHANG.certno,
        insuplc_admdvs="441402",
        accepted_on=date(2021, 10, 20),
        stop_reason="death",
    )
    before = counts(database_url)
    refused = run(database_url, replace(stop, office_admdvs="441403"))
    assert refused.status == "refused"
    assert refused.decisions[0].gaps == (
        "梅市医保〔2021〕7号 三（一）：全市通办只及于新参保登记、参保属地变更（参保跨区域流动），"
        "未规定停保可否在参保属地以外的经办机构办理",
    )
    assert counts(database_url) == before
    stopped = run(database_url, replace(stop, office_admdvs="441402"))
    assert (stopped.status, stopped.rlts_id) == ("accepted", registered.rlts_id)
    assert changed(before, counts(database_url)) == {"change_log": 1, "enrollment_version": 1}
    [row] = log(database_url, "stop")
    assert (row["office"], row["rules"], row["statuses"]) == ("441402", [], ["decided"])
    assert row["citations"] == [{"doc": "本项目约定", "section": "W1（停保）"}]
    assert versions(database_url)[-1] == (
        "441402",
        date(2021, 10, 20),
        "4",
        "3",
        date(2021, 3, 1),
        date(2021, 10, 20),
    )


def test_kaiping_stops_are_handled_city_wide_only_within_kaiping(database_url: str) -> None:
    assert run(database_url, KAIPING).status == "accepted"
    stop = Registration(
        chg_type=STOP,
        psn_name="黄五",
        certno=KAIPING.certno,
        insuplc_admdvs="440783",
        accepted_on=date(2021, 11, 1),
        stop_reason="joined_employee",
    )
    before = counts(database_url)
    for office in ("440700", "440781"):  # 江门市, 台山市: other offices of Jiangmen
        refused = run(database_url, replace(stop, office_admdvs=office))
        assert refused.status == "refused"
        assert refused.decisions[0].rules == ("K5",)
        assert [c.section for c in refused.decisions[0].citations] == ["五（八）"]
    assert counts(database_url) == before
    stopped = run(database_url, replace(stop, office_admdvs="440783"))
    assert stopped.status == "accepted"
    assert changed(before, counts(database_url)) == {"change_log": 1, "enrollment_version": 1}
    assert versions(database_url)[-1][2:4] == ("2", "2")  # joined_employee: suspended


def test_guiyang_documents_say_nothing_on_other_offices(database_url: str) -> None:
    guiyang = replace(
        ZHANG,
        psn_name="杨六",
        certno="52010219880404126X",
        brdy=date(1988, 4, 4),
        insuplc_admdvs="520102",
        hukou_admdvs="520102",
        accepted_on=date(2021, 10, 15),
        year=None,
    )
    before = counts(database_url)
    refused = run(database_url, replace(guiyang, office_admdvs="520103"))
    assert refused.status == "refused"
    [decision] = refused.decisions
    assert (decision.rules, decision.status.value) == ((), "policy_gap")
    assert decision.gaps == (
        "贵阳市2022年度的文件未规定参保属地南明区（520102）的新参保登记可否由云岩区（520103）的经办机构办理",
    )
    assert counts(database_url) == before
    assert run(database_url, replace(guiyang, office_admdvs="520102")).status == "accepted"


# --- K6 with K5: 参保属地 moved within the city ------------------------------------------------


def move(day: date, office: str | None = None) -> Registration:
    return Registration(
        chg_type=ENROLLMENT_INFO,
        psn_name="张三",
        certno=ZHANG.certno,
        gend="1",
        insuplc_admdvs="441403",
        accepted_on=day,
        office_admdvs=office,
    )


def test_a_move_to_another_county_before_payment_cites_k5_and_k6(database_url: str) -> None:
    registered = run(database_url, ZHANG)
    pay(database_url, CLERK, registered.psn_no, registered.rlts_id, 2022, date(2021, 10, 10))
    before = counts(database_url)
    moved = run(database_url, move(date(2021, 10, 9), office="441402"))
    assert moved.status == "accepted"
    assert [(d.rules, d.status.value) for d in moved.decisions] == [
        (("K5",), "decided"),
        (("K6",), "decided"),
    ]
    assert moved.decisions[1].explanation == (
        "2022年度缴费期开始后、缴费前变更参保属地（梅市医保〔2021〕7号 三（一））。"
    )
    assert changed(before, counts(database_url)) == {
        "change_log": 1,
        "enrollment": 1,
        "enrollment_version": 2,
    }
    assert versions(database_url)[-2:] == [
        ("441402", date(2021, 10, 9), "4", "3", date(2021, 3, 1), date(2021, 10, 9)),
        ("441403", date(2021, 10, 9), "1", "1", date(2021, 10, 9), None),
    ]
    [row] = log(database_url, "change")
    assert row == {
        "action": "change",
        "office": "441402",
        "rules": ["K5", "K6"],
        "citations": K6_DOCS,
        "statuses": ["decided", "decided"],
    }
    with ready(database_url).connect() as connection:
        insured = registry.status(connection, registered.psn_no, date(2021, 10, 9))["insuinfo"]
    assert [(i["insuplc_admdvs"], i["psn_insu_stas"]) for i in insured] == [
        ("441402", "4"),
        ("441403", "1"),
    ]


@pytest.mark.parametrize("day", [date(2021, 10, 10), date(2021, 10, 11)])
def test_a_move_on_or_after_the_payment_day_is_a_k6_gap(database_url: str, day: date) -> None:
    registered = run(database_url, ZHANG)
    pay(database_url, CLERK, registered.psn_no, registered.rlts_id, 2022, date(2021, 10, 10))
    before = counts(database_url)
    refused = run(database_url, move(day))
    assert refused.status == "refused"
    [decision] = refused.decisions  # the new region's own office: no K5
    assert (decision.rules, decision.status.value) == (("K6",), "policy_gap")
    assert decision.gaps == (
        "梅市医保〔2021〕7号 三（一）：只规定连续参保人员参保属地应在缴费前办理变更，"
        "未规定缴费后如何办理",
    )
    assert decision.answer["paid_on"] == date(2021, 10, 10)
    assert counts(database_url) == before


# --- K6: 姓名 and 身份证号码 -------------------------------------------------------------------


def rename(day: date, name: str = "张叁", tel: str | None = None) -> Registration:
    return replace(move(day), insuplc_admdvs="441402", psn_name=name, tel=tel)


@pytest.mark.parametrize(
    ("day", "status", "rules", "written"),
    [
        (date(2021, 8, 31), "accepted", [], True),  # the payment period has not begun
        (date(2021, 10, 9), "accepted", [("K6",)], True),  # the day before the payment
        (date(2021, 10, 10), "refused", [("K6",)], False),  # the payment's own day
        (date(2022, 5, 1), "refused", [("K6",)], False),  # after it
    ],
)
def test_a_name_change_around_the_payment(
    database_url: str, day: date, status: str, rules: list[tuple[str, ...]], written: bool
) -> None:
    registered = run(database_url, ZHANG)
    pay(database_url, CLERK, registered.psn_no, registered.rlts_id, 2022, date(2021, 10, 10))
    before = counts(database_url)
    outcome = run(database_url, rename(day))
    assert outcome.status == status
    assert [d.rules for d in outcome.decisions] == rules
    if written:
        assert changed(before, counts(database_url)) == {"change_log": 1, "person_version": 1}
        [row] = log(database_url, "change")
        assert row["rules"] == [r for rule in rules for r in rule]
        assert row["citations"] == (K6_DOCS if rules else [])
        with ready(database_url).connect() as connection:
            names = (
                connection.execute(
                    select(t.person_version.c.psn_name).order_by(t.person_version.c.id)
                )
                .scalars()
                .all()
            )
        assert names == ["张三", "张叁"]
    else:
        assert outcome.decisions[0].status.value == "policy_gap"
        assert counts(database_url) == before


def test_a_phone_change_after_payment_is_not_k6s(database_url: str) -> None:
    registered = run(database_url, ZHANG)
    pay(database_url, CLERK, registered.psn_no, registered.rlts_id, 2022, date(2021, 10, 10))
    before = counts(database_url)
    outcome = run(database_url, rename(date(2021, 10, 11), name="张三", tel="13900000000"))
    assert (outcome.status, outcome.decisions) == ("accepted", ())
    assert changed(before, counts(database_url)) == {"change_log": 1, "person_version": 1}


def test_a_new_enrollees_name_change_after_payment_is_not_k6s(database_url: str) -> None:
    registered = run(database_url, replace(ZHANG, accepted_on=date(2021, 9, 1), year=None))
    pay(database_url, CLERK, registered.psn_no, registered.rlts_id, 2022, date(2021, 9, 2))
    outcome = run(database_url, rename(date(2021, 10, 1)))
    assert (outcome.status, outcome.decisions) == ("accepted", ())


def test_kaiping_name_changes_after_payment_are_not_k6s(database_url: str) -> None:
    registered = run(database_url, replace(KAIPING, accepted_on=date(2021, 3, 1), year=2022))
    pay(database_url, CLERK, registered.psn_no, registered.rlts_id, 2022, date(2021, 10, 10))
    outcome = run(
        database_url,
        replace(rename(date(2021, 10, 11)), certno=KAIPING.certno, insuplc_admdvs="440783"),
    )
    assert (outcome.status, outcome.decisions) == ("accepted", ())


def test_an_id_number_change_before_payment_cites_k6_and_on_its_day_is_a_gap(
    database_url: str,
) -> None:
    registered = run(database_url, ZHANG)
    pay(database_url, CLERK, registered.psn_no, registered.rlts_id, 2022, date(2021, 10, 10))
    before = counts(database_url)
    with unit_of_work(database_url, CLERK) as uow:
        refused = registry.attach_certificate(
            uow, registered.psn_no, "01", "441402198501011263", date(2021, 10, 10)
        )
    assert refused.status == "refused"
    assert [(d.rules, d.status.value) for d in refused.decisions] == [(("K6",), "policy_gap")]
    assert refused.decisions[0].gaps == (
        "梅市医保〔2021〕7号 三（一）：只规定连续参保人员身份证号码应在缴费前办理变更，"
        "未规定缴费后如何办理",
    )
    assert counts(database_url) == before
    with unit_of_work(database_url, CLERK) as uow:
        moved = registry.attach_certificate(
            uow, registered.psn_no, "01", "441402198501011263", date(2021, 10, 9), "张叁"
        )
    assert (moved.status, moved.reason) == ("accepted", "已变更证件号码。")
    assert [(d.rules, d.status.value) for d in moved.decisions] == [(("K6",), "decided")]
    assert moved.decisions[0].explanation == (
        "2022年度缴费期开始后、缴费前变更姓名、身份证号码（梅市医保〔2021〕7号 三（一））。"
    )
    assert changed(before, counts(database_url)) == {
        "change_log": 1,
        "certificate": 1,
        "person_version": 1,
    }
    [row] = log(database_url, "attach_certificate")
    assert row == {
        "action": "attach_certificate",
        "office": "441402",
        "rules": ["K6"],
        "citations": K6_DOCS,
        "statuses": ["decided"],
    }
    with ready(database_url).connect() as connection:
        shown = registry.status(connection, registered.psn_no, date(2021, 10, 9))["baseinfo"]
    assert (shown["certno"], shown["psn_name"]) == ("441402198501011263", "张叁")


# --- the import: a 受理机构 column and --office ------------------------------------------------

FORM_HEADERS = ["序号", "姓名", "身份证号码", "户籍地址", "参保属地", "登记类型", "受理时间"]
FORM_HEADERS += ["受理机构"]
MEIJIANG, MEIXIAN = "广东省梅州市梅江区1号", "广东省梅州市梅县区1号"
FORM_ROWS = [
    ["1", "张三", ZHANG.certno, MEIJIANG, "441402", "新参保", "2021-10-15", ""],
    ["2", "刘四", "441402199002021242", MEIJIANG, "441402", "新参保", "2021-10-15", "441402"],
    ["3", "陈五", "441403199203031259", MEIXIAN, "441403", "新参保", "2021-10-15", "440783"],
]


def test_an_import_takes_the_rows_office_else_the_option(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "登记表.csv"
    write_csv(path, FORM_HEADERS, FORM_ROWS)
    before = counts(database_url)
    report = import_registrations(database_url, path, "clerk", office="441403")
    assert report.as_json() == {
        "accepted": 2,
        "unchanged": 0,
        "rejected": [
            {
                "row": 4,
                "column": None,
                "code": "refused",
                "reason": "开平市（440783）的经办机构受理参保属地梅县区（441403）的新参保登记："
                "全市通办限于梅州市（梅市医保〔2021〕7号 三（一）），"
                "其外的经办机构可否办理文件未规定，不予受理。",
            }
        ],
    }
    assert changed(before, counts(database_url)) == {
        "change_log": 4,
        "person": 2,
        "certificate": 2,
        "person_version": 2,
        "enrollment": 2,
        "enrollment_version": 2,
    }
    assert [(row["office"], row["rules"]) for row in log(database_url, "register")] == [
        ("441403", ["K5", "E1"]),  # blank 受理机构: the import's --office
        ("441402", ["E1"]),  # the row's own: the region's office
    ]
    again = import_registrations(database_url, path, "clerk", office="441403")
    assert (again.accepted, again.unchanged, len(again.rejected)) == (0, 2, 1)


def test_the_office_option_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "登记表.csv"
    write_csv(path, FORM_HEADERS[:-1], [row[:-1] for row in FORM_ROWS[1:2]])
    env = {**os.environ, "CANBAO_DATABASE_URL": f"sqlite+pysqlite:///{tmp_path / 'c.db'}"}

    def canbao(*args: str) -> subprocess.CompletedProcess[bytes]:
        command = [sys.executable, "-m", "canbao", *args]
        return subprocess.run(command, env=env, capture_output=True, check=False)

    bad = canbao("import", "registrations", str(path), "--office", "4414")
    assert (bad.returncode, bad.stdout) == (2, b"")
    assert "--office 应为6位医保区划代码，得到 '4414'" in bad.stderr.decode()
    good = canbao("import", "registrations", str(path), "--office", "441403", "--json")
    assert good.returncode == 0, good.stderr.decode()
    assert json.loads(good.stdout) == {"accepted": 1, "unchanged": 0, "rejected": []}
    person = ("--name", "张三", "--region", "441402", "--on", "2021-10-15")
    registered = canbao(
        "person",
        "register",
        ZHANG.certno,
        *person,
        "--hukou",
        "441402",
        "--office",
        "441403",
        "--json",
    )
    assert registered.returncode == 0, registered.stderr.decode()
    answer = json.loads(registered.stdout)
    assert (answer["status"], [d["rules"] for d in answer["decisions"]]) == (
        "accepted",
        [["K5"], ["E1"]],
    )
    stop = ("person", "stop", ZHANG.certno, "--name", "张三", "--region", "441402")
    stop += ("--on", "2021-11-01", "--reason", "死亡")
    refused = canbao(*stop, "--office", "440783", "--json")
    assert refused.returncode == 1
    assert [d["status"] for d in json.loads(refused.stdout)["decisions"]] == ["policy_gap"]
    stopped = canbao(*stop)
    assert (stopped.returncode, stopped.stdout.decode()) == (0, "accepted：已停保。\n")
    url = env["CANBAO_DATABASE_URL"]
    assert [(row["action"], row["office"]) for row in log(url, "register", "stop")] == [
        ("register", "441403"),  # the import's --office
        ("register", "441403"),
        ("stop", "441402"),  # no office: the region's own agency
    ]
