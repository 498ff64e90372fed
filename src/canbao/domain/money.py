"""Money is Decimal yuan, rounded to the fen in one place."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

Money = Decimal
FEN = Decimal("0.01")
ZERO = Decimal("0")


def money(value: Decimal | int | str) -> Money:
    """A yuan amount as Decimal, rounded half-up to the fen (0.01)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def yuan(amount: Decimal) -> str:
    """An amount for a Chinese sentence: 376, 376.5 → 376.50."""
    return f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"
