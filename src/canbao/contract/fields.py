"""The value types of the decision contract (SPEC section 6), as pydantic annotated types.

Each type checks one JSON value and turns it into the domain's value: a ``YYYY-MM-DD`` string
into a date, a JSON number into Decimal yuan (never through float), a region code into a
checked 6-digit string. Errors carry a machine code (``PydanticCustomError`` type) and a
Chinese reason; ``contract.errors`` turns them into ``FieldError``s.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from canbao.certno import is_region_code
from canbao.domain.codes import CATEGORIES, IDENTITIES, PLACES
from canbao.policy import load_policy

#: The dates the engine reasons about: birth dates from 1880 (GB 11643 numbers start there),
#: enrollment years up to 2100. A date outside is not an error of policy but of the case.
EARLIEST, LATEST = date(1880, 1, 1), date(2100, 12, 31)
MIN_YEAR, MAX_YEAR = 1990, 2100
#: No individual contribution or refund comes near a hundred million yuan; larger is a typo.
MAX_AMOUNT = Decimal("100000000")
MAX_MONTHS, MAX_YEARS = 1200, 100

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_REGION = re.compile(r"\d{6}")


def _fail(code: str, reason: str) -> PydanticCustomError:
    return PydanticCustomError(code, reason)


def _missing() -> PydanticCustomError:
    return PydanticCustomError("missing", "缺少必填项")


def _shown(value: Any) -> str:
    """A short picture of a bad value for an error message (never the whole of a huge one)."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, bool | int | Decimal | float) or value is None:
        text = str(value).lower() if isinstance(value, bool) or value is None else str(value)
    elif isinstance(value, list):
        text = "列表"
    elif isinstance(value, Mapping):
        text = "对象"
    else:
        text = type(value).__name__
    return text if len(text) <= 40 else text[:37] + "…"


def _day(value: Any) -> date:
    if value is None:
        raise _missing()
    if isinstance(value, str) and len(value) == 10:
        return _parse_day(value)
    raise _fail("invalid_date", f"应为 YYYY-MM-DD 格式的有效日期，得到 {_shown(value)}")


@functools.lru_cache(maxsize=8192)
def _parse_day(value: str) -> date:
    """A YYYY-MM-DD string as a date (cases repeat the same days: the answer is cached)."""
    if _DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if not EARLIEST <= day <= LATEST:
                raise _fail(
                    "date_out_of_range",
                    f"日期应在 {EARLIEST} 至 {LATEST} 之间，得到 {value}",
                )
            return day
    raise _fail("invalid_date", f"应为 YYYY-MM-DD 格式的有效日期，得到 {_shown(value)}")


def _month(value: Any) -> date:
    if value is None:
        raise _missing()
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if match and 1 <= int(match.group(2)) <= 12:
        day = date(int(match.group(1)), int(match.group(2)), 1)
        if EARLIEST <= day <= LATEST:
            return day
    raise _fail("invalid_month", f"应为 YYYY-MM 格式的月份，得到 {_shown(value)}")


def _integer(value: Any, code: str, reason: str, low: int, high: int) -> int:
    if value is None:
        raise _missing()
    whole = (
        isinstance(value, int | Decimal)
        and not isinstance(value, bool)
        and (isinstance(value, int) or (value.is_finite() and value == value.to_integral_value()))
    )
    if whole and low <= value <= high:
        return int(value)
    raise _fail(code, f"{reason}，得到 {_shown(value)}")


def _year(value: Any) -> int:
    return _integer(
        value, "invalid_year", f"应为 {MIN_YEAR}–{MAX_YEAR} 之间的整数年度", MIN_YEAR, MAX_YEAR
    )


def _months(value: Any) -> int:
    return _integer(value, "invalid_count", f"应为 0–{MAX_MONTHS} 之间的整数月数", 0, MAX_MONTHS)


def _years(value: Any) -> int:
    return _integer(value, "invalid_count", f"应为 0–{MAX_YEARS} 之间的整数年数", 0, MAX_YEARS)


