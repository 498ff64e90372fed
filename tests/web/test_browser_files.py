"""The file exchange in real Chromium: the blank 登记表 downloaded, a form with a good and a bad
row uploaded with its progress shown, the row error on screen and in the downloaded error
report; the collection page of a region lists its batches.

Persons of their own: numbers born 1931 (the demo's population is younger)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from web_helpers import Demo, log_in

from canbao.certno.check import check_character

pytestmark = pytest.mark.browser

HEADERS = ["序号", "姓名", "身份证号码", "性别", "出生日期", "联系电话", "户籍地址", "参保属地",
           "人员类别", "银行账号", "登记类型", "停保原因", "受理时间", "受理机构"]  # fmt: skip
TITLE = "开平市2022年度城乡居民基本医疗保险新参保、变更、停保登记表"


def number(serial: int, right: bool = True) -> str:
    first17 = f"44078319310707{serial:03d}"
    check = check_character(first17)
    return first17 + (check if right else "0" if check != "0" else "1")


def test_blank_form_upload_with_progress_and_the_error_report(
    page: Any, live: Demo, tmp_path: Path
) -> None:
    log_in(page, live, "clerk-440783")
    page.click("nav.menu >> text=批量导入")
    page.wait_for_url("**/imports")

    with page.expect_download() as blank:
        page.click("#blank-form")
    saved = tmp_path / "blank.xlsx"
    blank.value.save_as(saved)
    sheet = load_workbook(saved).worksheets[0]
    assert [list(r) for r in sheet.iter_rows(values_only=True)][1] == HEADERS

    # The clerk fills in the blank form: one good row, one with a wrong check character.
    book = load_workbook(saved)
    form = book.worksheets[0]
    form["A1"] = TITLE
    address = "广东省江门市开平市三埠街道1号"
    good = ["1", "谢一", number(1), "", "", "", address, "440783", "", "", "新参保", "",
            "2021-10-15", ""]  # fmt: skip
    bad = ["2", "谢二", number(2, right=False), "", "", "", address, "440783", "", "", "新参保",
           "", "2021-10-16", ""]  # fmt: skip
    form.append(good)
    form.append(bad)
    filled = tmp_path / "登记表.xlsx"
    book.save(filled)

    page.set_input_files("#f-file", str(filled))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#upload-status:has-text('导入完成')")
    assert page.get_attribute("#upload-bar", "value") == "100"
    assert page.inner_text("#count-accepted") == "1"
    assert page.inner_text("#count-refused") == "1"
    assert page.url.endswith("/imports")  # the page stayed: the upload went by XMLHttpRequest
    cells = page.locator("#row-errors tbody tr td").all_inner_texts()
    reason = f"校验码错误，应为 {number(2)[-1]}"
    assert cells == ["4", "身份证号码", reason]

    with page.expect_download() as report:
        page.click("#error-report")
    assert report.value.suggested_filename == "登记表-未导入行.xlsx"
    fixed = tmp_path / "fixed.xlsx"
    report.value.save_as(fixed)
    rows = [list(r) for r in load_workbook(fixed).worksheets[0].iter_rows(values_only=True)]
    assert rows == [
        [TITLE] + [None] * 14,
        HEADERS + ["错误原因"],
        [None if c == "" else c for c in bad] + [f"（身份证号码）{reason}"],
    ]


def test_the_collection_page_lists_the_batches(page: Any, live: Demo) -> None:
    log_in(page, live, "clerk-440783")
    page.goto("/collection/440783/2022")
    page.click("text=核定 2022 年度应缴费用")
    page.wait_for_selector("#assess-result")
    page.click("text=生成应征数据批次")
    page.wait_for_selector("#export-result")
    batch_ids = page.locator("#batches tbody tr td:first-child").all_inner_texts()
    assert batch_ids and all(b.startswith("4407832022-") for b in batch_ids)
    assert page.locator("h1").inner_text() == "税务征缴 · 开平市 2022 年度"
    with page.expect_download() as file:
        page.locator("#batches a", has_text="下载").first.click()
    assert file.value.suggested_filename == f"应征数据-{batch_ids[0]}.xlsx"
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet: the table scrolls alone
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
