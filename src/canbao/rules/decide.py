"""One entry for every case kind: JSON case in, Decision out (SPEC section 6).

The CLI (``canbao decide``) and, later, ``POST /api/v1/decide`` call ``decide_case``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from canbao.domain.decision import Decision, FieldError, Status
from canbao.policy import MissingParameter, Params, Policy, load_policy
from canbao.rules import benefit, contribution, duplicates, eligibility, refund
from canbao.rules.case import Reader
from canbao.rules.outcome import Outcome

Kind = tuple[Callable[[Reader], Any], Callable[[Any, Policy], Decision]]
KINDS: dict[str, Kind] = {
    contribution.KIND: (contribution.read, contribution.decide),
    benefit.KIND: (benefit.read, benefit.decide),
    duplicates.KIND: (duplicates.read, duplicates.decide),
    refund.KIND: (refund.read, refund.decide),
    eligibility.KIND: (eligibility.read, eligibility.decide),
}


def decide_case(raw: Any, policy: Policy | None = None) -> Decision:
    """Decide one case; a malformed case is ``invalid`` with every error, never an exception."""
    policy = policy or load_policy()
    case = Reader(raw)
    kind = case.choice("kind", KINDS) if not case.errors else None
    if kind is None:
        return invalid(raw.get("kind") if isinstance(raw, dict) else None, case.errors)
    read, decide = KINDS[kind]
    facts = read(case)
    if case.errors:
        return invalid(kind, case.errors)
    try:
        return decide(facts, policy)
    except MissingParameter as missing:
        return _missing(kind, missing, policy)


def decide_facts(kind: str, facts: Any, policy: Policy) -> Decision:
    """Decide the typed facts of one case kind (the contract checked their format)."""
    region = getattr(facts, "region", None)
    if isinstance(region, str) and not policy.covers(region):
        return _outside(kind, region, getattr(facts, "year", None), policy)
    try:
        return KINDS[kind][1](facts, policy)
    except MissingParameter as missing:
        return _missing(kind, missing, policy)


def _outside(kind: str, region: str, year: int | None, policy: Policy) -> Decision:
    from canbao.certno import region_name

    name = region_name(region) or region
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


def invalid(kind: Any, errors: list[FieldError]) -> Decision:
    return Decision(
        str(kind) if isinstance(kind, str) else "unknown",
        Status.INVALID,
        (),
        (),
        f"案例格式有误，共{len(errors)}处：" + "；".join(f"{e.path} {e.reason}" for e in errors),
        errors=tuple(errors),
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
