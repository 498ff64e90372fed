"""W7 on both databases: detect duplicates (one query, one engine decision per person) →
proposals with the decision's rules and citations → the person's written commitment (D4) →
a reviewer other than the proposer confirms or rejects → apply (terminate or suspend, D6
deductions, notices per region); every step's rows exactly, nothing else changed, and the
history kept (D7)."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.cli import main
from canbao.config import settings
from canbao.services import demo, duplicates, hardship, registry
from canbao.services.review import Refused
from registry_helpers import changed, counts

CLERK, REVIEWER, SETUP = Actor("clerk-a"), Actor("clerk-b"), Actor("setup")
AS_OF = date(2026, 1, 1)
ON = date(2026, 3, 1)
CITED = [
    {"doc": "医保发〔2020〕33号", "section": "二（四）"},
    {"doc": "医保发〔2020〕33号", "section": "二（六）"},
    {"doc": "医保发〔2020〕33号", "section": "四（三）"},
]


def certno(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


WANG = certno("44078319850615123")  # Kaiping and Meizhou, both paid: a duplicate
LI = certno("44078319900101123")  # one relation
ZHAO = certno("44078319920202456")  # two relations, the second assessed and not paid
QIAN = certno("44078319800303789")  # two relations, the second terminated


# --- the registry's rows, written directly (one change per call) -----------------------------


def write(url: str, rows: list[tuple[Any, dict[str, Any]]]) -> None:
    with unit_of_work(url, SETUP) as uow:
        change_id = uow.record("test")
        for table, values in rows:
            uow.connection.execute(insert(table), {**values, "change_id": change_id})


def person(url: str, psn_no: str, number: str, name: str, hukou: str, resd: str | None) -> None:
    write(
        url,
        [
            (t.person, {"psn_no": psn_no}),
            (t.certificate, {"psn_cert_type": "01", "certno": number, "psn_no": psn_no,
                             "valid_from": date(1985, 6, 15)}),
            (
                t.person_version,
                {"psn_no": psn_no, "valid_from": date(1985, 6, 15), "psn_name": name,
                 "gend": "1", "brdy": date(1985, 6, 15), "hukou_admdvs": hukou,
                 "resd_admdvs": resd},
            ),
        ],
    )  # fmt: skip


def version(rlts_id: str, start: date, day: date, status: str, **extra: Any) -> dict[str, Any]:
    return {"rlts_id": rlts_id, "valid_from": day, "psn_type": "1501", "psn_insu_stas": status,
            "psn_clct_stas": status if status == "1" else "3", "psn_insu_date": start,
            "paus_insu_date": None if status == "1" else day, **extra}  # fmt: skip


def relation(
    url: str,
    rlts_id: str,
    psn_no: str,
    region: str,
    start: date,
    insutype: str = "390",
    ended: date | None = None,
    **extra: Any,
) -> None:
    rows = [
        (t.enrollment, {"rlts_id": rlts_id, "psn_no": psn_no, "insutype": insutype,
                        "insuplc_admdvs": region}),
        (t.enrollment_version, version(rlts_id, start, start, "1", **extra)),
    ]  # fmt: skip
    if ended is not None:
        rows.append((t.enrollment_version, version(rlts_id, start, ended, "4", **extra)))
    write(url, rows)


def assessed(url: str, rlts_id: str, psn_no: str, subsidy: str, paid: bool) -> None:
    with unit_of_work(url, SETUP) as uow:
        change_id = uow.record("test")
        assessment_id = uow.connection.execute(
            insert(t.assessment).returning(t.assessment.c.id),
            {"rlts_id": rlts_id, "psn_no": psn_no, "year": 2026, "standard": Decimal("1020"),
             "subsidy": Decimal(subsidy), "payable": Decimal("1020") - Decimal(subsidy),
             "declaration": "normal", "change_id": change_id},
        ).scalar_one()  # fmt: skip
        if paid:
            uow.connection.execute(
                insert(t.payment),
                {"assessment_id": assessment_id, "result": "paid", "paid_amount": Decimal("380"),
                 "paid_on": date(2025, 11, 5), "clct_way": "01", "change_id": change_id},
            )  # fmt: skip


@pytest.fixture
def url(database_url: str) -> str:
    person(database_url, "P1", WANG, "王小明", "440783", "440783")
    relation(database_url, "R11", "P1", "440783", date(2021, 10, 15))
    relation(database_url, "R12", "P1", "441402", date(2024, 3, 1))
    assessed(database_url, "R11", "P1", "640", paid=True)
    assessed(database_url, "R12", "P1", "610", paid=True)
    person(database_url, "P2", LI, "李四", "440783", "440783")
    relation(database_url, "R21", "P2", "440783", date(2021, 10, 15))
    person(database_url, "P3", ZHAO, "赵六", "440783", "440783")
    relation(database_url, "R31", "P3", "440783", date(2021, 10, 15))
    relation(database_url, "R32", "P3", "520102", date(2024, 3, 1))
    assessed(database_url, "R32", "P3", "610", paid=False)
    person(database_url, "P4", QIAN, "钱七", "440783", "440783")
    relation(database_url, "R41", "P4", "440783", date(2021, 10, 15))
    relation(database_url, "R42", "P4", "441402", date(2024, 3, 1), ended=date(2025, 6, 30))
    return database_url


def detect(url: str, region: str | None = None) -> duplicates.Detected:
    with unit_of_work(url, CLERK) as uow:
        return duplicates.detect(uow, AS_OF, region)


def proposed(url: str) -> str:
    found = detect(url)
    assert len(found.proposed) == 1
    return found.proposed[0].case_id


def refused(url: str, actor: Actor, message: str, step: Any, *args: Any) -> None:
    """The step is refused with ``message`` and writes nothing."""
    before = counts(url)
    with pytest.raises(Refused) as error:
        with unit_of_work(url, actor) as uow:
            step(uow, *args)
    assert str(error.value) == message
    assert counts(url) == before


def insuinfo(url: str, psn_no: str, as_of: date) -> list[tuple[str, str, str]]:
    with ready(url).connect() as connection:
        answer = registry.status(connection, psn_no, as_of)
    assert answer is not None
    return [
        (i["insuplc_admdvs"], i["psn_insu_stas"], i["paus_insu_date"]) for i in answer["insuinfo"]
    ]


def rows(url: str, table: Any) -> list[dict[str, Any]]:
    with ready(url).connect() as connection:
        found = connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()
        return [{k: v for k, v in row.items() if k not in {"id", "change_id"}} for row in found]


# --- detect ----------------------------------------------------------------------------------


def test_detect_proposes_each_duplicate_once_with_its_decision(url: str) -> None:
    before = counts(url)
    found = detect(url)
    assert changed(before, counts(url)) == {"change_log": 1, "duplicate_case": 1}
    assert (found.as_of, found.candidates, found.existing) == (AS_OF, 1, ())
    case = found.proposed[0]
    assert (case.psn_no, case.certno, case.records, case.state, case.proposer) == (
        "P1", WANG, ("R11", "R12"), "proposed", "clerk-a"
    )  # fmt: skip
    assert rows(url, t.duplicate_case) == [
        {"case_id": case.case_id, "psn_no": "P1", "records": ["R11", "R12"],
         "group_key": "R11,R12", "as_of": AS_OF, "status": "decided", "missing_facts": []}
    ]  # fmt: skip
    with ready(url).connect() as connection:
        change = (
            connection.execute(select(t.change_log).order_by(t.change_log.c.id.desc()).limit(1))
            .mappings()
            .one()
        )
    assert (change["action"], change["actor"], change["psn_no"]) == (
        "duplicate_propose", "clerk-a", "P1"
    )  # fmt: skip
    assert change["reason"] == "重复参保处理建议（2026-01-01）：R11、R12"
    group = hashlib.sha256(b"R11,R12").hexdigest()[:40]
    assert change["request_key"] == f"duplicate:{group}:0"  # one proposal per group and round
    assert (change["rules"], change["citations"]) == (["D1", "D2", "D3", "D6", "D7"], CITED)
    decision = change["decision"][0]
    assert decision == case.decision
    assert {k: decision[k] for k in ("status", "type", "keep", "actions", "subsidy_deduction")} == {
        "status": "decided",
        "type": "intra_scheme",
        "keep": "R11",
        "actions": [{"id": "R12", "action": "terminate", "notify_region": "441402"}],
        "subsidy_deduction": ["R12"],
    }
    # Again: the open proposal is found, nothing is written.
    before = counts(url)
    again = detect(url)
    assert (again.candidates, again.proposed, again.existing) == (1, (), (case.case_id,))
    assert counts(url) == before
    # By region: ZHAO's 520102 relation is assessed and not paid, so not a duplicate.
    assert (detect(url, "520102").candidates, detect(url, "441402").candidates) == (0, 1)
    assert counts(url) == before


def test_two_detections_at_once_propose_each_group_once(url: str) -> None:
    found: list[duplicates.Detected] = []
    threads = [threading.Thread(target=lambda: found.append(detect(url))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted((len(d.proposed), len(d.existing)) for d in found) == [(0, 1), (1, 0)]
    with ready(url).connect() as connection:
        assert len(duplicates.list_cases(connection)) == 1


# --- review and apply ------------------------------------------------------------------------


def test_a_reviewer_confirms_and_the_duplicate_is_terminated_with_its_deduction(
    url: str,
) -> None:
    case_id = proposed(url)
    what = f"重复参保处理建议 {case_id}"
    refused(url, REVIEWER, f"{what}尚未经另一名经办人复核确认，不能处理。",
            duplicates.apply_case, case_id, ON)  # fmt: skip
    refused(url, CLERK, f"{what}由 clerk-a 提出，须由另一名经办人复核确认，不能自行确认。",
            duplicates.confirm_case, case_id)  # fmt: skip
    refused(url, CLERK, f"{what}由 clerk-a 提出，须由另一名经办人复核，不能自行驳回。",
            duplicates.reject_case, case_id, "理由")  # fmt: skip
    before = counts(url)
    with unit_of_work(url, REVIEWER) as uow:
        duplicates.confirm_case(uow, case_id)
    assert changed(before, counts(url)) == {"change_log": 1, "review": 1}
    refused(url, REVIEWER, f"{what}已复核确认，无需重复确认。", duplicates.confirm_case, case_id)
    refused(url, REVIEWER, "处理日期不能早于检测日期 2026-01-01。",
            duplicates.apply_case, case_id, date(2025, 12, 31))  # fmt: skip
    before = counts(url)
    with unit_of_work(url, CLERK) as uow:
        applied = duplicates.apply_case(uow, case_id, ON)
    assert changed(before, counts(url)) == {
        "change_log": 1,
        "enrollment_version": 1,
        "duplicate_action": 1,
        "subsidy_deduction": 1,
    }
    assert applied.as_json() == {
        "case_id": case_id,
        "effective_on": "2026-03-01",
        "keep": "R11",
        "actions": [{"id": "R12", "action": "terminate", "notify_region": "441402"}],
        "deductions": [{"id": "R12", "year": 2026, "amount": 610}],
    }
    assert rows(url, t.duplicate_action) == [
        {"case_id": case_id, "rlts_id": "R12", "action": "terminate", "keep_rlts_id": "R11",
         "notify_region": "441402", "effective_on": ON}
    ]  # fmt: skip
    [deduction] = rows(url, t.subsidy_deduction)
    assert {k: v for k, v in deduction.items() if k != "assessment_id"} == {
        "case_id": case_id, "rlts_id": "R12", "year": 2026, "amount": Decimal("610.00")
    }  # fmt: skip
    with ready(url).connect() as connection:
        assessment = connection.execute(
            select(t.assessment.c.id).where(t.assessment.c.rlts_id == "R12")
        ).scalar_one()
    assert deduction["assessment_id"] == assessment
    # The status as of the day before and the day of applying (nothing deleted, D7).
    assert insuinfo(url, "P1", date(2026, 2, 28)) == [("440783", "1", ""), ("441402", "1", "")]
    assert insuinfo(url, "P1", ON) == [("440783", "1", ""), ("441402", "4", "2026-03-01")]
    refused(url, CLERK, f"{what}已处理，不能重复处理。", duplicates.apply_case, case_id, ON)
    # Cleared: a later detection finds nothing; as of before applying it finds the applied case.
    before = counts(url)
    with unit_of_work(url, CLERK) as uow:
        assert duplicates.detect(uow, date(2026, 3, 2)).candidates == 0
    assert detect(url).existing == (case_id,)
    assert counts(url) == before
    with ready(url).connect() as connection:
        [notice] = duplicates.notices(connection, "441402")
        assert duplicates.notices(connection, "440783") == []
        [history] = duplicates.history(connection, WANG)
    assert notice == duplicates.Notice(
        case_id, WANG, "王小明", "R12", "390", "441402", "terminate", ON, "R11", "440783",
        "医保发〔2020〕33号 二（四）；医保发〔2020〕33号 二（六）；医保发〔2020〕33号 四（三）",
    )  # fmt: skip
    assert history["state"] == "applied"
    assert [(e["action"], e["actor"]) for e in history["events"]] == [
        ("duplicate_propose", "clerk-a"),
        ("review", "clerk-b"),
        ("duplicate_apply", "clerk-a"),
    ]
    assert history["events"][2]["actions"] == [
        {"rlts_id": "R12", "action": "terminate", "notify_region": "441402",
         "effective_on": "2026-03-01"}
    ]  # fmt: skip
    assert history["events"][2]["deductions"] == [{"rlts_id": "R12", "year": 2026, "amount": 610}]


def test_two_clerks_applying_at_once_apply_it_once(url: str) -> None:
    case_id = proposed(url)
    with unit_of_work(url, REVIEWER) as uow:
        duplicates.confirm_case(uow, case_id)
    before = counts(url)
    results: list[str] = []

    def run() -> None:
        try:
            with unit_of_work(url, CLERK) as uow:
                duplicates.apply_case(uow, case_id, ON)
            results.append("applied")
        except Refused as refusal:
            results.append(str(refusal))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["applied", f"重复参保处理建议 {case_id}已处理，不能重复处理。"]
    assert changed(before, counts(url)) == {
        "change_log": 1,
        "enrollment_version": 1,
        "duplicate_action": 1,
        "subsidy_deduction": 1,
    }


def test_a_rejected_proposal_is_kept_and_the_group_proposed_again(url: str) -> None:
    case_id = proposed(url)
    what = f"重复参保处理建议 {case_id}"
    refused(url, REVIEWER, f"驳回{what}须说明理由。", duplicates.reject_case, case_id, " ")
    before = counts(url)
    with unit_of_work(url, REVIEWER) as uow:
        duplicates.reject_case(uow, case_id, "常住地待核实")
    assert changed(before, counts(url)) == {"change_log": 1, "review": 1}
    assert rows(url, t.review) == [
        {"subject": "duplicate", "subject_id": case_id, "confirmed": False}
    ]
    refused(url, REVIEWER, f"{what}已被驳回，不能确认。", duplicates.confirm_case, case_id)
    refused(url, REVIEWER, f"{what}已驳回，不能再驳回。", duplicates.reject_case, case_id, "再")
    with ready(url).connect() as connection:
        [history] = duplicates.history(connection, WANG)
    assert history["state"] == "rejected"
    assert history["events"][1]["reason"] == f"驳回{what}：常住地待核实"
    again = proposed(url)
    assert again != case_id
    with ready(url).connect() as connection:
        states = [(c.case_id, c.state) for c in duplicates.list_cases(connection)]
    assert states == [(case_id, "rejected"), (again, "proposed")]


# --- D4, D5, a gap ---------------------------------------------------------------------------


def tuopin_person(url: str, confirmed: bool) -> None:
    """P5, 建档立卡 since 2024 (a list a second clerk confirms, or not yet), enrolled at her
    hukou (Kaiping) and her residence (Meizhou)."""
    number = certno("44078319700101555")
    person(url, "P5", number, "孙八", "440783", "441402")
    relation(url, "R51", "P5", "440783", date(2021, 10, 15))
    relation(url, "R52", "P5", "441402", date(2024, 3, 1))
    tuopin = {"psn_no": "P5", "identity": "tuopin", "begin": date(2024, 1, 1),
              "department": "rural_revitalization", "list_month": "2024-01"}  # fmt: skip
    write(url, [(t.hardship_identity, tuopin)])
    if confirmed:
        with unit_of_work(url, REVIEWER) as uow:
            assert hardship.confirm_hardship_list(uow, "rural_revitalization", "2024-01") == 1


def test_an_unconfirmed_tuopin_identity_is_not_read(database_url: str) -> None:
    """W7 reads the identities a second clerk confirmed, as the assessment does: without the
    confirmation P5 is no tuopin person: D2 keeps her residence's relation at once, where D4
    would wait for her written commitment."""
    tuopin_person(database_url, confirmed=False)
    case = detect(database_url).proposed[0]
    assert (case.state, case.decision["rules"], case.decision["keep"]) == (
        "proposed", ["D1", "D2", "D3", "D6", "D7"], "R52"
    )  # fmt: skip
    assert case.decision["actions"] == [
        {"id": "R51", "action": "terminate", "notify_region": "440783"}
    ]


def test_d4_a_tuopin_person_stays_open_until_the_written_commitment(database_url: str) -> None:
    url = database_url
    tuopin_person(url, confirmed=True)
    case = detect(url).proposed[0]
    what = f"重复参保处理建议 {case.case_id}"
    assert (case.state, case.decision["rules"], case.decision["awaiting_consent"]) == (
        "awaiting_consent", ["D1", "D4", "D7"], True
    )  # fmt: skip
    refused(url, REVIEWER, f"{what}尚待本人书面承诺（D4），承诺书留存备案后方可确认。",
            duplicates.confirm_case, case.case_id)  # fmt: skip
    refused(url, CLERK, f"参保关系 R99 不在{what}的重复记录中（R51、R52）。",
            duplicates.record_consent, case.case_id, "R99", "1号", date(2026, 1, 10))  # fmt: skip
    before = counts(url)
    with unit_of_work(url, CLERK) as uow:
        after = duplicates.record_consent(
            uow, case.case_id, "R52", "承诺书2026-001", date(2026, 1, 10)
        )
    assert changed(before, counts(url)) == {"change_log": 1, "duplicate_consent": 1}
    assert rows(url, t.duplicate_consent) == [
        {"case_id": case.case_id, "keep_rlts_id": "R52", "document": "承诺书2026-001",
         "signed_on": date(2026, 1, 10)}
    ]  # fmt: skip
    assert (after.state, after.decision["rules"], after.decision["keep"]) == (
        "proposed", ["D1", "D4", "D3", "D6", "D7"], "R52"
    )  # fmt: skip
    assert after.decision["actions"] == [
        {"id": "R51", "action": "terminate", "notify_region": "440783"}
    ]
    refused(url, CLERK, f"{what}不需要本人书面承诺（当前状态：proposed）。",
            duplicates.record_consent, case.case_id, "R51", "2号", date(2026, 1, 11))  # fmt: skip
    with unit_of_work(url, REVIEWER) as uow:
        duplicates.confirm_case(uow, case.case_id)
    before = counts(url)
    with unit_of_work(url, REVIEWER) as uow:
        applied = duplicates.apply_case(uow, case.case_id, ON)
    assert changed(before, counts(url)) == {
        "change_log": 1,
        "enrollment_version": 1,
        "duplicate_action": 1,
        "subsidy_deduction": 1,
    }
    # D6 without an assessment of the year: the amount is to be determined.
    assert applied.deductions == ({"id": "R51", "year": 2026, "amount": None},)
    assert rows(url, t.subsidy_deduction) == [
        {"case_id": case.case_id, "rlts_id": "R51", "year": 2026, "assessment_id": None,
         "amount": None}
    ]  # fmt: skip
    assert insuinfo(url, "P5", ON) == [("440783", "4", "2026-03-01"), ("441402", "1", "")]


def test_d5_a_college_student_who_found_a_job_keeps_the_employee_relation(
    database_url: str,
) -> None:
    url = database_url
    write(url, [(t.unit, {"unit_id": "UC", "kind": "school", "name": "花溪学院",
                          "admdvs": "520111"}),
                (t.unit, {"unit_id": "UE", "kind": "employer", "name": "南明公司",
                          "admdvs": "520102"})])  # fmt: skip
    person(url, "P6", certno("52010220020101333"), "周九", "520102", "520111")
    relation(url, "R61", "P6", "520111", date(2021, 9, 1), psn_type="1404", unit_id="UC")
    relation(url, "R62", "P6", "520102", date(2025, 7, 1), insutype="310",
             psn_type="1101", unit_id="UE")  # fmt: skip
    case = detect(url).proposed[0]
    decision = case.decision
    assert (case.state, decision["type"], decision["rules"], decision["keep"]) == (
        "proposed", "cross_scheme", ["D1", "D5", "D6", "D7"], "R62"
    )  # fmt: skip
    assert decision["actions"] == [{"id": "R61", "action": "suspend", "notify_region": "520111"}]
    assert decision["subsidy_deduction"] == []
    with unit_of_work(url, REVIEWER) as uow:
        duplicates.confirm_case(uow, case.case_id)
    before = counts(url)
    with unit_of_work(url, REVIEWER) as uow:
        duplicates.apply_case(uow, case.case_id, ON)
    assert changed(before, counts(url)) == {
        "change_log": 1,
        "enrollment_version": 1,
        "duplicate_action": 1,
    }
    assert insuinfo(url, "P6", ON) == [("520111", "2", "2026-03-01"), ("520102", "1", "")]
    with ready(url).connect() as connection:
        v = t.enrollment_version
        latest = connection.execute(
            select(v.c.psn_type, v.c.psn_clct_stas, v.c.unit_id)
            .where(v.c.rlts_id == "R61")
            .order_by(v.c.id.desc())
            .limit(1)
        ).one()
    assert tuple(latest) == ("1404", "2", "UC")


def test_a_missing_fact_is_named_and_the_gap_cannot_be_confirmed(database_url: str) -> None:
    url = database_url
    person(url, "P7", certno("44078319750505111"), "吴十", "520102", None)
    relation(url, "R71", "P7", "440783", date(2021, 10, 15))
    relation(url, "R72", "P7", "441402", date(2024, 3, 1))
    case = detect(url).proposed[0]
    assert (case.state, case.decision["status"], case.missing_facts) == (
        "policy_gap", "policy_gap", ("常住地：人员信息无居住地区划（resd_admdvs）",)
    )  # fmt: skip
    assert case.decision["gaps"] == [
        "D2：重复参加居民医保的，原则上保留常住地参保关系，但没有一条记录标明为常住地"
    ]
    with ready(url).connect() as connection:
        reason = connection.execute(
            select(t.change_log.c.reason).where(t.change_log.c.action == "duplicate_propose")
        ).scalar_one()
    assert reason == (
        "重复参保处理建议（2026-01-01）：R71、R72；登记库缺少：常住地：人员信息无居住地区划（resd_admdvs）"
    )
    what = f"重复参保处理建议 {case.case_id}"
    refused(url, REVIEWER, f"{what}属文件未规定的情形（policy_gap），不能确认。",
            duplicates.confirm_case, case.case_id)  # fmt: skip


# --- the command line ------------------------------------------------------------------------


def test_the_command_line_runs_the_workflow(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CANBAO_DATABASE_URL", url)
    monkeypatch.setenv("CANBAO_ACTOR", "clerk-cli")
    settings.cache_clear()
    try:
        assert main(["duplicates", "detect", "--as-of", "2026-01-01", "--json"]) == 0
        detected = json.loads(capsys.readouterr().out)
        assert (detected["candidates"], len(detected["proposed"])) == (1, 1)
        case_id = detected["proposed"][0]["case_id"]
        assert main(["duplicates", "list", "--status", "proposed", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)["cases"]
        assert [(c["case_id"], c["state"], c["certno"]) for c in listed] == [
            (case_id, "proposed", WANG)
        ]
        assert main(["duplicates", "confirm", case_id]) == 1
        assert "不能自行确认" in capsys.readouterr().err
        assert main(["duplicates", "confirm", case_id, "--actor", "reviewer-cli"]) == 0
        assert capsys.readouterr().out == f"重复参保处理建议 {case_id} 已复核确认\n"
        assert main(["duplicates", "apply", "--all-confirmed", "--on", "2026-03-01"]) == 0
        assert capsys.readouterr().out == (
            f"{case_id} 保留R11，终止R12（2026-03-01起）；扣减财政补助：R12 2026年 610元\n"
            "已处理 1 件\n"
        )
        out = tmp_path / "通知.xlsx"
        assert main(["duplicates", "notices", "--region", "441402", str(out)]) == 0
        assert capsys.readouterr().out == f"已写出 1 条：{out}\n"
        sheet = load_workbook(out).active
        assert sheet is not None
        cells = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert cells[1] == list(duplicates.Notice.HEADERS)
        assert cells[2][:10] == [case_id, WANG, "王小明", "R12", "居民医保", "梅江区（441402）",
                                 "终止", cells[2][7], "R11", "开平市（440783）"]  # fmt: skip
        assert len(cells) == 3 and str(cells[0][0]).endswith("（致梅江区441402医保经办机构）")
        assert main(["duplicates", "show", WANG, "--json"]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert [e["actor"] for e in shown["cases"][0]["events"]] == [
            "clerk-cli", "reviewer-cli", "clerk-cli"
        ]  # fmt: skip
        assert main(["duplicates", "list", "--status", "bogus"]) == 2
        assert main(["duplicates", "apply"]) == 2
    finally:
        settings.cache_clear()


# --- the demo population ---------------------------------------------------------------------


def test_detect_finds_exactly_the_duplicates_the_demo_planted(database_url: str) -> None:
    with unit_of_work(database_url, Actor(demo.ACTOR)) as uow:
        demo.load(uow, 1500)
    # demo.py plants a duplicate as a second resident relation (…2) while the first (…1) goes
    # on with its one version; a move stops the first, a switch adds an employee relation.
    with ready(database_url).connect() as connection:
        e, v = t.enrollment, t.enrollment_version
        versions = dict(
            connection.execute(select(v.c.rlts_id, func.count()).group_by(v.c.rlts_id)).all()
        )
        relations = connection.execute(select(e.c.psn_no, e.c.rlts_id, e.c.insutype)).all()
    planted = sorted(
        psn_no
        for psn_no, rlts_id, insutype in relations
        if rlts_id.endswith("2") and insutype == "390" and versions[rlts_id[:-1] + "1"] == 1
    )
    assert len(planted) > 5
    with unit_of_work(database_url, CLERK) as uow:
        found = duplicates.detect(uow, demo.AS_OF)
    assert sorted(c.psn_no for c in found.proposed) == planted
    assert found.candidates == len(planted)


def test_a_year_without_the_parameter_is_proposed_as_the_engines_gap(database_url: str) -> None:
    url = database_url
    write(url, [(t.unit, {"unit_id": "UE", "kind": "employer", "name": "开平公司",
                          "admdvs": "440783"})])  # fmt: skip
    person(url, "P8", certno("44078319800808222"), "郑一", "440783", "440783")
    relation(url, "R81", "P8", "440783", date(2019, 1, 1))
    relation(url, "R82", "P8", "440783", date(2019, 6, 1), insutype="310", psn_type="1101",
             unit_id="UE")  # fmt: skip
    with unit_of_work(url, CLERK) as uow:
        [case] = duplicates.detect(uow, date(2020, 6, 30)).proposed
    assert (case.records, case.state, case.decision["gaps"]) == (
        ("R81", "R82"),
        "policy_gap",
        ["duplicates.employee_keep_min_months: 开平市（440783）2020年度无此参数"],
    )
