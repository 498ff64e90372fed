"""When benefits start, how long a waiting period lasts, which years are due (rules B1–B15).

The order of the decision (the first branch that fits decides; B5, B13 and B15 are applied to
every answer they concern):

- Newborns in the resident scheme (category ``newborn``, or born in the enrollment year):
  B4 where the region has a local newborn window (``benefit.newborn_window_months``, Kaiping),
  else the national B3 (``benefit.newborn_window_days``). B5 flags a newborn enrolled under a
  parent's name.
- Kaiping hardship residents (B12, ``benefit.hardship_register_first``; an identity with a full
  ``subsidy.<identity>`` in the region): from the day registration and identity flag are done.
- Switching between the employee and resident schemes (the last ``history`` period has the
  other scheme): B8 (``tuopin``), B10 (seasonal/flexible worker still in the resident benefit
  period joining the employee scheme), B11 (land-expropriated farmer, likewise), then B6 with
  the national values or B7 where the region has its own switching values (Meizhou); B9
  removes a waiting period for veterans (and military spouses who find a job).
- A ``tuopin`` person transferring between regions in one scheme: B8.
- Everyone else: B14 from enrollment year 2025 (``waiting.*``), else B1 (paid before the
  enrollment year → January 1) or B2 (the region's mid-year rule, ``benefit.mid_year_start``).

Conventions (SPEC section 4 B, ``convention.*``): gap months are the calendar months strictly
between the month of the last coverage ``to`` and the month of payment; continuous months are
counted back from that ``to`` across schemes; a waiting period of N months counts from the 1st
of the month after payment and benefits start on the 1st of the month after it ends. A resident
contribution covers the enrollment year, so nothing starts before its January 1: a waiting
period of a contribution paid before the year counts from January 1 (project reading, stated in
the explanation).

Where the documents leave the point open the answer is ``policy_gap`` naming what is missing:
a switch after a gap of more than 3 months where the region sets no waiting period (with the
national cap), a switch after fewer than 24 continuous months, Meizhou resident→employee
switching ("按现行规定执行"), a late newborn or a mid-year payment where the region has no local
rule, a newborn's two-year span outside Kaiping, an employee-scheme start outside the special
rules, the special groups exempt from the 2025 waiting period, and college students where no
region says whether their period is the academic or the calendar year (B15).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from canbao.domain.codes import CATEGORIES, IDENTITIES, Scheme
from canbao.domain.decision import Decision, Status
from canbao.domain.money import Money, money, yuan
from canbao.domain.months import (
    after_waiting,
    continuous_months,
    first_of_next_month,
    gap_months,
    last_of_month,
    month_index,
)
from canbao.policy import Params, Policy, Value
from canbao.policy.store import NATIONAL
from canbao.rules.case import Reader
from canbao.rules.outcome import Outcome

KIND = "benefit_start"

#: 大中专学生 (33号 三（二）): college and secondary vocational students.
COLLEGE = frozenset({"college_student", "vocational_student"})
SCHEME_NAMES = {Scheme.EMPLOYEE: "职工医保", Scheme.RESIDENT: "居民医保"}
NATIONAL_SWITCH = "医保发〔2020〕33号 二（三）"


@dataclass(frozen=True)
class Coverage:
    """Attributes:
    scheme: employee or resident.
    region: pooling region of that coverage.
    start: first covered day (``from``).
    end: last covered day (``to``).
    """

    scheme: Scheme
    region: str
    start: date
    end: date


@dataclass(frozen=True)
class BenefitFacts:
    """Attributes:
    region: pooling region of the new enrollment (most specific known).
    year: enrollment year.
    scheme: the scheme enrolled in.
    paid_on: date of successful payment (optional only when ``hardship_flagged_on`` is given).
    registered_on: registration date (optional; newborns: the 90-day test of B3).
    birth_date: the person's birth date (required for newborns).
    identities: hardship identities (SPEC section 2).
    categories: person categories (SPEC section 2).
    history: earlier coverage periods, any scheme and region.
    mid_year: a mid-year enrollee (中途参保); None when the case does not say.
    hukou_region: household registration (optional; B12 is for local hukou).
    enrolled_under_parent_name: B5, a newborn enrolled under a parent's name.
    hardship_flagged_on: B12, the day registration and the identity flag were done.
    hardship_ended_on: B12, the day the platform received that the person is no longer a
      hardship resident.
    residence_permit_expires_on: B13, the expiry of the residence permit enrolled on.
    employee_from: B10/B11, the first day of the employee coverage (default ``paid_on``).
    work_ended_on: B10, the last day of the seasonal or flexible work.
    years_without_coverage: B14, consecutive years without coverage before ``year``
      (default: counted from ``history``).
    repair_years: B14, extra years paid to repair the break.
    in_concentrated_period: B14, paid in the concentrated period (default: from
      ``collection.concentrated_period``).
    continuous_years: B14 reward, consecutive enrolled years up to and including ``year``.
    zero_claim_years: B14 reward, years without any reimbursement during that run.
    critical_illness_cap: B14 reward, the original 大病保险 cap (yuan).
    """

    region: str
    year: int
    scheme: Scheme
    paid_on: date | None
    registered_on: date | None
    birth_date: date | None
    identities: frozenset[str]
    categories: frozenset[str]
    history: tuple[Coverage, ...]
    mid_year: bool | None = None
    hukou_region: str | None = None
    enrolled_under_parent_name: bool = False
    hardship_flagged_on: date | None = None
    hardship_ended_on: date | None = None
    residence_permit_expires_on: date | None = None
    employee_from: date | None = None
    work_ended_on: date | None = None
    years_without_coverage: int | None = None
    repair_years: int = 0
    in_concentrated_period: bool | None = None
    continuous_years: int | None = None
    zero_claim_years: int = 0
    critical_illness_cap: Money | None = None

    @property
    def newborn(self) -> bool:
        born_this_year = self.birth_date is not None and self.birth_date.year == self.year
        return "newborn" in self.categories or born_this_year

    @property
    def year_start(self) -> date:
        return date(self.year, 1, 1)


def read(case: Reader) -> BenefitFacts:
    person = case.obj("person")
    scheme = case.choice("scheme", [s.value for s in Scheme])
    history: list[Coverage] = []
    for item in case.items("history", required=False):
        kind = item.choice("scheme", [s.value for s in Scheme])
        region = item.region("region")
        start, end = item.date("from"), item.date("to")
        if start and end and end < start:
            item.fail(item.where("to"), "截止日期早于起始日期 (to before from)")
        elif kind and region and start and end:
            history.append(Coverage(Scheme(kind), region, start, end))
    flagged = case.date("hardship_flagged_on", required=False)
    facts = BenefitFacts(
        region=case.region("region") or "",
        year=case.year("year") or 0,
        scheme=Scheme(scheme) if scheme else Scheme.RESIDENT,
        paid_on=case.date("paid_on", required=flagged is None),
        registered_on=case.date("registered_on", required=False),
        birth_date=person.date("birth_date", required=False),
        identities=person.codes("identities", IDENTITIES),
        categories=person.codes("categories", CATEGORIES),
        history=tuple(history),
        mid_year=case.flag("mid_year") if case.has("mid_year") else None,
        hukou_region=person.region("hukou_region", required=False),
        enrolled_under_parent_name=case.flag("enrolled_under_parent_name"),
        hardship_flagged_on=flagged,
        hardship_ended_on=case.date("hardship_ended_on", required=False),
        residence_permit_expires_on=case.date("residence_permit_expires_on", required=False),
        employee_from=case.date("employee_from", required=False),
        work_ended_on=case.date("work_ended_on", required=False),
        years_without_coverage=(
            case.count("years_without_coverage") if case.has("years_without_coverage") else None
        ),
        repair_years=case.count("repair_years", required=False),
        in_concentrated_period=(
            case.flag("in_concentrated_period") if case.has("in_concentrated_period") else None
        ),
        continuous_years=(
            case.count("continuous_years") if case.has("continuous_years") else None
        ),
        zero_claim_years=case.count("zero_claim_years", required=False),
        critical_illness_cap=case.money("critical_illness_cap", required=False),
    )
    _check(case, person, facts)
    return facts


def _check(case: Reader, person: Reader, facts: BenefitFacts) -> None:
    """Dates that contradict each other break the format of the case."""
    if "newborn" in facts.categories and facts.birth_date is None and not person.has("birth_date"):
        person.fail(person.where("birth_date"), "新生儿须提供出生日期 (required for a newborn)")
    paid, born = facts.paid_on, facts.birth_date
    if paid and born and paid < born:
        case.fail("paid_on", f"缴费日期 {paid} 早于出生日期 {born}")
    if paid and facts.registered_on and facts.registered_on > paid:
        case.fail(
            "registered_on",
            f"参保登记日期 {facts.registered_on} 晚于缴费日期 {paid}（应先登记后缴费）",
        )
    if paid and facts.year and not facts.newborn and paid.year > facts.year:
        case.fail("paid_on", f"缴费日期 {paid} 晚于 {facts.year} 参保年度")


@dataclass
class Draft:
    """An answer being built: the three contract fields, extra fields, text and open points."""

    start: date | None
    waiting: int | None
    years: list[int] | None
    text: str
    extra: dict[str, Any] = field(default_factory=dict)
    gaps: list[str] = field(default_factory=list)


class Context:
    """The facts, the parameters and the outcome of one decision."""

    def __init__(self, facts: BenefitFacts, policy: Policy) -> None:
        self.facts = facts
        self.params = Params(policy, facts.region, facts.year)
        self.out = Outcome(KIND, self.params)
        self.place = policy.region_name(_document_region(policy, facts.region))

    def peek(self, key: str) -> Value | None:
        """Look a value up without citing it (to test whether a rule applies)."""
        return self.params.policy.find(key, self.params.region, self.params.year)

    def get(self, key: str) -> Any:
        return self.params.get(key)

    def require(self, key: str) -> Any:
        return self.out.require(key)

    @property
    def paid(self) -> date:
        """The payment date; read() requires it unless the hardship flag date is given."""
        day = self.facts.paid_on or self.facts.hardship_flagged_on
        assert day is not None, "read() requires paid_on or hardship_flagged_on"
        return day

    def resident_floor(self, start: date) -> date:
        """B1: a resident contribution covers its enrollment year, from January 1 at earliest."""
        if self.facts.scheme is not Scheme.RESIDENT or start >= self.facts.year_start:
            return start
        self.prepaid()
        return self.facts.year_start

    def prepaid(self) -> None:
        if self.require("convention.prepaid_benefit_start") != "january_first":
            raise ValueError("unsupported convention.prepaid_benefit_start")
        self.out.apply("B1")

    def waiting_end(self, months: int) -> date:
        """Benefit start after a waiting period; before the year it counts from January 1."""
        if self.require("convention.waiting_counting") != "from_next_month":
            raise ValueError("unsupported convention.waiting_counting")
        counted_from = self.paid
        if self.facts.scheme is Scheme.RESIDENT and counted_from < self.facts.year_start:
            self.prepaid()
            counted_from = self.facts.year_start - timedelta(days=1)
        return after_waiting(counted_from, months)

    def after_payment(self) -> date:
        """'缴费后即可享受待遇': the payment date, or the 1st of the next month where the region
        says so (switch.short_gap_start); never before the enrollment year of a resident."""
        rule = self.require("switch.short_gap_start")
        start = self.paid if rule == "payment_date" else first_of_next_month(self.paid)
        return self.resident_floor(start)


def _document_region(policy: Policy, region: str) -> str:
    """The most specific region whose own documents hold policy values (a Guiyang district →
    贵阳市), for naming the place whose documents are silent."""
    with_values = {value.region for value in policy.values}
    for code in policy.chain(region):
        if code in with_values and code != NATIONAL:
            return code
    return region


def decide(facts: BenefitFacts, policy: Policy) -> Decision:
    ctx = Context(facts, policy)
    draft = _permit_expired(ctx) or _decide(ctx)
    _newborn_identity(ctx, draft)
    _residence_permit(ctx, draft)
    _students(ctx, draft)
    return _finish(ctx, draft)


def _decide(ctx: Context) -> Draft:
    facts = ctx.facts
    if facts.scheme is Scheme.RESIDENT and facts.newborn and facts.birth_date is not None:
        return _newborn(ctx, facts.birth_date)
    hardship = _kaiping_hardship(ctx)
    if hardship is not None:
        return hardship
    last = max(facts.history, key=lambda c: c.end, default=None)
    if last is not None and last.scheme is not facts.scheme:
        return _switching(ctx, last)
    moved = last is not None and last.region[:4] != facts.region[:4]  # another city's pooling
    if last is not None and moved and "tuopin" in facts.identities:
        return _tuopin(ctx, last, transfer=True)
    return _ordinary(ctx)


# --- newborns (B3, B4, B5) -------------------------------------------------------------------


def _newborn(ctx: Context, born: date) -> Draft:
    facts, out = ctx.facts, ctx.out
    local = ctx.peek("benefit.newborn_window_months")
    if local is not None:
        return _kaiping_newborn(ctx, born)
    out.apply("B3")
    days, national_ok = _national_window(ctx, born)
    registered = facts.registered_on or ctx.paid
    registered_note = "" if facts.registered_on else "（未提供登记日期，以缴费日期为登记日期）"
    if national_ok:
        text = (
            f"新生儿{born}出生，{registered}办理参保登记{registered_note}，"
            f"在出生后{days}天内，自出生之日起的医疗费用纳入报销。"
        )
        if ctx.paid.year > born.year or facts.year > born.year:
            return Draft(
                born, 0, None, text,
                gaps=[
                    f"新生儿出生后{days}天内登记、待遇跨两个年度时，出生当年的居民医保费是否应缴，"
                    f"医保发〔2020〕33号 三（三）及{ctx.place}文件均未规定"
                ],
            )
        return Draft(born, 0, [facts.year], text)
    late = (
        f"新生儿{born}出生，{registered}才办理参保登记{registered_note}，超过出生后{days}天，"
        f"按统筹地区具体规定执行。"
    )
    if ctx.paid < facts.year_start:
        draft = _ordinary(ctx)
        draft.text = late + draft.text
        return draft
    draft = _mid_year(ctx)
    draft.text = late + draft.text
    return draft


def _national_window(ctx: Context, born: date, cite: bool = True) -> tuple[int, bool]:
    """B3: registered within N days of birth (registration date ≤ birth date + N days)."""
    value = ctx.peek("benefit.newborn_window_days")
    if cite or value is None:
        days = int(ctx.require("benefit.newborn_window_days"))
    else:
        days = int(value.value)
    registered = ctx.facts.registered_on or ctx.paid
    return days, registered <= born + timedelta(days=days)


def _kaiping_newborn(ctx: Context, born: date) -> Draft:
    """B4: paid within N months counted from the 1st of the month after birth → from birth."""
    facts, out = ctx.facts, ctx.out
    months = int(ctx.require("benefit.newborn_window_months"))
    window_end = last_of_month(month_index(born) + months)
    out.apply("B4")
    extra: dict[str, Any] = {"newborn_window_end": window_end}
    if ctx.paid <= window_end:
        years = list(range(born.year, max(facts.year, ctx.paid.year) + 1))
        both = ""
        if len(years) > 1:
            both = "，待遇跨年度，应同时缴纳" + "、".join(map(str, years)) + "两年的居民医保费"
        return Draft(
            born, 0, years,
            f"新生儿{born}出生，{ctx.paid}缴费成功，在出生次月1日起{months}个月内"
            f"（至{window_end}），自出生之日起享受待遇{both}。",
            extra,
        )
    days, national_ok = _national_window(ctx, born, cite=False)
    if national_ok:
        ctx.get("benefit.newborn_window_days")
        out.apply("B3")
        return Draft(
            None, None, [facts.year],
            f"新生儿{born}出生，在出生后{days}天内登记，但{ctx.paid}才缴费，已超过{ctx.place}"
            f"出生次月1日起{months}个月的期限（至{window_end}）；国家规定按登记时间自出生之日起"
            "报销，本地规定按缴费时间自缴费次月1日起享受，文件未明确以何者为准。",
            {**extra, "local_rule_start": _next_month_or_year(ctx), "national_rule_start": born},
            [
                f"新生儿出生后{days}天内已登记（医保发〔2020〕33号 三（三）），"
                f"但在开平方案 五（六）1 的{months}个月期限后才缴费，"
                "待遇自出生之日还是缴费次月1日起，文件未规定"
            ],
        )
    start = _next_month_or_year(ctx)
    return Draft(
        start, 0, [facts.year],
        f"新生儿{born}出生，{ctx.paid}缴费，已超过出生次月1日起{months}个月的期限"
        f"（至{window_end}），自{start}起享受待遇。",
        extra,
    )


def _next_month_or_year(ctx: Context) -> date:
    """After payment: the 1st of the next month (开平 五（六）), January 1 if paid before."""
    return ctx.resident_floor(first_of_next_month(ctx.paid))


def _newborn_identity(ctx: Context, draft: Draft) -> None:
    """B5: a newborn enrolled under a parent's name must be updated."""
    facts = ctx.facts
    if not (facts.scheme is Scheme.RESIDENT and facts.newborn):
        return
    draft.extra["update_newborn_identity"] = facts.enrolled_under_parent_name
    if facts.enrolled_under_parent_name:
        ctx.out.apply("B5")
        draft.text += "该新生儿使用父母姓名参保，应要求监护人尽快更新为本人真实姓名和身份证明。"


