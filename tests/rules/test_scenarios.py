"""Every scenario file under tests/rules/<kind>/ is decided in-process and compared exactly.

A scenario file: {"name", "case", "expect"}; ``expect`` must give ``status`` and ``rules``
(the exact set of rule ids applied) and may give any answer field, compared exactly (numbers
by value). Every decided or policy_gap answer must cite documents known to the policy data.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from canbao.contract import decide_case
from canbao.domain.decision import to_json
from canbao.policy import load_policy

HERE = Path(__file__).parent
SCENARIOS = sorted(HERE.glob("*/*.json"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    return data


def same(want: Any, got: Any) -> bool:
    if isinstance(want, int | Decimal) and not isinstance(want, bool):
        return (
            isinstance(got, int | float | Decimal)
            and not isinstance(got, bool)
            and (Decimal(str(got)) == Decimal(want))
        )
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(same(w, g) for w, g in zip(want, got, strict=True))
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(same(want[k], got[k]) for k in want)
    return bool(want == got)


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 100


@pytest.mark.parametrize("path", SCENARIOS, ids=[f"{p.parent.name}/{p.stem}" for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = load(path)
    expect = scenario["expect"]
    assert {"status", "rules"} <= expect.keys(), "a scenario states status and rules"
    got = to_json(decide_case(scenario["case"]).as_json())
    assert got["kind"] == scenario["case"]["kind"]
    assert sorted(got["rules"]) == sorted(expect["rules"]), got["explanation"]
    for key, want in expect.items():
        if key in ("rules", "cites"):
            continue
        assert key in got, f"answer has no {key}"
        assert same(want, got[key]), f"{key}: want {want!r}, got {got[key]!r}"
    for doc in expect.get("cites", []):
        assert any(doc in c["doc"] for c in got["citations"]), f"no citation of {doc}"
    if got["status"] != "invalid":
        documents = load_policy().documents
        assert got["citations"], "a decision cites its sources"
        assert all(c["doc"] in documents and c["section"] for c in got["citations"])
        assert got["explanation"]
