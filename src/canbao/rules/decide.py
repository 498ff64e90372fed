"""One entry for every case kind: typed facts in, Decision out (SPEC section 6).

``canbao.contract.decide_case`` checks a JSON case and calls ``decide_facts``; a batch job
that builds the facts itself calls it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from canbao.domain.decision import CONTRACT_FIELDS, Decision, Status
from canbao.policy import MissingParameter, Params, Policy
from canbao.rules import benefit, contribution, duplicates, eligibility, refund
from canbao.rules.outcome import Outcome

KINDS: dict[str, Callable[[Any, Policy], Decision]] = {
    contribution.KIND: contribution.decide,
    benefit.KIND: benefit.decide,
    duplicates.KIND: duplicates.decide,
    refund.KIND: refund.decide,
    eligibility.KIND: eligibility.decide,
}


def decide_facts(kind: str, facts: Any, policy: Policy) -> Decision:
    """Decide the typed facts of one case kind (the contract checked their format)."""
    region = getattr(facts, "region", None)
    if isinstance(region, str) and not policy.covers(region):
        return _with_contract_fields(_outside(kind, region, getattr(facts, "year", None), policy))
    try:
        decision = KINDS[kind](facts, policy)
    except MissingParameter as missing:
        decision = _missing(kind, missing, policy)
    return _with_contract_fields(decision)


def _with_contract_fields(decision: Decision) -> Decision:
    """Every contract field of the kind is in the answer, null where none was given."""
    fields = CONTRACT_FIELDS[decision.kind]
    if all(name in decision.answer for name in fields):
        return decision
    answer = {name: None for name in fields} | decision.answer
    return replace(decision, answer=answer)


def _outside(kind: str, region: str, year: int | None, policy: Policy) -> Decision:
    from canbao.certno.regions import divisions

    name = divisions().get(region, region)
    covered = "、".join(
        dict.fromkeys(
            policy.region_name(code) for d in policy.documents.values() for code in d.applies_to
        )
    )
    when = f"{year}年度" if year else ""
    return Decision(
        kind,
        Status.POLICY_GAP,
        (),
        (),
        f"{name}（{region}）{when}不在本项目文件覆盖的地区（{covered}）内，"
        "其参保缴费政策未载入，无法作出决定。",
        gaps=(f"{name}（{region}）{when}：本项目文件集不含该地区的参保政策",),
    )


def _missing(kind: str, missing: MissingParameter, policy: Policy) -> Decision:
    params = Params(policy, missing.region, missing.year)
    place = policy.region_name(missing.region)
    out = Outcome(kind, params)
    out.apply(*missing.rules)
    out.extra.extend(missing.citations)
    return out.gap(
        f"{missing.key}: {place}（{missing.region}）{missing.year}年度无此参数",
        f"本项目所依据的文件未规定{place}{missing.year}年度的该项参数（{missing.key}），无法作出决定。",
    )
