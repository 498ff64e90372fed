"""Refund decisions (F1–F6): malformed cases and the bounds of the refund amount."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from invalid_case import error_paths

from canbao.contract import decide_case
from canbao.domain.decision import Status
from canbao.domain.money import money
from canbao.rules.refund import refund_share


def case(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "refund",
        "region": "441400",
        "year": 2022,
        "scheme": "resident",
        "paid_amount": 320,
        "paid_on": "2021-10-08",
        "event_on": "2021-12-01",
        "applied_on": "2021-12-10",
        "reason": "joined_employee",
        "assistance_subsidized": False,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_the_base_case_is_decided() -> None:
    decision = decide_case(case())
    assert decision.status is Status.DECIDED
    assert decision.answer["amount"] == Decimal(320)


def test_malformed_dates_and_amount_are_all_reported() -> None:
    raw = case(event_on="2021-13-01", applied_on="2021/12/10", paid_amount=-5)
    assert error_paths(raw) == ["applied_on", "event_on", "paid_amount"]


def test_missing_required_fields() -> None:
    raw = case(reason=None, paid_on=None, scheme=None)
    assert error_paths(raw) == ["paid_on", "reason", "scheme"]


def test_unknown_reason_and_region_code() -> None:
    assert error_paths(case(reason="moved_house", region="4414")) == ["reason", "region"]


def test_flexible_worker_needs_the_employer_month() -> None:
    raw = case(scheme="employee", reason="flexible_then_employed", paid_amount=2400)
    assert error_paths(raw) == ["employer_contribution_from"]
    raw = case(
        scheme="employee",
        reason="flexible_then_employed",
        employer_contribution_from="2022-13",
    )
    assert error_paths(raw) == ["employer_contribution_from"]


def test_flexible_reason_is_for_the_employee_scheme_only() -> None:
    raw = case(reason="flexible_then_employed", employer_contribution_from="2022-07")
    assert error_paths(raw) == ["reason"]


def test_application_before_payment_or_event_is_invalid() -> None:
    assert error_paths(case(applied_on="2021-10-01")) == ["applied_on", "applied_on"]
    assert error_paths(case(applied_on="2021-11-30")) == ["applied_on"]


def test_optional_extras_are_typed() -> None:
    raw = case(relation_suspended="yes", terminated_region="guiyang", assistance_subsidized=1)
    assert error_paths(raw) == ["assistance_subsidized", "relation_suspended", "terminated_region"]


def test_pro_rata_share() -> None:
    assert refund_share(Decimal(2400), 6) == Decimal(1200)
    assert refund_share(Decimal(2400), 12) == Decimal(2400)
    assert refund_share(Decimal(100), 1) == Decimal("8.33")


REGIONS = ["441400", "441402", "440783", "440700", "520100", "520102", "520190", "440100"]
REASONS = [
    "duplicate_payment",
    "joined_employee",
    "other_region_resident",
    "death",
    "system_error",
    "hukou_moved_out",
    "lifetime_benefit",
    "duplicate_enrollment",
    "other",
]
amounts = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False).map(money)
days = st.dates(min_value=date(2021, 1, 1), max_value=date(2023, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    region=st.sampled_from(REGIONS),
    year=st.sampled_from([2021, 2022, 2023]),
    paid=amounts,
    paid_on=days,
    event_on=days,
    delay=st.integers(min_value=0, max_value=400),
    reason=st.sampled_from(REASONS),
    assistance=st.booleans(),
    suspended=st.sampled_from([None, True, False]),
)
def test_resident_refund_is_within_what_was_paid(
    region: str,
    year: int,
    paid: Decimal,
    paid_on: date,
    event_on: date,
    delay: int,
    reason: str,
    assistance: bool,
    suspended: bool | None,
) -> None:
    applied = max(paid_on, event_on) + timedelta(days=delay)
    raw = case(
        region=region,
        year=year,
        paid_amount=paid,
        paid_on=paid_on.isoformat(),
        event_on=event_on.isoformat(),
        applied_on=applied.isoformat(),
        reason=reason,
        assistance_subsidized=assistance,
        relation_suspended=suspended,
    )
    check_bounds(raw, paid)


@settings(max_examples=300, deadline=None)
@given(
    paid=amounts,
    year=st.sampled_from([2021, 2022, 2023]),
    employer_year=st.integers(min_value=2020, max_value=2024),
    month=st.integers(min_value=1, max_value=12),
    assistance=st.booleans(),
)
def test_flexible_refund_is_within_what_was_paid(
    paid: Decimal, year: int, employer_year: int, month: int, assistance: bool
) -> None:
    raw = case(
        scheme="employee",
        year=year,
        paid_amount=paid,
        paid_on=f"{year}-01-05",
        event_on="2020-01-01",
        applied_on="2025-01-01",
        reason="flexible_then_employed",
        employer_contribution_from=f"{employer_year}-{month:02d}",
        assistance_subsidized=assistance,
    )
    decision = check_bounds(raw, paid)
    if employer_year == year:
        assert decision.answer["refund_months"] == 13 - month
        assert decision.answer["amount"] == money(paid * (13 - month) / 12)


def check_bounds(raw: dict[str, Any], paid: Decimal) -> Any:
    decision = decide_case(raw)
    assert decision.status in (Status.DECIDED, Status.POLICY_GAP), decision.explanation
    amount = decision.answer["amount"]
    eligible = decision.answer["eligible"]
    if amount is not None:
        assert Decimal(0) <= amount <= paid
    if eligible is False:
        assert amount == 0
    if decision.status is Status.DECIDED:
        assert amount is not None and isinstance(eligible, bool)
    assert decision.citations
    return decision
