"""Tests for canbao.adapters.sheets: reading and writing .xlsx and CSV files (SPEC section 7)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from canbao.adapters.sheets import CellIssue, Row, SheetError, read_table, write_csv, write_xlsx

TITLE = "江门市2022年度城乡居民基本医疗保险新参保、变更、停保登记表"
COLUMNS = {
    "序号": "seq",
    "姓名": "psn_name",
    "psn_name": "psn_name",
    "身份证号码": "certno",
    "公民身份号码": "certno",
    "certno": "certno",
    "受理时间": "psn_insu_date",
    "联系电话": "tel",
}
FIELDS = ("seq", "psn_name", "certno", "psn_insu_date")
CERTNO = "440783198506151234"
LOST = (
    "该单元格以数字格式保存（显示为 4.40783198506151E+17），超过15位的数字已被 Excel 改写，"
    "无法还原；请将该列设为文本格式后重新录入完整号码"
)


def cells(*values: str) -> dict[str, str]:
    return dict(zip(FIELDS, values, strict=True))


def registration_xlsx(path: Path) -> Path:
    """A form as a clerk makes it: a merged title, a header with a stray space and a star,
    an unknown column, dates, numbers, a blank row, an ID typed into a number cell."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = TITLE
    sheet.merge_cells("A1:E1")
    sheet.append(["序号", "姓 名", "*身份证号码", "受理时间", "备注"])
    sheet.append([1, "张三", CERTNO, datetime.datetime(2021, 11, 3), "已核"])
    sheet.append([])
    sheet.append([2.0, " 李四 ", 440783198506151234, datetime.datetime(2021, 11, 4, 9, 30), None])
    sheet.append([None, None, None, None, "仅备注"])
    sheet.append([3, "王五", "44078319850615123X", datetime.date(2021, 11, 5), None])
    book.save(path)
    return path


def test_xlsx_rows_numbered_as_the_sheet_with_the_title_kept(tmp_path: Path) -> None:
    table = read_table(registration_xlsx(tmp_path / "form.xlsx"), COLUMNS, required=["certno"])
    assert (table.format, table.encoding, table.sheet) == ("xlsx", None, "Sheet")
    assert table.titles == (TITLE,)
    assert table.header_row == 2
    assert table.headers == {
        "seq": "序号",
        "psn_name": "姓 名",
        "certno": "*身份证号码",
        "psn_insu_date": "受理时间",
    }
    assert table.unknown_columns == ("备注",)
    assert table.rows == [
        Row(3, cells("1", "张三", CERTNO, "2021-11-03")),
        Row(
            5,
            cells("2", "李四", "4.40783198506151E+17", "2021-11-04 09:30:00"),
            (CellIssue("certno", "number_lost_digits", LOST),),
        ),
        Row(6, cells("", "", "", "")),
        Row(7, cells("3", "王五", "44078319850615123X", "2021-11-05")),
    ]


def test_xlsx_reads_the_first_sheet_that_has_a_header(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    cover = book.active
    assert cover is not None
    cover["A1"] = "说明：请在第二页填写"
    data = book.create_sheet("登记表")
    data.append(["江门市2022年度"])
    data.append(["（开平市）"])
    data.append(["姓名", "身份证号码"])
    data.append(["张三", CERTNO])
    book.save(tmp_path / "two.xlsx")
    table = read_table(tmp_path / "two.xlsx", COLUMNS)
    assert (table.sheet, table.titles, table.header_row) == (
        "登记表",
        ("江门市2022年度", "（开平市）"),
        3,
    )
    assert table.rows == [Row(4, {"psn_name": "张三", "certno": CERTNO})]


def test_xlsx_rows_keep_their_numbers_around_empty_rows_and_columns(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["B2"] = "名单"
    sheet["B3"], sheet["C3"] = "姓名", "身份证号码"
    sheet["B9"], sheet["C9"] = "张三", CERTNO
    book.save(tmp_path / "sparse.xlsx")
    table = read_table(tmp_path / "sparse.xlsx", COLUMNS)
    assert (table.titles, table.header_row) == (("名单",), 3)
    assert table.rows == [Row(9, {"psn_name": "张三", "certno": CERTNO})]


CSV_TEXT = (
    f"{TITLE},,,\r\n"
    "序号,姓名,身份证号码,受理时间\r\n"
    f"1,张三,{CERTNO},2021-11-03\r\n"
    "\r\n"
    " , ,, \r\n"
    '2,"李\r\n四",4.40783E+17,2021-11-04\r\n'
    "3,王五,'=HYPERLINK(1),2021-11-05\r\n"
)
CSV_ROWS = [
    Row(3, cells("1", "张三", CERTNO, "2021-11-03")),
    Row(
        6,
        cells("2", "李\r\n四", "4.40783E+17", "2021-11-04"),
        (
            CellIssue(
                "certno",
                "number_lost_digits",
                LOST.replace("4.40783198506151E+17", "4.40783E+17"),
            ),
        ),
    ),
    Row(8, cells("3", "王五", "=HYPERLINK(1)", "2021-11-05")),
]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CSV_TEXT.encode("utf-8"), "utf-8"),
        (CSV_TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (CSV_TEXT.encode("gbk"), "gb18030"),
        (CSV_TEXT.encode("utf-16"), "utf-16"),
    ],
)
def test_csv_encodings_detected_and_lines_numbered(
    tmp_path: Path, data: bytes, encoding: str
) -> None:
    path = tmp_path / "form.csv"
    path.write_bytes(data)
    table = read_table(path, COLUMNS)
    assert (table.format, table.encoding, table.sheet) == ("csv", encoding, None)
    assert (table.titles, table.header_row, table.unknown_columns) == ((TITLE,), 2, ())
    assert table.rows == CSV_ROWS


