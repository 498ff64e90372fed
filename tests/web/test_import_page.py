"""``/imports`` in process, on SQLite and PostgreSQL: the blank 登记表, an upload with a good
and a bad row (the stored rows, the counts and the row error on the page, the exact error
report), the fixed report imported, the same file again changing nothing, and files refused
as a whole."""

from __future__ import annotations

import base64
import io
import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from web_helpers import Demo, sign_in

from canbao.adapters import tables as t
from canbao.adapters.database import ready
from canbao.policy import load_policy
from canbao.rules.registration import enrollment_year
from registry_helpers import changed, counts

HEADERS = ["序号", "姓名", "身份证号码", "性别", "出生日期", "联系电话", "户籍地址", "参保属地",
           "人员类别", "银行账号", "登记类型", "停保原因", "受理时间", "受理机构"]  # fmt: skip
TITLE = "开平市2022年度城乡居民基本医疗保险新参保、变更、停保登记表"
ADDRESS = "广东省江门市开平市三埠街道1号"
GOOD = ["1", "王小明", "440783198506151234", "", "", "13800000000", ADDRESS, "440783",
        "普通居民", "6222000000000000", "新参保", "", "2021-10-15", ""]  # fmt: skip
#: 身份证号码 with a wrong check character (…1230 for …1235).
BAD = ["2", "钱七", "440783199203041230", "", "", "", ADDRESS, "440783", "普通居民", "",
       "新参保", "", "2021-10-20", ""]  # fmt: skip
BAD_REASON = "（身份证号码）校验码错误，应为 5"
#: What one new registration writes (change_log: the person, then the registration).
REGISTERED = {
    "change_log": 2,
    "person": 1,
    "certificate": 1,
    "person_version": 1,
    "enrollment": 1,
    "enrollment_version": 1,
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def form(rows: list[list[str]], title: str | None = TITLE, reason: bool = False) -> bytes:
    """A 登记表 as a clerk fills it in: every cell text."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    sheet.append(HEADERS + (["错误原因"] if reason else []))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cells(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def upload(client: TestClient, csrf: str, data: bytes, name: str = "登记表.xlsx") -> Any:
    return client.post("/imports", data={"csrf_token": csrf}, files={"file": (name, data, XLSX)})


def shown(html: str, id_: str) -> str:
    found = re.search(rf'id="{id_}"[^>]*>([^<]*)<', html)
    assert found, id_
    return found.group(1)


def error_report(html: str) -> bytes:
    found = re.search(r'href="data:[^;]+;base64,([^"]+)" download="登记表-未导入行.xlsx"', html)
    assert found
    return base64.b64decode(found.group(1))


def test_the_blank_form_has_the_title_and_the_headers_the_import_reads(
    web_client: TestClient, demo: Demo
) -> None:
    sign_in(web_client, demo, "clerk-440783")
    answer = web_client.get("/imports/form.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == XLSX
    assert (
        "filename*=UTF-8''%E7%99%BB%E8%AE%B0%E8%A1%A8.xlsx" in answer.headers["content-disposition"]
    )
    year = enrollment_year(load_policy(), "440783", date.today())
    title = f"开平市{year}年度城乡居民基本医疗保险新参保、变更、停保登记表"
    assert cells(answer.content) == [[title] + [None] * 13, HEADERS]
    sheet = load_workbook(io.BytesIO(answer.content)).worksheets[0]
    text = [c for c in "ABCDEFGHIJKLMN" if sheet.column_dimensions[c].number_format == "@"]
    assert text == ["C", "F", "H", "J", "N"]  # 身份证号码, 联系电话, 参保属地, 银行账号, 受理机构


def test_an_upload_imports_the_good_row_and_reports_the_bad_one(
    web_client: TestClient, demo: Demo
) -> None:
    csrf = sign_in(web_client, demo, "clerk-440783")
    before = counts(demo.url)
    page = upload(web_client, csrf, form([GOOD, BAD]))
    assert page.status_code == 200
    html = page.text
    assert [shown(html, f"count-{k}") for k in ("accepted", "unchanged", "refused")] == [
        "1",
        "0",
        "1",
    ]
    # row 4 as Excel shows it: title row 1, header row 2, the good row 3
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td><td>([^<]*)</td><td class=\"wrap\">"
                      r"([^<]*)</td></tr>", html)  # fmt: skip
    assert rows == [("4", "身份证号码", "校验码错误，应为 5")]
    after = counts(demo.url)
    assert changed(before, after) == REGISTERED
    with ready(demo.url).connect() as connection:
        log = connection.execute(
            select(
                t.change_log.c.action,
                t.change_log.c.actor,
                t.change_log.c.source_file,
                t.change_log.c.source_row,
            ).where(t.change_log.c.psn_no.is_not(None))
        ).all()
        certnos = connection.execute(select(t.certificate.c.certno)).scalars().all()
    assert [tuple(row) for row in log] == [
        ("person", "clerk-440783", "登记表.xlsx", 3),
        ("register", "clerk-440783", "登记表.xlsx", 3),
    ]
    assert certnos == ["440783198506151234"]

    # The error report: the bad row as typed, in the blank form's layout, and its reason.
    report = error_report(html)
    assert cells(report) == [
        [TITLE] + [None] * 14,
        HEADERS + ["错误原因"],
        [None if cell == "" else cell for cell in BAD] + [BAD_REASON],
    ]

    # The clerk fixes the number in the report and uploads it: the row is imported.
    fixed = [*BAD]
    fixed[2] = "440783199203041235"
    page = upload(web_client, csrf, form([fixed], reason=True), "登记表-未导入行.xlsx")
    assert [shown(page.text, f"count-{k}") for k in ("accepted", "unchanged", "refused")] == [
        "1",
        "0",
        "0",
    ]
    fixed_counts = counts(demo.url)
    assert changed(after, fixed_counts) == REGISTERED

    # The first file again changes nothing: its good row is unchanged, the bad one refused.
    page = upload(web_client, csrf, form([GOOD, BAD]))
    assert [shown(page.text, f"count-{k}") for k in ("accepted", "unchanged", "refused")] == [
        "0",
        "1",
        "1",
    ]
    assert cells(error_report(page.text)) == cells(report)
    assert counts(demo.url) == fixed_counts


def test_files_refused_as_a_whole_keep_the_form_and_write_nothing(
    web_client: TestClient, demo: Demo
) -> None:
    csrf = sign_in(web_client, demo, "clerk-440783")
    before = counts(demo.url)
    guiyang = [*GOOD]
    guiyang[1:3] = ["赵六", "440100199202021239"]
    guiyang[7] = "520102"
    outside = "第4行的参保属地不在区划 440783 内，整个文件未导入。"
    cases = [
        (form([GOOD]), "登记表.txt", "文件应为 .xlsx 或 .csv：登记表.txt"),
        (form([GOOD, guiyang]), "登记表.xlsx", outside),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "old.xlsx",
         "old.xlsx：这是旧版 Excel（.xls）文件；请另存为 .xlsx 或 CSV 后提交"),
    ]  # fmt: skip
    for data, name, message in cases:
        page = upload(web_client, csrf, data, name)
        assert page.status_code == 422
        assert f'<span class="field-error" id="e-file">{message}</span>' in page.text
        assert 'id="f-file" name="file" type="file"' in page.text
        assert 'aria-invalid="true"' in page.text
    page = web_client.post("/imports", data={"csrf_token": csrf, "year": "20x2"})
    assert page.status_code == 422
    assert 'value="20x2"' in page.text
    assert "参保年度应为 1990 至 2100 之间的四位年份。" in page.text
    assert counts(demo.url) == before
