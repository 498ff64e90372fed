"""The typed edge of the decision contract: what a case may hold and how errors are told."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from canbao.contract import decide_case, schema
from canbao.domain.decision import FieldError, Status, to_json


def contribution(**changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "kind": "contribution",
        "region": "440783",
        "year": 2022,
        "scheme": "employee",
        "employee_contribution": 320,
        "person": {"identities": []},
    }
    case.update(changes)
    return case


def errors(raw: Any, at: str = "") -> list[tuple[str, str, str]]:
    decision = decide_case(raw, at=at)
    assert decision.status is Status.INVALID
    assert decision.rules == () and decision.citations == ()
    return [(e.path, e.code, e.reason) for e in decision.errors]


def test_an_unknown_field_is_named_with_the_nearest_known_name() -> None:
    raw = contribution(person={"identites": ["dibao"]}, yaer=2022)
    assert errors(raw) == [
        ("person.identites", "unknown_field", "未知字段，是否为 identities？"),
        ("yaer", "unknown_field", "未知字段，是否为 year？"),
    ]


def test_an_unknown_field_with_nothing_near_is_still_an_error() -> None:
    assert errors(contribution(zzz=1)) == [("zzz", "unknown_field", "未知字段")]


def test_an_unknown_code_suggests_the_nearest_code() -> None:
    assert errors(contribution(person={"identities": ["dibo"]})) == [
        ("person.identities[0]", "unknown_code", "未知资助参保身份代码 'dibo'，是否为 dibao？")
    ]


@pytest.mark.parametrize(
    ("text", "amount"),
    [("320", Decimal("320")), ("320.5", Decimal("320.5")), ("583.33", Decimal("583.33"))],
)
def test_money_is_a_json_number_read_exactly(text: str, amount: Decimal) -> None:
    raw = json.loads(
        '{"kind": "refund", "region": "441402", "year": 2022, "scheme": "resident", '
        f'"paid_amount": {text}, "paid_on": "2021-10-01", "applied_on": "2021-11-01", '
        '"event_on": "2021-10-20", "reason": "duplicate_payment"}',
        parse_float=Decimal,
    )
    answer = to_json(decide_case(raw).as_json())
    assert answer["status"] == "decided"
    assert Decimal(str(answer["amount"])) == amount


@pytest.mark.parametrize(
    ("value", "code", "reason"),
    [
        (Decimal("320.555"), "invalid_amount", "金额最多两位小数，得到 320.555"),
        (-1, "amount_out_of_range", "金额应在 0 至 100000000 元之间，得到 -1"),
        (10**30, "amount_out_of_range", "金额应在 0 至 100000000 元之间，得到 " + str(10**30)),
        (
            Decimal("1E+999999"),
            "amount_out_of_range",
            "金额应在 0 至 100000000 元之间，得到 1E+999999",
        ),
        (Decimal("NaN"), "invalid_amount", "应为以元计的数值，得到 NaN"),
        ("320", "invalid_amount", "应为以元计的数值，得到 '320'"),
        (True, "invalid_amount", "应为以元计的数值，得到 true"),
    ],
)
def test_bad_amounts_are_invalid(value: Any, code: str, reason: str) -> None:
    assert errors(contribution(employee_contribution=value)) == [
        ("employee_contribution", code, reason)
    ]


def test_a_float_amount_from_a_caller_is_taken_by_its_repr() -> None:
    answer = to_json(decide_case(contribution(employee_contribution=0.1)).as_json())
    assert answer["status"] != "invalid"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("9999-12-31", "date_out_of_range"),
        ("0001-01-01", "date_out_of_range"),
        ("2022-02-29", "invalid_date"),
        ("2022-2-1", "invalid_date"),
        (20220101, "invalid_date"),
    ],
)
def test_dates_outside_the_engine_range_or_malformed_are_invalid(value: Any, code: str) -> None:
    found = errors(contribution(paid_on=value))
    assert [(path, c) for path, c, _ in found] == [("paid_on", code)]


def test_the_last_day_the_engine_takes_is_answered() -> None:
    raw = {
        "kind": "benefit_start",
        "region": "441400",
        "year": 2100,
        "scheme": "resident",
        "paid_on": "2100-12-31",
        "person": {"birth_date": "2100-12-31", "categories": ["newborn"]},
    }
    decision = decide_case(raw)
    assert decision.status is Status.DECIDED
    assert to_json(decision.answer)["benefit_start"] == "2100-12-31"


def test_huge_numbers_and_deep_nesting_are_invalid_not_raised() -> None:
    deep: list[Any] = []
    inner = deep
    for _ in range(100_000):
        inner.append([])
        inner = inner[0]
    found = errors(contribution(year=10**400, person={"identities": deep, "extra": deep}))
    assert [(path, code) for path, code, _ in found] == [
        ("person.extra", "unknown_field"),
        ("person.identities[0]", "unknown_code"),
        ("year", "invalid_year"),
    ]


@pytest.mark.parametrize("raw", [None, [], "contribution", 42, True, 1.5])
def test_a_case_that_is_not_an_object_is_invalid(raw: Any) -> None:
    decision = decide_case(raw)
    assert decision.kind == "unknown"
    assert decision.errors == (FieldError("(case)", "应为 JSON 对象", "not_object"),)


def test_errors_of_a_case_in_a_list_carry_its_index() -> None:
    assert errors({"kind": "contribtion"}, at="[1]") == [
        (
            "[1].kind",
            "unknown_kind",
            "取值应为 contribution/eligibility/benefit_start/duplicates/refund 之一，"
            "是否为 contribution？",
        )
    ]
    assert errors(contribution(year="2022"), at="[3]") == [
        ("[3].year", "invalid_year", "应为 1990–2100 之间的整数年度，得到 '2022'")
    ]
    assert errors(7, at="[0]") == [("[0]", "not_object", "应为 JSON 对象")]


def test_a_region_code_must_exist() -> None:
    assert errors(contribution(region="123456")) == [
        ("region", "unknown_region", "123456 不是 GB/T 2260 行政区划代码（贵安新区用 520190）")
    ]
    assert errors(contribution(region="44078")) == [
        ("region", "invalid_region", "应为6位医保区划代码，得到 '44078'")
    ]


def test_guian_has_its_project_code() -> None:
    case = contribution(region="520190", scheme="resident", person={"identities": ["dibao"]})
    del case["employee_contribution"]
    assert decide_case(case).status is Status.DECIDED


def test_a_district_must_lie_within_the_region() -> None:
    case = contribution(region="520100", scheme="resident", person={"district": "441402"})
    del case["employee_contribution"]
    assert errors(case) == [
        ("person.district", "region_mismatch", "区县 441402 不在参保地 520100 范围内")
    ]


def test_a_real_region_outside_the_documents_is_a_gap() -> None:
    case = contribution(region="110000", scheme="resident")
    del case["employee_contribution"]
    decision = decide_case(case)
    assert decision.status is Status.POLICY_GAP
    assert decision.rules == ()
    assert decision.explanation.startswith(
        "北京市（110000）2022年度不在本项目文件覆盖的地区（广东省、梅州市、贵阳市、贵安新区、开平市）内"
    )
    assert decision.gaps == ("北京市（110000）2022年度：本项目文件集不含该地区的参保政策",)


def test_the_schema_of_each_kind_has_its_case_and_answer() -> None:
    refund = schema("refund")
    assert refund["case"]["additionalProperties"] is False
    assert refund["case"]["properties"]["paid_amount"]["type"] == "number"
    assert set(refund["case"]["required"]) == {
        "kind",
        "region",
        "year",
        "scheme",
        "paid_amount",
        "paid_on",
        "applied_on",
        "event_on",
        "reason",
    }
    assert {"eligible", "amount", "terminate", "channel"} <= set(refund["answer"]["properties"])
    every = schema()
    assert len(every["case"]["anyOf"]) == 5
    with pytest.raises(KeyError):
        schema("pension")


def test_the_answer_models_publish_exactly_the_contract_fields() -> None:
    from canbao.contract.answers import ANSWERS, Answer
    from canbao.domain.decision import CONTRACT_FIELDS

    for kind, model in ANSWERS.items():
        own = [name for name in model.model_fields if name not in Answer.model_fields]
        assert own == list(CONTRACT_FIELDS[kind]), kind
