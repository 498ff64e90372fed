"""A coverage period: the first and the last covered day, both included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from canbao.domain.months import month_index


@dataclass(frozen=True, order=True)
class Period:
    """Attributes:
    start: the first covered day (``from`` in a case).
    end: the last covered day (``to``), not before ``start``.
    """

    start: date
    end: date

    def overlaps(self, other: Period) -> bool:
        """Whether the two periods share at least one day (touching periods do not)."""
        return self.start <= other.end and other.start <= self.end

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> range:
        """The running month numbers (``months.month_index``) of every month it touches."""
        return range(month_index(self.start), month_index(self.end) + 1)
