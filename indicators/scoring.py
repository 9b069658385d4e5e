"""Scoring rules for 绩效自评 tables: indicator scores, execution rate, total and grade.

Pure functions over ``decimal.Decimal`` (no Django) so the rules in docs/design.md ("Scoring") can be tested alone.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import floor

__all__ = [
    "COMPARISONS",
    "FULL_BY_DEFAULT",
    "LEVEL1_CODES",
    "NATURES",
    "PLACES",
    "QUALITATIVE",
    "QUALITATIVE_BANDS",
    "QUANTITATIVE",
    "TERMS",
    "Proportional",
    "TIERS",
    "ScoreOutOfBand",
    "ScoredRow",
    "execution_rate",
    "execution_score",
    "grade",
    "indicator_score",
    "needs_execution_explanation",
    "qualitative_band",
    "round2",
    "target_missed",
    "total_score",
    "weights_mismatch",
]

LEVEL1_CODES: tuple[str, ...] = ("output", "outcome", "satisfaction")

HUNDRED = Decimal("100")
DEFAULT_EXECUTION_WEIGHT = Decimal("10")
EXECUTION_EXPLANATION_BELOW = Decimal("90")

# --- The rules as data ---------------------------------------------------------------
# The functions below read these, and the fast export (evaluations/exports/sql.py) compiles
# them to SQL, so the two cannot drift apart (docs/design.md, "Scoring").

PLACES = 2  # every score, rate and total is rounded half up to this many places
_CENT = Decimal(1).scaleb(-PLACES)

QUALITATIVE = "qualitative"

# Each grade's lowest total, best first (vocabulary.Grade's codes); below the last, GRADE_BELOW.
GRADE_FLOORS: tuple[tuple[str, Decimal], ...] = (
    ("excellent", Decimal("90")),
    ("good", Decimal("80")),
    ("fair", Decimal("60")),
)
GRADE_BELOW = "poor"

# Fractions of the weight, inclusive at both ends, so adjacent bands share their edge.
QUALITATIVE_BANDS: dict[str, tuple[Fraction, Fraction]] = {
    "achieved": (Fraction(4, 5), Fraction(1)),
    "partial": (Fraction(3, 5), Fraction(4, 5)),
    "not_achieved": (Fraction(0), Fraction(3, 5)),
}
# The tier that scores the full weight when no score is entered; the others need a judgement.
FULL_BY_DEFAULT = "achieved"


@dataclass(frozen=True)
class Proportional:
    """How a quantitative nature scores.

    The full weight when ``actual <met> target``; otherwise weight × numerator ÷ denominator
    when both are positive, else 0. Where the proportional formula stops meaning anything
    (a zero or negative term, or signs that would flip the ratio) the indicator is thus
    scored all or nothing. Each rule's ratio is below 1 whenever its target is missed, so
    no cap is needed.
    """

    met: str  # the comparison of actual with target that meets it: one of COMPARISONS
    numerator: str  # one of TERMS
    denominator: str


COMPARISONS = {">=": operator.ge, "<=": operator.le, "==": operator.eq}
# Terms of a ratio, from (target, actual).
TERMS: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "target": lambda target, actual: target,
    "actual": lambda target, actual: actual,
    "smaller": min,
    "larger": max,
}
QUANTITATIVE: dict[str, Proportional] = {
    "gte": Proportional(">=", numerator="actual", denominator="target"),
    "lte": Proportional("<=", numerator="target", denominator="actual"),
    "eq": Proportional("==", numerator="smaller", denominator="larger"),
}
NATURES: tuple[str, ...] = (*QUANTITATIVE, QUALITATIVE)
TIERS: tuple[str, ...] = tuple(QUALITATIVE_BANDS)


class ScoreOutOfBand(ValueError):
    """An entered qualitative score lies outside the band of its tier."""

    def __init__(self, tier: str, low: Decimal, high: Decimal, score: Decimal) -> None:
        self.tier = tier
        self.low = low
        self.high = high
        self.score = score
        super().__init__(f"score {score} for tier {tier!r} is outside [{low}, {high}]")


def round2(x: Decimal) -> Decimal:
    """Round to 2 places, half up, as the paper form shows it."""
    return x.quantize(_CENT, rounding=ROUND_HALF_UP)


def _round_fraction(x: Fraction) -> Decimal:
    # Ratios are kept as exact fractions until this single rounding, so a value
    # that is exactly x.xx5 on paper rounds up instead of depending on how many
    # digits the Decimal context kept for a repeating quotient.
    sign = -1 if x < 0 else 1
    units = floor(abs(x) * 10**PLACES + Fraction(1, 2))
    return round2(Decimal(sign * units).scaleb(-PLACES))


# --- Execution rate -------------------------------------------------------------


def execution_rate(expenditure: Decimal | None, adjusted_budget: Decimal | None) -> Decimal | None:
    """Expenditure ÷ adjusted budget as a percentage, 2 places (98.53 means 98.53%).

    None when either figure is missing or the budget is 0 or less (no meaningful rate).
    """
    if expenditure is None or adjusted_budget is None or adjusted_budget <= 0:
        return None
    return _round_fraction(Fraction(expenditure) * 100 / Fraction(adjusted_budget))


def execution_score(
    rate_percent: Decimal | None, weight: Decimal = DEFAULT_EXECUTION_WEIGHT
) -> Decimal | None:
    """weight × min(rate, 100%), 2 places; None when there is no rate.

    A negative rate (refunds exceeding spending) scores 0 rather than going negative.
    """
    if rate_percent is None:
        return None
    capped = min(max(Fraction(rate_percent), Fraction(0)), Fraction(100))
    return _round_fraction(Fraction(weight) * capped / 100)


def needs_execution_explanation(rate: Decimal | None) -> bool:
    """Whether the execution rate is below 90% and so must be explained."""
    return rate is not None and rate < EXECUTION_EXPLANATION_BELOW


# --- Indicator scores -----------------------------------------------------------


def _check_nature(nature: str) -> None:
    if nature not in NATURES:
        raise ValueError(f"unknown indicator nature {nature!r}")


def _check_tier(tier: str) -> None:
    if tier not in TIERS:
        raise ValueError(f"unknown qualitative tier {tier!r}")


def qualitative_band(tier: str, weight: Decimal) -> tuple[Decimal, Decimal]:
    """Inclusive (low, high) score bounds for a qualitative tier, rounded to 2 places."""
    _check_tier(tier)
    low, high = QUALITATIVE_BANDS[tier]
    w = Fraction(weight)
    return _round_fraction(w * low), _round_fraction(w * high)


def _meets(nature: str, target, actual) -> bool:
    return COMPARISONS[QUANTITATIVE[nature].met](actual, target)


def _quantitative_ratio(nature: str, target: Fraction, actual: Fraction) -> Fraction:
    """Share of the weight earned, in [0, 1], by the nature's rule in QUANTITATIVE."""
    if _meets(nature, target, actual):
        return Fraction(1)
    rule = QUANTITATIVE[nature]
    numerator = TERMS[rule.numerator](target, actual)
    denominator = TERMS[rule.denominator](target, actual)
    if numerator <= 0 or denominator <= 0:
        return Fraction(0)
    return numerator / denominator


