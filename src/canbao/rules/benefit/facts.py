"""The facts of a ``benefit_start`` case (SPEC section 6); ``contract.cases`` reads them from JSON.

``year`` is the enrollment year (参保年度) the case asks about: its policy applies, and a
payment belongs to it when made in its collection (before January 1, B1) or during it. Only a
newborn's payment may fall in a later year: within the newborn window the contribution covers
the years from birth (B4); a newborn who misses the window is an ordinary mid-year enrollee of
the year in which the payment is made, and is decided for that year (see ``newborns``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from canbao.domain.codes import Scheme
from canbao.domain.money import Money
from canbao.domain.periods import Period

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
        """The payment date, or the hardship flag date that stands for it (B12). The
        contract requires one of them; the year's first day only completes the type."""
        return self.paid_on or self.hardship_flagged_on or self.year_start

    @property
    def last_coverage(self) -> Coverage | None:
        """The coverage that ended last."""
        return max(self.history, key=lambda c: c.period.end, default=None)
