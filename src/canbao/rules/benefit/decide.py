"""One decision from the rule families, in a fixed order.

1. A newborn paid after the case's year and after the window is decided for the year of
   payment (``newborns.late_payment_year``).
2. When benefits start — the first family that concerns the case decides:
   B13 a residence permit expired before the year; newborns in the resident scheme (B3, B4;
   one who missed the window continues as below); hardship residents registered first (B12);
   switching schemes (B6–B11, the last coverage has the other scheme); a poverty-population
   transfer between pooling regions (B8); everyone else: the employee scheme, the 2025 waiting
   periods (B14), the whole year (B1) or mid-year enrollment (B2).
3. What applies to every answer it concerns, in this order: B5 (newborn under a parent's
   name), B13 (a permit expiring during the year), B15 (college students' period), the B14
   continuity reward.

The Decision carries every gap the families noted; it is ``decided`` only when none did.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from canbao.domain.codes import Scheme
from canbao.domain.decision import Decision
from canbao.policy import Policy
from canbao.rules.benefit import (
    hardship,
    mid_year,
    newborns,
    permits,
    students,
    switching,
    waiting_2025,
)
from canbao.rules.benefit.context import Context, Finding, Note
from canbao.rules.benefit.facts import BenefitFacts


def decide(facts: BenefitFacts, policy: Policy) -> Decision:
    later = newborns.late_payment_year(facts, policy)
    if later is None:
        return _decide(Context(facts, policy), "")
    in_that_year, lead = newborns.in_payment_year(facts, later)
    return _decide(Context(in_that_year, policy), lead)


def _decide(ctx: Context, lead: str) -> Decision:
    expired = permits.expired(ctx)
    found = expired or _start(ctx)
    notes = [
        newborns.identity(ctx),
        None if expired else permits.stop(ctx),
        students.period(ctx, found),
        waiting_2025.reward(ctx),
    ]
    return _answer(ctx, lead, found, [note for note in notes if note is not None])


def _start(ctx: Context) -> Finding:
    facts = ctx.facts
    newborn = newborns.start(ctx)
    if isinstance(newborn, newborns.Late):
        late = _ordinary(ctx) if ctx.paid < facts.year_start else mid_year.mid_year(ctx)
        return replace(late, text=newborn.text + late.text)
    if newborn is not None:
        return newborn
    registered_first = hardship.register_first(ctx)
    if registered_first is not None:
        return registered_first
    last = facts.last_coverage
    if last is not None and last.scheme is not facts.scheme:
        return switching.switch(ctx, last)
    if last is not None and "tuopin" in facts.identities and switching.moved(ctx, last):
        return switching.tuopin(ctx, last, transfer=True)
    return _ordinary(ctx)


def _ordinary(ctx: Context) -> Finding:
    if ctx.facts.scheme is Scheme.EMPLOYEE:
        return mid_year.employee(ctx)
    if waiting_2025.applies(ctx):
        return waiting_2025.start(ctx)
    lead = f"{ctx.paid}在{ctx.facts.year}参保年度开始前缴费"
    return mid_year.whole_year_or_mid_year(ctx, lead)


def _answer(ctx: Context, lead: str, found: Finding, notes: list[Note]) -> Decision:
    answer: dict[str, Any] = {
        "benefit_start": found.start,
        "waiting_months": found.waiting,
        "contribution_years": None if found.years is None else list(found.years),
        "suspend_relation": False,
        **found.fields,
    }
    text = lead + found.text
    for gap in found.gaps:
        ctx.out.gap_note(gap)
    for note in notes:
        if note.withhold:
            answer.update(benefit_start=None, waiting_months=None, contribution_years=None)
        answer.update(note.fields)
        text += note.text
        for gap in note.gaps:
            ctx.out.gap_note(gap)
    return ctx.out.decision(text, **answer)
