"""The waiting periods and continuity reward from enrollment year 2025 (B14, ``waiting.*``,
``reward.*``).

A resident not enrolled in the concentrated period, or not continuously enrolled, waits a fixed
period; each further year without coverage adds a variable month, each year repaired removes
one; after a long break the total stays at least a minimum after repair. Veterans wait not (B9);
the special groups exempt from it are not in the policy data (``policy_gap``). Continuity
reward: the minimum rise of the critical-illness cap. Where the document's figures are not
confirmed (documents.toml ``confirmed``), the answer says so (``figures_unconfirmed``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from canbao.domain.codes import IDENTITIES
from canbao.domain.money import Money, money, yuan
from canbao.rules.benefit.context import Context, Finding, Note
from canbao.rules.benefit.facts import BenefitFacts
from canbao.rules.benefit.mid_year import whole_year_or_mid_year
from canbao.rules.benefit.switching import veteran


def applies(ctx: Context) -> bool:
    return ctx.peek("waiting.fixed_months") is not None


def start(ctx: Context) -> Finding:
    facts, out = ctx.facts, ctx.out
    broken = _years_without_coverage(facts)
    in_period = _in_concentrated_period(ctx)
    if not (broken or in_period is False):
        if in_period is None:
            out.apply("B14")
            return Finding(
                None,
                None,
                (facts.year,),
                f"{facts.year}年度起未在集中参保期内参保的设固定待遇等待期，但{ctx.place}"
                f"{facts.year}年度集中参保期不在政策数据中，无法判断是否适用。",
                gaps=(
                    f"collection.concentrated_period：{ctx.place}{facts.year}年度集中参保期"
                    f"未载入（判断{ctx.cited('B14')}的等待期是否适用）",
                ),
            )
        return whole_year_or_mid_year(ctx, f"在集中参保期内连续参保，{ctx.paid}缴费")
    out.apply("B14")
    why = "未在集中参保期内参保" if in_period is False else ""
    if broken:
        why += ("且" if why else "") + f"断保{broken}年"
    fields: dict[str, Any] = {
        "years_without_coverage": broken,
        "repair_years": facts.repair_years,
        "in_concentrated_period": in_period,
        "figures_unconfirmed": bool(out.unconfirmed()),
    }
    if veteran(facts):
        out.apply("B9")
        begins = ctx.after_payment()
        return Finding(
            begins,
            0,
            (facts.year,),
            f"{why}，但退役军人不受待遇享受等待期限制，自{begins}起享受待遇。",
            fields,
        )
    special = sorted(facts.identities)
    if special:
        return Finding(
            None,
            None,
            (facts.year,),
            f"{why}；新生儿等特殊群体不设固定等待期（{ctx.cited('B14')}），"
            f"{IDENTITIES[special[0]]}是否属特殊群体，政策数据未载明。",
            fields,
            (
                f"新生儿等特殊群体不设等待期（{ctx.cited('B14')}），特殊群体的范围未载入"
                "政策数据（无 waiting.exempt_* 参数）",
            ),
        )
    fixed = int(ctx.require("waiting.fixed_months"))
    variable = 0
    if broken:
        variable = broken * int(ctx.require("waiting.variable_months_per_year"))
        if facts.repair_years:
            repaired = facts.repair_years * int(ctx.require("waiting.repair_months_per_year"))
            variable = max(0, variable - repaired)
    total = fixed + variable
    if broken and facts.repair_years and broken >= int(ctx.require("waiting.long_break_years")):
        total = max(total, int(ctx.require("waiting.min_after_long_break_months")))
        variable = total - fixed
    begins = ctx.waiting_end(total)
    repaired_text = f"补缴{facts.repair_years}年后" if facts.repair_years else ""
    return Finding(
        begins,
        total,
        (facts.year,),
        f"{why}，{repaired_text}待遇等待期{total}个月（固定{fixed}个月、变动{variable}个月"
        f"{_unconfirmed(ctx)}），自{begins}起享受待遇。",
        {**fields, "fixed_waiting_months": fixed, "variable_waiting_months": variable},
    )


def _unconfirmed(ctx: Context) -> str:
    names = [ctx.policy.document_name(doc) for doc in ctx.out.unconfirmed()]
    return f"，数额所据{'、'.join(names)}未经本项目核实" if names else ""


def _years_without_coverage(facts: BenefitFacts) -> int | None:
    """The fact if given; else whole enrollment years after the last covered one in history."""
    if facts.years_without_coverage is not None:
        return facts.years_without_coverage
    last = facts.last_coverage
    if last is None:
        return None
    return max(0, facts.year - last.period.end.year - 1)


def _in_concentrated_period(ctx: Context) -> bool | None:
    facts = ctx.facts
    if facts.in_concentrated_period is not None:
        return facts.in_concentrated_period
    if ctx.peek("collection.concentrated_period") is None:
        return None
    window = ctx.get("collection.concentrated_period")
    return _as_date(window["start"]) <= ctx.paid <= _as_date(window["end"])


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def reward(ctx: Context) -> Note | None:
    """B14 continuity reward: the minimum rise of the critical-illness cap."""
    facts = ctx.facts
    if facts.continuous_years is None or ctx.peek("reward.continuity_years") is None:
        return None
    ctx.out.apply("B14")
    after = int(ctx.require("reward.continuity_years"))
    rewarded = max(0, facts.continuous_years - after)
    amount = money(
        Decimal(rewarded) * Decimal(ctx.require("reward.continuity_cap_increase"))
        + Decimal(facts.zero_claim_years) * Decimal(ctx.require("reward.zero_claim_cap_increase"))
    )
    ceiling: Money | None = None
    if facts.critical_illness_cap is not None:
        ceiling = money(facts.critical_illness_cap * Decimal(ctx.require("reward.max_ratio")))
        amount = min(amount, ceiling)
    return Note(
        f"连续参保激励：大病保险最高支付限额至少提高{yuan(amount)}元"
        + (f"（累计不超过{yuan(ceiling)}元）" if ceiling is not None else "")
        + "。",
        {"cap_increase_min": amount, "cap_increase_ceiling": ceiling},
    )