def _money(value: Any) -> Decimal:
    """A JSON number in yuan with at most two decimals (320, 320.5, 583.33); float only from
    callers that parsed JSON themselves, taken by its shortest repr, never its binary value."""
    if value is None:
        raise _missing()
    if isinstance(value, float) and not isinstance(value, bool):
        value = Decimal(repr(value))
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise _fail("invalid_amount", f"应为以元计的数值，得到 {_shown(value)}")
    if value < 0 or abs(value) > MAX_AMOUNT:
        raise _fail(
            "amount_out_of_range", f"金额应在 0 至 {MAX_AMOUNT} 元之间，得到 {_shown(value)}"
        )
    if value != value.quantize(Decimal("0.01")):
        raise _fail("invalid_amount", f"金额最多两位小数，得到 {_shown(value)}")
    return value


def _region(value: Any) -> str:
    if value is None:
        raise _missing()
    if isinstance(value, str) and len(value) == 6:
        return _check_region(value)
    raise _fail("invalid_region", f"应为6位医保区划代码，得到 {_shown(value)}")


@functools.lru_cache(maxsize=8192)
def _check_region(value: str) -> str:
    if not _REGION.fullmatch(value):
        raise _fail("invalid_region", f"应为6位医保区划代码，得到 {_shown(value)}")
    if not is_region_code(value) and value not in load_policy().regions:
        raise _fail("unknown_region", f"{value} 不是 GB/T 2260 行政区划代码（贵安新区用 520190）")
    return value


def _text(value: Any) -> str:
    if value is None:
        raise _missing()
    if not isinstance(value, str) or not value.strip():
        raise _fail("invalid_text", f"应为非空字符串，得到 {_shown(value)}")
    return value.strip()


def _flag(value: Any) -> bool:
    if value is None:
        raise _missing()
    if not isinstance(value, bool):
        raise _fail("invalid_bool", f"应为 true 或 false，得到 {_shown(value)}")
    return value


def code_check(vocabulary: Mapping[str, str] | frozenset[str], what: str) -> Any:
    """A validator for one code of a vocabulary, suggesting the nearest on a typo."""
    from canbao.contract.errors import nearest

    def check(value: Any) -> str:
        if value is None:
            raise _missing()
        if isinstance(value, str) and value in vocabulary:
            return value
        if not isinstance(value, str):
            raise _fail("unknown_code", f"应为{what}代码，得到 {_shown(value)}")
        hint = nearest(value, vocabulary)
        suffix = f"，是否为 {hint}？" if hint else ""
        raise _fail("unknown_code", f"未知{what}代码 {_shown(value)}{suffix}")

    return check


def _enum_schema(vocabulary: Mapping[str, str] | frozenset[str], what: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": sorted(vocabulary), "description": what})


Day = Annotated[
    date,
    BeforeValidator(_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]
Month = Annotated[
    date, BeforeValidator(_month), WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$"})
]
Year = Annotated[
    int,
    BeforeValidator(_year),
    WithJsonSchema({"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR}),
]
Months = Annotated[int, BeforeValidator(_months), WithJsonSchema({"type": "integer", "minimum": 0})]
Years = Annotated[int, BeforeValidator(_years), WithJsonSchema({"type": "integer", "minimum": 0})]
Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema(
        {"type": "number", "minimum": 0, "multipleOf": 0.01, "description": "元，最多两位小数"}
    ),
]
Region = Annotated[
    str,
    BeforeValidator(_region),
    WithJsonSchema({"type": "string", "pattern": r"^\d{6}$", "description": "6位医保区划代码"}),
]
Text = Annotated[str, BeforeValidator(_text), WithJsonSchema({"type": "string", "minLength": 1})]
Flag = Annotated[bool, BeforeValidator(_flag), WithJsonSchema({"type": "boolean"})]
Identity = Annotated[
    str,
    BeforeValidator(code_check(IDENTITIES, "资助参保身份")),
    _enum_schema(IDENTITIES, "资助参保身份 (SPEC section 2)"),
]
Category = Annotated[
    str,
    BeforeValidator(code_check(CATEGORIES, "人员类别")),
    _enum_schema(CATEGORIES, "人员类别 (SPEC section 2)"),
]
Place = Annotated[
    str, BeforeValidator(code_check(PLACES, "地点")), _enum_schema(PLACES, "记录所在地的性质")
]
