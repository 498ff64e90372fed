"""What a person pays for a year and which hardship subsidy covers it (rules C1–C7).

C1 standard per region and year, paid in full once; C2 late (零星) standard; C3 the highest
single subsidy, never two, never above the standard; C4 funding sources; C5 Meizhou hardship
persons in the employee scheme; C6 tax declaration of subsidized persons; C7 national minimums.

Funding lines always add up to the subsidy granted. A subsidy is never above what the person
owes (筑医保通〔2021〕34号 二: never above the individual standard; C5: never above the employee
contribution itself), and its funding is split over what is granted, not over the nominal
amount. A subsidy value lists its sources as the documents do (e.g. 二（一）2: "医疗救助基金资助
140元，剩余部分由市县两级财政按4:6比例配套"): sources with a fixed amount come first, in the
order listed, each capped by what is left; the rest is shared by the ratio sources, each share
rounded to the fen and the last ratio source taking what remains, so the lines sum exactly. A
cut therefore falls on the "剩余部分" first, as the document's wording has it, and a source
whose share is nothing is not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from canbao.domain.codes import FUNDING_SOURCES, IDENTITIES, Scheme
from canbao.domain.decision import Decision
from canbao.domain.money import ZERO, Money, money, yuan
from canbao.policy import Params, Policy
from canbao.rules.outcome import Outcome

KIND = "contribution"


@dataclass(frozen=True)
class ContributionFacts:
    """Attributes:
    region: pooling region code of the enrollment (most specific known).
    year: enrollment year.
    paid_on: payment date, if paid.
    identities: hardship identities (SPEC section 2).
    district: county-level code within the region (Guiyang districts), if given.
    scheme: resident by default; employee for C5.
    hukou_region: household registration, where a subsidy is for local hukou only.
    employee_contribution: the individual employee contribution, for C5.
    """

    region: str
    year: int
    paid_on: date | None
    identities: frozenset[str]
    district: str | None
    scheme: Scheme
    hukou_region: str | None
    employee_contribution: Money | None


@dataclass(frozen=True)
class Subsidy:
    identity: str
    amount: Money | None  # None: the documents leave the amount open (kind = "gap")
    funding: tuple[tuple[str, Money], ...] | None  # None: split undetermined
    missing: str | None


def decide(facts: ContributionFacts, policy: Policy) -> Decision:
    params = Params(policy, facts.district or facts.region, facts.year)
    out = Outcome(KIND, params)
    if facts.scheme is Scheme.EMPLOYEE:
        return _employee(facts, params, out)
    out.apply("C1")
    standard = money(out.require("resident.individual_standard"))
    place = policy.region_name(facts.region)
    period, standard = _period(facts, params, out, standard)
    minimum = _national_minimum(params, out, standard)
    answer: dict[str, Any] = {
        "standard": standard,
        "period": period,
        "national_minimum": minimum,
        "below_national_minimum": minimum is not None and standard < minimum,
    }
    lead = f"{place}{facts.year}年度个人缴费标准{yuan(standard)}元"
    if not facts.identities:
        return out.decided(
            f"{lead}，无资助参保身份，个人应缴{yuan(standard)}元。",
            **answer,
            subsidy=ZERO,
            payable=standard,
            subsidy_identity=None,
            funding=None,
        )
    out.apply("C3")
    if period == "late":
        return out.gap(
            f"零星征缴期（按{yuan(standard)}元标准缴费）是否仍适用困难群体资助，文件未规定",
            f"{lead}（零星征缴期），文件未规定零星缴费的困难群体是否仍享受资助。",
            **answer,
            subsidy=None,
            payable=None,
            subsidy_identity=None,
            funding=None,
        )
    subsidies = _subsidies(facts, params, standard, out)
    return _subsidized(facts, params, out, standard, subsidies, answer, lead)


def _period(
    facts: ContributionFacts, params: Params, out: Outcome, standard: Money
) -> tuple[str | None, Money]:
    window = params.get("collection.concentrated_period")
    if facts.paid_on is None or window is None:
        return None, standard
    if facts.paid_on < window["start"]:
        return "outside", standard
    if facts.paid_on <= window["end"]:
        return "concentrated", standard
    late = params.get("resident.late_standard")
    if late is None:
        return "outside", standard
    out.apply("C2")
    return "late", money(late)


def _national_minimum(params: Params, out: Outcome, standard: Money) -> Money | None:
    minimum = params.get("resident.individual_minimum")
    if minimum is None:
        return None
    out.apply("C7")
    return money(minimum)


def _subsidies(
    facts: ContributionFacts, params: Params, standard: Money, out: Outcome
) -> list[Subsidy]:
    found: list[Subsidy] = []
    for identity in (code for code in IDENTITIES if code in facts.identities):
        value = params.find(f"subsidy.{identity}")
        if value is None:
            continue
        if not _local_enough(facts, params):
            continue
        rule = value.value
        if rule["kind"] == "gap":
            found.append(Subsidy(identity, None, None, rule["missing"]))
            continue
        amount = standard if rule["kind"] == "full" else min(money(rule["amount"]), standard)
        found.append(Subsidy(identity, amount, split_funding(rule, amount), None))
    return found


def _local_enough(facts: ContributionFacts, params: Params) -> bool:
    """Kaiping subsidizes hardship residents with local hukou only (开平方案 三（二））: the
    area is the value of ``subsidy.local_hukou_area``."""
    area = params.get("subsidy.local_hukou_area")
    if area is None or facts.hukou_region is None:
        return True
    return params.policy.within(facts.hukou_region, area)


def split_funding(rule: dict[str, Any], amount: Money) -> tuple[tuple[str, Money], ...] | None:
    """Split the granted ``amount`` over its sources: fixed amounts first, in the order listed
    and each capped by what is left, the rest in the given ratios (see the module notes)."""
    if rule.get("funding") == "undetermined":
        return None
    parts: list[tuple[str, Money]] = []
    rest = amount
    shares = [item for item in rule["funding"] if "ratio" in item]
    for item in rule["funding"]:
        if "amount" in item:
            part = min(money(item["amount"]), rest)
            parts.append((item["source"], part))
            rest -= part
    total = sum((Decimal(item["ratio"]) for item in shares), ZERO)
    remaining = rest
    for position, item in enumerate(shares):
        last = position == len(shares) - 1
        part = remaining if last else money(rest * Decimal(item["ratio"]) / total)
        parts.append((item["source"], part))
        remaining -= part
    return tuple((source, part) for source, part in parts if part > 0)


def _subsidized(
    facts: ContributionFacts,
    params: Params,
    out: Outcome,
    standard: Money,
    subsidies: list[Subsidy],
    answer: dict[str, Any],
    lead: str,
) -> Decision:
    known = [s for s in subsidies if s.amount is not None]
    open_ = [s for s in subsidies if s.amount is None]
    best = max((s.amount for s in known if s.amount is not None), default=ZERO)
    if open_ and best < standard:
        return out.gap(
            open_[0].missing or "资助标准未规定",
            f"{lead}；{IDENTITIES[open_[0].identity]}的资助办法文件未载明，应缴金额无法确定。",
            **answer,
            subsidy=None,
            payable=None,
            subsidy_identity=open_[0].identity,
            funding=None,
        )
    if not known or best == ZERO:
        why = (
            "资助仅限本地户籍，该人员非本地户籍"
            if not _local_enough(facts, params)
            else ("所报身份在本地文件中无资助标准")
        )
        return out.decided(
            f"{lead}；{why}，个人应缴{yuan(standard)}元。",
            **answer,
            subsidy=ZERO,
            payable=standard,
            subsidy_identity=None,
            funding=None,
        )
    amounts = {s.amount for s in known}
    if len(amounts) > 1 and params.get("subsidy.combination") != "highest_only":
        return out.gap(
            "多重身份资助标准不同时如何适用，本地文件未规定",
            f"{lead}；该人员有多个资助标准不同的身份，本地文件未规定如何适用。",
            **answer,
            subsidy=None,
            payable=None,
            subsidy_identity=None,
            funding=None,
        )
    tied = [s for s in known if s.amount == best]
    chosen = tied[0]
    out.apply("C4")
    fundings = {s.funding for s in tied}
    funding = chosen.funding if len(fundings) == 1 else None
    payable = standard - best
    answer.update(
        subsidy=best,
        payable=payable,
        subsidy_identity=chosen.identity,
        funding=_funding_json(funding),
    )
    if len(tied) > 1:
        answer["tied_identities"] = [s.identity for s in tied]
    if funding is None and len(fundings) == 1:
        answer["funding_candidates"] = _candidates(params, chosen.identity)
    text = f"{lead}；按{IDENTITIES[chosen.identity]}资助{yuan(best)}元，个人应缴{yuan(payable)}元。"
    if len(known) > 1:
        text = text[:-1] + "（多重身份就高不就低、不重复享受）。"
    if funding is None:
        text += (
            "资金分担文件未载明，记为待定。"
            if len(fundings) == 1
            else ("并列身份的资金来源不同，分担记为待定。")
        )
    declaration = _tax_declaration(params, out, payable)
    if declaration is not None:
        answer["tax_declaration"] = declaration
    return out.decided(text, **answer)


def _funding_json(funding: tuple[tuple[str, Money], ...] | None) -> list[dict[str, Any]] | None:
    if funding is None:
        return None
    return [{"source": source, "amount": amount} for source, amount in funding]


def _candidates(params: Params, identity: str) -> list[str]:
    rule = params.get(f"subsidy.{identity}") or {}
    return [code for code in rule.get("candidates", []) if code in FUNDING_SOURCES]


def _tax_declaration(params: Params, out: Outcome, payable: Money) -> str | None:
    """C6: full subsidy → zero declaration; fixed subsidy → reduced amount with identity flag."""
    if not params.get("subsidy.tax_declaration"):
        return None
    out.apply("C6")
    return "zero" if payable == ZERO else "reduced_with_identity"


def _employee(facts: ContributionFacts, params: Params, out: Outcome) -> Decision:
    """C5: hardship persons in the employee scheme, subsidized at the resident standard."""
    out.apply("C5")
    resident_standard = money(out.require("resident.individual_standard"))
    eligible = params.get("subsidy.employee_scheme_identities")
    if eligible is None:
        return out.gap(
            "职工医保个人缴费的资助，本地文件未规定",
            f"{params.policy.region_name(facts.region)}文件只规定居民医保的资助，"
            "未规定参加职工医保的困难人员个人缴费资助。",
            standard=facts.employee_contribution,
            subsidy=None,
            payable=None,
            subsidy_identity=None,
            funding=None,
            resident_subsidy_standard=resident_standard,
        )
    identities = frozenset(eligible) & facts.identities
    resident = ContributionFacts(
        facts.region,
        facts.year,
        None,
        identities,
        facts.district,
        Scheme.RESIDENT,
        facts.hukou_region,
        None,
    )
    contribution = facts.employee_contribution
    # The resident subsidy standard, never above the contribution itself: the subsidy and its
    # funding are computed on what can be granted.
    ceiling = resident_standard if contribution is None else min(resident_standard, contribution)
    subsidies = [s for s in _subsidies(resident, params, ceiling, out) if s.amount]
    best = max(subsidies, key=lambda s: s.amount or ZERO, default=None)
    if best is not None:
        out.apply("C4")
    subsidy = ZERO if best is None or best.amount is None else best.amount
    payable = None if contribution is None else contribution - subsidy
    text = (
        f"参加职工医保的困难人员个人缴费按居民医保资助标准资助{yuan(subsidy)}元"
        if best is not None
        else "该人员无按居民资助标准资助职工医保个人缴费的身份，资助0元"
    )
    return out.decided(
        text + ("。" if payable is None else f"，个人应缴{yuan(payable)}元。"),
        standard=contribution,
        subsidy=subsidy,
        payable=payable,
        subsidy_identity=best.identity if best else None,
        funding=_funding_json(best.funding if best else None),
        resident_subsidy_standard=resident_standard,
    )