def test_tab_separated_text_with_national_field_names(tmp_path: Path) -> None:
    path = tmp_path / "form.txt"
    path.write_text("PSN_NAME\tcertno\tnote\n张三\t" + CERTNO + "\tx\n", encoding="utf-8")
    table = read_table(path, COLUMNS)
    assert table.headers == {"psn_name": "PSN_NAME", "certno": "certno"}
    assert table.unknown_columns == ("note",)
    assert table.rows == [Row(2, {"psn_name": "张三", "certno": CERTNO})]


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text("序号,姓名,联系电话\n1,张三,13800138000\n", encoding="utf-8")
    with pytest.raises(SheetError) as raised:
        read_table(path, COLUMNS, required=["psn_name", "certno", "psn_insu_date"])
    assert (raised.value.code, raised.value.reason) == (
        "missing_columns",
        "缺少必需的列：身份证号码（或 公民身份号码、certno）、受理时间",
    )


def test_two_columns_for_one_field_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text("姓名,身份证号码,certno\n张三,1,2\n", encoding="utf-8")
    with pytest.raises(SheetError) as raised:
        read_table(path, COLUMNS)
    assert (raised.value.code, raised.value.reason) == (
        "duplicate_column",
        "列「身份证号码」与列「certno」是同一项，请删去其中一列",
    )


def ole2(extra: bytes = b"") -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + extra


@pytest.mark.parametrize(
    ("name", "data", "code", "reason"),
    [
        ("a.csv", b"", "empty", "文件为空"),
        ("a.csv", b" \r\n\r\n", "empty", "文件为空"),
        (
            "a.xls",
            ole2(),
            "xls_format",
            "这是旧版 Excel（.xls）文件；请另存为 .xlsx 或 CSV 后提交",
        ),
        (
            "a.xlsx",
            ole2("EncryptionInfo".encode("utf-16-le")),
            "password_protected",
            "Excel 文件设有密码；请取消密码后重新提交",
        ),
        (
            "a.xlsx",
            "姓名,身份证号码\n".encode(),
            "bad_xlsx",
            "文件扩展名为 .xlsx，但内容不是 Excel 工作簿",
        ),
        (
            "a.xlsx",
            b"PK\x03\x04" + b"\x00" * 100,
            "bad_xlsx",
            "Excel 文件已损坏或不是 .xlsx 格式，无法读取（BadZipFile）",
        ),
        (
            "a.pdf",
            b"%PDF-1.4\x00\x01\x02",
            "not_text",
            "文件不是文本（CSV）也不是 .xlsx；请提交 .xlsx 或 CSV 文件",
        ),
        (
            "a.csv",
            b"\xd0\xd5\xc3\xfb,\x80\xff\n",
            "unknown_encoding",
            "CSV 文件的编码无法识别（应为 UTF-8 或 GBK）；请用 Excel 另存为 CSV UTF-8",
        ),
        (
            "a.csv",
            "名单\n张三,1\n".encode(),
            "no_header",
            "前10行中未找到表头（如 姓名、身份证号码 等列名）",
        ),
    ],
)
def test_bad_files_give_a_code_and_a_reason(
    tmp_path: Path, name: str, data: bytes, code: str, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SheetError) as raised:
        read_table(path, COLUMNS)
    assert (raised.value.code, raised.value.reason) == (code, reason)


def test_a_missing_file_is_a_sheet_error(tmp_path: Path) -> None:
    with pytest.raises(SheetError) as raised:
        read_table(tmp_path / "none.xlsx", COLUMNS)
    assert raised.value.code == "unreadable"


