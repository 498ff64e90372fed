"""``canbao policy show REGION YEAR``: every parameter resolved for a region and year."""

from __future__ import annotations

from canbao.domain.decision import to_json
from canbao.policy.store import Policy


def show(policy: Policy, region: str, year: int) -> tuple[str, bool]:
    """The resolved parameters as text, and whether the region is known."""
    known = region in policy.regions
    chain = policy.chain(region)
    lines = [
        f"{policy.region_name(region)} ({region}) {year}年度"
        + ("" if known else " — 未知区划，按上级区划解析"),
        "解析顺序: " + " → ".join(f"{policy.region_name(c)}({c})" for c in chain),
        "",
    ]
    for key in sorted({v.key for v in policy.values}):
        value = policy.find(key, region, year)
        if value is None:
            continue
        source = value.source
        cite = f"{source.doc} {source.section}" if source else "无出处"
        note = f"；{source.note}" if source and source.note else ""
        lines.append(
            f"{key} = {to_json(value.value)} [{value.unit}] "
            f"← {policy.region_name(value.region)}({value.region}); {cite}{note}"
        )
    for table in policy.targets:
        rows = [r for r in table.rows if r.region == region and table.year == year]
        for row in rows:
            cite = f"{table.source.doc} {table.source.section}" if table.source else "无出处"
            lines.append(f"target {row.area} = {row.target} [{table.unit}] ← {table.title}; {cite}")
    return "\n".join(lines) + "\n", known
