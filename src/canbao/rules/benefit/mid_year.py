"""The whole year and mid-year enrollment (B1, B2), and the employee scheme outside the special
rules.

- B1 (``convention.prepaid_benefit_start``): a resident contribution paid before the enrollment
  year begins covers the whole year, from January 1.
- B2 (``benefit.mid_year_start``): a mid-year enrollee pays the full year and has benefits from
  the 1st of the month after payment. Where the region has no such rule, or the person is not a
  mid-year enrollee, the documents leave the start open (``policy_gap``).
- The employee scheme: when benefits start is a matter of the local employee-scheme rules,
  outside the documents (``policy_gap``), except for veterans (B9).
"""

from __future__ import annotations

from canbao.domain.months import first_of_next_month
from canbao.rules.benefit.context import Context, Finding
from canbao.rules.benefit.switching import veteran, veteran_no_wait


def employee(ctx: Context) -> Finding:
    if veteran(ctx.facts):
        return veteran_no_wait(ctx, {}, "参加职工医保")
    ctx.out.cite_rule("E3")  # the employee scheme "按照规定": its own rules
    return Finding(
        None,
        None,
        (ctx.facts.year,),
        "职工医保的待遇起始时间由各地职工医保办法规定，本项目文件集未作规定。",
        gaps=(f"职工医保参保缴费后的待遇起始时间，本项目文件集（含{ctx.place}文件）未规定",),
    )


def whole_year_or_mid_year(ctx: Context, lead: str) -> Finding:
    """Paid before the enrollment year: the whole year from January 1 (B1); else B2."""
    facts = ctx.facts
    if ctx.paid >= facts.year_start:
        return mid_year(ctx)
    ctx.prepaid()
    return Finding(
        facts.year_start, 0, (facts.year,), f"{lead}，自{facts.year_start}起享受全年待遇。"
    )


def mid_year(ctx: Context) -> Finding:
    """A payment after the enrollment year began: the region's mid-year rule (B2)."""
    facts = ctx.facts
    rule = ctx.peek("benefit.mid_year_start")
    if rule is not None and facts.mid_year is not False:
        ctx.require("benefit.mid_year_start")
        ctx.out.apply("B2")
        begins = first_of_next_month(ctx.paid)
        return Finding(
            begins,
            0,
            (facts.year,),
            f"中途参保按全年标准缴费，{ctx.paid}缴费成功，自次月1日即{begins}起享受待遇。",
        )
    if veteran(facts):
        return veteran_no_wait(ctx, {}, f"{ctx.paid}在参保年度内缴费")
    ctx.out.apply("B2")
    ctx.get("convention.prepaid_benefit_start")
    if ctx.peek("collection.concentrated_period") is not None:
        ctx.get("collection.concentrated_period")
    if rule is not None:
        ctx.get("benefit.mid_year_start")
        return Finding(
            None,
            None,
            (facts.year,),
            f"{ctx.paid}在参保年度开始后缴费，但不属中途参保；{ctx.place}文件只规定中途参保人员"
            "自缴费次月1日起享受待遇。",
            gaps=(f"参保年度开始后缴费、又不属中途参保人员的待遇起始时间，{ctx.place}文件未规定",),
        )
    return Finding(
        None,
        None,
        (facts.year,),
        f"{ctx.paid}在{facts.year}参保年度开始后缴费，{ctx.place}文件未规定年度开始后缴费的待遇起始时间。",
        gaps=(
            f"参保年度开始后缴费（中途参保、零星缴费或新生儿逾期参保）的待遇起始时间，"
            f"{ctx.place}{facts.year}年度文件未规定（benefit.mid_year_start）",
        ),
    )
