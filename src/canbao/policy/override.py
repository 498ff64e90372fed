"""What-if values (W11): ``KEY=VALUE`` texts parsed by the key's type in the schema.

A value is read by its key's type (:mod:`canbao.policy.schema`): money, ratio as a decimal
(``400``, ``0.98``), whole numbers for months, days and counts, ``true``/``false``, dates as
``YYYY-MM-DD``, a choice or region as its text, lists of codes or texts separated by commas,
and the structured types (subsidy, period, proofs, bases) as a TOML inline value
(``{ kind = "fixed", amount = 200, funding = "undetermined" }``). The parsed value is checked
as ``canbao policy check`` checks a data file's value. :meth:`Policy.with_values` applies them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from canbao.policy.check import check_key, check_type
from canbao.policy.schema import spec_for

_LISTS = ("identities", "categories", "reasons", "texts")
_SCALARS = ("choice:", "region", "document")


class OverrideError(ValueError):
    """A ``KEY=VALUE`` that names no key of the schema or gives a value the key cannot hold."""


def parse_overrides(texts: Iterable[str]) -> dict[str, Any]:
    """``KEY=VALUE`` texts as {key: value}; a key given twice is an error."""
    found: dict[str, Any] = {}
    for text in texts:
        key, equals, raw = text.partition("=")
        key, raw = key.strip(), raw.strip()
        if not equals or not key:
            raise OverrideError(f"{text!r}：应为 KEY=VALUE（如 resident.individual_standard=400）")
        if key in found:
            raise OverrideError(f"{key}：重复指定")
        found[key] = parse_value(key, raw)
    return found


def parse_value(key: str, raw: str) -> Any:
    """The value ``raw`` for ``key``, by the key's type; :class:`OverrideError` naming both."""
    problems = check_key(key)
    spec = spec_for(key)
    if problems or spec is None:
        raise OverrideError(f"{key}：政策参数中没有此项（{'; '.join(problems)}）")
    try:
        value = _read(spec.type, raw)
    except (ValueError, InvalidOperation, tomllib.TOMLDecodeError) as error:
        raise OverrideError(f"{key}={raw}：不是{spec.type}类型的值") from error
    problems = check_type(spec.type, value)
    if problems:
        raise OverrideError(f"{key}={raw}：{'; '.join(problems)}")
    return value


def _read(kind: str, raw: str) -> Any:
    if kind in ("money", "ratio"):
        number = Decimal(raw)
        if not number.is_finite():
            raise ValueError(raw)
        return number
    if kind in ("months", "days", "count"):
        return int(raw)
    if kind == "bool":
        if raw not in ("true", "false"):
            raise ValueError("应为 true 或 false")
        return raw == "true"
    if kind == "date":
        return date.fromisoformat(raw)
    if kind in _LISTS:
        return [part.strip() for part in raw.split(",") if part.strip()]
    if kind.startswith(_SCALARS):
        return raw
    return tomllib.loads(f"value = {raw}", parse_float=Decimal)["value"]
