"""``canbao policy diff REGION YEAR``: what a decision for REGION reads differently in YEAR
than in YEAR-1, after resolution (county → city → province → national).

A key is *added* when it resolves in YEAR only, *removed* when it resolves in YEAR-1 only,
and *changed* when its value, unit or source differs (the same figure re-enacted by a new
document is a change of source, and shown as one).
"""

from __future__ import annotations

from typing import Any

from canbao.policy.show import place_name, resolved, value_json, value_line
from canbao.policy.store import Policy


def _differs(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return any(old[field] != new[field] for field in ("value", "unit", "source"))


def diff_json(policy: Policy, region: str, year: int) -> dict[str, Any]:
    """Added, removed and changed values from ``year - 1`` to ``year``, each with its source."""
    before = {v.key: value_json(policy, v) for v in resolved(policy, region, year - 1)}
    after = {v.key: value_json(policy, v) for v in resolved(policy, region, year)}
    return {
        "region": region,
        "region_name": place_name(policy, region),
        "from_year": year - 1,
        "to_year": year,
        "added": [after[key] for key in sorted(after.keys() - before.keys())],
        "removed": [before[key] for key in sorted(before.keys() - after.keys())],
        "changed": [
            {"key": key, "old": before[key], "new": after[key]}
            for key in sorted(before.keys() & after.keys())
            if _differs(before[key], after[key])
        ],
    }


def diff(policy: Policy, region: str, year: int) -> str:
    """The differences as text: ``~`` changed (old, then → new), ``+`` added, ``-`` removed."""
    body = diff_json(policy, region, year)
    lines = [f"{body['region_name']} ({region}) {year - 1}年度 → {year}年度", ""]
    for change in body["changed"]:
        lines.append(f"~ {change['key']}: {value_line(change['old'])}")
        lines.append(f"  {' ' * len(change['key'])}→ {value_line(change['new'])}")
    lines.extend(f"+ {value['key']} = {value_line(value)}" for value in body["added"])
    lines.extend(f"- {value['key']} = {value_line(value)}" for value in body["removed"])
    if not (body["changed"] or body["added"] or body["removed"]):
        lines.append("（无变化）")
    return "\n".join(lines) + "\n"
