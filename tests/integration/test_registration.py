"""W1 on both databases: register, register again, stop, change; the history as of any date
(W12) and exactly the rows each use case writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import insert, select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.domain.codes import Scheme
from canbao.domain.registry import BASIC_INFO, NEW, SCHOOL, STOP, Registration
from canbao.services import registry
from registry_helpers import changed, counts, pay

#: Workflow rules these tests prove (tests/rules/test_rule_coverage.py).
COVERS = {"K2"}

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


# --- W5: mid-year enrollees and newborns ------------------------------------------------------

VETERAN_PROOFS = frozenset({"退伍证明", "身份证", "户口簿", "扣费银行账户"})
LI = Registration(
    chg_type=NEW,
    psn_name="李四",
    certno="440783199001011230",
    gend="1",
    brdy=date(1990, 1, 1),
    insuplc_admdvs="440783",
    hukou_admdvs="440783",
    accepted_on=date(2022, 5, 10),
    paid_on=date(2022, 5, 10),
    categories=frozenset({"veteran"}),
    proofs=VETERAN_PROOFS,
)


def versions(url: str) -> list[tuple[Any, ...]]:
    v = t.enrollment_version
    with ready(url).connect() as connection:
        rows = connection.execute(
            select(
                v.c.valid_from,
                v.c.psn_type,
                v.c.psn_insu_stas,
                v.c.psn_clct_stas,
                v.c.psn_insu_date,
                v.c.paus_insu_date,
                v.c.unit_id,
                v.c.benefit_start,
                v.c.benefit_end,
                v.c.waiting_months,
            ).order_by(v.c.id)
        )
        return [tuple(row) for row in rows]


def test_a_mid_year_enrollee_with_proofs_gets_the_benefit_start_of_b2(database_url: str) -> None:
    before = counts(database_url)
    outcome = run(database_url, LI)
    assert outcome.status == "accepted"
    assert [d.rules for d in outcome.decisions] == [("E2", "E4"), ("B2",)]
    assert changed(before, counts(database_url)) == {
        "change_log": 2,
        "person": 1,
        "certificate": 1,
        "person_version": 1,
        "enrollment": 1,
        "enrollment_version": 1,
    }
    assert versions(database_url) == [
        (
            date(2022, 5, 10),
            "1501",
            "1",
            "1",
            date(2022, 5, 10),
            None,
            None,
            date(2022, 6, 1),
            None,
            0,
        ),
    ]
    with ready(database_url).connect() as connection:
        log = connection.execute(select(t.change_log).where(t.change_log.c.action == "register"))
        assert log.mappings().one()["rules"] == ["E2", "E4", "B2"]


def test_a_mid_year_enrollee_without_proofs_is_refused_and_nothing_is_written(
    database_url: str,
) -> None:
    before = counts(database_url)
    outcome = run(database_url, replace(LI, proofs=frozenset({"身份证"})))
    assert outcome.status == "refused"
    assert outcome.reason == "须提供：退伍证明、户口簿、扣费银行账户。"
    assert counts(database_url) == before


NEWBORN = Registration(
    chg_type=NEW,
    psn_name="陈大文",  # the parent's name (B5)
    psn_type="1401",
    gend="1",
    brdy=date(2022, 3, 1),
    insuplc_admdvs="440783",
    hukou_admdvs="440783",
    accepted_on=date(2022, 4, 1),
    paid_on=date(2022, 4, 1),
    under_parent_name=True,
    proofs=frozenset({"入户后的户口簿"}),
)


def test_a_newborn_under_a_parent_name_is_flagged_and_gets_the_number_later(
    database_url: str,
) -> None:
    before = counts(database_url)
    outcome = run(database_url, NEWBORN)
    assert outcome.status == "accepted"
    assert outcome.decisions[1].rules == ("B4", "B5")
    assert outcome.decisions[1].answer["update_newborn_identity"] is True
    assert changed(before, counts(database_url)) == {
        "change_log": 2,
        "person": 1,
        "person_version": 1,
        "enrollment": 1,
        "enrollment_version": 1,
    }
    assert versions(database_url)[0][7:] == (date(2022, 3, 1), None, 0)  # from birth (B4)
    middle = counts(database_url)
    with unit_of_work(database_url, CLERK) as uow:
        attached = registry.attach_certificate(
            uow, outcome.psn_no, "01", "440783202203011233", date(2022, 6, 1), "陈小宝"
        )
    assert attached.status == "accepted"
    assert changed(middle, counts(database_url)) == {
        "change_log": 1,
        "certificate": 1,
        "person_version": 1,
    }
    with ready(database_url).connect() as connection:
        assert registry.find_person(connection, "01", "440783202203011233") == outcome.psn_no
        earlier = registry.person_as_of(connection, outcome.psn_no, date(2022, 5, 31))
        later = registry.person_as_of(connection, outcome.psn_no, date(2022, 6, 1))
    assert earlier is not None and later is not None
    assert (earlier["psn_name"], earlier["under_parent_name"]) == ("陈大文", True)
    assert (later["psn_name"], later["under_parent_name"]) == ("陈小宝", False)
    with unit_of_work(database_url, CLERK) as uow:
        again = registry.attach_certificate(
            uow, outcome.psn_no, "01", "440783202203011233", date(2022, 6, 1)
        )
    assert again.status == "unchanged"
    assert counts(database_url) == {
        **middle,
        "change_log": middle["change_log"] + 1,
        "certificate": 1,
        "person_version": 2,
    }


# --- W6: scheme switching --------------------------------------------------------------------


def test_switching_to_the_employee_scheme_stores_the_b6_start(database_url: str) -> None:
    registered = run(database_url, replace(WANG, accepted_on=date(2019, 10, 15)))
    before = counts(database_url)
    with unit_of_work(database_url, CLERK) as uow:
        switched = registry.switch_scheme(
            uow,
            registered.psn_no,
            Scheme.EMPLOYEE,
            "440783",
            date(2022, 3, 1),
            date(2022, 3, 1),
            "1101",
        )
    assert switched.status == "accepted"
    decision = switched.decisions[0]
    assert decision.rules == ("B6",)
    assert decision.answer["continuous_months"] == 30
    assert decision.answer["suspend_relation"] is False
    # one new relation and its version; the resident relation is not suspended (B6 short gap)
    assert changed(before, counts(database_url)) == {
        "change_log": 1,
        "enrollment": 1,
        "enrollment_version": 1,
    }
    assert versions(database_url)[1] == (
        date(2022, 3, 1),
        "1101",
        "1",
        "1",
        date(2022, 3, 1),
        None,
        None,
        date(2022, 3, 1),
        None,
        0,
    )
    insured = status(database_url, date(2022, 3, 1))["insuinfo"]
    assert [(i["insutype"], i["psn_insu_stas"]) for i in insured] == [("390", "1"), ("310", "1")]
    assert [i["insutype"] for i in status(database_url, date(2022, 2, 28))["insuinfo"]] == ["390"]
    with unit_of_work(database_url, CLERK) as uow:
        again = registry.switch_scheme(
            uow,
            registered.psn_no,
            Scheme.EMPLOYEE,
            "440783",
            date(2022, 3, 1),
            date(2022, 3, 1),
            "1101",
        )
    assert again.status == "unchanged"


def test_a_switch_the_documents_leave_open_is_stored_without_a_start(database_url: str) -> None:
    registered = run(database_url, WANG)  # 2021-10-15: under 24 months before the switch
    with unit_of_work(database_url, CLERK) as uow:
        switched = registry.switch_scheme(
            uow,
            registered.psn_no,
            Scheme.EMPLOYEE,
            "440783",
            date(2022, 3, 1),
            date(2022, 3, 1),
            "1101",
        )
    assert switched.decisions[0].status.value == "policy_gap"
    assert versions(database_url)[1][7:] == (None, None, None)
    with ready(database_url).connect() as connection:
        log = connection.execute(select(t.change_log).where(t.change_log.c.action == "switch"))
        row = log.mappings().one()
    assert row["rules"] == ["B6"]
    assert row["decision"][0]["status"] == "policy_gap"


# --- B13: residence-permit expiry ------------------------------------------------------------

ZHAO = Registration(
    chg_type=NEW,
    psn_name="赵六",
    certno="440100199202021239",
    gend="1",
    brdy=date(1992, 2, 2),
    insuplc_admdvs="440783",
    hukou_admdvs="440100",
    resd_admdvs="440783",
    permit_expires_on=date(2022, 6, 30),
    accepted_on=date(2021, 10, 20),
)


def test_a_permit_expiry_stops_the_enrollment_the_day_after(database_url: str) -> None:
    registered = run(database_url, ZHAO)
    assert registered.status == "accepted"
    assert run(database_url, WANG).status == "accepted"  # no permit: not touched
    with unit_of_work(database_url, CLERK) as uow:
        assert registry.stop_expired_permits(uow, date(2022, 6, 30)) == []
    # the 2022 contribution, paid in the collection
    pay(database_url, CLERK, registered.psn_no, registered.rlts_id, 2022, date(2021, 11, 1))
    before = counts(database_url)
    with unit_of_work(database_url, CLERK) as uow:
        stopped = registry.stop_expired_permits(uow, date(2022, 7, 15))
    assert [(o.status, o.psn_no) for o in stopped] == [("accepted", registered.psn_no)]
    assert stopped[0].decisions[0].rules == ("B1", "B13")  # paid in the collection period
    assert "享受当年全年待遇至2022-12-31" in stopped[0].reason
    assert changed(before, counts(database_url)) == {"change_log": 1, "enrollment_version": 1}
    assert versions(database_url)[-1] == (
        date(2022, 7, 1),
        "1501",
        "2",
        "2",
        date(2021, 10, 20),
        date(2022, 7, 1),
        None,
        None,
        date(2022, 12, 31),
        None,
    )
    with ready(database_url).connect() as connection:

        def stas(day: date) -> list[str]:
            rows = registry.enrollments_as_of(connection, registered.psn_no, day)
            return [r["psn_insu_stas"] for r in rows]

        assert stas(date(2022, 6, 30)) == ["1"]
        assert stas(date(2022, 7, 1)) == ["2"]
    with unit_of_work(database_url, CLERK) as uow:
        assert registry.stop_expired_permits(uow, date(2022, 8, 1)) == []


def test_a_change_keeps_every_field_the_form_does_not_give(database_url: str) -> None:
    """A 变更 of the phone alone (no 性别 on the form) carries the permit, sex, birth date,
    residence and the rest of the earlier version over: a change loses nothing (W12)."""
    registered = run(database_url, ZHAO)
    before = counts(database_url)
    changed_tel = run(
        database_url,
        Registration(
            chg_type=BASIC_INFO,
            psn_name="赵六",
            certno=ZHAO.certno,
            insuplc_admdvs="440783",
            accepted_on=date(2021, 11, 5),
            tel="13700000000",
        ),
    )
    assert changed_tel.status == "accepted"
    assert changed(before, counts(database_url)) == {"change_log": 1, "person_version": 1}
    v = t.person_version
    data = [c for c in v.columns if c.name not in ("id", "valid_from", "change_id")]
    with ready(database_url).connect() as connection:
        rows = connection.execute(select(v.c.valid_from, *data).order_by(v.c.id)).all()
    common = {
        "psn_no": registered.psn_no,
        "psn_name": "赵六",
        "gend": "1",
        "brdy": date(1992, 2, 2),
        "naty": None,
        "hukou_admdvs": "440100",
        "resd_admdvs": "440783",
        "bank_acct": None,
        "alive": True,
        "death_date": None,
        "under_parent_name": False,
        "permit_expires_on": date(2022, 6, 30),
    }
    assert [r._asdict() for r in rows] == [
        {"valid_from": date(2021, 10, 20), **common, "tel": None},
        {"valid_from": date(2021, 11, 5), **common, "tel": "13700000000"},
    ]
    with unit_of_work(database_url, CLERK) as uow:  # the permit still stops the relation
        stopped = registry.stop_expired_permits(uow, date(2022, 7, 15))
    assert [(o.status, o.psn_no) for o in stopped] == [("accepted", registered.psn_no)]


# --- W4: schools as enrollment units ---------------------------------------------------------


def test_students_are_registered_through_their_school(database_url: str) -> None:
    before = counts(database_url)
    with unit_of_work(database_url, CLERK) as uow:
        school = registry.register_unit(uow, SCHOOL, "开平市第一中学", "440783")
    with unit_of_work(database_url, CLERK) as uow:
        assert registry.register_unit(uow, SCHOOL, "开平市第一中学", "440783") == school
    assert changed(before, counts(database_url)) == {"change_log": 1, "unit": 1}
    student = Registration(
        chg_type=NEW,
        psn_name="学生甲",
        certno="440100200801011230",
        gend="1",
        brdy=date(2008, 1, 1),
        psn_type="1403",
        insuplc_admdvs="440783",
        hukou_admdvs="440100",
        accepted_on=date(2021, 10, 20),
        unit_id=school,
    )
    outcome = run(database_url, student)
    assert outcome.status == "accepted"
    assert outcome.decisions[0].rules == ("E5", "E2", "E4")  # the school's region counts
    assert versions(database_url)[0][6] == school
    with ready(database_url).connect() as connection:
        members = registry.unit_members(connection, school, date(2022, 1, 1))
        assert [psn_no for psn_no, _ in members] == [outcome.psn_no]
        assert registry.unit_members(connection, school, date(2021, 10, 19)) == []
    refused = run(database_url, replace(student, certno="440783200801011234", unit_id="U-none"))
    assert (refused.status, refused.reason) == ("refused", "参保单位U-none不是已登记的学校。")


def _employee_record(url: str, interrupted_on: date) -> str:
    """A Meizhou employee relation from 2019-01-01 whose payment stopped on
    ``interrupted_on`` (中断缴费), as the employee system's records give it."""
    with unit_of_work(url, Actor("employee-system")) as uow:
        psn_no = registry.ensure_person(
            uow, replace(WANG, insuplc_admdvs="441402", accepted_on=date(2019, 1, 1))
        )
        change_id = uow.record("employee_record", psn_no=psn_no)
        uow.connection.execute(
            insert(t.enrollment).values(
                rlts_id="E1",
                psn_no=psn_no,
                insutype="310",
                insuplc_admdvs="441402",
                change_id=change_id,
            )
        )
        for valid_from, payment in ((date(2019, 1, 1), "1"), (interrupted_on, "2")):
            uow.connection.execute(
                insert(t.enrollment_version).values(
                    rlts_id="E1",
                    valid_from=valid_from,
                    change_id=change_id,
                    psn_type="1101",
                    psn_insu_stas="1",
                    psn_clct_stas=payment,
                    psn_insu_date=date(2019, 1, 1),
                )
            )
    return psn_no