# --- Kaiping hardship residents (B12) ------------------------------------------------------


def _kaiping_hardship(ctx: Context) -> Draft | None:
    facts = ctx.facts
    register_first = ctx.peek("benefit.hardship_register_first")
    if facts.scheme is not Scheme.RESIDENT or register_first is None or not register_first.value:
        return None
    listed = [
        code for code in IDENTITIES
        if code in facts.identities and _full_subsidy(ctx.peek(f"subsidy.{code}"))
    ]
    if not listed:
        return None
    local_only = ctx.peek("subsidy.local_hukou_area")
    if facts.hukou_region and local_only is not None:
        if not ctx.params.policy.within(facts.hukou_region, local_only.value):
            return None
        ctx.get("subsidy.local_hukou_area")
    ctx.get("benefit.hardship_register_first")
    ctx.get(f"subsidy.{listed[0]}")
    ctx.out.apply("B12")
    day = facts.hardship_flagged_on or facts.registered_on or ctx.paid
    basis = (
        "完成参保登记、做好身份标识" if facts.hardship_flagged_on
        else "办理参保登记（未提供身份标识日期，以登记日期计）" if facts.registered_on
        else "缴费（未提供登记和身份标识日期，以缴费日期计）"
    )
    start = ctx.resident_floor(day)
    extra: dict[str, Any] = {
        "hardship_identity": listed[0],
        "refund_on_identity_change": False,
        "back_charge_on_identity_change": False,
    }
    text = (
        f"{IDENTITIES[listed[0]]}属{ctx.place}困难居民，先登记参保、后补助缴费，"
        f"自{day}{basis}之日起享受待遇"
        + ("（参保年度自1月1日开始）" if start != day else "")
        + "。"
    )
    if facts.hardship_ended_on is not None:
        ends = first_of_next_month(facts.hardship_ended_on)
        extra["hardship_standard_ends_on"] = ends
        text += f"不再认定为困难居民的，自{ends}起停止享受相应标准的待遇，年度内不退费也不追缴。"
    return Draft(start, 0, [facts.year], text, extra)


