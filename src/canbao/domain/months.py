"""Month arithmetic used by the benefit and refund rules.

The conventions are those of SPEC section 4 (B): a *gap* counts the whole calendar months
strictly between two months; a *waiting period* of N months counts from the 1st of the month
after payment, and benefits start on the 1st of the month after it ends.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date


def month_index(day: date) -> int:
    """A running month number: consecutive calendar months differ by one."""
    return day.year * 12 + day.month - 1


def first_of_month(index: int) -> date:
    """The first day of the month with the given running month number."""
    return date(index // 12, index % 12 + 1, 1)


def first_of_next_month(day: date) -> date:
    return first_of_month(month_index(day) + 1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    index = month_index(day) + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_of_month(index: int) -> date:
    year, month = index // 12, index % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def gap_months(covered_to: date, paid_on: date) -> int:
    """Whole calendar months strictly between the month of ``covered_to`` and of ``paid_on``.

    Coverage to 2021-10-31 and payment on 2022-01-15 leave November and December: 2.
    """
    return max(0, month_index(paid_on) - month_index(covered_to) - 1)


def covered_months(periods: Iterable[tuple[date, date]]) -> set[int]:
    """The running numbers of every calendar month touched by one of the periods."""
    months: set[int] = set()
    for start, end in periods:
        months.update(range(month_index(start), month_index(end) + 1))
    return months


def continuous_months(periods: Iterable[tuple[date, date]], ending: date) -> int:
    """Months covered without an uncovered calendar month, counting back from ``ending``."""
    months = covered_months(periods)
    index = month_index(ending)
    count = 0
    while index in months:
        count += 1
        index -= 1
    return count


def after_waiting(paid_on: date, waiting_months: int) -> date:
    """Benefit start after a waiting period counted from the 1st of the month after payment.

    Paid 2022-03-15 with 3 months (April, May, June): benefits from 2022-07-01.
    """
    return first_of_month(month_index(paid_on) + 1 + waiting_months)
