"""``/hardship`` in process on both databases: a clerk imports a department's roster (bad rows
reported with row, column and reason; a roster with a person outside the scope refused whole),
the list shows each identity with its validity and the subsidy decided with it, the importer
may not confirm (the refusal shown), a reviewer confirms, and the funding request per fund is
on the page and downloads as .xlsx (not for the analyst, who sees masked numbers). Exact rows,
nothing else changed."""

from __future__ import annotations

import io
import re
from datetime import date

from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import load_workbook
from sqlalchemy import select
from web_helpers import Demo, sign_in

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready
from registry_helpers import changed, counts, register


def certno(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


LI = certno("52010219900101123")  # Guiyang, 南明区
WANG = certno("44078319850615123")  # Kaiping: outside Guiyang's scope
HEADER = "姓名,身份证号码,身份类别,变动类型,认定日期\n"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def upload(client: TestClient, token: str, rows: str, month: str = "2022-03") -> Response:
    return client.post(
        "/hardship/lists",
        data={"csrf_token": token, "department": "civil_affairs", "month": month},
        files={"file": ("民政名单.csv", (HEADER + rows).encode(), "text/csv")},
        follow_redirects=False,
    )


def identities(url: str) -> list[tuple[object, ...]]:
    h = t.hardship_identity
    with ready(url).connect() as connection:
        found = connection.execute(
            select(h.c.identity, h.c.begin, h.c.end, h.c.department, h.c.list_month,
                   t.change_log.c.actor, t.change_log.c.source_file)
            .join(t.change_log, t.change_log.c.id == h.c.change_id)
            .order_by(h.c.id)
        )  # fmt: skip
        return [tuple(r) for r in found]


def test_a_roster_is_imported_confirmed_by_another_user_and_funded_per_fund(
    web_client: TestClient, demo: Demo
) -> None:
    url = demo.url
    register(url, Actor("setup"), "李四", LI, "520102")
    register(url, Actor("setup"), "王小明", WANG, "440783")
    token = sign_in(web_client, demo, "clerk-520100")
    before = counts(url)
    outside = upload(
        web_client,
        token,
        f"李四,{LI},最低生活保障对象,新增,2021-11-01\n王小明,{WANG},最低生活保障对象,新增,2021-11-01\n",
    )
    assert outside.status_code == 422
    page = outside.text
    refusal = "第3行的人员不在您的管辖范围内参保，整个名单未导入。"
    assert f'<span class="field-error" id="e-file">{refusal}</span>' in page
    assert '<option value="civil_affairs" selected>民政</option>' in page
    assert 'value="2022-03"' in page
    assert counts(url) == before

    report = upload(
        web_client,
        token,
        f"李四,{LI},最低生活保障对象,新增,2021-11-01\n某某,123,最低生活保障对象,新增,2021-11-01\n",
    )
    assert report.status_code == 200
    shown = text(report.text)
    assert "已导入 1 行，未变化 0 行， 未导入 1 行" in shown
    assert "3 身份证号码 身份证号码无效：" in shown
    assert changed(before, counts(url)) == {"change_log": 1, "hardship_identity": 1}
    assert identities(url) == [
        ("dibao", date(2021, 11, 1), None, "civil_affairs", "2022-03",
         "clerk-520100", "民政名单.csv"),
    ]  # fmt: skip
    again = upload(web_client, token, f"李四,{LI},最低生活保障对象,新增,2021-11-01\n")
    assert again.status_code == 303
    location = "/hardship/lists/civil_affairs/2022-03?accepted=0&unchanged=1"
    assert again.headers["location"] == location
    assert changed(before, counts(url)) == {"change_log": 1, "hardship_identity": 1}

    listed = text(web_client.get(location).text)
    assert "已导入 0 行，未变化 1 行。" in listed
    assert (
        f"李四 {LI} 最低生活保障对象 2021-11-01 有效 320.00 依据： C1 C7 C3 C4 C6 "
        "筑医保通〔2021〕34号 二 ；" in listed
    )
    assert "待确认" in listed and "确认名单" not in listed  # a clerk does not confirm

    web_client.cookies.clear()
    admin = sign_in(web_client, demo, "city_admin-520100")
    own = upload(
        web_client, admin, f"李四,{LI},最低生活保障对象,减员,2022-02-28\n", month="2022-02"
    )
    assert own.status_code == 303
    before = counts(url)
    refused = web_client.post("/hardship/lists/civil_affairs/2022-02/confirmation",
                              data={"csrf_token": admin})  # fmt: skip
    assert refused.status_code == 409
    message = (
        "民政2022-02困难人员名单由 city_admin-520100 提出，须由另一名经办人复核确认，不能自行确认。"
    )
    assert f'<p class="error" role="alert" id="refusal">{message}</p>' in refused.text
    assert counts(url) == before
    done = web_client.post("/hardship/lists/civil_affairs/2022-03/confirmation",
                           data={"csrf_token": admin}, follow_redirects=False)  # fmt: skip
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/hardship/lists/civil_affairs/2022-03",
    )
    assert changed(before, counts(url)) == {"change_log": 1, "review": 1}

    funding = text(web_client.get("/hardship?year=2022").text)
    assert "按已确认名单，1 人享受资助。" in funding
    assert "医疗救助基金 140.00 .xlsx 市级财政 72.00 .xlsx 县级财政 108.00 .xlsx" in funding
    sheet = web_client.get("/hardship/funding/2022.xlsx?part=medical_assistance_fund")
    assert sheet.status_code == 200
    cells = load_workbook(io.BytesIO(sheet.content)).active
    assert cells is not None
    assert [list(r) for r in cells.iter_rows(values_only=True)] == [
        ["贵阳市2022年度资助参保资金申请（医疗救助基金）", None, None, None, None, None, None],
        ["序号", "姓名", "身份证号码", "参保地", "资助身份", "资助金额", "本资金来源金额"],
        [1, "李四", LI, "520102", "最低生活保障对象", 320, 140],
        ["合计", None, None, None, None, 320, 140],
    ]
    assert web_client.get("/hardship/funding/2022.xlsx?part=undetermined").status_code == 404

    web_client.cookies.clear()
    sign_in(web_client, demo, "analyst-520100")
    masked = LI[:6] + "*" * 8 + LI[-4:]
    listed = web_client.get("/hardship/lists/civil_affairs/2022-03").text
    assert masked in listed and LI not in listed
    page = text(web_client.get("/hardship?year=2022").text)
    assert (
        "医疗救助基金 140.00 市级财政 72.00 县级财政 108.00" in page and "导入部门名单" not in page
    )
    assert web_client.get("/hardship/funding/2022.xlsx?part=summary").status_code == 403
