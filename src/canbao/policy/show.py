"""``canbao policy show REGION YEAR``: every parameter resolved for a region and year.

A value is shown as a decision for that region and year would read it: the region it comes
from (the region itself or an ancestor), its year or first year, and its source with the
cited document's ``confirmed`` flag.
"""

from __future__ import annotations

import json
from typing import Any

from canbao.certno.regions import divisions
from canbao.domain.decision import to_json
from canbao.policy.store import Policy, Value


def place_name(policy: Policy, region: str) -> str:
    """The region's name in the policy data, else its GB/T 2260 name, else the code."""
    if region in policy.regions:
        return policy.region_name(region)
    return divisions().get(region, region)


def resolved(policy: Policy, region: str, year: int) -> list[Value]:
    """The value of every key that resolves for ``region`` and ``year``, sorted by key."""
    found = (policy.find(key, region, year) for key in sorted({v.key for v in policy.values}))
    return [value for value in found if value is not None]


def last_year(policy: Policy, value: Value) -> int | None:
    """The last enrollment year a value is written for: its own ``year``, or the year before
    the next ``from_year`` of the same key in the same region; None while no later one is."""
    if value.year is not None:
        return value.year
    start = value.from_year or 0
    later = [
        v.from_year
        for v in policy.values
        if v.key == value.key and v.region == value.region and (v.from_year or 0) > start
    ]
    return min(y for y in later if y is not None) - 1 if later else None


def confirmed(policy: Policy, value: Value) -> bool | None:
    """The ``confirmed`` flag of the document a value cites; None without a known document."""
    document = policy.documents.get(value.source.doc) if value.source else None
    return document.confirmed if document else None


def value_json(policy: Policy, value: Value) -> dict[str, Any]:
    """One resolved value with where it comes from, as plain JSON."""
    source = value.source
    return {
        "key": value.key,
        "value": to_json(value.value),
        "unit": value.unit,
        "region": value.region,
        "region_name": policy.region_name(value.region),
        "year": value.year,
        "from_year": value.from_year,
        "effective": to_json(value.effective),
        "source": (
            {"doc": source.doc, "section": source.section, "note": source.note} if source else None
        ),
        "confirmed": confirmed(policy, value),
    }


def value_line(value: dict[str, Any]) -> str:
    """A value of :func:`value_json` as text: value, unit, the region it comes from, source."""
    source = value["source"]
    cite = "无出处"
    if source is not None:
        cite = f"{source['doc']} {source['section']}" + (
            f"；{source['note']}" if source["note"] else ""
        )
    return (
        f"{json.dumps(value['value'], ensure_ascii=False)} [{value['unit']}] "
        f"← {value['region_name']}({value['region']}); {cite}"
        + (" （未经核实）" if value["confirmed"] is False else "")
    )


def show_json(policy: Policy, region: str, year: int) -> dict[str, Any]:
    """The resolved parameters, resolution chain and target rows as plain JSON."""
    return {
        "region": region,
        "region_name": place_name(policy, region),
        "year": year,
        "known": region in policy.regions,
        "chain": [
            {"region": c, "region_name": policy.region_name(c)} for c in policy.chain(region)
        ],
        "values": [value_json(policy, value) for value in resolved(policy, region, year)],
        "targets": [
            {
                "area": row.area,
                "target": row.target,
                "unit": table.unit,
                "title": table.title,
                "source": (
                    {"doc": table.source.doc, "section": table.source.section}
                    if table.source
                    else None
                ),
            }
            for table in policy.targets
            if table.year == year
            for row in table.rows
            if row.region == region
        ],
    }


def show(policy: Policy, region: str, year: int) -> str:
    """The resolved parameters as text, one line each."""
    body = show_json(policy, region, year)
    lines = [
        f"{body['region_name']} ({region}) {year}年度"
        + ("" if body["known"] else " — 政策数据未收录此区划，按上级区划解析"),
        "解析顺序: " + " → ".join(f"{c['region_name']}({c['region']})" for c in body["chain"]),
        "",
    ]
    lines.extend(f"{value['key']} = {value_line(value)}" for value in body["values"])
    for target in body["targets"]:
        source = target["source"]
        where = f"{source['doc']} {source['section']}" if source else "无出处"
        lines.append(
            f"target {target['area']} = {target['target']} [{target['unit']}] "
            f"← {target['title']}; {where}"
        )
    return "\n".join(lines) + "\n"
