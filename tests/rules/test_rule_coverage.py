"""Every rule id of SPEC section 4 is in the rule catalogue, and every implemented rule has at
least three scenario files that expect it to be applied; workflow rules (K, T) are proven by
integration tests instead: a module of tests/integration names those it covers in ``COVERS``."""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from canbao.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "SPEC.md"
NOT_YET_BUILT = {f"K{n}" for n in range(1, 8) if n != 2} | {f"T{n}" for n in range(1, 5)}
WORKFLOW = ("K", "T")


def spec_rule_ids() -> set[str]:
    text = SPEC.read_text(encoding="utf-8")
    section = text.split("## 4. Rules", 1)[1].split("\n## 5.", 1)[0]
    return set(re.findall(r"^- \*\*([A-Z]\d+)\*\*", section, flags=re.M))


def scenario_counts() -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in (ROOT / "tests" / "rules").glob("*/*.json"):
        counts.update(set(json.loads(path.read_text(encoding="utf-8"))["expect"]["rules"]))
    return counts


@pytest.mark.skipif(not SPEC.exists(), reason="../shared/SPEC.md is not beside the checkout")
def test_catalogue_matches_spec() -> None:
    ids = spec_rule_ids()
    assert len(ids) == 53
    assert set(load_policy().rules) == ids


def test_only_workflow_rules_are_not_built_yet() -> None:
    rules = load_policy().rules
    assert {r for r, info in rules.items() if not info.implemented} == NOT_YET_BUILT


def integration_covers() -> set[str]:
    """The rule ids the integration test modules declare in ``COVERS = {...}``."""
    covered: set[str] = set()
    for path in (ROOT / "tests" / "integration").glob("test_*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "COVERS" for target in node.targets
            ):
                covered |= set(ast.literal_eval(node.value))
    return covered


def test_every_implemented_rule_has_three_scenarios() -> None:
    counts = scenario_counts()
    thin = {
        rule: counts[rule]
        for rule, info in load_policy().rules.items()
        if info.implemented and not rule.startswith(WORKFLOW) and counts[rule] < 3
    }
    assert thin == {}


def test_every_implemented_workflow_rule_is_covered_by_integration_tests() -> None:
    implemented = {
        rule
        for rule, info in load_policy().rules.items()
        if info.implemented and rule.startswith(WORKFLOW)
    }
    assert implemented - integration_covers() == set()
    assert integration_covers() <= set(load_policy().rules)


def test_scenarios_name_only_known_rules() -> None:
    assert set(scenario_counts()) <= set(load_policy().rules)
