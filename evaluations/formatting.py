"""How figures read on pages and in the admin: 1,828.90 (万元) and 98.53%."""

from __future__ import annotations

from decimal import Decimal

TWO_PLACES = Decimal("0.01")


def amount(value: Decimal | None) -> str:
    """An amount with thousands separators and at least two decimals, never rounded away.

    The store keeps four decimals; a figure entered as 0.125 must not show as 0.13.
    """
    if value is None:
        return ""
    value = Decimal(value)
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{value:,.{places}f}"


def percent(value: Decimal | None) -> str:
    """A rate already in percent, shown with two decimals."""
    if value is None:
        return "—"
    return f"{Decimal(value):.2f}%"
