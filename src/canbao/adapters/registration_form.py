"""The registration form (《江门市 年度城乡居民基本医疗保险新参保、变更、停保登记表》): its
rows read from a table (:mod:`canbao.adapters.sheets`) into :class:`RegistrationRow`.

Columns: the form's Chinese headers or the national field names (:data:`COLUMNS`); 姓名,
身份证号码, 登记类型 and 受理时间 must be there (:data:`REQUIRED`). Every cell of a row is
checked and every bad one reported as a :class:`RowError` (row, the header the clerk sees,
code, Chinese reason); a row with any error is not returned as good.

Readings of the form (conventions of this module, not policy):

* 登记类型 新参保 → ``psn_chg_type`` 11 (新参保), 变更 → 36 (参保信息维护: the form changes
  the enrollment's bank account, category or place), 停保 → 21 (终止); the codes themselves
  are accepted too. 停保 needs a 停保原因, as the form asks.
* 身份证号码 is checked with :func:`canbao.certno.check_certno` and stored in its 18-character
  form. It may be blank only for a 新生儿 (人员类别 1401), who then needs 出生日期.
* 性别 and 出生日期, when blank, are taken from the number; when given, they must agree with it.
* 人员类别: the national resident codes (``canbao.domain.codes.RESIDENT_PSN_TYPES``, 16xx
  for elderly residents) or
  their Chinese names; blank is allowed (the registry decides the category).
* 参保属地: a 6-digit code, GB/T 2260 or a region of the policy data (520190); names are
  not mapped.
* 受理机构 (``office_admdvs``), optional: the region code of the office that took the row
  (全市通办, K5), read like 参保属地. The documents name the form (开平方案 附件1) but do
  not print its headers; 开平方案 五（八） calls the office 受理基层服务机构. Blank: the
  importer's ``--office``, else the enrollment region's own agency.
* 受理时间 and 出生日期 accept ``2021-11-03``, ``2021/11/3``, ``2021.11.3``, ``20211103`` and
  ``2021年11月3日`` (a time after the date is ignored), not later than today.
* Two rows with the same number that differ in anything but 序号 are both reported
  (``conflicting_rows``) and neither is good. Rows that are the same in everything but 序号
  are one registration: the first is returned, each later one is reported as
  ``duplicate_row`` — a notice (:data:`NOTICE_CODES`), not a rejection.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from canbao.adapters.sheets import Row, Table
from canbao.certno import check_certno, is_region_code
from canbao.domain.codes import (
    NEWBORN_PSN_TYPE,
    REGISTRATION_TYPES,
    RESIDENT_PSN_TYPES,
    SEXES,
    STOP,
)
from canbao.policy import load_policy

__all__ = [
    "COLUMNS",
    "NOTICE_CODES",
    "REQUIRED",
    "RegistrationRow",
    "RowError",
    "parse_rows",
    "year_of_title",
]

#: Accepted header texts → canonical field names (the national names where there is one).
COLUMNS: Final[dict[str, str]] = {
    "序号": "seq",
    "姓名": "psn_name",
    "psn_name": "psn_name",
    "身份证号码": "certno",
    "公民身份号码": "certno",
    "身份证号": "certno",
    "证件号码": "certno",
    "certno": "certno",
    "性别": "gend",
    "gend": "gend",
    "出生日期": "brdy",
    "brdy": "brdy",
    "联系电话": "tel",
    "tel": "tel",
    "户籍地址": "hukou_address",
    "参保属地": "insuplc_admdvs",
    "insuplc_admdvs": "insuplc_admdvs",
    "人员类别": "psn_type",
    "psn_type": "psn_type",
    "银行账号": "bank_acct",
    "bank_acct": "bank_acct",
    "登记类型": "psn_chg_type",
    "psn_chg_type": "psn_chg_type",
    "停保原因": "stop_reason",
    "受理时间": "psn_insu_date",
    "psn_insu_date": "psn_insu_date",
    "受理机构": "office_admdvs",
    "office_admdvs": "office_admdvs",
}
REQUIRED: Final = ("psn_name", "certno", "psn_chg_type", "psn_insu_date")

_ELDERLY: Final = re.compile(r"16\d\d", re.ASCII)
_PSN_TYPE_NAMES: Final = {name: code for code, name in RESIDENT_PSN_TYPES.items()} | {
    "大中专学生": "1404",
    "未成年": "1405",
    "普通居民": "1501",
    "成年居民": "1501",
}
_SEXES: Final = {name: code for code, name in SEXES.items()}
#: Codes of :class:`RowError` that are notices: the row's content is accepted.
NOTICE_CODES: Final = frozenset({"duplicate_row"})

_DATE: Final = re.compile(
    r"(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"  # a time after the date is ignored
)
_TEL_SEPARATORS: Final = re.compile(r"[\s\-()（）+]")
_BANK_ACCT: Final = re.compile(r"\d{6,32}", re.ASCII)
_REGION: Final = re.compile(r"\d{6}", re.ASCII)
_YEAR_OF_TITLE: Final = re.compile(r"((?:19|20)\d\d)\s*年度")
_MAX_TEXT: Final = 200


class RegistrationRow(BaseModel):
    """A good row of the form. Attributes are the national field names where there is one.

    Attributes:
      row: the row as the clerk sees it (Excel row or CSV line).
      seq: 序号 as written.
      psn_name: 姓名.
      certno: 身份证号码 in its 18-character form (a 15-character older foreign ID as
        written); None for a newborn without one.
      psn_cert_type: 证件类型 of the number (01, 07, 17); None without a number.
      gend: 性别 1/2/0/9, from the column or else the number.
      brdy: 出生日期, from the column or else the number.
      tel: 联系电话 as written.
      hukou_address: 户籍地址.
      insuplc_admdvs: 参保属地, a 6-digit code.
      psn_type: 人员类别, a national code (``RESIDENT_PSN_TYPES``, 16xx).
      bank_acct: 银行账号, digits.
      psn_chg_type: 登记类型: 11 新参保, 36 变更, 21 停保.
      stop_reason: 停保原因.
      psn_insu_date: 受理时间, the date the registration was accepted.
      office_admdvs: 受理机构, the region code of the office that took it, where given.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int
    seq: str | None = None
    psn_name: str
    certno: str | None
    psn_cert_type: str | None = None
    gend: Literal["0", "1", "2", "9"] | None = None
    brdy: datetime.date | None = None
    tel: str | None = None
    hukou_address: str | None = None
    insuplc_admdvs: str | None = None
    psn_type: str | None = None
    bank_acct: str | None = None
    psn_chg_type: Literal["11", "36", "21"]
    stop_reason: str | None = None
    psn_insu_date: datetime.date
    office_admdvs: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """A bad cell or row: the row number as the clerk sees it, the header text of the column
    (None when the whole row is meant), a machine code and the Chinese reason."""

    row: int
    column: str | None
    code: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "reason": self.reason}


