"""The files exchanged with the tax bureau (SPEC section 7): 应征数据 out, 扣费反馈 in.

Policy-free: the columns, the result codes of the feedback and what each code means. Which
failures count as the person's own (自动弃保) is a policy reading (K1), in the policy data
(``collection.abandoning_failures``), never here.

Assessment file (out): 人员编号, 姓名, 证件号码, 年度, 险种, 应缴金额, 申报方式, 资助身份,
银行账号, 家庭户, 批次号 — .xlsx (a title row above the header) or CSV (UTF-8 with BOM, as
Excel opens it), chosen by the file's suffix.

Feedback file (in): 批次号, 证件号码, 年度, 结果代码, 实缴金额, 缴费日期, 失败原因, or the same
columns under national-style names (``batch_id``, ``certno``, ``year``, ``result_code``,
``paid_amount``, ``paid_date``, ``failure_reason``); a title row above the header is normal.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

#: 结果代码 of the feedback → (meaning, the text the tax bureau gives it).
RESULT_CODES: dict[str, tuple[str, str]] = {
    "1": ("paid", "扣费成功"),
    "2": ("not_personal", "非个人原因扣费失败"),
    "3": ("insufficient_balance", "缴费银行账户余额不足"),
    "4": ("abnormal_account", "缴费银行账户状态不正常"),
}
PAID = "paid"

#: 申报方式 (C6) as the assessment file shows it.
DECLARATIONS: dict[str, str] = {
    "normal": "正常申报",
    "zero": "零申报",
    "reduced_with_identity": "减免后金额申报（资助身份标识）",
}

ASSESSMENT_HEADERS = (
    "人员编号",
    "姓名",
    "证件号码",
    "年度",
    "险种",
    "应缴金额",
    "申报方式",
    "资助身份",
    "银行账号",
    "家庭户",
    "批次号",
)

FEEDBACK_COLUMNS: dict[str, str] = {
    "批次号": "batch_id",
    "batch_id": "batch_id",
    "证件号码": "certno",
    "身份证号码": "certno",
    "certno": "certno",
    "年度": "year",
    "year": "year",
    "结果代码": "result_code",
    "result_code": "result_code",
    "实缴金额": "paid_amount",
    "paid_amount": "paid_amount",
    "缴费日期": "paid_on",
    "paid_date": "paid_on",
    "失败原因": "failure_reason",
    "failure_reason": "failure_reason",
}
FEEDBACK_HEADERS = {field: text for text, field in reversed(FEEDBACK_COLUMNS.items())}
REQUIRED = ("batch_id", "certno", "year", "result_code")
HEADER_SEARCH_ROWS = 5


class TaxFileError(Exception):
    """A file that cannot be read at all: a code and a Chinese reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


@dataclass(frozen=True)
class FeedbackLine:
    """One feedback line; ``row`` as the clerk sees it (Excel row or CSV line)."""

    row: int
    batch_id: str
    certno: str
    year: int
    result_code: str
    paid_amount: Decimal
    paid_on: date | None
    failure_reason: str | None

    @property
    def meaning(self) -> str:
        return RESULT_CODES[self.result_code][0]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    code: str
    reason: str

    def as_json(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "code": self.code, "reason": self.reason}


def write_assessment(path: Path, title: str, rows: Iterable[Sequence[object]]) -> int:
    """Write the assessment file (.csv by suffix, else .xlsx); returns the rows written."""
    if path.suffix.lower() == ".csv":
        return _write_csv(path, ASSESSMENT_HEADERS, rows)
    return _write_xlsx(path, title, ASSESSMENT_HEADERS, rows)


def read_feedback(path: Path) -> tuple[list[FeedbackLine], list[RowError]]:
    """The feedback's good lines and every bad one (row, column, reason); raises
    ``TaxFileError`` for a file that cannot be read as a table."""
    lines: list[FeedbackLine] = []
    errors: list[RowError] = []
    for number, cells in _read_rows(path):
        line, problems = _line(number, cells)
        if line is not None:
            lines.append(line)
        errors += problems
    return lines, errors


