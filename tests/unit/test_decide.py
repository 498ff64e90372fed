"""The decision contract itself: invalid cases, gaps with their rules, and C7 on lowered data."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

from canbao.contract import decide_case
from canbao.domain.decision import FieldError, Status, to_json
from canbao.policy import load_policy
from canbao.policy.store import DATA


def test_every_format_error_of_a_case_is_reported_with_its_path() -> None:
    decision = decide_case(
        {
            "kind": "eligibility",
            "region": "Kaiping",
            "as_of": "2021/10/15",
            "person": {"categories": ["astronaut"], "employed": "yes", "hukou_region": 440783},
        }
    )
    assert decision.status is Status.INVALID
    assert decision.rules == () and decision.citations == ()
    assert decision.errors == (
        FieldError("as_of", "应为 YYYY-MM-DD 格式的有效日期，得到 '2021/10/15'", "invalid_date"),
        FieldError("person.categories[0]", "未知人员类别代码 'astronaut'", "unknown_code"),
        FieldError("person.employed", "应为 true 或 false，得到 'yes'", "invalid_bool"),
        FieldError("person.hukou_region", "应为6位医保区划代码，得到 440783", "invalid_region"),
        FieldError("region", "应为6位医保区划代码，得到 'Kaiping'", "invalid_region"),
        FieldError("year", "缺少必填项", "missing"),
    )


def test_a_case_that_is_not_an_object_is_invalid() -> None:
    for raw in (None, [], "contribution", 42):
        decision = decide_case(raw)
        assert decision.status is Status.INVALID
        assert decision.kind == "unknown"
        assert decision.errors[0].path == "(case)"


def test_money_and_years_must_be_whole_and_in_range() -> None:
    decision = decide_case(
        {
            "kind": "contribution",
            "scheme": "employee",
            "region": "441400",
            "year": 1890,
            "employee_contribution": Decimal("10.005"),
            "person": {"identities": ["dibao"]},
        }
    )
    assert [e.path for e in decision.errors] == ["employee_contribution", "year"]


def test_a_missing_parameter_keeps_the_rules_applied_so_far() -> None:
    decision = decide_case(
        {"kind": "contribution", "region": "520100", "year": 2024, "person": {"identities": []}}
    )
    assert decision.status is Status.POLICY_GAP
    assert decision.rules == ("C1",)
    assert decision.gaps == ("resident.individual_standard: 贵阳市（520100）2024年度无此参数",)


def test_a_local_standard_below_the_national_minimum_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    jiangmen = root / "values" / "440700_jiangmen" / "contribution.toml"
    jiangmen.write_text(
        jiangmen.read_text(encoding="utf-8").replace("value = 376", "value = 300"),
        encoding="utf-8",
    )
    load_policy.cache_clear()
    try:
        policy = load_policy(root)
        case: dict[str, Any] = {
            "kind": "contribution",
            "region": "440783",
            "year": 2022,
            "person": {"identities": []},
        }
        answer = to_json(decide_case(case, policy).as_json())
    finally:
        load_policy.cache_clear()
    assert answer["status"] == "decided"
    assert answer["rules"] == ["C1", "C7"]
    assert answer["standard"] == 300
    assert answer["national_minimum"] == 320
    assert answer["below_national_minimum"] is True
    assert {"doc": "医保发〔2021〕32号", "section": "一（经筑医保通〔2021〕34号 一 引用）"} in (
        answer["citations"]
    )


def test_json_values_are_exact() -> None:
    assert to_json({"a": Decimal("1200.00"), "b": Decimal("33.33")}) == {"a": 1200, "b": 33.33}
