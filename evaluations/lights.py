"""绩效监控预警: the warning lights of a monitoring round, pure functions over plain values.

docs/design.md, "Targets and monitoring": red when spending to date is below the month's
threshold share of the 全年预算数 (defaults: April 25 %, June 40 %, August 60 %, October
80 %) or the department expects to miss a target (``off_track``); yellow when an
indicator's progress is more than 10 points from the spending rate or at risk; else green.
The thresholds are the report's rule set's (``Thresholds.of(report.rules)``);
``DEFAULT_THRESHOLDS`` are national-2020's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from indicators import scoring

GREEN, YELLOW, RED = "green", "yellow", "red"
SEVERITY = {GREEN: 0, YELLOW: 1, RED: 2}
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Thresholds:
    """Spending floors by month (month, percent of 全年预算数 due by its end) and the largest
    gap, in points, between an indicator's progress and the spending rate."""

    spending: tuple[tuple[int, Decimal], ...]
    progress_gap: Decimal

    def floor_for(self, month: int) -> tuple[int, Decimal] | None:
        """The latest threshold due by ``month`` (July → June's 40 %), or None before April."""
        due = [(m, share) for m, share in self.spending if m <= month]
        return due[-1] if due else None

    @classmethod
    def of(cls, rules: scoring.Rules) -> Thresholds:
        """A rule set's thresholds (indicators.rule_sets.RuleSet: spending_by_*, progress_gap),
        as the reasons print them: a stored 40.00 reads 40, 25.50 reads 25.5."""
        return cls(
            spending=tuple((month, _plain(share)) for month, share in rules.spending_floors),
            progress_gap=_plain(rules.progress_gap),
        )


def _plain(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


DEFAULT_THRESHOLDS = Thresholds.of(scoring.NATIONAL_2020)


@dataclass(frozen=True)
class Light:
    """A light and the reason for it in words ("" when green)."""

    colour: str
    reason: str = ""


def rate(done: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """``done`` as a percentage of ``whole``, 2 places; None when either is missing or 0."""
    if done is None or not whole:
        return None
    return (done * HUNDRED / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def spending_light(
    what: str, spent: Decimal, budget: Decimal | None, month: int,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Light:
    """Red when ``spent`` is below the share of ``budget`` due by ``month``."""
    floor = thresholds.floor_for(month)
    spent_rate = rate(spent, budget)
    if floor is None or spent_rate is None or spent_rate >= floor[1]:
        return Light(GREEN)
    return Light(RED, _("%(what)s截至%(month)s月末支出进度%(rate)s%%，低于%(due)s月末应达到的%(floor)s%%。") % {
        "what": what, "month": month, "rate": spent_rate, "due": floor[0], "floor": floor[1]})


def progress_light(
    name: str, progress: Decimal | None, outlook: str, spent_rate: Decimal | None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Light:
    """An indicator's light: red off track; yellow at risk or ``progress`` (percent of its
    target) more than the gap from ``spent_rate``; else green."""
    if outlook == "off_track":
        return Light(RED, _("“%(name)s”预计全年完不成。") % {"name": name})
    if progress is not None and spent_rate is not None:
        gap = abs(progress - spent_rate)
        if gap > thresholds.progress_gap:
            return Light(YELLOW, _(
                "“%(name)s”完成进度%(progress)s%%与支出进度%(rate)s%%相差%(gap)s个百分点，超过%(limit)s个百分点。"
            ) % {"name": name, "progress": progress, "rate": spent_rate, "gap": gap,
                 "limit": thresholds.progress_gap})
    if outlook == "at_risk":
        return Light(YELLOW, _("“%(name)s”有完不成的风险。") % {"name": name})
    return Light(GREEN)


def worst(lights: Iterable[Light]) -> Light:
    """The round's light: the most severe of its rows', with every reason of that colour."""
    lights = list(lights)
    colour = max((light.colour for light in lights), key=SEVERITY.__getitem__, default=GREEN)
    reasons = [light.reason for light in lights if light.colour == colour and light.reason]
    return Light(colour, "\n".join(reasons))
