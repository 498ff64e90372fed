"""The review pages in real Chromium: the duplicate queue finds a duplicate the demo planted in
Guiyang, a clerk proposes and a reviewer confirms; the policy viewer shows Kaiping's values with
their sources and the differences between two years."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from web_helpers import Demo, log_in

from canbao.adapters import tables as t
from canbao.adapters.database import ready
from canbao.policy import load_policy

pytestmark = pytest.mark.browser


def planted(demo: Demo, scope: str) -> list[str]:
    """The identity numbers of the persons the demo enrolled twice (a second resident relation,
    …2, while the first, …1, goes on with its one version) with a relation within the scope.
    Relations the other tests register (ids drawn at random, no …1 beside them) are not the
    demo's."""
    e, v, c = t.enrollment, t.enrollment_version, t.certificate
    policy = load_policy()
    with ready(demo.url).connect() as connection:
        versions = dict(
            connection.execute(select(v.c.rlts_id, func.count()).group_by(v.c.rlts_id)).all()
        )
        relations = connection.execute(
            select(e.c.psn_no, e.c.rlts_id, e.c.insutype, e.c.insuplc_admdvs)
        ).all()
        regions: dict[str, set[str]] = {}
        for psn_no, _, _, region in relations:
            regions.setdefault(psn_no, set()).add(region)
        twice = sorted(
            psn_no
            for psn_no, rlts_id, insutype, _ in relations
            if rlts_id.endswith("2") and insutype == "390" and versions.get(rlts_id[:-1] + "1") == 1
            and any(policy.within(r, scope) for r in regions[psn_no])
        )  # fmt: skip
        numbers = connection.execute(select(c.c.certno).where(c.c.psn_no.in_(twice))).scalars()
        return sorted(numbers)


def test_a_reviewer_confirms_the_duplicate_a_clerk_proposed(page: Any, live: Demo) -> None:
    numbers = planted(live, "520100")
    assert numbers, "the demo plants no duplicate within Guiyang"
    log_in(page, live, "clerk-520100")
    page.click("nav.menu >> text=重复参保")
    page.fill("#f-as_of", "2026-01-01")
    page.click("text=检测并提出处理建议")
    page.wait_for_url("**/duplicates?detected=2026-01-01*")
    assert "检测日期 2026-01-01" in page.locator("p[role=status]").inner_text()
    rows = page.locator("#duplicate-cases tbody tr")
    shown = {row.locator("td").nth(2).inner_text(): row for row in rows.all()}
    assert set(numbers) <= set(shown)
    waiting = [n for n in numbers if shown[n].locator("td").nth(1).inner_text() == "待复核"]
    assert waiting, "no planted duplicate awaits review"
    shown[waiting[0]].locator("a").click()
    page.wait_for_url("**/duplicates/D*")
    case_url = page.url
    assert page.locator("#case-state").inner_text() == "待复核"
    assert "保留" in page.locator("table.review").first.inner_text()
    assert "医保发〔2020〕33号 二（四）" in page.locator(".cite").first.inner_text()
    assert page.locator("text=确认建议").count() == 0  # the clerk proposes, never reviews
    page.click("text=退出")
    page.wait_for_url("**/login")

    log_in(page, live, "reviewer-520100")
    page.goto(case_url)
    assert "clerk-520100" in page.locator(".review-facts").inner_text()
    page.click("text=确认建议")
    page.wait_for_url(case_url)
    assert page.locator("#case-state").inner_text() == "已确认待处理"
    event = page.locator("table.review tr", has_text="复核确认重复参保处理建议")
    assert "reviewer-520100" in event.inner_text()


def test_the_policy_viewer_shows_kaiping_with_sources_and_a_diff(page: Any, live: Demo) -> None:
    log_in(page, live, "clerk-440783")
    page.click("nav.menu >> text=政策查看")
    page.select_option("#f-region", "440783")
    page.select_option("#f-year", "2022")
    page.click("main button:has-text('查看')")
    page.wait_for_url("**/policy?region=440783&year=2022")
    assert page.locator("h1").inner_text() == "政策查看 · 开平市（440783）2022年度"
    row = page.locator("#values tr", has_text="collection.change_deadline")
    assert "2021-11-20" in row.inner_text()
    assert "开平市2022年度城乡居民基本医疗保险参保工作方案 五（三）" in row.inner_text()
    assert "新增" in row.inner_text()

    page.select_option("#f-year", "2023")
    page.click("main button:has-text('查看')")
    page.wait_for_url("**/policy?region=440783&year=2023")
    changed = page.locator("#diff tr.changed", has_text="resident.individual_minimum")
    assert "320 元" in changed.inner_text() and "350 元" in changed.inner_text()
    assert "2022年国家城乡居民医保工作通知 一" in changed.inner_text()
    removed = page.locator("#diff tr.removed", has_text="collection.change_deadline")
    assert removed.count() == 1
    assert page.locator("#diff tr.removed").first.evaluate(
        "row => getComputedStyle(row).backgroundColor"
    ) != page.locator("#diff tr.changed").first.evaluate(
        "row => getComputedStyle(row).backgroundColor"
    )
