"""The facts of a ``benefit_start`` case and how they are read from JSON (SPEC section 6).

``year`` is the enrollment year (参保年度) the case asks about: its policy applies, and a
payment belongs to it when made in its collection (before January 1, B1) or during it. Only a
newborn's payment may fall in a later year: within the newborn window the contribution covers
the years from birth (B4); a newborn who misses the window is an ordinary mid-year enrollee of
the year in which the payment is made, and is decided for that year (see ``newborns``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from canbao.domain.codes import CATEGORIES, IDENTITIES, Scheme
from canbao.domain.money import Money
from canbao.domain.periods import Period
from canbao.rules.case import MIN_YEAR, Reader

KIND = "benefit_start"


@dataclass(frozen=True)
class Coverage:
    """An earlier coverage period of the person.

    Attributes:
    scheme: employee or resident.
    region: region of that coverage (any code; its pooling region comes from policy data).
    period: the first and the last covered day (``from``, ``to``).
    """

    scheme: Scheme
    region: str
    period: Period


@dataclass(frozen=True)
class BenefitFacts:
    """Attributes:
    region: region of the new enrollment (most specific known).
    year: enrollment year (see the module docstring).
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

    @property
    def paid(self) -> date:
        """The payment date, or the hardship flag date that stands for it (B12). ``read``
        requires one of them; the year's first day only completes the type."""
        return self.paid_on or self.hardship_flagged_on or self.year_start

    @property
    def last_coverage(self) -> Coverage | None:
        """The coverage that ended last."""
        return max(self.history, key=lambda c: c.period.end, default=None)


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
            history.append(Coverage(Scheme(kind), region, Period(start, end)))
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
    """Facts that contradict each other break the format of the case."""
    if "newborn" in facts.categories and facts.birth_date is None and not person.has("birth_date"):
        person.fail(person.where("birth_date"), "新生儿须提供出生日期 (required for a newborn)")
    paid, born = facts.paid_on, facts.birth_date
    if born and facts.year and born.year > facts.year:
        person.fail(person.where("birth_date"), f"出生日期 {born} 晚于 {facts.year} 参保年度")
    if paid and born and paid < born:
        case.fail("paid_on", f"缴费日期 {paid} 早于出生日期 {born}")
    if paid and facts.registered_on and facts.registered_on > paid:
        case.fail(
            "registered_on",
            f"参保登记日期 {facts.registered_on} 晚于缴费日期 {paid}（应先登记后缴费）",
        )
    if paid and facts.year and not facts.newborn and paid.year > facts.year:
        case.fail("paid_on", f"缴费日期 {paid} 晚于 {facts.year} 参保年度")
    if paid and facts.year and facts.newborn and paid.year > facts.year + 1:
        case.fail(
            "paid_on",
            f"缴费日期 {paid} 晚于 {facts.year} 参保年度的次年"
            "（新生儿逾期参保的，year 写缴费所在年度）",
        )
    ended = facts.hardship_ended_on
    if ended and facts.year and ended.year > facts.year:
        case.fail("hardship_ended_on", f"{ended} 不在 {facts.year} 参保年度内")
    # A count of years cannot reach back before the person's birth (or the first year a case
    # may name): beyond it, it is a typing error, and waiting months would leave the calendar.
    span = max(0, facts.year - (born.year if born else MIN_YEAR))
    for name, count in (
        ("years_without_coverage", facts.years_without_coverage),
        ("repair_years", facts.repair_years),
    ):
        if facts.year and count is not None and count > span:
            case.fail(name, f"{count} 年超过 {facts.year} 年度之前可能的年数 {span}")
