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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from canbao.adapters.sheets import SheetError, read_table, write_csv, write_xlsx

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


class TaxFileError(Exception):
    """A file that cannot be read at all: a code and a Chinese reason (``SheetError``'s)."""

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
        return write_csv(path, ASSESSMENT_HEADERS, rows)
    return write_xlsx(path, title, ASSESSMENT_HEADERS, rows)


def read_feedback(path: Path) -> tuple[list[FeedbackLine], list[RowError]]:
    """The feedback's good lines and every bad one (row, column, reason); raises
    ``TaxFileError`` for a file that cannot be read as a table."""
    try:
        table = read_table(path, FEEDBACK_COLUMNS, required=REQUIRED)
    except SheetError as error:
        raise TaxFileError(error.code, error.reason) from error
    lines: list[FeedbackLine] = []
    errors: list[RowError] = []
    for row in table.rows:
        if row.issues:  # e.g. an ID number Excel kept as a number and cut
            errors += [
                RowError(row.number, FEEDBACK_HEADERS[i.field], i.code, i.reason)
                for i in row.issues
            ]
            continue
        line, problems = _line(row.number, row.cells)
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
