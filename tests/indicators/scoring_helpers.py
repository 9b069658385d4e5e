"""The scoring tests' shared shorthand: D for Decimal, score() with strings for amounts."""

from __future__ import annotations

from decimal import Decimal

from indicators.scoring import indicator_score

D = Decimal


def score(
    nature: str, weight: str | None, target: str | None, actual: str | None, **kw: object
) -> Decimal | None:
    return indicator_score(
        nature=nature,
        weight=None if weight is None else D(weight),
        target=None if target is None else D(target),
        actual=None if actual is None else D(actual),
        **kw,  # type: ignore[arg-type]
    )
