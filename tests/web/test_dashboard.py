"""The dashboard in process on both databases, on a small demo population with its collection
year (``services.demo_year``): the figures of the user's scope as the services count them, the
demo's target tables shaped like the published one, what each role sees, a year without
targets, and nothing written by reading."""

from __future__ import annotations

import math
from datetime import date
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import Demo, sign_in

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.policy import load_policy
from canbao.services import demo as population
from canbao.services import demo_year, targets
from registry_helpers import counts


class Tables(HTMLParser):
    """The body rows of each <section id=…>'s table, cell texts stripped; and the open work
    (label, count, link)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self.work: list[tuple[str, str, str]] = []
        self._section = ""
        self._in: list[str] = []
        self._row: list[str] | None = None
        self._href = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section":
            self._section = found.get("id") or ""
        self._in.append(tag)
        if tag == "tr" and "tbody" in self._in:
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._row.append("")
        if tag == "a":
            self._href = found.get("href") or ""
        if tag == "li" and self._section == "work":
            self.work.append(("", "", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            self.rows.setdefault(self._section, []).append([c.strip() for c in self._row])
            self._row = None
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._row:
            self._row[-1] += data
        if self._section == "work" and self.work and "li" in self._in:
            label, count, href = self.work[-1]
            if self._in[-1] == "a":
                self.work[-1] = (label + data.strip(), count, self._href)
            elif self._in[-1] == "span":
                self.work[-1] = (label, count + data.strip(), href)


def load_year(url: str) -> int | None:
    with unit_of_work(url, Actor(population.ACTOR)) as uow:
        population.load(uow, 300)
    with unit_of_work(url, Actor(population.ACTOR)) as uow:
        return demo_year.load(uow)


def shown(progress: targets.RegionProgress) -> list[str]:
    rate = progress.target_rate
    return [
        progress.name,
        "" if progress.target is None else str(progress.target),
        "" if rate is None else f"{rate * 100:.0f}%",
        "" if progress.required is None else str(progress.required),
        str(progress.assessed),
        str(progress.enrolled),
        "" if progress.coverage is None else f"{progress.coverage * 100:.2f}%",
        {True: "已达标", False: "未达标", None: "无目标人数"}[progress.reached],
    ]


def test_each_scope_sees_its_figures_and_its_roles_work(web_client: TestClient, demo: Demo) -> None:
    policy = load_policy()
    assert load_year(demo.url) == 2022
    with ready(demo.url).connect() as connection:
        found = targets.progress(connection, 2022, date(2022, 3, 31), policy)
        kaiping = targets.progress(connection, 2022, date(2021, 12, 25), policy)
        stored = connection.execute(
            select(t.target_row.c.area, t.target_row.c.kind, t.target_row.c.target).order_by(
                t.target_row.c.table_id, t.target_row.c.row
            )
        ).all()
    published = next(x for x in policy.targets if x.region == "520100")
    # The demo's tables: the published rows and hierarchy with demo figures that add up.
    assert [area for area, _, _ in stored] == [r.area for r in published.rows] + ["开平市"]
    figures = {r.number: stored[i][2] for i, r in enumerate(published.rows)}
    assert all(figures[r.number] == sum(figures[p] for p in r.parts)
               for r in published.rows if r.parts)  # fmt: skip
    before = counts(demo.url)

    sign_in(web_client, demo, "city_admin-520100")
    page = web_client.get("/")
    assert page.status_code == 200
    assert "<h1>首页 · 2022 年度</h1>" in page.text
    assert "统计截至 2022-03-31" in page.text
    tables = Tables(page.text)
    assert tables.rows["coverage"] == [
        shown(r) for r in found.regions if policy.within(r.region, "520100")
    ]
    assert tables.rows["coverage"][0][0] == "贵阳市小计"
    regions = [row[0] for row in tables.rows["collection"]]
    assert "开平市" not in regions and regions[0] == "南明区"
    assert [(label, href) for label, _, href in tables.work] == [
        ("待复核确认的退费申请", "/refunds"),
        ("已确认待支付的退费", "/refunds"),
        ("待复核的重复参保处理建议", "/duplicates"),
        ("待取得承诺书的重复参保", "/duplicates"),
        ("已确认待执行的重复参保处理", "/duplicates"),
        ("待确认的困难人员名单（份）", "/hardship"),
        ("名单中待确认的记录（条）", "/hardship"),
        ("已发送、待税务反馈的批次", "/collection"),
        ("须重新发送税务的应征数据", "/collection"),
        ("未能匹配的税务反馈记录", "/collection"),
    ]
    assert [count for label, count, _ in tables.work if "退费" in label] == ["0", "0"]

    web_client.cookies.clear()
    sign_in(web_client, demo, "reviewer-440783")
    tables = Tables(web_client.get("/").text)
    row = tables.rows["coverage"]
    assert row == [shown(r) for r in kaiping.regions if r.region == "440783"]
    assert row[0][2] == "98%" and int(row[0][3]) == math.ceil(int(row[0][1]) * 0.98)
    assert [label for label, _, _ in tables.work] == [
        "待复核确认的退费申请",
        "待复核的重复参保处理建议",
        "待确认的困难人员名单（份）",
        "名单中待确认的记录（条）",
    ]

    web_client.cookies.clear()
    sign_in(web_client, demo, "tax-520100")
    page = web_client.get("/")
    tables = Tables(page.text)
    assert "参保率与目标" not in page.text and "每周参保进度" not in page.text
    assert tables.rows["collection"][0][0] == "南明区"
    assert [label for label, _, _ in tables.work] == [
        "已发送、待税务反馈的批次",
        "须重新发送税务的应征数据",
        "未能匹配的税务反馈记录",
    ]

    web_client.cookies.clear()
    sign_in(web_client, demo, "analyst-520100")
    page = web_client.get("/?year=2023")
    assert "<h1>首页 · 2023 年度</h1>" in page.text
    assert "2023 年度没有可显示的参保目标。" in page.text
    assert 'id="work"' not in page.text and 'id="collection"' not in page.text
    assert web_client.get("/?year=1900").status_code == 422
    assert counts(demo.url) == before
