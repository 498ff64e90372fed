"""What every benefit rule family shares: the decision context and the findings it returns.

Conventions (SPEC section 4 B, ``convention.*``; ADR 0002): a waiting period of N months counts
from the 1st of the month after payment and benefits start on the 1st of the month after it
ends. A resident contribution covers its enrollment year, so nothing starts before its January 1:
a waiting period of a contribution paid before the year counts from January 1 (project reading,
stated in the explanation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from canbao.domain.codes import Scheme
from canbao.domain.months import after_waiting, first_of_next_month
from canbao.policy import Params, Policy, Value
from canbao.rules.benefit.facts import KIND, BenefitFacts
from canbao.rules.outcome import Outcome

SCHEME_NAMES = {Scheme.EMPLOYEE: "职工医保", Scheme.RESIDENT: "居民医保"}


@dataclass(frozen=True)
class Finding:
    """When benefits start, as one rule family found it.

    Attributes:
    start: the first day of benefits (None where open).
    waiting: the waiting period in months (None where open).
    years: the enrollment years whose contribution is due (None where open).
    text: the explanation, one or two Chinese sentences.
    fields: further answer fields.
    gaps: what the documents leave open (the decision is then policy_gap).
    """

    start: date | None
    waiting: int | None
    years: tuple[int, ...] | None
    text: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    gaps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    """What a rule adds to any answer it concerns (B5, B13, B15, the B14 reward).

    Attributes:
    text: a sentence appended to the explanation.
    fields: further answer fields.
    gaps: what the documents leave open.
    withhold: the documents leave the start, waiting period and years open after all.
    """

    text: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    gaps: tuple[str, ...] = ()
    withhold: bool = False


class Context:
    """The facts, the parameters and the outcome of one decision."""

    def __init__(self, facts: BenefitFacts, policy: Policy) -> None:
        self.facts, self.policy = facts, policy
        self.params = Params(policy, facts.region, facts.year)
        self.out = Outcome(KIND, self.params)
        #: the place whose documents govern the case (named where they are silent)
        self.place = policy.region_name(policy.documents_place(facts.region))

    @property
    def paid(self) -> date:
        return self.facts.paid

    def peek(self, key: str) -> Value | None:
        """Look a value up without citing it (to test whether a rule applies)."""
        return self.policy.find(key, self.facts.region, self.facts.year)

    def get(self, key: str) -> Any:
        return self.params.get(key)

    def require(self, key: str) -> Any:
        return self.out.require(key)

    def cited(self, rule_id: str) -> str:
        """A rule's sections as a text names them (``医保发〔2020〕33号 二（三）``)."""
        return self.policy.cited(rule_id, self.facts.region)

    def resident_floor(self, start: date) -> date:
        """B1: a resident contribution covers its enrollment year, from January 1 at earliest."""
        if self.facts.scheme is not Scheme.RESIDENT or start >= self.facts.year_start:
            return start
        self.prepaid()
        return self.facts.year_start

    def prepaid(self) -> None:
        """B1 with its convention (``january_first``, the only one the schema allows)."""
        self.require("convention.prepaid_benefit_start")
        self.out.apply("B1")

    def waiting_end(self, months: int) -> date:
        """Benefit start after a waiting period (``convention.waiting_counting``, whose only
        choice is ``from_next_month``); before the year it counts from January 1."""
        self.require("convention.waiting_counting")
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

    def next_month_or_year(self) -> date:
        """After payment: the 1st of the next month, January 1 if paid before the year."""
        return self.resident_floor(first_of_next_month(self.paid))
