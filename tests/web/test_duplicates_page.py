"""``/duplicates`` in process on both databases: a clerk detects within the scope, the queue
and the case's page show the proposal with its rules, citations and the facts the registry
lacks (identity numbers masked for the analyst), the proposer's own confirmation is refused in
plain words, a reviewer confirms, the clerk applies, the notices to the other region download
as .xlsx; D4's written commitment with its form errors. Exact rows, nothing else changed."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import insert, select
from web_helpers import Demo, sign_in

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.services import hardship
from registry_helpers import changed, counts

AS_OF = "2026-01-01"


def certno(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


LI = certno("52010219850615123")  # Guiyang (南明区) and Meizhou (梅江区): a duplicate
WANG = certno("44078319850615123")  # Kaiping and Meizhou: outside Guiyang's scope
SUN = certno("44078319700101555")  # Kaiping hukou, Meizhou residence, tuopin: D4


def person(url: str, psn_no: str, number: str, name: str, hukou: str, resd: str) -> None:
    """A person with two resident relations, both normal and paying: in the hukou region since
    2021-10-15 and in the other since 2024-03-01 (the second ends in 2 — the demo's way)."""
    other = "441402"
    rows: list[tuple[Any, dict[str, Any]]] = [
        (t.person, {"psn_no": psn_no}),
        (t.certificate, {"psn_cert_type": "01", "certno": number, "psn_no": psn_no,
                         "valid_from": date(1985, 6, 15)}),
        (t.person_version, {"psn_no": psn_no, "valid_from": date(1985, 6, 15), "psn_name": name,
                            "gend": "1", "brdy": date(1985, 6, 15), "hukou_admdvs": hukou,
                            "resd_admdvs": resd}),
    ]  # fmt: skip
    for rlts_id, region, start in ((f"{psn_no}1", hukou, date(2021, 10, 15)),
                                   (f"{psn_no}2", other, date(2024, 3, 1))):  # fmt: skip
        rows += [
            (t.enrollment, {"rlts_id": rlts_id, "psn_no": psn_no, "insutype": "390",
                            "insuplc_admdvs": region}),
            (t.enrollment_version, {"rlts_id": rlts_id, "valid_from": start, "psn_type": "1501",
                                    "psn_insu_stas": "1", "psn_clct_stas": "1",
                                    "psn_insu_date": start, "paus_insu_date": None}),
        ]  # fmt: skip
    with unit_of_work(url, Actor("setup")) as uow:
        change_id = uow.record("test")
        for table, values in rows:
            uow.connection.execute(insert(table), {**values, "change_id": change_id})


def text(html: str) -> str:
    """A page's text as a person reads it: tags out, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def cases(url: str) -> list[str]:
    """The case ids, oldest first."""
    with ready(url).connect() as connection:
        c = t.duplicate_case
        return [
            str(i)
            for i in connection.execute(select(c.c.case_id).order_by(c.c.change_id)).scalars()
        ]


def test_a_duplicate_is_detected_confirmed_by_a_reviewer_applied_and_notified(
    web_client: TestClient, demo: Demo
) -> None:
    url = demo.url
    person(url, "PLI", LI, "李四", "520102", "520102")
    person(url, "PWANG", WANG, "王五", "440783", "440783")
    token = sign_in(web_client, demo, "clerk-520100")
    before = counts(url)
    done = web_client.post("/duplicates/detection", data={"csrf_token": token, "as_of": AS_OF},
                           follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    location = "/duplicates?detected=2026-01-01&candidates=1&proposed=1&existing=0"
    assert done.headers["location"] == location
    assert changed(before, counts(url)) == {"change_log": 1, "duplicate_case": 1}
    [case_id] = cases(url)
    queue = text(web_client.get(location).text)
    assert (
        "检测日期 2026-01-01：有 1 人同时有两条以上参保缴费状态正常的记录，新提出处理建议 1 条"
        in queue
    )
    assert f"{case_id} 待复核 {LI} 2026-01-01 PLI1、PLI2 clerk-520100 D1 D2 D3 D6 D7" in queue
    assert WANG not in queue
    page = text(web_client.get(f"/duplicates/{case_id}").text)
    for shown in (
        f"姓名 李四 证件号码 {LI} 检测日期 2026-01-01 状态 待复核 提出人 clerk-520100",
        "按常住地原则，保留PLI1，终止PLI2（通知梅江区441402）",
        "依据： D1 D2 D3 D6 D7 医保发〔2020〕33号 二（四） ； 医保发〔2020〕33号 二（六） ； "
        "医保发〔2020〕33号 四（三）",
        "PLI1 城乡居民基本医疗保险 南明区（520102） 正常参保 2021-10-15 保留",
        "PLI2 城乡居民基本医疗保险 梅江区（441402） 正常参保 2024-03-01 "
        "终止（通知梅江区（441402）） 扣减当年财政补助",
    ):  # fmt: skip
        assert shown in page, (shown, page)
    assert "确认建议" not in page  # a clerk does not review
    # Every form of the queue carries the session's CSRF value (the logout's and detection's).
    assert web_client.get("/duplicates").text.count(f'name="csrf_token" value="{token}"') == 2

    web_client.cookies.clear()
    reviewer = sign_in(web_client, demo, "reviewer-520100")
    before = counts(url)
    confirmed = web_client.post(f"/duplicates/{case_id}/confirmation",
                                data={"csrf_token": reviewer}, follow_redirects=False)  # fmt: skip
    assert (confirmed.status_code, confirmed.headers["location"]) == (303, f"/duplicates/{case_id}")
    assert changed(before, counts(url)) == {"change_log": 1, "review": 1}
    assert "状态 已确认待处理" in text(web_client.get(f"/duplicates/{case_id}").text)
    again = web_client.post(f"/duplicates/{case_id}/confirmation", data={"csrf_token": reviewer})
    assert again.status_code == 409
    assert f"重复参保处理建议 {case_id}已复核确认，无需重复确认。" in text(again.text)
    assert changed(before, counts(url)) == {"change_log": 1, "review": 1}

    web_client.cookies.clear()
    token = sign_in(web_client, demo, "clerk-520100")
    before = counts(url)
    applied = web_client.post(f"/duplicates/{case_id}/application",
                              data={"csrf_token": token, "on": "2026-03-01"},
                              follow_redirects=False)  # fmt: skip
    assert (applied.status_code, applied.headers["location"]) == (303, f"/duplicates/{case_id}")
    assert changed(before, counts(url)) == {
        "change_log": 1,
        "enrollment_version": 1,
        "duplicate_action": 1,
        "subsidy_deduction": 1,
    }
    with ready(url).connect() as connection:
        action = connection.execute(
            select(t.duplicate_action.c.rlts_id, t.duplicate_action.c.action,
                   t.duplicate_action.c.keep_rlts_id, t.duplicate_action.c.notify_region,
                   t.duplicate_action.c.effective_on)
        ).all()  # fmt: skip
    assert [tuple(a) for a in action] == [("PLI2", "terminate", "PLI1", "441402", date(2026, 3, 1))]
    page = text(web_client.get(f"/duplicates/{case_id}").text)
    assert "状态 已处理" in page
    assert "clerk-520100 处理重复参保处理建议" in page
    queue = web_client.get("/duplicates").text
    assert '<a href="/duplicates/notices.xlsx?region=441402" download>' in queue
    notice = web_client.get("/duplicates/notices.xlsx?region=441402")
    assert notice.status_code == 200
    sheet = load_workbook(io.BytesIO(notice.content)).active
    assert sheet is not None
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0][0] == "重复参保处理通知（致梅江区441402医保经办机构）"
    cited = "医保发〔2020〕33号 二（四）；医保发〔2020〕33号 二（六）；医保发〔2020〕33号 四（三）"
    assert cells == [
        ["重复参保处理通知（致梅江区441402医保经办机构）"] + [None] * 10,
        ["案件编号", "证件号码", "姓名", "参保关系编号", "险种", "参保地", "处理方式", "生效日期",
         "保留参保关系编号", "保留参保地", "政策依据"],
        [case_id, LI, "李四", "PLI2", "居民医保", "梅江区（441402）", "终止",
         datetime(2026, 3, 1), "PLI1", "南明区（520102）", cited],
    ]  # fmt: skip
    assert web_client.get("/duplicates/notices.xlsx?region=440783").status_code == 404


def test_the_proposer_is_refused_the_analyst_sees_masked_numbers_d4_waits_for_the_commitment(
    web_client: TestClient, demo: Demo
) -> None:
    url = demo.url
    person(url, "PLI", LI, "李四", "520102", "520102")
    admin = sign_in(web_client, demo, "city_admin-520100")
    web_client.post("/duplicates/detection", data={"csrf_token": admin, "as_of": AS_OF})
    [case_id] = cases(url)
    before = counts(url)
    refused = web_client.post(f"/duplicates/{case_id}/confirmation", data={"csrf_token": admin})
    assert refused.status_code == 409
    message = (
        f"重复参保处理建议 {case_id}由 city_admin-520100 提出，须由另一名经办人复核确认，"
        "不能自行确认。"
    )
    assert f'<p class="error" role="alert" id="refusal">未能办理：{message}</p>' in refused.text
    empty = web_client.post(f"/duplicates/{case_id}/rejection",
                            data={"csrf_token": admin, "reason": "  "})  # fmt: skip
    assert empty.status_code == 422
    assert '<span class="field-error" id="e-reason">必填。</span>' in empty.text
    bad_day = web_client.post(
        "/duplicates/detection", data={"csrf_token": admin, "as_of": "2026-13-01"}
    )
    assert bad_day.status_code == 422
    assert 'value="2026-13-01"' in bad_day.text
    assert '<span class="field-error" id="e-as_of">日期应为 YYYY-MM-DD。</span>' in bad_day.text
    assert counts(url) == before

    web_client.cookies.clear()
    sign_in(web_client, demo, "analyst-520100")
    masked = LI[:6] + "*" * 8 + LI[-4:]
    queue = web_client.get("/duplicates").text
    assert f"<td>{masked}</td>" in queue and LI not in queue
    assert "检测重复参保" not in queue  # the analyst only reads
    assert LI not in web_client.get(f"/duplicates/{case_id}").text
    # A case of a person outside the scope is not found.
    web_client.cookies.clear()
    token = sign_in(web_client, demo, "clerk-440783")
    assert web_client.get(f"/duplicates/{case_id}").status_code == 404
    assert case_id not in web_client.get("/duplicates").text

    # D4: a tuopin person at hukou and residence waits for the written commitment (承诺书).
    person(url, "PSUN", SUN, "孙八", "440783", "441402")
    tuopin = {"psn_no": "PSUN", "identity": "tuopin", "begin": date(2024, 1, 1),
              "department": "rural_revitalization", "list_month": "2024-01"}  # fmt: skip
    with unit_of_work(url, Actor("setup")) as uow:
        change_id = uow.record("test")
        uow.connection.execute(insert(t.hardship_identity), {**tuopin, "change_id": change_id})
    with unit_of_work(url, Actor("reviewer")) as uow:  # W7 reads confirmed identities only
        assert hardship.confirm_hardship_list(uow, "rural_revitalization", "2024-01") == 1
    web_client.post("/duplicates/detection", data={"csrf_token": token, "as_of": AS_OF})
    [_, case_id] = cases(url)
    page = text(web_client.get(f"/duplicates/{case_id}").text)
    assert "状态 待本人书面承诺" in page and "记录书面承诺" in page
    before = counts(url)
    typed = {"csrf_token": token, "keep": "PSUN2", "document": "", "signed_on": "2025-12-31"}
    missing = web_client.post(f"/duplicates/{case_id}/consent", data=typed)
    assert missing.status_code == 422
    assert '<span class="field-error" id="e-document">必填。</span>' in missing.text
    assert '<option value="PSUN2" selected>PSUN2</option>' in missing.text
    early = web_client.post(
        f"/duplicates/{case_id}/consent", data={**typed, "document": "承诺书1号"}
    )
    assert early.status_code == 409
    assert "承诺日期不能早于检测日期 2026-01-01。" in early.text
    assert 'value="承诺书1号"' in early.text
    assert counts(url) == before
    done = web_client.post(f"/duplicates/{case_id}/consent",
                           data={**typed, "document": "承诺书1号", "signed_on": "2026-01-10"},
                           follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert changed(before, counts(url)) == {"change_log": 1, "duplicate_consent": 1}
    with ready(url).connect() as connection:
        consent = connection.execute(
            select(t.duplicate_consent.c.case_id, t.duplicate_consent.c.keep_rlts_id,
                   t.duplicate_consent.c.document, t.duplicate_consent.c.signed_on)
        ).all()  # fmt: skip
    assert [tuple(c) for c in consent] == [(case_id, "PSUN2", "承诺书1号", date(2026, 1, 10))]
    page = text(web_client.get(f"/duplicates/{case_id}").text)
    assert "状态 待复核" in page and "D1 D4 D3 D6 D7" in page