def _full_subsidy(value: Value | None) -> bool:
    return value is not None and isinstance(value.value, dict) and value.value.get("kind") == "full"


# --- switching between schemes (B6–B11) -------------------------------------------------------


def _switching(ctx: Context, last: Coverage) -> Draft:
    facts, out = ctx.facts, ctx.out
    if "tuopin" in facts.identities:
        return _tuopin(ctx, last, transfer=False)
    if facts.scheme is Scheme.EMPLOYEE and last.scheme is Scheme.RESIDENT:
        joined = facts.employee_from or ctx.paid
        if last.end >= joined:
            if facts.categories & {"seasonal_worker", "flexible_employment"}:
                return _seasonal(ctx, last, joined)
            if "land_expropriated_farmer" in facts.categories:
                return _land_expropriated(ctx, joined)
    if ctx.require("convention.gap_counting") != "calendar_months_between":
        raise ValueError("unsupported convention.gap_counting")
    gap = gap_months(last.end, ctx.paid)
    periods = [(c.start, c.end) for c in facts.history]
    continuous = continuous_months(periods, last.end)
    local = _local_switching(ctx)
    rule = "B7" if local else "B6"
    extra: dict[str, Any] = {
        "previous_scheme": last.scheme.value,
        "gap_months": gap,
        "continuous_months": continuous,
        "suspend_relation": False,
    }
    move = f"由{SCHEME_NAMES[last.scheme]}切换至{SCHEME_NAMES[facts.scheme]}"
    lead = f"{move}，此前连续参保{continuous}个月，{last.end}后中断缴费{gap}个月"
    minimum = int(ctx.require("switch.min_continuous_months"))
    veteran = _veteran(facts)
    if continuous < minimum:
        if veteran:
            return _veteran_no_wait(ctx, extra, lead)
        out.apply(rule)
        return Draft(
            None, None, [facts.year],
            f"{lead}，不足{minimum}个月；跨制度切换的待遇衔接规定只适用于连续参保{minimum}个月以上"
            "的人员，此种情形的待遇起始和等待期文件未规定。",
            extra,
            [
                f"连续参保不足{minimum}个月（本例{continuous}个月）的跨制度切换，待遇起始和等待期"
                f"{NATIONAL_SWITCH}及{ctx.place}文件均未规定"
            ],
        )
    max_gap = int(ctx.require("switch.max_gap_months"))
    if gap <= max_gap:
        out.apply(rule)
        start = ctx.after_payment()
        when = "缴费当日" if start == ctx.paid else f"{start}"
        return Draft(
            start, 0, [facts.year],
            f"{lead}，不超过{max_gap}个月，缴费后即可享受待遇，自{when}起。",
            extra,
        )
    return _long_gap(ctx, last, extra, lead, rule, max_gap)


