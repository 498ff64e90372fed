"""Reading a case (SPEC section 6) into typed facts, collecting every format error.

A reader never raises on bad input: it records a FieldError (dotted path + reason) and returns
a placeholder, so that one pass reports every problem of a case.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from canbao.domain.decision import FieldError

_REGION = re.compile(r"^\d{6}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_MISSING = object()
MIN_YEAR, MAX_YEAR = 1990, 2100


class Reader:
    def __init__(self, raw: Any, path: str = "", errors: list[FieldError] | None = None) -> None:
        self.path = path
        self.errors: list[FieldError] = [] if errors is None else errors
        if isinstance(raw, Mapping):
            self.raw: Mapping[str, Any] = raw
        else:
            self.raw = {}
            self.fail(path or "(case)", "应为 JSON 对象 (expected an object)")

    def fail(self, path: str, reason: str) -> None:
        self.errors.append(FieldError(path, reason))

    def where(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def _get(self, name: str, required: bool) -> Any:
        value = self.raw.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.fail(self.where(name), "缺少必填项 (required)")
            return _MISSING
        return value

    def has(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def text(self, name: str, required: bool = True) -> str | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(self.where(name), "应为非空字符串 (expected a non-empty string)")
            return None
        return value.strip()

    def choice(self, name: str, allowed: Iterable[str], required: bool = True) -> str | None:
        value = self.text(name, required)
        options = list(allowed)
        if value is not None and value not in options:
            self.fail(self.where(name), f"取值应为 {'/'.join(options)} 之一，得到 {value!r}")
            return None
        return value

    def date(self, name: str, required: bool = True) -> dt.date | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if isinstance(value, str):
            try:
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(self.where(name), f"应为 YYYY-MM-DD 格式的有效日期，得到 {value!r}")
        return None

    def month(self, name: str, required: bool = True) -> dt.date | None:
        """A YYYY-MM month, as the first day of that month."""
        value = self._get(name, required)
        if value is _MISSING:
            return None
        match = _MONTH.fullmatch(value) if isinstance(value, str) else None
        if match and 1 <= int(match.group(2)) <= 12:
            return dt.date(int(match.group(1)), int(match.group(2)), 1)
        self.fail(self.where(name), f"应为 YYYY-MM 格式的月份，得到 {value!r}")
        return None

    def year(self, name: str, required: bool = True) -> int | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
            self.fail(self.where(name), f"应为整数年度，得到 {value!r}")
            return None
        if not MIN_YEAR <= int(value) <= MAX_YEAR:
            self.fail(self.where(name), f"年度应在 {MIN_YEAR}–{MAX_YEAR} 之间，得到 {value}")
            return None
        return int(value)

    def count(self, name: str, required: bool = True, default: int = 0) -> int:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
            self.fail(self.where(name), f"应为非负整数，得到 {value!r}")
            return default
        if value < 0:
            self.fail(self.where(name), f"应为非负整数，得到 {value}")
            return default
        return int(value)

    def money(self, name: str, required: bool = True) -> Decimal | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.fail(self.where(name), f"应为以元计的数值，得到 {value!r}")
            return None
        amount = Decimal(value)
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            self.fail(self.where(name), f"应为不小于0、最多两位小数的金额，得到 {value}")
            return None
        return amount

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._get(name, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.fail(self.where(name), f"应为 true 或 false，得到 {value!r}")
            return default
        return value

    def region(self, name: str, required: bool = True) -> str | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not _REGION.fullmatch(value):
            self.fail(self.where(name), f"应为6位医保区划代码，得到 {value!r}")
            return None
        return value

    def codes(self, name: str, allowed: Iterable[str]) -> frozenset[str]:
        """A list of codes from ``allowed``; absent means empty."""
        value = self._get(name, False)
        if value is _MISSING:
            return frozenset()
        known = set(allowed)
        if not isinstance(value, list):
            self.fail(self.where(name), "应为代码列表 (expected a list)")
            return frozenset()
        found: set[str] = set()
        for index, code in enumerate(value):
            if isinstance(code, str) and code in known:
                found.add(code)
            else:
                self.fail(f"{self.where(name)}[{index}]", f"未知代码 {code!r}")
        return frozenset(found)

    def obj(self, name: str, required: bool = True) -> Reader:
        value = self._get(name, required)
        if value is _MISSING:
            return Reader({}, self.where(name), self.errors)
        return Reader(value, self.where(name), self.errors)

    def items(self, name: str, required: bool = True) -> list[Reader]:
        value = self._get(name, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.fail(self.where(name), "应为列表 (expected a list)")
            return []
        return [
            Reader(item, f"{self.where(name)}[{i}]", self.errors) for i, item in enumerate(value)
        ]
