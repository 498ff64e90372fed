"""Validation errors as the contract reports them: a path, a machine code, a Chinese reason.

Pydantic's error types become the contract's codes; an unknown field names the nearest known
field (``person.identites: 未知字段，是否为 identities？``).
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from canbao.domain.decision import FieldError

#: Pydantic's own error types → (code, reason). Our validators raise their own codes.
_BUILTIN: dict[str, tuple[str, str]] = {
    "missing": ("missing", "缺少必填项"),
    "model_type": ("not_object", "应为 JSON 对象"),
    "model_attributes_type": ("not_object", "应为 JSON 对象"),
    "dict_type": ("not_object", "应为 JSON 对象"),
    "list_type": ("not_list", "应为列表"),
    "tuple_type": ("not_list", "应为列表"),
    "literal_error": ("unknown_code", "取值无效"),
    "string_type": ("invalid_text", "应为字符串"),
    "bool_type": ("invalid_bool", "应为 true 或 false"),
    "int_type": ("invalid_count", "应为整数"),
    "recursion_loop": ("too_deep", "嵌套过深"),
}


def nearest(word: str, known: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return found[0] if found else None


def path(location: Iterable[int | str], at: str = "") -> str:
    """``("person", "identities", 0)`` → ``person.identities[0]``, after the prefix ``at``."""
    text = at
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(case)"


def field_errors(error: ValidationError, model: type[BaseModel], at: str = "") -> list[FieldError]:
    found: list[FieldError] = []
    for item in error.errors(include_url=False, include_input=False, include_context=True):
        location = tuple(item["loc"])
        kind = item["type"]
        where = path(location, at)
        if kind == "extra_forbidden":
            names = _field_names(model, location[:-1])
            hint = nearest(str(location[-1]), names) if names else None
            reason = f"未知字段，是否为 {hint}？" if hint else "未知字段"
            found.append(FieldError(where, reason, "unknown_field"))
        elif kind == "literal_error":
            allowed = (item.get("ctx") or {}).get("expected", "")
            found.append(FieldError(where, f"取值应为 {allowed} 之一", "unknown_code"))
        elif kind in _BUILTIN:
            code, reason = _BUILTIN[kind]
            found.append(FieldError(where, reason, code))
        elif kind.startswith(("value_error", "assertion_error")) or kind not in _BUILTIN:
            # our validators raise PydanticCustomError(code, reason): msg is the reason
            found.append(FieldError(where, item["msg"], kind))
    return found


def _field_names(model: type[BaseModel], location: tuple[int | str, ...]) -> list[str]:
    """The field names (by their JSON alias) of the model found at ``location`` in ``model``."""
    current: Any = model
    for part in location:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = next(
            (f for name, f in current.model_fields.items() if (f.alias or name) == part), None
        )
        if field is None:
            return []
        current = _model_in(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _model_in(annotation: Any) -> Any:
    """The model inside ``X | None``, ``list[X]``, ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
    return None