def indicator_score(
    *,
    nature: str,
    weight: Decimal | None,
    target: Decimal | None,
    actual: Decimal | None,
    tier: str = "",
    entered: Decimal | None = None,
    applicable: bool = True,
) -> Decimal | None:
    """Score of one indicator, 2 places, within [0, weight]; None when it is not scored.

    None for: not applicable, unweighted (weight None), a quantitative indicator
    missing its target or actual, a qualitative indicator with no tier yet, and
    partial / not_achieved with no entered score.
    Quantitative natures ignore ``tier`` and ``entered``; qualitative ignores
    ``target`` and ``actual``. Weights are expected to have at most 2 places.
    Raises ValueError for an unknown nature or tier or a negative weight, and
    ScoreOutOfBand when an entered qualitative score is outside its tier's band.
    """
    _check_nature(nature)
    if not applicable or weight is None:
        return None
    if weight < 0:
        raise ValueError(f"negative weight {weight}")

    if nature == QUALITATIVE:
        if tier == "":
            return None
        _check_tier(tier)
        if entered is None:
            return round2(weight) if tier == FULL_BY_DEFAULT else None
        score = round2(entered)
        low, high = qualitative_band(tier, weight)
        # Compared as displayed, so a value the form shows as the band edge is accepted.
        if not low <= score <= high:
            raise ScoreOutOfBand(tier, low, high, score)
        return score

    if target is None or actual is None:
        return None
    ratio = _quantitative_ratio(nature, Fraction(target), Fraction(actual))
    return _round_fraction(Fraction(weight) * ratio)


def target_missed(
    *, nature: str, target: Decimal | None, actual: Decimal | None, tier: str = ""
) -> bool:
    """Whether the indicator misses its target, which calls for a deviation reason.

    False while values are missing (a qualitative indicator with no tier yet counts as missing).
    """
    _check_nature(nature)
    if nature == QUALITATIVE:
        if tier == "":
            return False
        _check_tier(tier)
        return tier != FULL_BY_DEFAULT
    if target is None or actual is None:
        return False
    return not _meets(nature, target, actual)


# --- Totals and grade -----------------------------------------------------------


@dataclass(frozen=True)
class ScoredRow:
    """One weighted line of a table (an indicator or the execution row) as seen by the total."""

    score: Decimal | None
    weight: Decimal | None
    applicable: bool = True


def total_score(rows: Iterable[ScoredRow]) -> Decimal | None:
    """Σ scores × 100 ÷ Σ weights of the rows that apply, 2 places, clamped to [0, 100].

    Rows that are unweighted or not applicable are left out, which rescales the
    rest to 100. A weighted row that applies but has no score yet counts as 0,
    so an unfinished table is not flattered. None when no weight applies.
    """
    score_sum = Decimal(0)
    weight_sum = Decimal(0)
    for row in rows:
        if row.weight is None or not row.applicable:
            continue
        weight_sum += row.weight
        if row.score is not None:
            # The total is built from scores as printed, not their unrounded values.
            score_sum += round2(row.score)
    if weight_sum <= 0:
        return None
    total = _round_fraction(Fraction(score_sum) * 100 / Fraction(weight_sum))
    return min(max(total, round2(Decimal(0))), round2(HUNDRED))


def grade(total: Decimal | None) -> str | None:
    """Grade code for a total: the first of GRADE_FLOORS it reaches, else GRADE_BELOW."""
    if total is None:
        return None
    for code, lowest in GRADE_FLOORS:
        if total >= lowest:
            return code
    return GRADE_BELOW


# --- Weights --------------------------------------------------------------------


def weights_mismatch(
    entered_by_level1: Mapping[str, Decimal],
    execution_weight: Decimal,
    expected_total: Decimal = HUNDRED,
) -> Decimal | None:
    """Entered total − expected when indicator weights plus execution do not add up, else None.

    Level-1 codes missing from the mapping count as 0; unknown codes raise ValueError.
    """
    unknown = set(entered_by_level1) - set(LEVEL1_CODES)
    if unknown:
        raise ValueError(f"unknown level-1 codes {sorted(unknown)}")
    entered = sum(entered_by_level1.values(), Decimal(0)) + execution_weight
    difference = entered - expected_total
    return difference if difference != 0 else None
