"""Tests for canbao.adapters.registration_form: the 登记表 rows, their errors, and the year
of a form's title."""

from __future__ import annotations

import datetime
from pathlib import Path

import openpyxl
import pytest

from canbao.adapters.registration_form import (
    COLUMNS,
    NOTICE_CODES,
    REQUIRED,
    RegistrationRow,
    RowError,
    parse_rows,
    year_of_title,
)
from canbao.adapters.sheets import read_table
from canbao.certno import check_character

TODAY = datetime.date(2021, 12, 31)
TITLE = "江门市2022年度城乡居民基本医疗保险新参保、变更、停保登记表"
HEADER = ",".join(
    ["序号", "姓名", "身份证号码", "性别", "出生日期", "联系电话", "参保属地", "人员类别"]
    + ["银行账号", "登记类型", "停保原因", "受理时间"]
)


def certno(first17: str) -> str:
    return first17 + check_character(first17)


ZHANG = certno("44078319850615123")  # 男 1985-06-15
LI = certno("44078319900202124")  # 女 1990-02-02
WANG = certno("44078320150909001")  # 男 2015-09-09


def parse(
    tmp_path: Path, *lines: str, title: bool = True
) -> tuple[list[RegistrationRow], list[RowError]]:
    path = tmp_path / "form.csv"
    text = (f"{TITLE}\n" if title else "") + HEADER + "\n" + "".join(f"{line}\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return parse_rows(read_table(path, COLUMNS, REQUIRED), today=TODAY)


def test_good_rows_with_sex_and_birth_date_from_the_number(tmp_path: Path) -> None:
    good, errors = parse(
        tmp_path,
        f"1,张三,{ZHANG},,,13800138000,440783,普通居民,6222 0212 3456 7890,新参保,,2021-11-03",
        f"2, 李四 ,{LI.lower()},女,1990/2/2,0750-2222222,440783,1501,,变更,,2021年11月4日",
        f"3,王五,{WANG},男,,,520190,中小学生,,停保,已参加职工医保,20211105",
    )
    assert errors == []
    assert good == [
        RegistrationRow(
            row=3, seq="1", psn_name="张三", certno=ZHANG, psn_cert_type="01", gend="1",
            brdy=datetime.date(1985, 6, 15), tel="13800138000", insuplc_admdvs="440783",
            psn_type="1501", bank_acct="6222021234567890", psn_chg_type="11",
            psn_insu_date=datetime.date(2021, 11, 3),
        ),
        RegistrationRow(
            row=4, seq="2", psn_name="李四", certno=LI, psn_cert_type="01", gend="2",
            brdy=datetime.date(1990, 2, 2), tel="0750-2222222", insuplc_admdvs="440783",
            psn_type="1501", psn_chg_type="36", psn_insu_date=datetime.date(2021, 11, 4),
        ),
        RegistrationRow(
            row=5, seq="3", psn_name="王五", certno=WANG, psn_cert_type="01", gend="1",
            brdy=datetime.date(2015, 9, 9), insuplc_admdvs="520190", psn_type="1403",
            psn_chg_type="21", stop_reason="已参加职工医保",
            psn_insu_date=datetime.date(2021, 11, 5),
        ),
    ]  # fmt: skip


def test_every_bad_cell_of_a_row_is_reported(tmp_path: Path) -> None:
    good, errors = parse(
        tmp_path,
        f"1,张三,{ZHANG},女,1985-06-16,138x,44078,老人,12,删除,,2022-13-01",
        f"2,李四,{ZHANG[:-1]}0,男,,,999999,,,停保,,2022-01-01",
    )
    assert good == []
    assert [error.as_json() for error in errors] == [
        {"row": 3, "column": "联系电话", "code": "invalid_tel",
         "reason": "联系电话应为手机号或固定电话号码，得到 138x"},
        {"row": 3, "column": "参保属地", "code": "invalid_region",
         "reason": "应为6位医保区划代码，得到 44078"},
        {"row": 3, "column": "人员类别", "code": "unknown_psn_type",
         "reason": "人员类别应为 1401 新生儿、1402 学龄前儿童、1403 中小学生、1404 大学生、"
                   "1405 未成年（未入学）、1501 普通居民（成年）、16xx 老年居民 之一，得到 老人"},
        {"row": 3, "column": "银行账号", "code": "invalid_bank_acct",
         "reason": "银行账号应为6至32位数字，得到 12"},
        {"row": 3, "column": "登记类型", "code": "unknown_chg_type",
         "reason": "登记类型应为 新参保、变更 或 停保，得到 删除"},
        {"row": 3, "column": "受理时间", "code": "invalid_date",
         "reason": "日期格式应为 YYYY-MM-DD，得到 2022-13-01"},
        {"row": 3, "column": "性别", "code": "disagrees_with_certno",
         "reason": "与身份证号码不符（号码所示为 男）"},
        {"row": 3, "column": "出生日期", "code": "disagrees_with_certno",
         "reason": "与身份证号码不符（号码所示为 1985-06-15）"},
        {"row": 4, "column": "身份证号码", "code": "bad_check_character",
         "reason": f"校验码错误，应为 {ZHANG[-1]}"},
        {"row": 4, "column": "参保属地", "code": "unknown_region",
         "reason": "999999 不是行政区划代码（贵安新区用 520190）"},
        {"row": 4, "column": "受理时间", "code": "future_date",
         "reason": "日期 2022-01-01 晚于今天"},
        {"row": 4, "column": "停保原因", "code": "missing", "reason": "停保须填写停保原因"},
    ]  # fmt: skip


def test_a_newborn_may_lack_a_number_with_a_birth_date(tmp_path: Path) -> None:
    good, errors = parse(
        tmp_path,
        "1,张小宝,,女,2021-10-01,,440783,新生儿,,新参保,,2021-11-03",
        "2,李小宝,,,,,440783,新生儿,,新参保,,2021-11-03",
        "3,王小宝,,,2021-10-01,,440783,学龄前儿童,,新参保,,2021-11-03",
    )
    assert good == [
        RegistrationRow(
            row=3, seq="1", psn_name="张小宝", certno=None, gend="2",
            brdy=datetime.date(2021, 10, 1), insuplc_admdvs="440783", psn_type="1401",
            psn_chg_type="11", psn_insu_date=datetime.date(2021, 11, 3),
        )
    ]  # fmt: skip
    assert errors == [
        RowError(4, "出生日期", "missing", "新生儿暂无身份证号码时须填写出生日期"),
        RowError(
            5,
            "身份证号码",
            "missing",
            "身份证号码为空（仅新生儿可暂缺，须填写人员类别“新生儿”和出生日期）",
        ),
    ]


def test_rows_that_disagree_about_one_person_are_both_reported(tmp_path: Path) -> None:
    good, errors = parse(
        tmp_path,
        f"1,张三,{ZHANG},,,13800138000,440783,,,新参保,,2021-11-03",
        f"2,李四,{LI},,,,440783,,,变更,,2021-11-03",
        f"3,张叁,{ZHANG},,,13800138001,440783,,,新参保,,2021-11-03",
    )
    assert [row.row for row in good] == [4]
    reason = "与第{}行证件号码相同，但姓名、联系电话不同；请核实后只保留一行"
    assert errors == [
        RowError(3, "姓名", "conflicting_rows", reason.format(5)),
        RowError(5, "姓名", "conflicting_rows", reason.format(3)),
    ]


def test_a_row_repeated_apart_from_its_number_counts_once(tmp_path: Path) -> None:
    good, errors = parse(
        tmp_path,
        f"1,张三,{ZHANG},男,,13800138000,440783,,,新参保,,2021-11-03",
        f"2,张三,{ZHANG},,1985-06-15,13800138000,440783,,,新参保,,2021/11/3",
    )
    assert [row.row for row in good] == [3]
    assert errors == [RowError(4, None, "duplicate_row", "与第3行内容相同（序号除外），按一行办理")]
    assert {error.code for error in errors} <= NOTICE_CODES


def test_a_number_in_a_number_cell_is_reported_not_guessed(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([TITLE])
    sheet.append(["姓名", "公民身份号码", "登记类型", "受理时间"])
    sheet.append(["张三", int(ZHANG[:-1] + "0"), "新参保", datetime.date(2021, 11, 3)])
    sheet.append(["李四", LI, "变更", datetime.datetime(2021, 11, 3, 15, 0)])
    book.save(tmp_path / "form.xlsx")
    table = read_table(tmp_path / "form.xlsx", COLUMNS, REQUIRED)
    good, errors = parse_rows(table, today=TODAY)
    assert year_of_title(table.titles) == 2022
    assert [(row.row, row.certno, row.psn_insu_date) for row in good] == [
        (4, LI, datetime.date(2021, 11, 3))
    ]
    assert [(error.row, error.column, error.code) for error in errors] == [
        (3, "公民身份号码", "number_lost_digits")
    ]


def test_national_field_names_and_codes(tmp_path: Path) -> None:
    legacy = ZHANG[:6] + ZHANG[8:17]  # the 15-digit form of the same number
    path = tmp_path / "national.csv"
    path.write_text(
        "psn_name,certno,gend,brdy,psn_type,insuplc_admdvs,psn_chg_type,psn_insu_date\n"
        f"张三,{legacy},1,1985-06-15,1601,440783,11,2021-11-03\n",
        encoding="utf-8",
    )
    good, errors = parse_rows(read_table(path, COLUMNS, REQUIRED), today=TODAY)
    assert errors == []
    assert [(row.row, row.certno, row.psn_type, row.psn_chg_type) for row in good] == [
        (2, ZHANG, "1601", "11")
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [("新生儿", "1401"), ("学龄前儿童", "1402"), ("中小学生", "1403"), ("大学生", "1404"),
     ("大中专学生", "1404"), ("未成年(未入学)", "1405"), ("普通居民", "1501"),
     ("普通居民（成年）", "1501"), ("1402", "1402"), ("1699", "1699")],
)  # fmt: skip
def test_person_categories_by_name_or_code(tmp_path: Path, text: str, code: str) -> None:
    good, errors = parse(tmp_path, f"1,王五,{WANG},,,,,{text},,变更,,2021-11-03")
    assert errors == []
    assert good[0].psn_type == code


@pytest.mark.parametrize(
    ("titles", "year"),
    [
        ((TITLE,), 2022),
        (("附件1", "江门市 2023 年度城乡居民基本医疗保险新参保、变更、停保登记表"), 2023),
        (("江门市    年度城乡居民基本医疗保险新参保、变更、停保登记表",), None),
        (("2021年11月20日前报送",), None),
        ((), None),
    ],
)
def test_year_of_title(titles: tuple[str, ...], year: int | None) -> None:
    assert year_of_title(titles) == year
