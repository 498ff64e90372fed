"""W8 on both databases: apply (the engine decides F1–F6), confirm by another clerk
(maker-checker), pay through the decided channel; the relation terminated with the payment;
exactly the rows each step writes, and the history as of before and after."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.cli import main
from canbao.config import settings
from canbao.services import hardship, refunds, registry
from canbao.services.review import Refused
from registry_helpers import changed, counts, register

CLERK, REVIEWER = Actor("clerk-a"), Actor("clerk-b")


def certno(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


WANG = certno("44078319850615123")  # Kaiping
LI = certno("52010219900101123")  # Guiyang, 南明区, dibao
ZHAO = certno("52010219920202456")  # Guiyang, 南明区, no identity


@pytest.fixture
def url(database_url: str) -> str:
    register(database_url, CLERK, "王小明", WANG, "440783")
    register(database_url, CLERK, "李四", LI, "520102")
    register(database_url, CLERK, "赵六", ZHAO, "520102")
    with unit_of_work(database_url, CLERK) as uow:
        hardship.import_hardship_list(
            uow,
            [{"姓名": "李四", "身份证号码": LI, "身份类别": "dibao", "变动类型": "新增",
              "认定日期": "2021-11-01"}],
            "民政",
            "2021-11",
        )  # fmt: skip
    with unit_of_work(database_url, REVIEWER) as uow:
        hardship.confirm_hardship_list(uow, "民政", "2021-11")
    return database_url


def apply(url: str, number: str, reason: str, event_on: date, applied_on: date) -> Any:
    with unit_of_work(url, CLERK) as uow:
        return refunds.apply_refund(
            uow, number, 2022, reason, Decimal("320"), date(2021, 11, 5), applied_on, event_on
        )


def insuinfo(url: str, number: str, as_of: date) -> list[tuple[str, str]]:
    with ready(url).connect() as connection:
        psn_no = registry.find_person(connection, "01", number)
        assert psn_no is not None
        answer = registry.status(connection, psn_no, as_of)
    assert answer is not None
    return [(i["psn_insu_stas"], i["paus_insu_date"]) for i in answer["insuinfo"]]


def case_row(url: str, case_id: str) -> dict[str, Any]:
    with ready(url).connect() as connection:
        row = (
            connection.execute(select(t.refund_case).where(t.refund_case.c.case_id == case_id))
            .mappings()
            .one()
        )
    return {k: v for k, v in row.items() if k not in {"case_id", "psn_no", "rlts_id", "change_id"}}


def test_an_assistance_subsidized_refund_goes_through_the_terminated_place(url: str) -> None:
    before = counts(url)
    case = apply(url, LI, "joined_employee", date(2021, 12, 1), date(2021, 12, 20))
    assert changed(before, counts(url)) == {"change_log": 1, "refund_case": 1}
    assert case.created
    assert (case.decision["status"], case.decision["rules"]) == ("decided", ["F6", "F1", "F3"])
    assert case_row(url, case.case_id) == {
        "year": 2022,
        "insutype": "390",
        "reason": "joined_employee",
        "paid_amount": Decimal("320.00"),
        "paid_on": date(2021, 11, 5),
        "applied_on": date(2021, 12, 20),
        "event_on": date(2021, 12, 1),
        "status": "decided",
        "eligible": True,
        "amount": Decimal("320.00"),
        "terminate": True,
        "channel": "medical_assistance_channel_of_terminated_place",
        "channel_region": "520102",
    }
    # Not confirmed yet: no payment.
    with pytest.raises(Refused, match="尚未经另一名经办人复核确认"):
        with unit_of_work(url, REVIEWER) as uow:
            refunds.pay_refund(uow, case.case_id, date(2022, 1, 5))
    # The applicant cannot confirm the own case.
    with pytest.raises(Refused, match="由 clerk-a 提出，须由另一名经办人复核确认，不能自行确认"):
        with unit_of_work(url, CLERK) as uow:
            refunds.confirm_refund(uow, case.case_id)
    before = counts(url)
    with unit_of_work(url, REVIEWER) as uow:
        refunds.confirm_refund(uow, case.case_id)
    assert changed(before, counts(url)) == {"change_log": 1, "review": 1}
    before = counts(url)
    with unit_of_work(url, CLERK) as uow:
        refunds.pay_refund(uow, case.case_id, date(2022, 1, 5))
    assert changed(before, counts(url)) == {
        "change_log": 1,
        "refund_payment": 1,
        "enrollment_version": 1,
    }
    with ready(url).connect() as connection:
        paid = connection.execute(
            select(
                t.refund_payment.c.amount,
                t.refund_payment.c.channel,
                t.refund_payment.c.channel_region,
                t.refund_payment.c.paid_on,
                t.change_log.c.action,
                t.change_log.c.actor,
            ).join(t.change_log, t.change_log.c.id == t.refund_payment.c.change_id)
        ).one()
    assert tuple(paid) == (
        Decimal("320.00"),
        "medical_assistance_channel_of_terminated_place",
        "520102",
        date(2022, 1, 5),
        "refund_pay",
        "clerk-a",
    )
    # The relation is terminated from the event: normal before it, terminated after.
    assert insuinfo(url, LI, date(2021, 11, 30)) == [("1", "")]
    assert insuinfo(url, LI, date(2021, 12, 1)) == [("4", "2021-12-01")]
    with pytest.raises(Refused, match="已支付，不能重复支付"):
        with unit_of_work(url, CLERK) as uow:
            refunds.pay_refund(uow, case.case_id, date(2022, 1, 6))


def test_a_refund_without_subsidy_goes_back_through_the_original_channel(url: str) -> None:
    case = apply(url, ZHAO, "joined_employee", date(2021, 12, 1), date(2021, 12, 20))
    assert case.decision["rules"] == ["F6", "F1"]
    assert case_row(url, case.case_id)["channel"] == "original_payment_channel"
    assert case_row(url, case.case_id)["channel_region"] is None


def test_applying_again_finds_the_same_case(url: str) -> None:
    case = apply(url, ZHAO, "joined_employee", date(2021, 12, 1), date(2021, 12, 20))
    before = counts(url)
    again = apply(url, ZHAO, "joined_employee", date(2021, 12, 1), date(2021, 12, 20))
    assert (again.case_id, again.created, again.decision) == (case.case_id, False, case.decision)
    assert counts(url) == before


@pytest.mark.parametrize(
    ("number", "reason", "event_on", "applied_on", "status", "rules"),
    [
        # Kaiping, event in the new year: no refund (F5).
        (WANG, "joined_employee", date(2022, 3, 1), date(2022, 3, 10), "decided", ["F5"]),
        # A reason on no list, before the period: left to the province (gap).
        (ZHAO, "other", date(2021, 12, 1), date(2021, 12, 20), "policy_gap", ["F6", "F1"]),
    ],
)
def test_a_refused_or_undecided_refund_is_neither_confirmed_nor_paid(
    url: str,
    number: str,
    reason: str,
    event_on: date,
    applied_on: date,
    status: str,
    rules: list[str],
) -> None:
    case = apply(url, number, reason, event_on, applied_on)
    assert (case.decision["status"], case.decision["rules"]) == (status, rules)
    before = counts(url)
    for use_case in (refunds.confirm_refund, lambda uow, c: refunds.pay_refund(uow, c, applied_on)):
        with pytest.raises(Refused, match="不能确认或支付"):
            with unit_of_work(url, REVIEWER) as uow:
                use_case(uow, case.case_id)
    assert counts(url) == before


def test_bad_applications_are_refused_and_write_nothing(url: str) -> None:
    before = counts(url)
    with pytest.raises(Refused, match="登记库中没有"):
        apply(url, certno("44078319800101001"), "death", date(2021, 12, 1), date(2021, 12, 20))
    with pytest.raises(Refused, match="退费原因 'lost' 不在代码表中"):
        apply(url, ZHAO, "lost", date(2021, 12, 1), date(2021, 12, 20))
    with pytest.raises(Refused, match="申请日期不能早于"):
        apply(url, ZHAO, "death", date(2021, 12, 1), date(2021, 11, 20))
    with pytest.raises(Refused, match="没有编号为 F0 的退费申请"):
        with unit_of_work(url, REVIEWER) as uow:
            refunds.confirm_refund(uow, "F0")
    assert counts(url) == before


def test_the_command_line_applies_confirms_and_pays(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CANBAO_DATABASE_URL", url)
    settings.cache_clear()
    try:
        monkeypatch.setenv("CANBAO_ACTOR", "clerk-cli")
        assert main(["refund", "apply", ZHAO, "--year", "2022", "--reason", "joined_employee",
                     "--paid-amount", "320", "--paid-on", "2021-11-05", "--applied-on",
                     "2021-12-20", "--event-on", "2021-12-01", "--json"]) == 0  # fmt: skip
        case_id = json.loads(capsys.readouterr().out)["case_id"]
        assert main(["refund", "confirm", case_id]) == 1
        assert "不能自行确认" in capsys.readouterr().err
        assert main(["refund", "pay", case_id, "--paid-on", "2022-01-05"]) == 1
        assert "尚未经另一名经办人复核确认" in capsys.readouterr().err
        monkeypatch.setenv("CANBAO_ACTOR", "reviewer-cli")
        settings.cache_clear()
        assert main(["refund", "confirm", case_id]) == 0
        assert main(["refund", "pay", case_id, "--paid-on", "2022-01-05"]) == 0
        assert main(["refund", "apply", ZHAO, "--year", "2022", "--reason", "death",
                     "--paid-amount", "x", "--paid-on", "2021-11-05", "--applied-on",
                     "2021-12-20", "--event-on", "2021-12-01"]) == 2  # fmt: skip
    finally:
        settings.cache_clear()
    assert insuinfo(url, ZHAO, date(2021, 12, 1)) == [("4", "2021-12-01")]