class _Bad(Exception):
    """A cell that cannot be read: (code, Chinese reason)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


def year_of_title(titles: Iterable[str]) -> int | None:
    """The year a form's title names (``江门市2022年度…登记表`` → 2022), or None."""
    for title in titles:
        found = _YEAR_OF_TITLE.search(title)
        if found:
            return int(found.group(1))
    return None


def parse_rows(
    table: Table, today: datetime.date | None = None
) -> tuple[list[RegistrationRow], list[RowError]]:
    """The good rows of a registration table, and every error (see the module docstring).
    ``today`` (default: the system date) bounds the dates and the numbers' birth dates."""
    today = today if today is not None else datetime.date.today()
    columns = _Columns(table.headers)
    parsed = [_parse(row, columns, today) for row in table.rows]
    errors = [error for one in parsed for error in one.errors]
    by_certno: dict[str, list[_Parsed]] = {}
    for one in parsed:
        certno = one.values.get("certno")
        if isinstance(certno, str):
            by_certno.setdefault(certno, []).append(one)
    conflicting: set[int] = set()
    for group in by_certno.values():
        if len(group) > 1 and len({one.content for one in group}) > 1:
            for one in group:
                conflicting.add(one.number)
                errors.append(_conflict(one, group, columns))
    good: list[RegistrationRow] = []
    first_of: dict[_Content, int] = {}
    for one in parsed:
        if one.errors or one.number in conflicting:
            continue
        if one.content in first_of:
            text = f"与第{first_of[one.content]}行内容相同（序号除外），按一行办理"
            errors.append(RowError(one.number, None, "duplicate_row", text))
            continue
        first_of[one.content] = one.number
        good.append(RegistrationRow.model_validate({"row": one.number, **one.values}))
    errors.sort(key=lambda error: error.row)
    return good, errors


