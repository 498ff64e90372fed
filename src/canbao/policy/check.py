"""``canbao policy check``: the data files against the schema, the documents and each other.

Reports: values without a source or with an unknown document; unknown keys, regions and codes;
wrong units and types; overlapping values (same key, region and year); a local individual
standard below the national minimum of the year (C7); regions without a pooling region, or with
one that does not contain them. Each problem names its file and key.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from canbao.domain.codes import (
    BASIC_INFO_FIELDS,
    CATEGORIES,
    ELIGIBILITY_BASES,
    FUNDING_SOURCES,
    IDENTITIES,
    MID_YEAR_GROUPS,
    REFUND_REASONS,
    REGISTRATION_ACTIONS,
    STOP_EFFECTS,
)
from canbao.policy.schema import spec_for
from canbao.policy.store import NATIONAL, Policy, Region, TargetTable, Value


def check_policy(policy: Policy) -> list[str]:
    problems = list(policy.problems)
    for value in policy.values:
        problems.extend(f"{value.place}: {p}" for p in _check_value(policy, value))
    for table in policy.targets:
        problems.extend(_check_target_table(policy, table))
    problems.extend(_overlaps(policy))
    problems.extend(_below_minimum(policy))
    for rule in policy.rules.values():
        for citation, regions in rule.citations:
            problems.extend(
                f"rules.toml {rule.id}: unknown region {code}"
                for code in regions
                if code not in policy.regions
            )
            if citation.doc not in policy.documents:
                problems.append(f"rules.toml {rule.id}: unknown document {citation.doc}")
    for region in policy.regions.values():
        if region.parent is not None and region.parent not in policy.regions:
            problems.append(f"regions.toml {region.code}: unknown parent {region.parent}")
        problems.extend(f"regions.toml {region.code}: {p}" for p in _check_region(policy, region))
    return problems


def _check_region(policy: Policy, region: Region) -> list[str]:
    """Pooling regions: known, containing their members, with a note; every city and county
    of the documents belongs to one. Documents: in documents.toml."""
    problems = [
        f"document {number!r} is not in documents.toml"
        for number in region.documents
        if number not in policy.documents
    ]
    pooling = region.pooling
    if pooling is None:
        if region.level in ("city", "county") and policy.pooling_region(region.code) is None:
            problems.append("no pooling region (pooling = code, here or above)")
        return problems
    if not region.pooling_note:
        problems.append("pooling without a pooling_note saying where the documents say so")
    if pooling not in policy.regions:
        return [*problems, f"unknown pooling region {pooling}"]
    if pooling not in policy.chain(region.code):
        problems.append(f"pooling region {pooling} does not contain {region.code}")
    if policy.regions[pooling].pooling != pooling:
        problems.append(f"pooling region {pooling} is not its own pooling region")
    return problems


def _check_value(policy: Policy, value: Value) -> list[str]:
    problems = check_key(value.key)
    spec = spec_for(value.key)
    if spec is None:
        return problems
    if value.region not in policy.regions:
        problems.append(f"unknown region {value.region!r}")
    if (value.year is None) == (value.from_year is None):
        problems.append("give exactly one of year = N or from_year = N")
    if not isinstance(value.effective, date):
        problems.append("no date of effect (effective = YYYY-MM-DD)")
    if value.unit != spec.unit:
        problems.append(f"unit {value.unit!r}, expected {spec.unit!r}")
    if value.source is None:
        problems.append("no source (source = { doc = ..., section = ... })")
    else:
        if value.source.doc not in policy.documents:
            problems.append(f"source document {value.source.doc!r} is not in documents.toml")
        if not value.source.section:
            problems.append("source has no section")
    problems.extend(check_type(spec.type, value.value))
    if spec.type == "region" and value.value not in policy.regions:
        problems.append(f"region {value.value!r} is not in regions.toml")
    if spec.type == "citywide" and isinstance(value.value, dict):
        area = value.value.get("area")
        if area not in policy.regions:
            problems.append(f"area {area!r} is not in regions.toml")
        elif not policy.within(value.region, area) and not policy.within(area, value.region):
            problems.append(f"area {area} neither holds nor lies in {value.region}")
    if spec.type == "bases" and isinstance(value.value, dict):
        rule = value.value.get("rule")
        if rule not in policy.rules:
            problems.append(f"rule {rule!r} is not in rules.toml")
    return problems


def check_key(key: str) -> list[str]:
    """A key the schema does not know, or ``subsidy.<identity>`` with an unknown identity."""
    if spec_for(key) is None:
        return [f"unknown key {key!r}"]
    if key.startswith("subsidy.") and key not in (
        "subsidy.combination",
        "subsidy.local_hukou_area",
        "subsidy.employee_scheme_identities",
        "subsidy.tax_declaration",
    ):
        identity = key.removeprefix("subsidy.")
        if identity not in IDENTITIES:
            return [f"unknown identity code {identity!r}"]
    return []


def check_type(kind: str, raw: Any) -> list[str]:
    """What is wrong with ``raw`` as a value of schema type ``kind`` (empty when nothing)."""

    def number(x: Any) -> bool:
        return isinstance(x, int | Decimal) and not isinstance(x, bool) and x >= 0

    if kind == "money":
        return [] if number(raw) else [f"expected an amount in yuan, got {raw!r}"]
    if kind in ("months", "days", "count"):
        ok = isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0
        return [] if ok else [f"expected a whole number, got {raw!r}"]
    if kind == "ratio":
        return [] if number(raw) and raw <= 1 else [f"expected a share 0…1, got {raw!r}"]
    if kind == "bool":
        return [] if isinstance(raw, bool) else [f"expected true/false, got {raw!r}"]
    if kind == "date":
        return [] if isinstance(raw, date) else [f"expected a date, got {raw!r}"]
    if kind == "period":
        ok = isinstance(raw, dict) and all(isinstance(raw.get(k), date) for k in ("start", "end"))
        if not ok:
            return [f"expected {{ start = date, end = date }}, got {raw!r}"]
        return [] if raw["start"] <= raw["end"] else ["period ends before it starts"]
    if kind.startswith("choice:"):
        options = kind.removeprefix("choice:").split("|")
        return [] if raw in options else [f"expected one of {options}, got {raw!r}"]
    codes = {
        "identities": IDENTITIES,
        "categories": CATEGORIES,
        "reasons": REFUND_REASONS,
        "fields": BASIC_INFO_FIELDS,
    }
    if kind in codes:
        if not isinstance(raw, list):
            return [f"expected a list of codes, got {raw!r}"]
        return [f"unknown code {code!r}" for code in raw if code not in codes[kind]]
    if kind == "bases":
        if not isinstance(raw, dict) or not isinstance(raw.get("bases"), list):
            return [f"expected {{ rule = id, bases = [...] }}, got {raw!r}"]
        return [f"unknown basis {b!r}" for b in raw["bases"] if b not in ELIGIBILITY_BASES]
    if kind == "proofs":
        if not isinstance(raw, dict):
            return [f"expected a table group → {{ proofs = [...] }}, got {raw!r}"]
        return [f"unknown group {group!r}" for group in raw if group not in MID_YEAR_GROUPS]
    if kind == "subsidy":
        return _check_subsidy(raw)
    if kind == "citywide":
        handles = raw.get("handles") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("area"), str):
            return [f"expected {{ area = region, handles = [...] }}, got {raw!r}"]
        if not isinstance(handles, list) or not handles:
            return ["handles is a list of registration actions"]
        return [f"unknown action {a!r}" for a in handles if a not in REGISTRATION_ACTIONS]
    if kind == "stop_statuses":
        if not isinstance(raw, dict) or "other" not in raw:
            return [f"expected a table reason → terminate|suspend with other, got {raw!r}"]
        return [f"unknown reason {r!r}" for r in raw if r not in REFUND_REASONS] + [
            f"{r}: unknown effect {e!r}" for r, e in raw.items() if e not in STOP_EFFECTS
        ]
    if kind == "region":
        return [] if isinstance(raw, str) else [f"expected a region code, got {raw!r}"]
    if kind == "texts":
        ok = isinstance(raw, list) and all(isinstance(x, str) and x for x in raw)
        return [] if ok else [f"expected a list of texts, got {raw!r}"]
    if kind == "document":
        return [] if isinstance(raw, str) and raw else [f"expected a document number, got {raw!r}"]
    return [f"unknown type {kind!r} in schema"]


def _check_subsidy(raw: Any) -> list[str]:
    if not isinstance(raw, dict) or raw.get("kind") not in ("fixed", "full", "gap"):
        return [f"expected {{ kind = fixed|full|gap, ... }}, got {raw!r}"]
    if raw["kind"] == "gap":
        return [] if raw.get("missing") else ["a gap subsidy says what is missing (missing = ...)"]
    problems = []
    if raw["kind"] == "fixed" and not isinstance(raw.get("amount"), int | Decimal):
        problems.append("a fixed subsidy needs amount = N")
    funding = raw.get("funding")
    if funding == "undetermined":
        sources = raw.get("candidates", [])
    elif isinstance(funding, list) and funding:
        sources = [item.get("source") for item in funding]
        if any(("amount" in item) == ("ratio" in item) for item in funding):
            problems.append("each funding item has exactly one of amount or ratio")
        if not any("ratio" in item for item in funding):
            problems.append("funding needs a ratio item to take the remainder")
    else:
        return problems + ['funding is a list of { source, amount|ratio } or "undetermined"']
    problems.extend(f"unknown funding source {s!r}" for s in sources if s not in FUNDING_SOURCES)
    return problems


def _overlaps(policy: Policy) -> list[str]:
    seen = Counter((v.key, v.region, v.year, v.from_year) for v in policy.values if v.key)
    return [
        f"{v.place}: overlaps another value for the same region and "
        + (f"year {v.year}" if v.year is not None else f"from_year {v.from_year}")
        for v in policy.values
        if seen[(v.key, v.region, v.year, v.from_year)] > 1
    ]


def _below_minimum(policy: Policy) -> list[str]:
    problems = []
    for value in policy.values:
        if value.key != "resident.individual_standard" or value.year is None:
            continue
        minimum = policy.find("resident.individual_minimum", NATIONAL, value.year)
        if minimum is None:
            continue
        if isinstance(value.value, int | Decimal) and value.value < minimum.value:
            problems.append(
                f"{value.place}: C7 local standard {value.value} is below the national minimum "
                f"{minimum.value} of {value.year} ({minimum.source.doc if minimum.source else '?'})"
            )
    return problems


def _check_target_table(policy: Policy, table: TargetTable) -> list[str]:
    problems = []
    if table.source is None or table.source.doc not in policy.documents:
        problems.append(f"{table.file}: no source, or a document not in documents.toml")
    if table.region not in policy.regions:
        problems.append(f"{table.file}: unknown region {table.region!r}")
    numbers = {row.number for row in table.rows}
    for row in table.rows:
        if row.region is not None and row.region not in policy.regions:
            problems.append(f"{table.file} row {row.number}: unknown region {row.region!r}")
        problems.extend(
            f"{table.file} row {row.number}: part {n} is not a row"
            for n in row.parts
            if n not in numbers
        )
    return problems


def target_disagreements(table: TargetTable) -> list[str]:
    """T1: every subtotal or total that differs from the sum of its parts, as the document
    prints them. These are findings about the document, not errors in the data."""
    by_number = {row.number: row for row in table.rows}
    found = []
    for row in table.rows:
        if not row.parts or any(n not in by_number for n in row.parts):
            continue
        total = sum(by_number[n].target for n in row.parts)
        if total != row.target:
            found.append(
                f"{table.file} row {row.number} {row.area}: {row.target} in "
                f"{table.source.doc + ' ' + table.source.section if table.source else '?'}, "
                f"but its parts (rows {', '.join(map(str, row.parts))}) add up to {total} "
                f"(difference {row.target - total:+d})"
            )
    return found
