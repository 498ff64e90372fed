"""``/collection`` in process, on SQLite and PostgreSQL: a Kaiping clerk assesses 2022, exports
a batch and downloads its file, uploads the tax bureau's feedback (one resend, one
abandoned), sees both lists, and exports the resend again — the stored rows of each step and
the page text that matters; a feedback naming another region's batch is refused whole."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from web_helpers import Demo, sign_in

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready
from canbao.certno.check import check_character
from canbao.policy import load_policy
from canbao.rules.registration import enrollment_year
from canbao.web.pages import day
from registry_helpers import changed, counts, register

KAIPING = "440783"
PAGE = "/collection/440783/2022"
BATCH = "4407832022-0001"


def number(serial: int) -> str:
    first17 = f"{KAIPING}19800101{serial:03d}"
    return first17 + check_character(first17)


A, B = number(1), number(2)


def rows(html: str, table: str) -> list[list[str]]:
    """The cells' texts of a table of the page."""
    body = html[html.index(f'id="{table}"') :]
    body = body[: body.index("</table>")]
    found = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)
        ]
        for r in found
        if "<td" in r
    ]


def feedback_csv(lines: list[list[str]]) -> bytes:
    header = "批次号,证件号码,年度,结果代码,实缴金额,缴费日期,失败原因"
    return ("\r\n".join([header, *(",".join(line) for line in lines)]) + "\r\n").encode()


def recorded(url: str, action: str) -> str:
    """When the first change of ``action`` was recorded, as the page shows it."""
    with ready(url).connect() as connection:
        at = connection.execute(
            select(t.change_log.c.recorded_at)
            .where(t.change_log.c.action == action)
            .order_by(t.change_log.c.id)
        ).first()
    assert at is not None
    return day(at[0])


def post(client: TestClient, path: str, csrf: str) -> Any:
    return client.post(path, data={"csrf_token": csrf}, follow_redirects=False)


