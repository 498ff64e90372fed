"""Month arithmetic: the worked examples of SPEC section 4 (B) and its properties."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from canbao.domain.months import (
    add_months,
    after_waiting,
    continuous_months,
    first_of_month,
    first_of_next_month,
    gap_months,
    month_index,
)

days = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31))


def test_gap_counts_whole_months_strictly_between() -> None:
    assert gap_months(date(2021, 10, 31), date(2022, 1, 15)) == 2
    assert gap_months(date(2021, 11, 30), date(2022, 1, 10)) == 1
    assert gap_months(date(2021, 12, 31), date(2022, 1, 1)) == 0
    assert gap_months(date(2022, 1, 31), date(2022, 1, 5)) == 0


def test_waiting_period_counts_from_the_month_after_payment() -> None:
    assert after_waiting(date(2022, 3, 15), 3) == date(2022, 7, 1)
    assert after_waiting(date(2022, 3, 15), 0) == date(2022, 4, 1)
    assert after_waiting(date(2022, 11, 30), 3) == date(2023, 3, 1)


def test_continuous_months_stop_at_the_first_uncovered_month() -> None:
    periods = [(date(2018, 1, 1), date(2021, 11, 30))]
    assert continuous_months(periods, date(2021, 11, 30)) == 47
    split = [(date(2020, 1, 1), date(2020, 6, 30)), (date(2020, 8, 1), date(2021, 7, 31))]
    assert continuous_months(split, date(2021, 7, 31)) == 12
    across = [(date(2020, 1, 1), date(2020, 12, 31)), (date(2021, 1, 1), date(2021, 12, 31))]
    assert continuous_months(across, date(2021, 12, 31)) == 24


def test_add_months_clamps_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2022, 1, 31), 1) == date(2022, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2022, 3, 15), -3) == date(2021, 12, 15)


@given(days, st.integers(min_value=-600, max_value=600))
def test_add_months_moves_the_month_index_exactly(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert month_index(moved) - month_index(day) == months
    assert moved.day <= day.day


@given(days)
def test_first_of_next_month_is_the_day_after_the_month_ends(day: date) -> None:
    following = first_of_next_month(day)
    assert following.day == 1
    assert month_index(following) == month_index(day) + 1
    assert (following - timedelta(days=1)).month == day.month


@given(days, days)
def test_gap_is_never_negative_and_adds_up(covered_to: date, paid_on: date) -> None:
    gap = gap_months(covered_to, paid_on)
    assert gap >= 0
    if month_index(paid_on) > month_index(covered_to):
        assert gap == month_index(paid_on) - month_index(covered_to) - 1


@given(days, st.integers(min_value=0, max_value=24))
def test_waiting_ends_on_a_first_after_the_payment_month(paid_on: date, waiting: int) -> None:
    start = after_waiting(paid_on, waiting)
    assert start.day == 1
    assert month_index(start) == month_index(paid_on) + waiting + 1
    assert start == first_of_month(month_index(paid_on) + waiting + 1)


@given(days, st.integers(min_value=1, max_value=120))
def test_one_unbroken_period_counts_all_its_months(end: date, months: int) -> None:
    start = first_of_month(month_index(end) - months + 1)
    assert continuous_months([(start, end)], end) == months