def _line(number: int, cells: dict[str, str]) -> tuple[FeedbackLine | None, list[RowError]]:
    errors: list[RowError] = []

    def bad(field: str, code: str, reason: str) -> None:
        errors.append(RowError(number, FEEDBACK_HEADERS[field], code, reason))

    for field in REQUIRED:
        if not cells.get(field):
            bad(field, "missing", "不能为空")
    year = cells.get("year", "")
    if year and not (year.isdigit() and len(year) == 4):
        bad("year", "invalid", f"年度应为四位数字，得到 {year!r}")
    code = cells.get("result_code", "")
    if code and code not in RESULT_CODES:
        known = "、".join(f"{k} {text}" for k, (_, text) in RESULT_CODES.items())
        bad("result_code", "unknown_code", f"未知的结果代码 {code!r}（应为 {known}）")
    amount = Decimal("0")
    if cells.get("paid_amount"):
        try:
            amount = Decimal(cells["paid_amount"]).quantize(Decimal("0.01"))
        except InvalidOperation:
            bad("paid_amount", "invalid", f"金额无效：{cells['paid_amount']!r}")
    paid_on = None
    if cells.get("paid_on"):
        try:
            paid_on = date.fromisoformat(cells["paid_on"][:10])
        except ValueError:
            bad("paid_on", "invalid", f"日期应为 YYYY-MM-DD，得到 {cells['paid_on']!r}")
    if code == "1" and paid_on is None and not errors:
        bad("paid_on", "missing", "扣费成功的须有缴费日期")
    if errors:
        return None, errors
    return (
        FeedbackLine(
            row=number,
            batch_id=cells["batch_id"],
            certno=cells["certno"].upper(),
            year=int(year),
            result_code=code,
            paid_amount=amount,
            paid_on=paid_on,
            failure_reason=cells.get("failure_reason") or None,
        ),
        [],
    )


# --- the sheet layer: to be replaced by canbao.adapters.sheets when it lands -----------------


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Every non-blank data row below the header, by canonical field name."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TaxFileError("unreadable", f"无法读取文件 {path.name}：{error.strerror}") from error
    if data.startswith(b"PK"):
        raw = _xlsx_rows(path)
    else:
        raw = _csv_rows(data)
    header_at = next(
        (
            i
            for i, (_, cells) in enumerate(raw[:HEADER_SEARCH_ROWS])
            if sum(cell.strip() in FEEDBACK_COLUMNS for cell in cells) >= 2
        ),
        None,
    )
    if header_at is None:
        raise TaxFileError("no_header", "前几行中找不到表头（批次号、证件号码、年度、结果代码…）")
    header = [FEEDBACK_COLUMNS.get(cell.strip()) for cell in raw[header_at][1]]
    missing = [FEEDBACK_HEADERS[f] for f in REQUIRED if f not in header]
    if missing:
        raise TaxFileError("missing_columns", f"缺少列：{'、'.join(missing)}")
    rows = []
    for number, cells in raw[header_at + 1 :]:
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(
            (
                number,
                {
                    field: cell.strip()
                    for field, cell in zip(header, cells, strict=False)
                    if field is not None
                },
            )
        )
    return rows


def _xlsx_rows(path: Path) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [
            (number, [_text(cell) for cell in row])
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
        book.close()
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise TaxFileError("bad_xlsx", f"无法读取 .xlsx 文件：{error}") from error
    return rows


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TaxFileError("unknown_encoding", "文件编码既不是 UTF-8 也不是 GBK")
    reader = csv.reader(text.splitlines())
    return [(reader.line_num, row) for row in reader]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if cell is None else cell for cell in row])
            count += 1
    return count


def _write_xlsx(
    path: Path, title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]
) -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append([title])
    sheet.append(list(headers))
    count = 0
    for row in rows:
        sheet.append(list(row))
        count += 1
    book.save(path)
    return count