_Content = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A row read: its number, values by field (a failed cell as ``("bad", text)``, so rows
    can still be compared), errors, and the content compared between rows (all but 序号)."""

    number: int
    values: dict[str, object]
    errors: list[RowError]
    content: _Content


class _Columns:
    """The header text the clerk sees for a field: the file's, else the form's name."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers

    def __call__(self, field: str) -> str:
        if field in self._headers:
            return self._headers[field]
        return next(text for text, canonical in COLUMNS.items() if canonical == field)


def _conflict(one: _Parsed, group: list[_Parsed], columns: _Columns) -> RowError:
    other = next(each for each in group if each.content != one.content)
    fields = [
        field
        for field in COLUMNS.values()
        if field != "seq" and one.values.get(field) != other.values.get(field)
    ]
    differing = list(dict.fromkeys(columns(field) for field in fields))
    reason = f"与第{other.number}行证件号码相同，但{'、'.join(differing)}不同；请核实后只保留一行"
    return RowError(one.number, differing[0], "conflicting_rows", reason)


def _parse(row: Row, columns: _Columns, today: datetime.date) -> _Parsed:
    values: dict[str, object] = {}
    errors: list[RowError] = []
    untrusted = {issue.field: issue for issue in row.issues}
    for field, text in row.cells.items():
        issue = untrusted.get(field) if untrusted else None
        if issue is not None:
            errors.append(RowError(row.number, columns(field), issue.code, issue.reason))
            values[field] = ("bad", text)
            continue
        try:
            values[field] = _PARSERS[field](text, today) if text else None
        except _Bad as bad:
            errors.append(RowError(row.number, columns(field), bad.code, bad.reason))
            values[field] = ("bad", text)
    for field, code, reason in _across(values):
        errors.append(RowError(row.number, columns(field), code, reason))
    # Every row of a table has its fields in the same order, so the values alone compare.
    content = tuple(value for field, value in values.items() if field != "seq")
    return _Parsed(row.number, values, errors, content)


def _across(values: dict[str, object]) -> list[tuple[str, str, str]]:
    """Checks between the cells that were read, as (field, code, reason). Puts the number's
    18-character form and certificate type in ``values``, and 性别 and 出生日期 from the
    number where they are blank."""
    problems = [
        (field, "missing", "必填项为空")
        for field in ("psn_name", "psn_chg_type", "psn_insu_date")
        if values.get(field) is None
    ]
    number = values.get("certno")
    if isinstance(number, _Number):
        values["certno"] = number.certno
        values["psn_cert_type"] = number.cert_type
        for field, known in (("gend", number.sex), ("brdy", number.birth_date)):
            given = values.get(field)
            if given is None:
                values[field] = known
            elif known is not None and not isinstance(given, tuple) and given != known:
                shown = known.isoformat() if isinstance(known, datetime.date) else SEXES[known]
                reason = f"与身份证号码不符（号码所示为 {shown}）"
                problems.append((field, "disagrees_with_certno", reason))
    elif number is None:
        values["certno"] = None
        if values.get("psn_type") != NEWBORN_PSN_TYPE:
            reason = "身份证号码为空（仅新生儿可暂缺，须填写人员类别“新生儿”和出生日期）"
            problems.append(("certno", "missing", reason))
        elif values.get("brdy") is None:
            problems.append(("brdy", "missing", "新生儿暂无身份证号码时须填写出生日期"))
    if values.get("psn_chg_type") == STOP and values.get("stop_reason") is None:
        problems.append(("stop_reason", "missing", "停保须填写停保原因"))
    return problems


