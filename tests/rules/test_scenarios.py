"""Every scenario file under tests/rules/<kind>/ is decided in-process and compared exactly.

A scenario file: {"name", "case", "expect"}. ``expect`` states everything the contract says
of the answer: ``status``, ``rules`` (the rule ids in the order applied), every contract field
of its kind (SPEC section 6, ``contract.CONTRACT_FIELDS``), ``gaps`` for a policy gap and
``errors`` for an invalid case; it may give any added answer field too. Values are compared
exactly (numbers by value). ``cites`` lists documents that must be among the citations.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from canbao.contract import CONTRACT_FIELDS, decide_case
from canbao.contract.answers import ANSWERS
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


def stated(expect: dict[str, Any], kind: str) -> set[str]:
    """What a scenario of this kind and status must state."""
    status = expect.get("status")
    if status == "invalid":
        return {"status", "rules", "errors"}
    return {"status", "rules", *CONTRACT_FIELDS[kind]} | (
        {"gaps"} if status == "policy_gap" else set()
    )


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 250


@pytest.mark.parametrize("path", SCENARIOS, ids=[f"{p.parent.name}/{p.stem}" for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = load(path)
    expect, kind = scenario["expect"], scenario["case"]["kind"]
    assert path.parent.name == kind
    missing = stated(expect, kind) - expect.keys()
    assert not missing, f"the scenario does not state {sorted(missing)}"
    got = to_json(decide_case(scenario["case"]).as_json())
    assert got["kind"] == kind
    assert got["rules"] == expect["rules"], got["explanation"]
    for key, want in expect.items():
        if key in ("rules", "cites"):
            continue
        assert key in got, f"answer has no {key}"
        assert same(want, got[key]), f"{key}: want {want!r}, got {got[key]!r}"
    for doc in expect.get("cites", []):
        assert any(doc in c["doc"] for c in got["citations"]), f"no citation of {doc}"
    ANSWERS[kind].model_validate(got)
    if got["status"] != "invalid":
        documents = load_policy().documents
        assert got["citations"], "a decision cites its sources"
        assert all(c["doc"] in documents and c["section"] for c in got["citations"])
        assert got["explanation"]
