"""``/policy``: the policy viewer — every value in force for a region and enrollment year with
the years it is written for and its source (document number, section, the document's title),
the differences to the previous year (``policy.diff``), and the rules of SPEC section 4 with
the sections they cite for the region. The documents' own text is not shipped: they are cited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from canbao.api.security import Need
from canbao.domain.codes import FUNDING_SOURCES, IDENTITIES
from canbao.domain.decision import to_json
from canbao.policy import Policy, Value, load_policy
from canbao.policy.diff import diff_json
from canbao.policy.schema import spec_for
from canbao.policy.show import last_year, resolved
from canbao.services.users import User
from canbao.web.pages import render
from canbao.web.session import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: How the data files' units read on the page.
UNITS = {
    "yuan": "元",
    "date": "日期",
    "days": "天",
    "months": "个月",
    "years": "年",
    "day of month": "每月第几日",
    "share of the insurable population": "占应参保人数的比例",
    "share of the original cap": "占原最高支付限额的比例",
    "-": "",
}
#: Codes a value may hold, named as the offices say them.
CODE_NAMES = {**IDENTITIES, **FUNDING_SOURCES}
LEVELS = {"national": "全国", "province": "省", "city": "市", "county": "县（区）"}


def shown(value: Any) -> str:
    """A policy value as a line of text: dates YYYY-MM-DD, lists and tables spelled out."""
    value = to_json(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "；".join(f"{k}: {shown(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(shown(v) for v in value)
    if isinstance(value, str) and value in CODE_NAMES:
        return f"{CODE_NAMES[value]}（{value}）"
    return "" if value is None else str(value)


def years(policy: Policy) -> list[int]:
    """The enrollment years the data writes values for, up to this year."""
    written = {y for v in policy.values for y in (v.year, v.from_year) if y is not None}
    return list(range(min(written), max(*written, date.today().year) + 1))


def _title(policy: Policy, number: str) -> str:
    document = policy.documents.get(number)
    return document.title if document else ""


def _row(policy: Policy, value: Value) -> dict[str, Any]:
    source = value.source
    document = policy.documents.get(source.doc) if source else None
    return {
        "key": value.key,
        "name": spec.description if (spec := spec_for(value.key)) else "",
        "value": shown(value.value),
        "unit": UNITS.get(value.unit or "", value.unit or ""),
        "region": value.region,
        "region_name": policy.region_name(value.region),
        "from_year": value.year or value.from_year,
        "to_year": last_year(policy, value),
        "effective": value.effective,
        "doc": source.doc if source else None,
        "section": source.section if source else "",
        "note": source.note if source else None,
        "title": document.title if document else "",
        "confirmed": document.confirmed if document else None,
    }


@router.get("/policy", response_class=HTMLResponse)
def policy_page(
    request: Request,
    user: Annotated[User, Depends(Need("decide"))],
    region: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    policy = load_policy()
    region = region if region in policy.regions else user.region
    choices = years(policy)
    year = year or (date.today().year if date.today().year in choices else choices[-1])
    diff = diff_json(policy, region, year)
    change = {v["key"]: "added" for v in diff["added"]} | {
        c["key"]: "changed" for c in diff["changed"]
    }
    values = [_row(policy, v) for v in resolved(policy, region, year)]
    for row in values:
        row["change"] = change.get(row["key"], "")
    before = {v.key: _row(policy, v) for v in resolved(policy, region, year - 1)}
    rules = [
        {
            "id": rule.id,
            "title": rule.title,
            "implemented": rule.implemented,
            "citations": [
                (c.doc, c.section, _title(policy, c.doc))
                for c in policy.rule_citations(rule.id, region)
            ],
        }
        for rule in policy.rules.values()
    ]
    regions = [(code, f"{r.name}（{code}，{LEVELS.get(r.level, r.level)}）")
               for code, r in policy.regions.items()]  # fmt: skip
    return render(
        request,
        "policy/index.html",
        region=region,
        region_name=policy.region_name(region),
        year=year,
        years=[(str(y), f"{y}年度") for y in choices],
        regions=regions,
        chain=[(code, policy.region_name(code)) for code in policy.chain(region)],
        values=values,
        added=[row for row in values if row["change"] == "added"],
        changed=[(before[row["key"]], row) for row in values if row["change"] == "changed"],
        removed=[before[v["key"]] for v in diff["removed"]],
        rules=rules,
    )
