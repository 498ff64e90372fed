"""The dashboard in real Chromium on the demo server (its first start loads the demo year:
assessments, payments and target tables): Chinese text and drawn charts for a city and a
county scope, and usable on a tablet."""

from __future__ import annotations

import json
from typing import Any

import pytest
from web_helpers import Demo, log_in

pytestmark = pytest.mark.browser

CHARTS = ("#coverage-chart", "#trend-chart", "#collection-chart")


def charts_drawn(page: Any) -> None:
    for chart in CHARTS:
        page.wait_for_selector(f"{chart} canvas", state="attached", timeout=10_000)


def column(page: Any, section: str, index: int) -> list[str]:
    texts: list[str] = page.locator(f"{section} tbody tr td:nth-child({index})").all_inner_texts()
    return texts


def test_the_city_dashboard_has_coverage_trend_collection_and_work(page: Any, live: Demo) -> None:
    log_in(page, live, "city_admin-520100")
    assert page.locator("h1").inner_text() == "首页 · 2022 年度"
    charts_drawn(page)
    assert page.locator("#year").input_value() == "2022"
    names = column(page, "#coverage", 1)
    assert names[:3] == ["贵阳市小计", "南明区", "云岩区"]
    assert names[-1] == "贵安新区小计"
    assert set(column(page, "#coverage", 8)) <= {"已达标", "未达标"}
    assert all(text.endswith("%") for text in column(page, "#coverage", 7))
    assert "南明区" in column(page, "#collection", 1)
    assert "开平市" not in column(page, "#collection", 1)
    work = page.locator("#work li a").all_inner_texts()
    assert work[:2] == ["待复核确认的退费申请", "已确认待支付的退费"]
    assert "已发送、待税务反馈的批次" in work
    assert page.locator("#work a[href='/refunds']").count() == 2


def test_the_kaiping_dashboard_shows_its_98_percent_target(page: Any, live: Demo) -> None:
    log_in(page, live, "reviewer-440783")
    charts_drawn(page)
    assert column(page, "#coverage", 1) == ["开平市"]
    assert column(page, "#coverage", 3) == ["98%"]
    assert column(page, "#collection", 1) == ["开平市"]
    trend = json.loads(page.locator("#trend-chart").get_attribute("data-chart"))
    assert trend["legend"]["data"] == ["已参保人数", "应达人数"]
    assert trend["xAxis"]["data"][:2] == ["2021-11-04", "2021-11-11"]  # Thursdays (T2)
    work = page.locator("#work li a").all_inner_texts()
    assert work[0] == "待复核确认的退费申请"
    assert "已确认待支付的退费" not in work  # the reviewer confirms, the clerk pays


def test_on_a_tablet_the_menu_and_tables_fit_the_screen(page: Any, live: Demo) -> None:
    page.set_viewport_size({"width": 768, "height": 1024})
    log_in(page, live, "city_admin-520100")
    charts_drawn(page)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    for link in page.locator("nav.menu a").all():
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 768
    header = page.locator("#coverage thead th").nth(6)  # 参保率: sorts on a tap
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    rates = [float(x.rstrip("%")) for x in column(page, "#coverage", 7)]
    assert rates == sorted(rates)
    table = page.locator("#coverage .table-wrap").bounding_box()
    assert table is not None and table["x"] + table["width"] <= 768