@dataclass(frozen=True, slots=True)
class _Number:
    certno: str
    cert_type: str | None
    sex: str | None
    birth_date: datetime.date | None


def _certno(text: str, today: datetime.date) -> _Number:
    check = check_certno(text, today)
    if not check.valid:
        code, _, reason = (check.reason or "invalid: 号码无效").partition(": ")
        raise _Bad(code, reason)
    number = check.certno18 or re.sub(r"[\s\-]", "", text).upper()
    return _Number(number, check.cert_type, check.sex, check.birth_date)


def _date(text: str, today: datetime.date) -> datetime.date:
    found = _DATE.fullmatch(text)
    try:
        if found is None:
            raise ValueError(text)
        year, month, day, month8, day8 = found.groups()
        value = datetime.date(int(year), int(month or month8), int(day or day8))
    except ValueError:
        raise _Bad("invalid_date", f"日期格式应为 YYYY-MM-DD，得到 {text}") from None
    if value > today:
        raise _Bad("future_date", f"日期 {value.isoformat()} 晚于今天")
    return value


def _sex(text: str, today: datetime.date) -> str:
    code = _SEXES.get(text, text)
    if code not in _SEXES.values():
        raise _Bad("invalid_sex", f"性别应为 男/女（或代码 1/2），得到 {text}")
    return code


def _tel(text: str, today: datetime.date) -> str:
    digits = _TEL_SEPARATORS.sub("", text)
    if not (digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 15):
        raise _Bad("invalid_tel", f"联系电话应为手机号或固定电话号码，得到 {text}")
    return text


@functools.cache
def _region(text: str, today: datetime.date) -> str:
    if not _REGION.fullmatch(text):
        raise _Bad("invalid_region", f"应为6位医保区划代码，得到 {text}")
    if not is_region_code(text) and text not in load_policy().regions:
        raise _Bad("unknown_region", f"{text} 不是行政区划代码（贵安新区用 520190）")
    return text


def _psn_type(text: str, today: datetime.date) -> str:
    if text in RESIDENT_PSN_TYPES or _ELDERLY.fullmatch(text):
        return text
    code = _PSN_TYPE_NAMES.get(text)
    if code is None:  # 未成年(未入学), 普通 居民: half-width brackets, spaces
        key = re.sub(r"\s", "", text).replace("(", "（").replace(")", "）")
        code = _PSN_TYPE_NAMES.get(key)
    if code is not None:
        return code
    known = "、".join(f"{code} {name}" for code, name in RESIDENT_PSN_TYPES.items())
    raise _Bad("unknown_psn_type", f"人员类别应为 {known}、16xx 老年居民 之一，得到 {text}")


def _bank_acct(text: str, today: datetime.date) -> str:
    digits = re.sub(r"[\s\-]", "", text)
    if not _BANK_ACCT.fullmatch(digits):
        raise _Bad("invalid_bank_acct", f"银行账号应为6至32位数字，得到 {text}")
    return digits


def _change_type(text: str, today: datetime.date) -> str:
    code = REGISTRATION_TYPES.get(text, text)
    if code not in REGISTRATION_TYPES.values():
        raise _Bad("unknown_chg_type", f"登记类型应为 新参保、变更 或 停保，得到 {text}")
    return code


def _text(text: str, today: datetime.date) -> str:
    if len(text) > _MAX_TEXT:
        raise _Bad("text_too_long", f"内容过长（{len(text)}字，最多{_MAX_TEXT}字）")
    return text


_PARSERS: Final[dict[str, Callable[[str, datetime.date], object]]] = {
    "seq": _text,
    "psn_name": _text,
    "certno": _certno,
    "gend": _sex,
    "brdy": _date,
    "tel": _tel,
    "hukou_address": _text,
    "insuplc_admdvs": _region,
    "psn_type": _psn_type,
    "bank_acct": _bank_acct,
    "psn_chg_type": _change_type,
    "stop_reason": _text,
    "psn_insu_date": _date,
    "office_admdvs": _region,
}
