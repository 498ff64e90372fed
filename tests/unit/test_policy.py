"""Policy data: resolution through the region hierarchy, and ``policy check`` on bad files."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from canbao.policy import MissingParameter, Params, load_policy
from canbao.policy.check import check_policy, target_disagreements
from canbao.policy.store import DATA


def test_the_shipped_data_has_no_problems() -> None:
    assert check_policy(load_policy()) == []


def test_resolution_walks_county_city_province_national() -> None:
    policy = load_policy()
    assert policy.chain("440783") == ["440783", "440700", "440000", "000000"]
    assert policy.chain("520190") == ["520190", "520100", "520000", "000000"]
    assert policy.chain("441481") == ["441481", "441400", "440000", "000000"]
    # A county code the hierarchy does not list falls back to its city by prefix.
    assert policy.chain("441499") == ["441400", "440000", "000000"]
    kaiping = policy.find("resident.individual_standard", "440783", 2022)
    assert kaiping is not None and kaiping.region == "440700" and kaiping.value == 376
    national = policy.find("benefit.newborn_window_days", "441402", 2022)
    assert national is not None and national.region == "000000" and national.value == 90


def test_pooling_regions_come_from_region_data() -> None:
    policy = load_policy()
    assert policy.pooling_region("440783") == "440700"  # Kaiping: Jiangmen's pooling
    assert policy.pooling_region("440781") == "440700"  # a Jiangmen county the data omits
    assert policy.pooling_region("441481") == "441400"
    assert policy.pooling_region("520123") == "520100"
    assert policy.pooling_region("520190") == "520190"  # Gui'an: its own (SPEC section 2)
    assert policy.pooling_region("440000") is None
    assert policy.pooling_region("110105") is None


def test_rule_citations_as_texts_name_them() -> None:
    policy = load_policy()
    assert policy.cited("B6", "520102") == "医保发〔2020〕33号 二（三）"
    assert policy.cited("B4", "440783") == "开平方案 五（六）1"
    assert policy.cited("E3", "440783") == "开平方案 五（四）1（3）、医保发〔2020〕33号 二（二）"
    assert policy.cited("B7", "520102") == ""
    assert policy.region_name(policy.documents_place("520102")) == "贵阳市"
    assert policy.region_name(policy.documents_place("441424")) == "梅州市"
    assert policy.documents_place("110105") == "110105"


def test_check_reports_pooling_and_documents_of_regions(tmp_path: Path) -> None:
    root = copy_data(tmp_path)
    regions = root / "regions.toml"
    text = regions.read_text(encoding="utf-8")
    text = text.replace('pooling = "520190"', 'pooling = "441400"')
    text = text.replace('["梅市医保〔2021〕7号"]', '["梅市医保〔2099〕1号"]')
    text += '\n["441499"]\nname = "某县"\nlevel = "county"\nparent = "440000"\n'
    text += 'pooling = "440000"\npooling_note = "test"\n'
    regions.write_text(text, encoding="utf-8")
    assert problems_for(root) == [
        "regions.toml 441400: document '梅市医保〔2099〕1号' is not in documents.toml",
        "regions.toml 520190: pooling region 441400 does not contain 520190",
        "regions.toml 441499: pooling region 440000 is not its own pooling region",
    ]


def test_gui_an_overrides_only_what_differs_from_guiyang() -> None:
    policy = load_policy()
    tuopin = policy.find("subsidy.tuopin", "520190", 2022)
    assert tuopin is not None and tuopin.region == "520190"
    assert tuopin.value["funding"] == [{"source": "guian_finance", "ratio": 1}]
    tekun = policy.find("subsidy.tekun", "520190", 2022)
    assert tekun is not None and tekun.region == "520100"


def test_year_specific_values_do_not_leak_to_other_years() -> None:
    policy = load_policy()
    assert policy.find("resident.individual_standard", "441400", 2023) is None
    minimum = policy.find("resident.individual_minimum", "441400", 2025)
    assert minimum is not None and minimum.value == 400
    fixed = policy.find("waiting.fixed_months", "440783", 2024)
    assert fixed is None
    fixed = policy.find("waiting.fixed_months", "440783", 2026)
    assert fixed is not None and fixed.value == 3


def test_params_remember_their_sources_and_name_what_is_missing() -> None:
    params = Params(load_policy(), "520102", 2022)
    assert params.require("resident.late_standard") == Decimal(900)
    assert [c.doc for c in params.citations()] == ["筑医保通〔2021〕34号"]
    with pytest.raises(MissingParameter) as missing:
        params.require("switch.employee_to_resident_waiting_months")
    assert (missing.value.key, missing.value.region, missing.value.year) == (
        "switch.employee_to_resident_waiting_months",
        "520102",
        2022,
    )


def copy_data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    return root


def add_values(root: Path, text: str) -> None:
    folder = root / "values" / "441400_meizhou"
    (folder / "zz_test.toml").write_text('region = "441400"\n' + text, encoding="utf-8")


def problems_for(root: Path) -> list[str]:
    load_policy.cache_clear()
    try:
        return check_policy(load_policy(root))
    finally:
        load_policy.cache_clear()


def test_check_names_file_and_key_for_each_kind_of_problem(tmp_path: Path) -> None:
    root = copy_data(tmp_path)
    add_values(
        root,
        """
