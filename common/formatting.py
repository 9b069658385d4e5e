"""How figures read on pages and in the admin: 1,828.90 (万元) and 98.53%."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import pgettext


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
    return f"{Decimal(value):,.2f}%"


def score(value: Decimal | None) -> str:
    """A score or weight (分值, 得分): two decimals, a dash for none."""
    return "—" if value is None else f"{Decimal(value):,.2f}"


def join_names(names: Iterable[str]) -> str:
    """Names listed in a sentence: 甲、乙 in Chinese, "A, B" in English."""
    return pgettext("list separator", "、").join(names)


def with_reason(name: str, reason: str) -> str:
    """A name followed by its reason in brackets: 甲（原因） in Chinese, "A (reason)" in English."""
    return pgettext("name with reason", "%(name)s（%(reason)s）") % {"name": name, "reason": reason}