def _local_switching(ctx: Context) -> bool:
    value = ctx.peek("switch.short_gap_start")
    return value is not None and value.region != NATIONAL


def _long_gap(
    ctx: Context, last: Coverage, extra: dict[str, Any], lead: str, rule: str, max_gap: int
) -> Draft:
    facts, out = ctx.facts, ctx.out
    veteran = _veteran(facts)
    lead = f"{lead}，超过{max_gap}个月"
    cap = int(ctx.require("switch.max_waiting_months"))
    if last.scheme is Scheme.EMPLOYEE and ctx.peek(
        "switch.employee_to_resident_waiting_months"
    ) is not None:
        out.apply(rule)
        exempt = _waiting_exempt(ctx)
        if exempt is not None or veteran:
            if veteran:
                out.apply("B9")
            start = ctx.after_payment()
            who = exempt or "退役军人"
            return Draft(
                start, 0, [facts.year],
                f"{lead}，但{who}不设等待期，自{start}起享受待遇。",
                extra,
            )
        waiting = int(ctx.require("switch.employee_to_resident_waiting_months"))
        start = ctx.waiting_end(waiting)
        out.apply("B6")
        extra.update(suspend_relation=True, suspend_relation_on=start)
        return Draft(
            start, waiting, [facts.year],
            f"{lead}，设{waiting}个月待遇等待期，自{start}起享受当年居民医保待遇，"
            "等待期满后暂停原参保关系。",
            extra,
        )
    if veteran:
        out.apply(rule)
        return _veteran_no_wait(ctx, extra, lead)
    out.apply(rule)
    if rule == "B7" and last.scheme is Scheme.RESIDENT:
        return Draft(
            None, None, [facts.year],
            f"{lead}；{ctx.place}文件规定居民医保切换职工医保的“按现行规定执行”，"
            "该现行规定不在本项目文件集中。",
            extra,
            [
                f"梅市医保〔2021〕7号 四（二）：居民医保切换职工医保、中断超过{max_gap}个月的，"
                f"“按现行规定执行”，现行规定不在本项目文件集中（国家规定等待期不超过{cap}个月）"
            ],
        )
    extra.update(
        max_waiting_months=cap,
        latest_benefit_start=ctx.waiting_end(cap),
        suspend_relation=True,
    )
    return Draft(
        None, None, [facts.year],
        f"{lead}；国家规定各统筹地区可设置不超过{cap}个月的待遇享受等待期，期满后暂停原参保关系，"
        f"但{ctx.place}文件未设置等待期。",
        extra,
        [
            f"中断缴费超过{max_gap}个月的跨制度切换，{ctx.place}文件未设置待遇享受等待期"
            f"（{NATIONAL_SWITCH}：不超过{cap}个月，由统筹地区设置）"
        ],
    )


