"""Residence-permit enrollees (B13, ``benefit.residence_permit_auto_stop``, Kaiping).

The enrollment stops automatically when the permit expires; if that year was paid, the whole
year's benefits remain; without a new permit there is no enrollment the next year. A permit
that expired before the enrollment year (or before registering) allows no enrollment at all.
"""

from __future__ import annotations

from datetime import date, timedelta

from canbao.rules.benefit.context import Context, Finding, Note


def _stops(ctx: Context) -> date | None:
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


def expired(ctx: Context) -> Finding | None:
    """A permit expired before the year (or before registering) allows no enrollment."""
    facts = ctx.facts
    expires = facts.residence_permit_expires_on
    registered = facts.registered_on or ctx.paid
    if expires is None or expires >= max(facts.year_start, registered):
        return None
    if _stops(ctx) is None:
        return None
    return Finding(
        None,
        None,
        (),
        f"居住证已于{expires}到期，自动停保；未持新的有效居住证重新办理参保的，"
        f"{facts.year}年度不能参保、不享受待遇。",
        {"enrollment_allowed": False, "benefit_end": None, "next_year_requires_new_permit": True},
    )


def stop(ctx: Context) -> Note | None:
    """The permit's expiry within the year stops the relation; the paid year keeps its benefits."""
    expires = _stops(ctx)
    if expires is None:
        return None
    year_end = date(ctx.facts.year, 12, 31)
    return Note(
        f"居住证{expires}到期后自动停保，当年已缴费成功，享受当年全年待遇至{year_end}；"
        "次年须持新的有效居住证重新办理参保。",
        {
            "auto_stop_on": expires + timedelta(days=1),
            "benefit_end": year_end,
            "next_year_requires_new_permit": True,
        },
    )
