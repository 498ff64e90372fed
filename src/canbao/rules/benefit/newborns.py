"""Newborns in the resident scheme (B3, B4, B5).

- B4 where the region has a local newborn window (``benefit.newborn_window_months``, Kaiping:
  paid within N months counted from the 1st of the month after birth → from the birth date,
  every year from birth to payment due), else the national B3 (``benefit.newborn_window_days``:
  registered within N days of birth → from the birth date).
- A newborn who misses the window is an ordinary mid-year enrollee (``Late``) of the enrollment
  year in which the payment is made: the decision then follows the mid-year rules, and a
  payment made in a later year than the case's ``year`` is decided for that year
  (``late_payment_year``), so that ``contribution_years`` names the year paid for.
- B5 flags a newborn enrolled under a parent's name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from canbao.domain.codes import Scheme
from canbao.domain.months import last_of_month, month_index
from canbao.policy import Policy
from canbao.rules.benefit.context import Context, Finding, Note
from canbao.rules.benefit.facts import BenefitFacts


@dataclass(frozen=True)
class Late:
    """The newborn missed the window: decided as an ordinary enrollee, after this text."""

    text: str


def _born(facts: BenefitFacts) -> date | None:
    """The birth date of a newborn in the resident scheme, the cases this family concerns."""
    concerned = facts.scheme is Scheme.RESIDENT and facts.newborn
    return facts.birth_date if concerned else None


def start(ctx: Context) -> Finding | Late | None:
    """When a newborn's benefits start; None for everyone else."""
    facts = ctx.facts
    born = _born(facts)
    if born is None:
        return None
    if ctx.peek("benefit.newborn_window_months") is not None:
        return _local_window(ctx, born)
    ctx.out.apply("B3")
    days = int(ctx.require("benefit.newborn_window_days"))
    registered = facts.registered_on or ctx.paid
    registered_note = "" if facts.registered_on else "（未提供登记日期，以缴费日期为登记日期）"
    if registered > born + timedelta(days=days):
        return Late(
            f"新生儿{born}出生，{registered}才办理参保登记{registered_note}，超过出生后{days}天，"
            "按统筹地区具体规定执行。"
        )
    text = (
        f"新生儿{born}出生，{registered}办理参保登记{registered_note}，"
        f"在出生后{days}天内，自出生之日起的医疗费用纳入报销。"
    )
    if ctx.paid.year > born.year or facts.year > born.year:
        return Finding(
            born,
            0,
            None,
            text,
            gaps=(
                f"新生儿出生后{days}天内登记、待遇跨两个年度时，出生当年的居民医保费是否应缴，"
                f"{ctx.cited('B3')}及{ctx.place}文件均未规定",
            ),
        )
    return Finding(born, 0, (facts.year,), text)


def _local_window(ctx: Context, born: date) -> Finding | Late:
    """B4: paid within N months counted from the 1st of the month after birth → from birth."""
    facts, out = ctx.facts, ctx.out
    months = int(ctx.require("benefit.newborn_window_months"))
    window_end = last_of_month(month_index(born) + months)
    out.apply("B4")
    fields = {"newborn_window_end": window_end}
    if ctx.paid <= window_end:
        years = tuple(range(born.year, max(facts.year, ctx.paid.year) + 1))
        both = ""
        if len(years) > 1:
            both = "，待遇跨年度，应同时缴纳" + "、".join(map(str, years)) + "两年的居民医保费"
        return Finding(
            born,
            0,
            years,
            f"新生儿{born}出生，{ctx.paid}缴费成功，在出生次月1日起{months}个月内"
            f"（至{window_end}），自出生之日起享受待遇{both}。",
            fields,
        )
    national = ctx.peek("benefit.newborn_window_days")
    registered = facts.registered_on or ctx.paid
    if national is not None and registered <= born + timedelta(days=int(national.value)):
        days = int(ctx.require("benefit.newborn_window_days"))
        out.apply("B3")
        return Finding(
            None,
            None,
            (facts.year,),
            f"新生儿{born}出生，在出生后{days}天内登记，但{ctx.paid}才缴费，已超过{ctx.place}"
            f"出生次月1日起{months}个月的期限（至{window_end}）；国家规定按登记时间自出生之日起"
            "报销，本地规定按缴费时间自缴费次月1日起享受，文件未明确以何者为准。",
            {
                **fields,
                "local_rule_start": ctx.next_month_or_year(),
                "national_rule_start": born,
            },
            (
                f"新生儿出生后{days}天内已登记（{ctx.cited('B3')}），但在{ctx.cited('B4')}的"
                f"{months}个月期限后才缴费，待遇自出生之日还是缴费次月1日起，文件未规定",
            ),
        )
    begins = ctx.next_month_or_year()
    return Finding(
        begins,
        0,
        (facts.year,),
        f"新生儿{born}出生，{ctx.paid}缴费，已超过出生次月1日起{months}个月的期限"
        f"（至{window_end}），按中途参保自{begins}起享受待遇。",
        fields,
    )


def late_payment_year(facts: BenefitFacts, policy: Policy) -> int | None:
    """The year of a newborn's payment made after the case's year and after the window (by the
    rules of the case's year): the enrollment year the payment belongs to. None otherwise, and
    where the window is not known for the case's year."""
    born, paid = _born(facts), facts.paid
    if born is None or paid.year <= facts.year:
        return None
    local = policy.find("benefit.newborn_window_months", facts.region, facts.year)
    if local is not None and paid <= last_of_month(month_index(born) + int(local.value)):
        return None
    national = policy.find("benefit.newborn_window_days", facts.region, facts.year)
    registered = facts.registered_on or paid
    if national is None or registered <= born + timedelta(days=int(national.value)):
        return None
    return paid.year


def in_payment_year(facts: BenefitFacts, year: int) -> tuple[BenefitFacts, str]:
    """The case as one of the payment's enrollment year, and the sentence that says so."""
    text = (
        f"新生儿{facts.paid}缴费，在{facts.year}参保年度之后，且未在该年度规定的期限内参保，"
        f"按缴费所在的{year}参保年度的规定办理："
    )
    return replace(facts, year=year, categories=facts.categories | {"newborn"}), text


def identity(ctx: Context) -> Note | None:
    """B5: a newborn enrolled under a parent's name must be updated."""
    facts = ctx.facts
    if not (facts.scheme is Scheme.RESIDENT and facts.newborn):
        return None
    if not facts.enrolled_under_parent_name:
        return Note("", {"update_newborn_identity": False})
    ctx.out.apply("B5")
    return Note(
        "该新生儿使用父母姓名参保，应要求监护人尽快更新为本人真实姓名和身份证明。",
        {"update_newborn_identity": True},
    )
