"""Cases as bytes (a file, stdin, a request body): one case or a JSON list of cases, decided in
order. The command line and the API both answer through here, so their answers are the same."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

from canbao.contract import decide_case, invalid
from canbao.domain.decision import Decision, FieldError


def parse(data: bytes, origin: str) -> tuple[Any, FieldError | None]:
    """The JSON of one input, or the error that stops it (``origin`` names the input)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        reason = f"不是 UTF-8 编码的文本（第{error.start + 1}个字节起）"
        return None, FieldError(origin, reason, "not_utf8")
    try:
        return json.loads(
            text, parse_float=Decimal, parse_int=_integer, parse_constant=_no_constant
        ), None
    except RecursionError:
        return None, FieldError(origin, "不是有效的 JSON：嵌套层数过多", "not_json")
    except ValueError as error:
        return None, FieldError(origin, f"不是有效的 JSON：{error}", "not_json")


def decide_input(raw: Any, error: FieldError | None, answers: list[Decision], many: bool) -> bool:
    """Append the answers of one input to ``answers``: its error, each case of its list (a
    case's index among all answers prefixes its errors), or its one case. Returns whether the
    answer is a list (``many`` already, or this input holds a list)."""
    if error is not None:
        answers.append(invalid(None, [error]))
    elif isinstance(raw, list):
        first = len(answers)
        answers.extend(decide_case(case, at=f"[{first + i}]") for i, case in enumerate(raw))
        return True
    else:
        answers.append(decide_case(raw, at=f"[{len(answers)}]" if many else ""))
    return many


def _integer(digits: str) -> int | Decimal:
    """Python refuses to convert very long digit strings to int; such a number is kept as
    Decimal for the contract to reject as too large, instead of failing the whole input."""
    limit = sys.get_int_max_str_digits()
    return int(digits) if not limit or len(digits) <= limit else Decimal(digits)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} 不是 JSON 数值")