def test_a_switch_with_a_waiting_period_suspends_the_original_relation_when_it_ends(
    database_url: str,
) -> None:
    psn_no = _employee_record(database_url, date(2021, 9, 1))
    before = counts(database_url)
    with unit_of_work(database_url, CLERK) as uow:
        switched = registry.switch_scheme(
            uow, psn_no, Scheme.RESIDENT, "441402", date(2022, 3, 1), date(2022, 3, 1), "1501"
        )
    decision = switched.decisions[0]
    assert decision.rules == ("B7", "B6")
    assert (decision.answer["gap_months"], decision.answer["continuous_months"]) == (6, 32)
    assert changed(before, counts(database_url)) == {
        "change_log": 1,
        "enrollment": 1,
        "enrollment_version": 2,
    }
    assert versions(database_url)[2:] == [
        (
            date(2022, 3, 1),
            "1501",
            "1",
            "1",
            date(2022, 3, 1),
            None,
            None,
            date(2022, 7, 1),
            None,
            3,
        ),
        (
            date(2022, 7, 1),
            "1101",
            "2",
            "2",
            date(2019, 1, 1),
            date(2022, 7, 1),
            None,
            None,
            date(2022, 6, 30),
            None,
        ),
    ]
    with ready(database_url).connect() as connection:

        def stas(day: date) -> list[tuple[str, str]]:
            rows = registry.enrollments_as_of(connection, psn_no, day)
            return [(r["insutype"], r["psn_insu_stas"]) for r in rows]

        assert stas(date(2022, 6, 30)) == [("310", "1"), ("390", "1")]
        assert stas(date(2022, 7, 1)) == [("310", "2"), ("390", "1")]