def test_a_header_below_the_tenth_row_is_not_found(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("标题\n" * 10 + "姓名,身份证号码\n张三,1\n", encoding="utf-8")
    with pytest.raises(SheetError) as raised:
        read_table(path, COLUMNS)
    assert raised.value.code == "no_header"
    path.write_text("标题\n" * 9 + "姓名,身份证号码\n张三,1\n", encoding="utf-8")
    assert read_table(path, COLUMNS).rows == [Row(11, {"psn_name": "张三", "certno": "1"})]


def test_an_empty_workbook_has_no_header(tmp_path: Path) -> None:
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(SheetError) as raised:
        read_table(tmp_path / "empty.xlsx", COLUMNS)
    assert raised.value.code == "no_header"


DANGEROUS = ["=1+2", "+86 13800138000", "-5", "@SUM(A1)", "\tx", "\r=2", "=cmd|' /C calc'!A0"]


def test_write_xlsx_title_header_widths_and_no_formula(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    rows: list[list[object]] = [
        ["张三", CERTNO, datetime.date(2021, 11, 3), Decimal("350.00"), 7],
        *[[text, None, None, None, None] for text in DANGEROUS],
    ]
    headers = ["姓名", "身份证号码", "受理时间", "金额", "人数"]
    assert write_xlsx(path, TITLE, headers, rows) == len(rows)
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert [str(merged) for merged in sheet.merged_cells.ranges] == ["A1:E1"]
    assert sheet.freeze_panes == "A3"
    assert sheet["A1"].value == TITLE and sheet["A1"].font.b
    assert [cell.value for cell in sheet[2]] == headers
    assert [cell.value for cell in sheet[3]] == [
        "张三",
        CERTNO,
        datetime.datetime(2021, 11, 3),
        350,
        7,
    ]
    assert sheet["B3"].data_type == "s"
    # XML reads a carriage return back as a line feed
    expected = [text.replace("\r", "\n") for text in DANGEROUS]
    assert [sheet.cell(row, 1).value for row in range(4, 4 + len(DANGEROUS))] == expected
    assert [sheet.cell(row, 1).quotePrefix for row in range(3, 4 + len(DANGEROUS))] == [
        False,
        *[True] * len(DANGEROUS),
    ]
    assert not [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert sheet.column_dimensions["B"].width == 20  # 18 digits + 2
    assert sheet.column_dimensions["E"].width == 6  # 人数: 4 + 2
    table = read_table(path, {"姓名": "psn_name", "身份证号码": "certno", "受理时间": "day"})
    assert table.titles == (TITLE,)
    assert [row.cells["psn_name"] for row in table.rows] == ["张三", "=1+2", "+86 13800138000",
        "-5", "@SUM(A1)", "x", "=2", "=cmd|' /C calc'!A0"]  # fmt: skip


def test_write_xlsx_without_title(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    assert write_xlsx(path, None, ["姓名", "身份证号码"], iter([["张三", CERTNO]])) == 1
    table = read_table(path, COLUMNS)
    assert (table.titles, table.header_row) == ((), 1)
    assert table.rows == [Row(2, {"psn_name": "张三", "certno": CERTNO})]


def test_write_csv_neutralises_formulas_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    rows: list[list[object]] = [["张三", CERTNO, datetime.date(2021, 11, 3), Decimal("350.00")]]
    rows += [[text, "", None, None] for text in DANGEROUS]
    assert write_csv(path, ["姓名", "身份证号码", "受理时间", "金额"], rows) == len(rows)
    data = path.read_bytes()
    assert data.startswith("姓名,身份证号码,受理时间,金额\r\n".encode("utf-8-sig"))
    assert "张三,440783198506151234,2021-11-03,350.00\r\n'=1+2,,,\r\n".encode() in data
    assert b'"\'\r=2"' in data and b"'-5" in data
    table = read_table(path, COLUMNS)
    assert table.encoding == "utf-8-sig"
    assert [row.cells["psn_name"] for row in table.rows] == ["张三", "=1+2", "+86 13800138000",
        "-5", "@SUM(A1)", "x", "=2", "=cmd|' /C calc'!A0"]  # fmt: skip


def test_write_csv_in_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(path, ["姓名", "身份证号码"], [["张三", CERTNO]], encoding="gb18030")
    assert path.read_bytes() == "姓名,身份证号码\r\n张三,440783198506151234\r\n".encode("gbk")


def test_many_rows_round_trip(tmp_path: Path) -> None:
    """At small scale; the 100,000-row figures are in docs, not in a timed test."""
    rows = [[str(n), f"姓名{n}", f"4407831985{n:08d}"] for n in range(2000)]
    headers = ["序号", "姓名", "身份证号码"]
    write_csv(tmp_path / "many.csv", headers, rows)
    write_xlsx(tmp_path / "many.xlsx", TITLE, headers, rows)
    for name, first in (("many.csv", 2), ("many.xlsx", 3)):
        table = read_table(tmp_path / name, COLUMNS)
        assert len(table.rows) == 2000
        assert table.rows[0] == Row(first, {"seq": "0", "psn_name": "姓名0", "certno": rows[0][2]})
        assert table.rows[-1].number == first + 1999