[[value]]
key = "resident.individual_standard"
year = 2023
effective = 2022-09-01
value = 300
unit = "yuan"
source = { doc = "梅市医保〔2021〕7号", section = "一" }

[[value]]
key = "resident.no_such_thing"
year = 2022
effective = 2021-09-01
value = 1
unit = "yuan"
source = { doc = "梅市医保〔2021〕7号", section = "一" }

[[value]]
key = "switch.max_gap_months"
year = 2022
effective = 2021-09-01
value = 3
unit = "months"

[[value]]
key = "subsidy.unicorn"
year = 2022
effective = 2021-09-01
value = { kind = "full", funding = [{ source = "moon_fund", ratio = 1 }] }
unit = "yuan"
source = { doc = "梅市医保〔2099〕1号", section = "一" }
""",
    )
    file = "values/441400_meizhou/zz_test.toml"
    assert problems_for(root) == [
        f"{file} value #2 (resident.no_such_thing): unknown key 'resident.no_such_thing'",
        f"{file} value #3 (switch.max_gap_months): no source "
        "(source = { doc = ..., section = ... })",
        f"{file} value #4 (subsidy.unicorn): unknown identity code 'unicorn'",
        f"{file} value #4 (subsidy.unicorn): source document '梅市医保〔2099〕1号' "
        "is not in documents.toml",
        f"{file} value #4 (subsidy.unicorn): unknown funding source 'moon_fund'",
        "values/441400_meizhou/benefit.toml value #2 (switch.max_gap_months): overlaps another "
        "value for the same region and year 2022",
        f"{file} value #3 (switch.max_gap_months): overlaps another value for the same region "
        "and year 2022",
        f"{file} value #1 (resident.individual_standard): C7 local standard 300 is below the "
        "national minimum 350 of 2023 (2022年国家城乡居民医保工作通知)",
    ]


def test_check_reports_bad_registration_values(tmp_path: Path) -> None:
    root = copy_data(tmp_path)
    add_values(
        root,
        """
[[value]]
key = "registration.citywide_handling"
year = 2023
effective = 2022-09-01
value = { area = "520100", handles = ["new", "fly"] }
unit = "-"
source = { doc = "梅市医保〔2021〕7号", section = "三（一）" }

[[value]]
key = "registration.basic_info_before_payment"
year = 2023
effective = 2022-09-01
value = ["psn_name", "shoe_size"]
unit = "-"
source = { doc = "梅市医保〔2021〕7号", section = "三（一）" }

[[value]]
key = "convention.stop_status"
year = 2023
effective = 2022-09-01
value = { death = "vanish", moon = "suspend" }
unit = "-"
source = { doc = "本项目约定", section = "W1（停保）" }

[[value]]
key = "convention.stop_status"
year = 2024
effective = 2023-09-01
value = { death = "vanish", moon = "suspend", other = "suspend" }
unit = "-"
source = { doc = "本项目约定", section = "W1（停保）" }
""",
    )
    file = "values/441400_meizhou/zz_test.toml"
    assert problems_for(root) == [
        f"{file} value #1 (registration.citywide_handling): unknown action 'fly'",
        f"{file} value #1 (registration.citywide_handling): area 520100 neither holds nor lies "
        "in 441400",
        f"{file} value #2 (registration.basic_info_before_payment): unknown code 'shoe_size'",
        f"{file} value #3 (convention.stop_status): expected a table reason → terminate|suspend "
        "with other, got {'death': 'vanish', 'moon': 'suspend'}",
        f"{file} value #4 (convention.stop_status): unknown reason 'moon'",
        f"{file} value #4 (convention.stop_status): death: unknown effect 'vanish'",
    ]


def test_guiyang_targets_are_read_row_by_row_and_the_total_checked() -> None:
    (table,) = load_policy().targets
    assert (table.region, table.year, table.unit, len(table.rows)) == (
        "520100",
        2022,
        "persons",
        20,
    )
    assert [(r.area, r.target) for r in table.rows if r.region == "520111"] == [("花溪区", 313091)]
    assert target_disagreements(table) == [
        "targets/520100_2022.toml row 20 贵阳贵安总计: 2710466 in 筑医保通〔2021〕34号 附件, "
        "but its parts (rows 1, 14) add up to 2710446 (difference +20)"
    ]