def _waiting_exempt(ctx: Context) -> str | None:
    """Meizhou's groups without a waiting period (newborns, hardship groups, veterans)."""
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


def _veteran(facts: BenefitFacts) -> bool:
    """B9: veterans after discharge; military spouses once they find a job (employee scheme)."""
    return "veteran" in facts.categories or (
        "military_spouse" in facts.categories and facts.scheme is Scheme.EMPLOYEE
    )


def _veteran_no_wait(ctx: Context, extra: dict[str, Any], lead: str) -> Draft:
    ctx.out.apply("B9")
    start = ctx.after_payment()
    who = "退役军人" if "veteran" in ctx.facts.categories else "随军未就业军人配偶就业后"
    return Draft(
        start, 0, [ctx.facts.year],
        f"{lead}；{who}参保并办理关系转移接续的，不受待遇享受等待期限制，自{start}起享受待遇。",
        extra,
    )


def _tuopin(ctx: Context, last: Coverage, *, transfer: bool) -> Draft:
    """B8: poverty population switching or transferring: no waiting, no payment window."""
    facts, out = ctx.facts, ctx.out
    out.apply("B8")
    if _local_switching(ctx):
        out.apply("B7")
    start = ctx.after_payment()
    how = (
        f"由{ctx.params.policy.region_name(last.region)}转移接续" if transfer
        else f"由{SCHEME_NAMES[last.scheme]}切换至{SCHEME_NAMES[facts.scheme]}"
    )
    return Draft(
        start, 0, [facts.year],
        f"脱贫人口{how}参保，不设等待期、不受缴费时间限制，自{start}起享受待遇，原参保关系暂停。",
        {"previous_scheme": last.scheme.value, "suspend_relation": True},
    )


