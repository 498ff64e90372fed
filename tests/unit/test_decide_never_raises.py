"""Whatever a case holds, ``decide_case`` answers: a decision, a gap or ``invalid`` — never an
exception. Real scenario cases are taken apart field by field and filled with arbitrary JSON."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canbao.contract import decide_case
from canbao.domain.decision import Status

RULES = Path(__file__).resolve().parents[1] / "rules"
CASES = [
    json.loads(path.read_text(encoding="utf-8"))["case"] for path in sorted(RULES.glob("*/*.json"))
]


def nested(depth: int) -> list[Any]:
    outer: list[Any] = []
    inner = outer
    for _ in range(depth):
        inner.append([])
        inner = inner[0]
    return outer


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.sampled_from([10**400, -(10**400), 2**63, Decimal("1E+999999"), Decimal("-0.001")])
    | st.decimals(allow_nan=True, allow_infinity=True, places=None)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.builds(nested, st.sampled_from([50, 5_000, 50_000]))
    | st.sampled_from(
        [
            "2022-02-29",
            "2021-12-31",
            "2022-07",
            "441400",
            "dibao",
            "resident",
            "9999-12-31",
            "0001-01-01",
            "2100-12-31",
            "1880-01-01",
            "110000",
            "520190",
            "\x00",
            "\ufeff2022-01-01",
        ]
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(case: dict[str, Any], path: tuple[Any, ...], new: Any) -> dict[str, Any]:
    changed = copy.deepcopy(case)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return changed


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_field_with_any_value_is_answered(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(CASES))
    path = data.draw(st.sampled_from([p for p in paths(case) if p != ("kind",)]))
    mutated = replaced(case, path, data.draw(json_values))
    decision = decide_case(mutated)
    assert decision.status in (Status.DECIDED, Status.POLICY_GAP, Status.INVALID)
    if decision.status is Status.INVALID:
        assert decision.errors and all(e.path and e.reason for e in decision.errors)
    elif decision.status is Status.POLICY_GAP:
        # A gap may have nothing to cite: no document covers that region and year.
        assert decision.gaps and decision.explanation
    else:
        assert decision.citations and decision.explanation
