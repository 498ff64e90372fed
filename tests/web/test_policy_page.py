"""``/policy`` in process: every value in force for a region and year with the years it is
written for and its source (document number, section, title), the differences to the previous
year, and the rules with the sections they cite for the region. The page reads policy data
only (no registry rows), so one SQLite demo database serves the module; nothing is written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from web_helpers import Demo, demo_database, settings_for, sign_in

from canbao.api import create_app
from canbao.policy import load_policy
from canbao.policy.diff import diff_json
from canbao.policy.show import last_year
from registry_helpers import counts

KAIPING_PLAN = "开平市2022年度城乡居民基本医疗保险参保工作方案"


@pytest.fixture(scope="module")
def viewer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Demo]]:
    demo = demo_database(f"sqlite:///{tmp_path_factory.mktemp('policy') / 'canbao.db'}", 0)
    with TestClient(create_app(settings_for(demo.url))) as client:
        sign_in(client, demo, "analyst-440783")
        yield client, demo


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_kaiping_2022_shows_each_value_with_its_source_and_what_is_new(
    viewer: tuple[TestClient, Demo],
) -> None:
    client, demo = viewer
    before = counts(demo.url)
    page = client.get("/policy?region=440783&year=2022")
    assert page.status_code == 200
    shown = text(page.text)
    assert "政策查看 · 开平市（440783）2022年度" in shown
    assert "开平市（440783） → 江门市（440700） → 广东省（440000） → 全国（000000）" in shown
    # A value of the Kaiping plan: its years, the region it comes from, document and section.
    assert (
        "collection.change_deadline 变更、停保办理截止日 新增 2021-11-20 日期 2022年度 "
        f"自 2021-10-01 施行 开平市（440783） {KAIPING_PLAN} 五（三）" in shown
    )
    # A national value written from 2021 on, with no later one yet.
    assert (
        "benefit.newborn_window_days 新生儿出生后参保登记期限 90 天 2021年度起 自 2020-11-30 施行 "
        "全国（000000） 医保发〔2020〕33号 三（三） 《国家医保局 财政部 国家税务总局关于加强和改进"
        "基本医疗保险参保工作的指导意见》" in shown
    )
    # The diff to 2021 as the policy data gives it: every key only 2022 has is new.
    diff = diff_json(load_policy(), "440783", 2022)
    added, changed, removed = (len(diff[k]) for k in ("added", "changed", "removed"))
    assert f"与 2021 年度相比 新增 {added} 项，变更 {changed} 项，取消 {removed} 项。" in shown
    assert added > 0
    assert page.text.count('<tr class="added">') == 2 * added  # in the diff and the values
    assert (
        f"新增 collection.change_deadline 变更、停保办理截止日 2021-11-20 日期 "
        f"{KAIPING_PLAN} 五（三）" in shown
    )
    # The rules with the sections they cite for Kaiping (a Meizhou-only citation is not shown).
    assert f"E2 开平（江门）居民医保参保范围 {KAIPING_PLAN} 二 已实现" in shown
    assert "E1 梅州居民医保参保范围 本区划无引用条款" in shown
    assert counts(demo.url) == before


def test_the_diff_to_the_previous_year_shows_old_and_new_values_with_their_sources(
    viewer: tuple[TestClient, Demo],
) -> None:
    client, _ = viewer
    page = client.get("/policy?region=440783&year=2023").text
    shown = text(page)
    assert (
        "变更 resident.individual_minimum 国家居民医保个人缴费最低标准 320 元 医保发〔2021〕32号 一"
        "（经筑医保通〔2021〕34号 一 引用） 350 元 2022年国家城乡居民医保工作通知 一 "
        "《国家关于做好2022年城乡居民基本医疗保障工作的通知》 （未经核实）" in shown
    )
    assert (
        f"取消 collection.change_deadline 变更、停保办理截止日 2021-11-20 日期 "
        f"{KAIPING_PLAN} 五（三）" in shown
    )
    assert '<tr class="changed">' in page and '<tr class="removed">' in page
    # Region and year default to the user's region and this year; bad input is refused.
    default = text(client.get("/policy").text)
    assert re.search(r"政策查看 · 开平市（440783）\d{4}年度", default)
    assert client.get("/policy?year=abc").status_code == 422


def test_a_value_written_from_a_year_runs_until_the_next_one_of_its_key_and_region() -> None:
    policy = load_policy()
    first = next(v for v in policy.values if v.key == "benefit.newborn_window_days")
    later = replace(first, from_year=2024, index=first.index + 1000)
    elsewhere = replace(first, region="440783", from_year=2023)
    changed = replace(policy, values=[first, later, elsewhere])
    assert (first.from_year, last_year(changed, first), last_year(changed, later)) == (
        2021, 2023, None
    )  # fmt: skip
    exact = next(v for v in policy.values if v.year == 2022)
    assert last_year(policy, exact) == 2022