def _seasonal(ctx: Context, last: Coverage, joined: date) -> Draft:
    """B10: resident-scheme seasonal/flexible worker joins the employee scheme."""
    facts = ctx.facts
    ctx.out.apply("B10")
    extra: dict[str, Any] = {
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
    if ended is not None and ended < last.end:
        restored = ended + timedelta(days=1)
        extra["resident_restored_on"] = restored
        text += f"；务工于{ended}结束，自{restored}起恢复居民医保待遇。"
    else:
        text += "；短期务工结束后应及时恢复原居民医保待遇。"
    return Draft(joined, 0, [facts.year], text, extra)


def _land_expropriated(ctx: Context, joined: date) -> Draft:
    """B11: a land-expropriated farmer finds a job and joins the employee scheme."""
    ctx.out.apply("B11")
    return Draft(
        joined, 0, [ctx.facts.year],
        f"被征地农民在政府代缴期间就业参加职工医保，办理参保关系转移接续，自{joined}起享受职工医保"
        "待遇，及时暂停原居民医保待遇。",
        {
            "previous_scheme": "resident",
            "suspend_relation": True,
            "suspended_scheme": "resident",
            "transfer": True,
        },
    )


# --- everyone else (B1, B2, B9, B14) --------------------------------------------------------


def _ordinary(ctx: Context) -> Draft:
    facts = ctx.facts
    if facts.scheme is Scheme.EMPLOYEE:
        if _veteran(facts):
            return _veteran_no_wait(ctx, {}, "参加职工医保")
        ctx.out.cite("医保发〔2020〕33号", "二（二）")
        return Draft(
            None, None, [facts.year],
            "职工医保的待遇起始时间由各地职工医保办法规定，本项目文件集未作规定。",
            gaps=[f"职工医保参保缴费后的待遇起始时间，本项目文件集（含{ctx.place}文件）未规定"],
        )
    if ctx.peek("waiting.fixed_months") is not None:
        return _waiting_2025(ctx)
    return _whole_year_or_mid_year(ctx, f"{ctx.paid}在{facts.year}参保年度开始前缴费")


def _whole_year_or_mid_year(ctx: Context, lead: str) -> Draft:
    """Paid before the enrollment year: the whole year from January 1 (B1); else B2."""
    facts = ctx.facts
    if ctx.paid >= facts.year_start:
        return _mid_year(ctx)
    ctx.prepaid()
    return Draft(
        facts.year_start, 0, [facts.year], f"{lead}，自{facts.year_start}起享受全年待遇。"
    )


def _mid_year(ctx: Context) -> Draft:
    """A payment after the enrollment year began: the region's mid-year rule (B2)."""
    facts = ctx.facts
    rule = ctx.peek("benefit.mid_year_start")
    if rule is not None and facts.mid_year is not False:
        ctx.require("benefit.mid_year_start")
        ctx.out.apply("B2")
        start = first_of_next_month(ctx.paid)
        return Draft(
            start, 0, [facts.year],
            f"中途参保按全年标准缴费，{ctx.paid}缴费成功，自次月1日即{start}起享受待遇。",
        )
    if _veteran(facts):
        return _veteran_no_wait(ctx, {}, f"{ctx.paid}在参保年度内缴费")
    ctx.out.apply("B2")
    ctx.get("convention.prepaid_benefit_start")
    if ctx.peek("collection.concentrated_period") is not None:
        ctx.get("collection.concentrated_period")
    if rule is not None:
        ctx.get("benefit.mid_year_start")
        return Draft(
            None, None, [facts.year],
            f"{ctx.paid}在参保年度开始后缴费，但不属中途参保；{ctx.place}文件只规定中途参保人员"
            "自缴费次月1日起享受待遇。",
            gaps=[
                f"参保年度开始后缴费、又不属中途参保人员的待遇起始时间，{ctx.place}文件未规定"
            ],
        )
    return Draft(
        None, None, [facts.year],
        f"{ctx.paid}在{facts.year}参保年度开始后缴费，{ctx.place}文件未规定年度开始后缴费的待遇起始时间。",
        gaps=[
            f"参保年度开始后缴费（中途参保、零星缴费或新生儿逾期参保）的待遇起始时间，"
            f"{ctx.place}{facts.year}年度文件未规定（benefit.mid_year_start）"
        ],
    )


def _waiting_2025(ctx: Context) -> Draft:
    """B14: fixed and variable waiting periods from enrollment year 2025 (国办发〔2024〕38号)."""
    facts, out = ctx.facts, ctx.out
    broken = _years_without_coverage(facts)
    in_period = _in_concentrated_period(ctx)
    applies = (broken or 0) > 0 or in_period is False
    if not applies:
        if in_period is None:
            out.apply("B14")
            return Draft(
                None, None, [facts.year],
                f"{facts.year}年度起未在集中参保期内参保的设固定待遇等待期，但{ctx.place}"
                f"{facts.year}年度集中参保期不在政策数据中，无法判断是否适用。",
                gaps=[
                    f"collection.concentrated_period：{ctx.place}{facts.year}年度集中参保期"
                    "未载入（判断国办发〔2024〕38号等待期是否适用）"
                ],
            )
        return _whole_year_or_mid_year(ctx, f"在集中参保期内连续参保，{ctx.paid}缴费")
    out.apply("B14")
    extra: dict[str, Any] = {
        "years_without_coverage": broken,
        "repair_years": facts.repair_years,
        "in_concentrated_period": in_period,
        "figures_unconfirmed": True,
    }
    why = "未在集中参保期内参保" if in_period is False else ""
    if broken:
        why += ("且" if why else "") + f"断保{broken}年"
    if _veteran(facts):
        out.apply("B9")
        start = ctx.after_payment()
        return Draft(
            start, 0, [facts.year],
            f"{why}，但退役军人不受待遇享受等待期限制，自{start}起享受待遇。",
            extra,
        )
    special = sorted(facts.identities)
    if special:
        return Draft(
            None, None, [facts.year],
            f"{why}；国办发〔2024〕38号对新生儿等特殊群体不设固定等待期，"
            f"{IDENTITIES[special[0]]}是否属特殊群体，政策数据未载明。",
            extra,
            [
                "国办发〔2024〕38号“新生儿等特殊群体”不设等待期，特殊群体的范围未载入政策数据"
                "（无 waiting.exempt_* 参数）"
            ],
        )
    fixed = int(ctx.require("waiting.fixed_months"))
    variable = 0
    if broken:
        per_year = int(ctx.require("waiting.variable_months_per_year"))
        variable = broken * per_year
        if facts.repair_years:
            repaired = facts.repair_years * int(ctx.require("waiting.repair_months_per_year"))
            variable = max(0, variable - repaired)
    total = fixed + variable
    if broken and facts.repair_years and broken >= int(ctx.require("waiting.long_break_years")):
        total = max(total, int(ctx.require("waiting.min_after_long_break_months")))
        variable = total - fixed
    start = ctx.waiting_end(total)
    extra.update(fixed_waiting_months=fixed, variable_waiting_months=variable)
    repaired_text = f"补缴{facts.repair_years}年后" if facts.repair_years else ""
    return Draft(
        start, total, [facts.year],
        f"{why}，{repaired_text}待遇等待期{total}个月（固定{fixed}个月、变动{variable}个月，"
        f"数额取自二手转载、未经核实），自{start}起享受待遇。",
        extra,
    )


def _years_without_coverage(facts: BenefitFacts) -> int | None:
    """The fact if given; else whole enrollment years after the last covered one in history."""
    if facts.years_without_coverage is not None:
        return facts.years_without_coverage
    if not facts.history:
        return None
    last_year = max(c.end.year for c in facts.history)
    return max(0, facts.year - last_year - 1)


def _in_concentrated_period(ctx: Context) -> bool | None:
    facts = ctx.facts
    if facts.in_concentrated_period is not None:
        return facts.in_concentrated_period
    if ctx.peek("collection.concentrated_period") is None:
        return None
    window = ctx.get("collection.concentrated_period")
    start, end = (_as_date(window["start"]), _as_date(window["end"]))
    return start <= ctx.paid <= end


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _reward(ctx: Context, draft: Draft) -> None:
    """B14 continuity reward: the minimum rise of the critical-illness cap."""
    facts = ctx.facts
    if facts.continuous_years is None or ctx.peek("reward.continuity_years") is None:
        return
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
    draft.extra.update(cap_increase_min=amount, cap_increase_ceiling=ceiling)
    draft.text += (
        f"连续参保激励：大病保险最高支付限额至少提高{yuan(amount)}元"
        + (f"（累计不超过{yuan(ceiling)}元）" if ceiling is not None else "")
        + "。"
    )


# --- applied to every answer they concern (B13, B15) ----------------------------------------


def _permit_stops(ctx: Context) -> date | None:
    """The permit's expiry where B13 applies to this enrollment year, else None."""
    facts = ctx.facts
    expires = facts.residence_permit_expires_on
    auto_stop = ctx.peek("benefit.residence_permit_auto_stop")
    if expires is None or auto_stop is None or not auto_stop.value:
        return None
    if expires > date(facts.year, 12, 31):
        return None
    ctx.get("benefit.residence_permit_auto_stop")
    ctx.out.apply("B13")
    return expires


def _permit_expired(ctx: Context) -> Draft | None:
    """B13: a permit expired before the year (or before registering) allows no enrollment."""
    facts = ctx.facts
    expires = facts.residence_permit_expires_on
    registered = facts.registered_on or ctx.paid
    if expires is None or expires >= max(facts.year_start, registered):
        return None
    if _permit_stops(ctx) is None:
        return None
    return Draft(
        None, None, [],
        f"居住证已于{expires}到期，自动停保；未持新的有效居住证重新办理参保的，"
        f"{facts.year}年度不能参保、不享受待遇。",
        {"enrollment_allowed": False, "benefit_end": None, "next_year_requires_new_permit": True},
    )


def _residence_permit(ctx: Context, draft: Draft) -> None:
    """B13: the permit's expiry stops the relation; a paid year keeps its benefits."""
    facts = ctx.facts
    if "enrollment_allowed" in draft.extra:
        return
    expires = _permit_stops(ctx)
    if expires is None:
        return
    year_end = date(facts.year, 12, 31)
    stop = expires + timedelta(days=1)
    draft.extra.update(
        auto_stop_on=stop, benefit_end=year_end, next_year_requires_new_permit=True
    )
    draft.text += (
        f"居住证{expires}到期后自动停保，当年已缴费成功，享受当年全年待遇至{year_end}；"
        "次年须持新的有效居住证重新办理参保。"
    )


def _students(ctx: Context, draft: Draft) -> None:
    """B15: whether college students' period is the academic or the calendar year."""
    facts = ctx.facts
    if facts.scheme is not Scheme.RESIDENT or not facts.categories & COLLEGE:
        return
    ctx.out.apply("B15")
    setting = ctx.peek("students.calendar_year")
    if setting is not None and ctx.get("students.calendar_year"):
        draft.extra["student_period"] = "calendar_year"
        draft.text += "大中专学生参保缴费期为自然年度。"
        return
    draft.extra["calendar_year_reading"] = {
        "benefit_start": draft.start,
        "waiting_months": draft.waiting,
        "contribution_years": draft.years,
    }
    draft.extra["student_period"] = None
    draft.start, draft.waiting, draft.years = None, None, None
    draft.text += (
        f"按自然年度计算结果如上；但{ctx.place}是否已将大中专学生参保缴费期由学年调整为自然年度，"
        "文件未载明，待遇起止无法确定。"
    )
    draft.gaps.append(
        "students.calendar_year：医保发〔2020〕33号 三（二）允许将大中专学生参保缴费期由学年调整"
        f"为自然年度，{ctx.place}{facts.year}年度文件未载明是否调整（学年制的起止亦未规定）"
    )


def _finish(ctx: Context, draft: Draft) -> Decision:
    _reward(ctx, draft)
    answer: dict[str, Any] = {
        "benefit_start": draft.start,
        "waiting_months": draft.waiting,
        "contribution_years": draft.years,
        "suspend_relation": False,
    }
    answer.update(draft.extra)
    if not draft.gaps:
        return ctx.out.decided(draft.text, **answer)
    decision = ctx.out.gap(draft.gaps[0], draft.text, **answer)
    return Decision(
        decision.kind,
        Status.POLICY_GAP,
        decision.rules,
        decision.citations,
        decision.explanation,
        decision.answer,
        gaps=tuple(draft.gaps),
    )


__all__ = ["KIND", "BenefitFacts", "Coverage", "decide", "read"]