def test_assess_export_feedback_and_the_lists(web_client: TestClient, demo: Demo) -> None:
    register(demo.url, Actor("setup"), "开平甲", A, KAIPING)
    register(demo.url, Actor("setup"), "开平乙", B, KAIPING)
    csrf = sign_in(web_client, demo, "clerk-440783")
    year = enrollment_year(load_policy(), KAIPING, date.today())
    start = web_client.get("/collection", follow_redirects=False)
    assert (start.status_code, start.headers["location"]) == (303, f"/collection/440783/{year}")

    # The assessment: two persons, one change.
    before = counts(demo.url)
    answer = post(web_client, f"{PAGE}/assessment", csrf)
    assert answer.headers["location"] == f"{PAGE}?assessed=2&unchanged=0&not_assessed=0"
    assert "本次核定 2 人；此前已核定 0 人。" in web_client.get(answer.headers["location"]).text
    assert changed(before, counts(demo.url)) == {"change_log": 1, "assessment": 2}

    # A batch of both, listed with its total in yuan, its file as it was sent.
    before = counts(demo.url)
    answer = post(web_client, f"{PAGE}/exports", csrf)
    assert answer.headers["location"] == f"{PAGE}?exported={BATCH}"
    page = web_client.get(answer.headers["location"]).text
    assert f"已生成批次 {BATCH}" in page
    sent_at = recorded(demo.url, "tax_export")
    assert rows(page, "batches") == [
        [BATCH, KAIPING, sent_at, "2", "752.00", "0", "0", "0", "0", "下载 .xlsx"]
    ]
    assert changed(before, counts(demo.url)) == {
        "change_log": 1,
        "tax_batch": 1,
        "tax_batch_item": 2,
    }
    download = web_client.get(f"{PAGE}/batches/{BATCH}")
    assert download.status_code == 200
    with ready(demo.url).connect() as connection:
        found = connection.execute(select(t.certificate.c.certno, t.certificate.c.psn_no))
        psn_nos = {certno: psn_no for certno, psn_no in found}
    sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["开平市2022年度城乡居民基本医疗保险应征数据（批次4407832022-0001）"] + [None] * 10,
        ["人员编号", "姓名", "证件号码", "年度", "险种", "应缴金额", "申报方式", "资助身份",
         "银行账号", "家庭户", "批次号"],
        [psn_nos[A], "开平甲", A, 2022, "390", 376, "正常申报", None, None, None, BATCH],
        [psn_nos[B], "开平乙", B, 2022, "390", 376, "正常申报", None, None, None, BATCH],
    ]  # fmt: skip
    assert web_client.get(f"/collection/440783/2022/batches/{BATCH[:-1]}9").status_code == 404

    # The feedback: one to resend (not the person's fault), one abandoned (自动弃保).
    before = counts(demo.url)
    answer = web_client.post(
        f"{PAGE}/feedback",
        data={"csrf_token": csrf},
        files={
            "file": (
                "反馈.csv",
                feedback_csv(
                    [
                        [BATCH, A, "2022", "2", "0", "", "银行系统故障"],
                        [BATCH, B, "2022", "3", "0", "", "余额不足"],
                    ]
                ),
                "text/csv",
            )
        },
    )
    assert answer.status_code == 200
    counted = re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", answer.text)
    assert counted == [
        ("扣费成功", "0"),
        ("重新传送", "1"),
        ("自动弃保", "1"),
        ("扣费失败（未定）", "0"),
        ("已导入过", "0"),
        ("未匹配", "0"),
        ("有错误", "0"),
    ]
    assert changed(before, counts(demo.url)) == {"change_log": 2, "payment": 2}
    received = recorded(demo.url, "tax_feedback")
    page = web_client.get(f"{PAGE}?list=resend").text
    assert rows(page, "resend-list") == [
        ["开平甲", A, "376.00", BATCH, "2", "银行系统故障", received, "未传送"]
    ]
    page = web_client.get(f"{PAGE}?list=abandoned").text
    assert rows(page, "abandoned-list") == [
        ["开平乙", B, "376.00", BATCH, "3", "余额不足", received]
    ]
    page = web_client.get(PAGE).text
    assert rows(page, "batches")[0][5:9] == ["0", "1", "1", "0"]

    # The resend goes in the next batch; the list says so.
    answer = post(web_client, f"{PAGE}/exports", csrf)
    assert answer.headers["location"] == f"{PAGE}?exported=4407832022-0002"
    page = web_client.get(f"{PAGE}?list=resend").text
    assert rows(page, "resend-list")[0][-1] == "4407832022-0002"
    page = web_client.get(f"{PAGE}?list=batches&limit=1").text
    assert [r[0] for r in rows(page, "batches")] == ["4407832022-0002"]
    assert "共 2 条，第 1–1 条" in page


def test_a_feedback_of_another_regions_batch_is_refused_whole(
    web_client: TestClient, demo: Demo
) -> None:
    csrf = sign_in(web_client, demo, "clerk-440783")
    with ready(demo.url).connect() as connection, connection.begin():
        change_id = connection.execute(
            t.change_log.insert()
            .values(recorded_at=date(2021, 11, 1), actor="x", action="tax_export", reason="")
            .returning(t.change_log.c.id)
        ).scalar_one()
        connection.execute(
            t.tax_batch.insert().values(
                batch_id="5201022022-0001", admdvs="520102", year=2022, change_id=change_id
            )
        )
    before = counts(demo.url)
    line = ["5201022022-0001", A, "2022", "1", "376.00", "2021-11-02", ""]
    answer = web_client.post(
        f"{PAGE}/feedback",
        data={"csrf_token": csrf},
        files={"file": ("反馈.csv", feedback_csv([line]), "text/csv")},
    )
    assert answer.status_code == 422
    message = "第2行的批次不在区划 440783 内，整个文件未导入。"
    assert f'<span class="field-error" id="e-file">{message}</span>' in answer.text
    assert counts(demo.url) == before
    # the tax role exchanges files but does not assess: no button
    sign_in(web_client, demo, "tax-440783")
    page = web_client.get(PAGE).text
    assert "生成应征数据批次" in page and "/assessment" not in page
