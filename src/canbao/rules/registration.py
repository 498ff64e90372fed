"""Registration deadlines (W1): when a change or a stop is too late for the coming year.

K2 (开平 五（三）, 五（七）): changes and stops are handled until ``collection.change_deadline``;
an enrollee who did not change or stop by then is assessed for the new year at the new standard,
so a change or stop received after it and before the collection ends is refused for that year.
New registrations are for the eligibility rules (E4 decides who may still enroll after the
collection period, with which proofs).
"""

from __future__ import annotations

from datetime import date

from canbao.domain.decision import Decision
from canbao.policy import Params, Policy
from canbao.rules.outcome import Outcome

KIND = "registration"


def collection_year(policy: Policy, region: str, day: date) -> int | None:
    """The year whose concentrated collection period holds ``day``, if any."""
    for year in (day.year + 1, day.year):
        window = Params(policy, region, year).get("collection.concentrated_period")
        if window is not None and window["start"] <= day <= window["end"]:
            return year
    return None


def enrollment_year(policy: Policy, region: str, day: date) -> int:
    """The enrollment year a registration received on ``day`` is for: the year whose
    concentrated period holds the day, the coming year when its period is already over (a late
    registration), else the day's own year (mid-year)."""
    found = collection_year(policy, region, day)
    if found is not None:
        return found
    coming = Params(policy, region, day.year + 1).get("collection.concentrated_period")
    if coming is not None and day > coming["end"]:
        return day.year + 1
    return day.year


def change_too_late(policy: Policy, region: str, year: int, day: date) -> Decision | None:
    """K2: a change or stop received after the change deadline of ``year``'s collection."""
    params = Params(policy, region, year)
    deadline = params.get("collection.change_deadline")
    window = params.get("collection.concentrated_period")
    if deadline is None or window is None or not deadline < day <= window["end"]:
        return None
    out = Outcome(KIND, params)
    out.apply("K2")
    return out.decided(
        f"{day}受理，已过{year}年度变更、停保截止日{deadline}；未按时办理的，按新年度标准自动核定"
        f"{year}年度参保缴费，本次变更或停保不适用于{year}年度。",
        deadline=deadline,
    )
