"""The decision contract at the edge (SPEC section 6): parsed JSON in, a Decision out.

The command line and the API call ``decide_case`` and ``schema`` only. A case is checked by
its kind's pydantic model (``contract.cases``), turned into the frozen facts the rules read,
and decided; every error of format becomes an ``invalid`` answer with each field's path, code
and reason, never an exception.
"""

from __future__ import annotations

import re
from typing import Any, Union

from pydantic import BaseModel, TypeAdapter, ValidationError

from canbao.contract.answers import ANSWERS
from canbao.contract.cases import CASES
from canbao.contract.errors import field_errors, nearest
from canbao.domain.decision import CONTRACT_FIELDS, Decision, FieldError, Status
from canbao.policy import Policy, load_policy
from canbao.rules.decide import decide_facts

__all__ = ["CASES", "CONTRACT_FIELDS", "decide_case", "invalid", "schema"]


def decide_case(raw: Any, policy: Policy | None = None, *, at: str = "") -> Decision:
    """Decide one case given as parsed JSON; never raises. ``at`` prefixes the error paths
    (``[1]`` for the second case of a list)."""
    if not isinstance(raw, dict):
        return invalid(None, [FieldError(at or "(case)", "应为 JSON 对象", "not_object")])
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in CASES:
        return invalid(None, [_kind_error(kind, at)])
    model = CASES[kind]
    try:
        case = model.model_validate(raw)
    except ValidationError as error:
        return invalid(kind, field_errors(error, model, at))
    except RecursionError:
        return invalid(kind, [FieldError(at or "(case)", "嵌套过深", "too_deep")])
    problems = case.problems()
    if problems:
        return invalid(
            kind, [FieldError(at + p.path if at else p.path, p.reason, p.code) for p in problems]
        )
    return decide_facts(kind, case.facts(), policy or load_policy())


def _kind_error(kind: Any, at: str) -> FieldError:
    where = f"{at}.kind" if at else "kind"
    if kind is None:
        return FieldError(where, "缺少必填项", "missing")
    known = "/".join(CASES)
    hint = nearest(kind, CASES) if isinstance(kind, str) else None
    suffix = f"，是否为 {hint}？" if hint else ""
    return FieldError(where, f"取值应为 {known} 之一{suffix}", "unknown_kind")


def invalid(kind: Any, errors: list[FieldError]) -> Decision:
    """An ``invalid`` answer listing every error, in the order of their paths."""
    errors = sorted(errors, key=_path_order)
    return Decision(
        kind if isinstance(kind, str) and kind in CASES else "unknown",
        Status.INVALID,
        (),
        (),
        f"案例格式有误，共{len(errors)}处：" + "；".join(f"{e.path} {e.reason}" for e in errors),
        errors=tuple(errors),
    )


def _path_order(error: FieldError) -> list[tuple[int, int | str]]:
    """``records[10].id`` after ``records[2].id``: numbers compare as numbers."""
    parts = re.split(r"(\d+)", error.path)
    return [(1, int(part)) if part.isdigit() else (0, part) for part in parts]


def schema(kind: str | None = None) -> dict[str, Any]:
    """The JSON Schemas of one kind's case and answer, or of every kind (``oneOf``)."""
    if kind is not None:
        if kind not in CASES:
            raise KeyError(kind)
        return {
            "case": CASES[kind].model_json_schema(by_alias=True),
            "answer": ANSWERS[kind].model_json_schema(by_alias=True),
        }
    return {
        "case": _union(list(CASES.values())),
        "answer": _union(list(ANSWERS.values())),
    }


def _union(models: list[type[BaseModel]]) -> dict[str, Any]:
    union: Any = Union[tuple(models)]  # noqa: UP007 (a union built at run time)
    return TypeAdapter(union).json_schema(by_alias=True)
