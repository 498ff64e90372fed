"""Switching between the employee and resident schemes, transfers and waiting periods (B6–B11).

A switch: the coverage that ended last has the other scheme. In order:
- B8: the poverty population (``tuopin``) switching, or transferring between pooling regions
  (``Policy.pooling_region``) in one scheme: no waiting period, no payment window.
- B10: a resident-scheme seasonal or flexible worker joining the employee scheme while the
  resident coverage runs; B11: a land-expropriated farmer, likewise.
- B6, or B7 where the region sets its own switching rule (``switch.local_rule``): after at
  least ``switch.min_continuous_months`` continuous months and a gap of at most
  ``switch.max_gap_months``, benefits right after payment (``switch.short_gap_start``); after a
  longer gap, the region's waiting period for that direction
  (``switch.<from>_to_<to>_waiting_months``), with the groups exempt from it
  (``switch.waiting_exempt_*``); where the region sets none, ``policy_gap`` naming the national
  cap (``switch.max_waiting_months``).
- B9 removes a waiting period for veterans (and military spouses who find a job).

Gap months are the calendar months strictly between the month of the last coverage ``to`` and
the month of payment; continuous months are counted back from that ``to`` across schemes
(``convention.gap_counting``, ADR 0002).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from canbao.domain.codes import CATEGORIES, IDENTITIES, Scheme
from canbao.domain.months import continuous_months, gap_months
from canbao.rules.benefit.context import SCHEME_NAMES, Context, Finding
from canbao.rules.benefit.facts import BenefitFacts, Coverage


def moved(ctx: Context, last: Coverage) -> bool:
    """Whether the last coverage lies in another pooling region."""
    return _pooling(ctx, last.region) != _pooling(ctx, ctx.facts.region)


def _pooling(ctx: Context, code: str) -> str:
    """The pooling region of a code; a code outside every pooling region counts as its own."""
    return ctx.policy.pooling_region(code) or code


def switch(ctx: Context, last: Coverage) -> Finding:
    facts, out = ctx.facts, ctx.out
    if "tuopin" in facts.identities:
        return tuopin(ctx, last, transfer=False)
    if facts.scheme is Scheme.EMPLOYEE and last.scheme is Scheme.RESIDENT:
        joined = facts.employee_from or ctx.paid
        if last.period.end >= joined:
            if facts.categories & {"seasonal_worker", "flexible_employment"}:
                return _seasonal(ctx, last, joined)
            if "land_expropriated_farmer" in facts.categories:
                return _land_expropriated(ctx, joined)
    ctx.require("convention.gap_counting")  # calendar_months_between, the only choice
    gap = gap_months(last.period.end, ctx.paid)
    continuous = continuous_months(
        [(c.period.start, c.period.end) for c in facts.history], last.period.end
    )
    rule = "B7" if ctx.require("switch.local_rule") else "B6"
    fields: dict[str, Any] = {
        "previous_scheme": last.scheme.value,
        "gap_months": gap,
        "continuous_months": continuous,
        "suspend_relation": False,
    }
    move = f"由{SCHEME_NAMES[last.scheme]}切换至{SCHEME_NAMES[facts.scheme]}"
    lead = f"{move}，此前连续参保{continuous}个月，{last.period.end}后中断缴费{gap}个月"
    minimum = int(ctx.require("switch.min_continuous_months"))
    if continuous < minimum:
        if veteran(facts):
            return veteran_no_wait(ctx, fields, lead)
        out.apply(rule)
        return Finding(
            None,
            None,
            (facts.year,),
            f"{lead}，不足{minimum}个月；跨制度切换的待遇衔接规定只适用于连续参保{minimum}个月以上"
            "的人员，此种情形的待遇起始和等待期文件未规定。",
            fields,
            (
                f"连续参保不足{minimum}个月（本例{continuous}个月）的跨制度切换，待遇起始和等待期"
                f"{ctx.cited('B6')}及{ctx.place}文件均未规定",
            ),
        )
    max_gap = int(ctx.require("switch.max_gap_months"))
    if gap <= max_gap:
        out.apply(rule)
        begins = ctx.after_payment()
        when = "缴费当日" if begins == ctx.paid else f"{begins}"
        return Finding(
            begins,
            0,
            (facts.year,),
            f"{lead}，不超过{max_gap}个月，缴费后即可享受待遇，自{when}起。",
            fields,
        )
    return _long_gap(ctx, last, fields, f"{lead}，超过{max_gap}个月", rule, max_gap)


def _long_gap(
    ctx: Context, last: Coverage, fields: dict[str, Any], lead: str, rule: str, max_gap: int
) -> Finding:
    facts, out = ctx.facts, ctx.out
    cap = int(ctx.require("switch.max_waiting_months"))
    direction = f"switch.{last.scheme.value}_to_{facts.scheme.value}_waiting_months"
    if rule == "B7" and ctx.peek(direction) is not None:
        out.apply(rule)
        exempt = _waiting_exempt(ctx)
        if exempt is not None or veteran(facts):
            if veteran(facts):
                out.apply("B9")
            begins = ctx.after_payment()
            return Finding(
                begins,
                0,
                (facts.year,),
                f"{lead}，但{exempt or '退役军人'}不设等待期，自{begins}起享受待遇。",
                fields,
            )
        waiting = int(ctx.require(direction))
        begins = ctx.waiting_end(waiting)
        out.apply("B6")  # the original relation is suspended when the waiting period ends
        return Finding(
            begins,
            waiting,
            (facts.year,),
            f"{lead}，设{waiting}个月待遇等待期，自{begins}起享受当年{SCHEME_NAMES[facts.scheme]}"
            "待遇，等待期满后暂停原参保关系。",
            {**fields, "suspend_relation": True, "suspend_relation_on": begins},
        )
    out.apply(rule)
    if veteran(facts):
        return veteran_no_wait(ctx, fields, lead)
    switching = f"{SCHEME_NAMES[last.scheme]}切换{SCHEME_NAMES[facts.scheme]}"
    if rule == "B7":
        return Finding(
            None,
            None,
            (facts.year,),
            f"{lead}；{ctx.place}文件对{switching}的待遇衔接未作具体规定，所依据的规定不在本项目"
            "文件集中。",
            fields,
            (
                f"{switching}、中断缴费超过{max_gap}个月的待遇等待期，{ctx.cited('B7')}未规定"
                f"（{ctx.cited('B6')}：不超过{cap}个月，由统筹地区设置）",
            ),
        )
    return Finding(
        None,
        None,
        (facts.year,),
        f"{lead}；国家规定各统筹地区可设置不超过{cap}个月的待遇享受等待期，期满后暂停原参保关系，"
        f"但{ctx.place}文件未设置等待期。",
        {
            **fields,
            "max_waiting_months": cap,
            "latest_benefit_start": ctx.waiting_end(cap),
            "suspend_relation": True,
        },
        (
            f"中断缴费超过{max_gap}个月的跨制度切换，{ctx.place}文件未设置待遇享受等待期"
            f"（{ctx.cited('B6')}：不超过{cap}个月，由统筹地区设置）",
        ),
    )


def _waiting_exempt(ctx: Context) -> str | None:
    """The groups the region exempts from its waiting period (Meizhou: newborns, hardship
    groups, veterans)."""
    facts = ctx.facts
    categories = ctx.peek("switch.waiting_exempt_categories")
    identities = ctx.peek("switch.waiting_exempt_identities")
    for code in sorted(facts.categories):
        if categories is not None and code in categories.value:
            ctx.get("switch.waiting_exempt_categories")
            return CATEGORIES[code]
    for code in IDENTITIES:
        if code in facts.identities and identities is not None and code in identities.value:
            ctx.get("switch.waiting_exempt_identities")
            return IDENTITIES[code]
    return None


def veteran(facts: BenefitFacts) -> bool:
    """B9: veterans after discharge; military spouses once they find a job (employee scheme)."""
    return "veteran" in facts.categories or (
        "military_spouse" in facts.categories and facts.scheme is Scheme.EMPLOYEE
    )


def veteran_no_wait(ctx: Context, fields: dict[str, Any], lead: str) -> Finding:
    """B9: no waiting period, benefits right after payment."""
    ctx.out.apply("B9")
    begins = ctx.after_payment()
    who = "退役军人" if "veteran" in ctx.facts.categories else "随军未就业军人配偶就业后"
    return Finding(
        begins,
        0,
        (ctx.facts.year,),
        f"{lead}；{who}参保并办理关系转移接续的，不受待遇享受等待期限制，自{begins}起享受待遇。",
        fields,
    )


def tuopin(ctx: Context, last: Coverage, *, transfer: bool) -> Finding:
    """B8: poverty population switching or transferring: no waiting, no payment window."""
    facts, out = ctx.facts, ctx.out
    out.apply("B8")
    if ctx.require("switch.local_rule"):
        out.apply("B7")
    begins = ctx.after_payment()
    if transfer:
        how = f"由{ctx.policy.region_name(_pooling(ctx, last.region))}转移接续"
    else:
        how = f"由{SCHEME_NAMES[last.scheme]}切换至{SCHEME_NAMES[facts.scheme]}"
    return Finding(
        begins,
        0,
        (facts.year,),
        f"脱贫人口{how}参保，不设等待期、不受缴费时间限制，自{begins}起享受待遇，原参保关系暂停。",
        {"previous_scheme": last.scheme.value, "suspend_relation": True},
    )


def _seasonal(ctx: Context, last: Coverage, joined: date) -> Finding:
    """B10: resident-scheme seasonal/flexible worker joins the employee scheme."""
    facts = ctx.facts
    ctx.out.apply("B10")
    fields: dict[str, Any] = {
        "previous_scheme": "resident",
        "suspend_relation": True,
        "suspended_scheme": "resident",
        "resident_restored_on": None,
    }
    text = (
        f"已参加居民医保的短期务工或灵活就业人员在居民医保待遇享受期内参加职工医保，"
        f"自{joined}起享受职工医保待遇，暂停原居民医保待遇"
    )
    ended = facts.work_ended_on
    if ended is not None and ended < last.period.end:
        restored = ended + timedelta(days=1)
        fields["resident_restored_on"] = restored
        text += f"；务工于{ended}结束，自{restored}起恢复居民医保待遇。"
    else:
        text += "；短期务工结束后应及时恢复原居民医保待遇。"
    return Finding(joined, 0, (facts.year,), text, fields)


def _land_expropriated(ctx: Context, joined: date) -> Finding:
    """B11: a land-expropriated farmer finds a job and joins the employee scheme."""
    ctx.out.apply("B11")
    return Finding(
        joined,
        0,
        (ctx.facts.year,),
        f"被征地农民在政府代缴期间就业参加职工医保，办理参保关系转移接续，自{joined}起享受职工医保"
        "待遇，及时暂停原居民医保待遇。",
        {
            "previous_scheme": "resident",
            "suspend_relation": True,
            "suspended_scheme": "resident",
            "transfer": True,
        },
    )
