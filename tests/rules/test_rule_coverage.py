"""Every rule id of SPEC section 4 is in the rule catalogue; every implemented decision rule has
at least three scenario files that expect it to be applied, and every implemented workflow (K)
or target (T) rule is proven by an integration test module that declares it in ``COVERS``."""

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
WORKFLOW = {f"K{n}" for n in range(1, 8)} | {f"T{n}" for n in range(1, 5)}
NOT_YET_BUILT = WORKFLOW - {"K1", "K2", "K3", "K4", "K5", "K6", "K7", "T1", "T2", "T3", "T4"}


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


def integration_covers() -> set[str]:
    """The rule ids the integration test modules declare: ``COVERS = frozenset({...})``."""
    found: set[str] = set()
    for path in (ROOT / "tests" / "integration").glob("test_*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            if isinstance(target, ast.Name) and target.id == "COVERS" and node.value is not None:
                found |= {
                    n.value
                    for n in ast.walk(node.value)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                }
    return found


def test_only_workflow_rules_are_not_built_yet() -> None:
    rules = load_policy().rules
    assert {r for r, info in rules.items() if not info.implemented} == NOT_YET_BUILT


def test_every_implemented_rule_has_three_scenarios() -> None:
    counts = scenario_counts()
    thin = {
        rule: counts[rule]
        for rule, info in load_policy().rules.items()
        if info.implemented and rule not in WORKFLOW and counts[rule] < 3
    }
    assert thin == {}


def test_every_implemented_workflow_rule_has_an_integration_test() -> None:
    covered = integration_covers()
    unproven = {
        rule
        for rule, info in load_policy().rules.items()
        if info.implemented and rule in WORKFLOW and rule not in covered
    }
    assert unproven == set()
    assert covered <= set(load_policy().rules)


def test_scenarios_name_only_known_rules() -> None:
    assert set(scenario_counts()) <= set(load_policy().rules)
