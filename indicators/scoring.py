"""Scoring rules for 绩效自评 tables: indicator scores, execution rate, total and grade.

Pure functions over ``decimal.Decimal`` (no Django) so the rules in docs/design.md ("Scoring",
"Scoring rule sets") can be tested alone. Every rule that a rule set may settle differently reads
its parameter from a ``Rules`` value (a frozen dataclass; ``indicators.rule_sets.RuleSet.rules``
builds one from the stored rule set); ``NATIONAL_2020`` is 财预〔2020〕10号 as this product reads it
and the default of every function.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import NamedTuple

__all__ = [
    "COMPARISONS",
    "FULL_BY_DEFAULT",
    "LEVEL1_CODES",
    "LTE_FORMULAS",
    "NATIONAL_2020",
    "NATURES",
    "OVER_TARGET",
    "PLACES",
    "QUALITATIVE",
    "QUALITATIVE_BANDS",
    "QUANTITATIVE",
    "TERMS",
    "Proportional",
    "Rules",
    "TIERS",
    "ScoreOutOfBand",
    "ScoredRow",
    "execution_rate",
    "execution_score",
    "grade",
    "in_band",
    "indicator_score",
    "needs_execution_explanation",
    "qualitative_band",
    "round2",
    "target_missed",
    "total_score",
    "weights_mismatch",
]

# 一级指标 codes (vocabulary.Level1); "cost" is one only under a rule set with cost_level1.
LEVEL1_CODES: tuple[str, ...] = ("output", "outcome", "satisfaction", "cost")
COST_LEVEL1 = "cost"

HUNDRED = Decimal("100")

PLACES = 2  # every score, rate and total is rounded half up to this many places
_CENT = Decimal(1).scaleb(-PLACES)
_SCALE = 10**PLACES
_ONE = Fraction(1)

QUALITATIVE = "qualitative"
GRADE_BELOW = "poor"
# The tier that scores the full weight when no score is entered; the others need a judgement.
FULL_BY_DEFAULT = "achieved"

# The ≤ formulas a rule set may choose, and what a ≥ result far above its target scores.
LTE_FORMULAS: tuple[str, ...] = ("ratio", "deduction")
OVER_TARGET: tuple[str, ...] = ("full", "deduct")


@dataclass(frozen=True)
class Rules:
    """One rule set's parameters as a plain value (docs/design.md, "Scoring rule sets").

    ``bands``: each qualitative tier's share of the weight, best tier first, as (tier, low,
    high); a score on the edge two tiers share belongs to the higher one, so every band but the
    first excludes its top. ``lte_formula``: one of LTE_FORMULAS. ``over_target``: one of
    OVER_TARGET; with "deduct", a ≥ result above target × (1 + over_target_beyond) scores
    weight × that threshold ÷ actual. ``grade_floors``: each grade's lowest total, best first.
    ``level1_weights``: the default weight of each 一级指标 (a default, not a rule).
    ``execution_weight``: the execution row's weight of a table that sets none of its own.
    ``spending_floors`` (month, percent of the 全年预算数 spent by its end) and
    ``progress_gap`` (points): the monitoring lights' thresholds (evaluations/lights.py).
    ``recommendations``: the budget recommendation each grade suggests (结果应用).
    """

    bands: tuple[tuple[str, Fraction, Fraction], ...]
    lte_formula: str = "ratio"
    over_target: str = "full"
    over_target_beyond: Fraction = Fraction(1, 2)
    execution_weight: Decimal = Decimal("10")
    explanation_below: Decimal = Decimal("90")
    level1_weights: tuple[tuple[str, Decimal], ...] = ()
    grade_floors: tuple[tuple[str, Decimal], ...] = ()
    cost_level1: bool = False
    spending_floors: tuple[tuple[int, Decimal], ...] = (
        (4, Decimal("25")), (6, Decimal("40")), (8, Decimal("60")), (10, Decimal("80")),
    )
    progress_gap: Decimal = Decimal("10")
    recommendations: tuple[tuple[str, str], ...] = (
        ("excellent", "increase"), ("good", "keep"), ("fair", "reduce"), ("poor", "cancel"),
    )

    def band(self, tier: str) -> tuple[Fraction, Fraction]:
        for code, low, high in self.bands:
            if code == tier:
                return low, high
        raise ValueError(f"unknown qualitative tier {tier!r}")

    def table_execution_weight(self, own: Decimal | None) -> Decimal:
        """The execution row's weight of a table: its own where it sets one, else the rules'
        (docs/design.md, "Scoring rule sets": the rule set's weight is the default a table
        may override)."""
        return self.execution_weight if own is None else own

    def recommendation(self, grade_code: str | None) -> str | None:
        """The budget recommendation a grade suggests; None for a table without a grade."""
        return dict(self.recommendations).get(grade_code) if grade_code else None

    @property
    def level1_codes(self) -> tuple[str, ...]:
        """The 一级指标 a table scored under these rules may hold."""
        return tuple(c for c in LEVEL1_CODES if c != COST_LEVEL1 or self.cost_level1)


# 财预〔2020〕10号 (with a boundary in the higher tier): the value every function defaults to.
NATIONAL_2020 = Rules(
    bands=(
        ("achieved", Fraction(4, 5), Fraction(1)),
        ("partial", Fraction(3, 5), Fraction(4, 5)),
        ("not_achieved", Fraction(0), Fraction(3, 5)),
    ),
    lte_formula="ratio",
    over_target="full",
    over_target_beyond=Fraction(1, 2),
    execution_weight=Decimal("10"),
    explanation_below=Decimal("90"),
    level1_weights=(
        ("output", Decimal("50")), ("outcome", Decimal("30")), ("satisfaction", Decimal("10")),
    ),
    grade_floors=(("excellent", Decimal("90")), ("good", Decimal("80")), ("fair", Decimal("60"))),
    cost_level1=False,
    # 双监控: April 25 %, June 40 %, August 60 %, October 80 %; progress within 10 points.
    spending_floors=(
        (4, Decimal("25")), (6, Decimal("40")), (8, Decimal("60")), (10, Decimal("80")),
    ),
    progress_gap=Decimal("10"),
    # 优 priority (increase), 良 kept, 中 cut, 差 cancelled.
    recommendations=(
        ("excellent", "increase"), ("good", "keep"), ("fair", "reduce"), ("poor", "cancel"),
    ),
)

# National values under their former names (read by the data dictionary and older callers).
GRADE_FLOORS = NATIONAL_2020.grade_floors
QUALITATIVE_BANDS: dict[str, tuple[Fraction, Fraction]] = {
    tier: (low, high) for tier, low, high in NATIONAL_2020.bands
}
DEFAULT_EXECUTION_WEIGHT = NATIONAL_2020.execution_weight
EXECUTION_EXPLANATION_BELOW = NATIONAL_2020.explanation_below


@dataclass(frozen=True)
class Proportional:
    """How a quantitative nature scores.

    The full weight when ``actual <met> target``; otherwise weight × numerator ÷ denominator
    when both are positive, else 0. Where the proportional formula stops meaning anything
    (a zero or negative term, or signs that would flip the ratio) the indicator is thus
    scored all or nothing. Each rule's ratio is below 1 whenever its target is missed, so
    no cap is needed. (The ≤ ``deduction`` formula and the over-target deduction are in
    ``_quantitative_ratio``.)
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
    return _round_ratio(x.numerator, x.denominator)


def _round_ratio(numerator: int, denominator: int) -> Decimal:
    """numerator ÷ denominator (denominator > 0) rounded half up to PLACES, in whole numbers:
    floor(|n ÷ d| × 10^PLACES + 1/2) = (2·|n|·10^PLACES + d) // 2d."""
    units = (2 * abs(numerator) * _SCALE + denominator) // (2 * denominator)
    return round2(Decimal(-units if numerator < 0 else units).scaleb(-PLACES))


def _round_quotient(a, b, times: int = 1) -> Decimal:
    """a × times ÷ b (b > 0), exactly, rounded once (Decimals, ints or Fractions)."""
    an, ad = a.as_integer_ratio()
    bn, bd = b.as_integer_ratio()
    return _round_ratio(an * times * bd, ad * bn)


def _round_product(a, b) -> Decimal:
    """a × b, exactly, rounded once (Decimals, ints or Fractions)."""
    an, ad = a.as_integer_ratio()
    bn, bd = b.as_integer_ratio()
    return _round_ratio(an * bn, ad * bd)


def _ratio(numerator, denominator) -> Fraction:
    """numerator ÷ denominator as an exact Fraction (Decimals, ints or Fractions)."""
    nn, nd = numerator.as_integer_ratio()
    dn, dd = denominator.as_integer_ratio()
    return Fraction(nn * dd, nd * dn)


def _exact(value):
    """``value`` to compare and divide exactly: a Decimal as it is (its comparisons are exact),
    after the check Fraction(value) made (ValueError for a NaN, OverflowError for an infinity),
    asked only of a Decimal that is not finite (a million rows: the ratio of each, unused)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        value.as_integer_ratio()
    return value


def _fraction(value) -> Fraction:
    """An exact Fraction of a Decimal or an int (Fraction(value) does the same, slower)."""
    return Fraction(*value.as_integer_ratio())


def _weighted(weight: Decimal, ratio: Fraction) -> Decimal:
    """weight × ratio, rounded once; the whole weight when the ratio is 1."""
    return round2(Decimal(weight)) if ratio is _ONE else _round_product(weight, ratio)


# --- Execution rate -------------------------------------------------------------


def execution_rate(expenditure: Decimal | None, adjusted_budget: Decimal | None) -> Decimal | None:
    """Expenditure ÷ adjusted budget as a percentage, 2 places (98.53 means 98.53%).

    None when either figure is missing or the budget is 0 or less (no meaningful rate).
    """
    if expenditure is None or adjusted_budget is None or adjusted_budget <= 0:
        return None
    return _round_quotient(expenditure, adjusted_budget, 100)


def execution_score(
    rate_percent: Decimal | None, weight: Decimal = NATIONAL_2020.execution_weight
) -> Decimal | None:
    """weight × min(rate, 100%), 2 places; None when there is no rate.

    A negative rate (refunds exceeding spending) scores 0 rather than going negative.
    """
    if rate_percent is None:
        return None
    # In whole numbers (Fractions took ~80 % of a table's total): rate = rn / rd, capped.
    rn, rd = rate_percent.as_integer_ratio()  # ValueError/OverflowError for a NaN/infinity
    if rn < 0:
        rn, rd = 0, 1
    elif rn > 100 * rd:
        rn, rd = 100, 1
    wn, wd = weight.as_integer_ratio()
    return _round_ratio(wn * rn, wd * rd * 100)


def needs_execution_explanation(rate: Decimal | None, rules: Rules = NATIONAL_2020) -> bool:
    """Whether the execution rate is below the rules' threshold (90%) and so must be explained."""
    return rate is not None and rate < rules.explanation_below


# --- Indicator scores -----------------------------------------------------------


def _check_nature(nature: str) -> None:
    if nature not in NATURES:
        raise ValueError(f"unknown indicator nature {nature!r}")


def _check_tier(tier: str) -> None:
    if tier not in TIERS:
        raise ValueError(f"unknown qualitative tier {tier!r}")


def qualitative_band(
    tier: str, weight: Decimal, rules: Rules = NATIONAL_2020
) -> tuple[Decimal, Decimal]:
    """(low, high) score bounds for a qualitative tier, rounded to 2 places.

    Both are shown as the band's edges; whether ``high`` itself belongs to the tier is
    ``in_band``'s question (the edge two tiers share belongs to the higher one).
    """
    _check_tier(tier)
    low, high = rules.band(tier)
    return _round_product(weight, low), _round_product(weight, high)


def in_band(tier: str, weight: Decimal, score: Decimal, rules: Rules = NATIONAL_2020) -> bool:
    """Whether ``score`` (as displayed, 2 places) belongs to the tier's band under ``rules``.

    The band's top is included for the best tier only, or where the band is a single point
    (a weight so small that both edges round alike); elsewhere it is the next tier's.
    """
    low, high = qualitative_band(tier, weight, rules)
    shown = round2(score)
    top = tier == rules.bands[0][0] or low == high
    return low <= shown <= high if top else low <= shown < high


def _meets(nature: str, target, actual) -> bool:
    return COMPARISONS[QUANTITATIVE[nature].met](actual, target)


def _over_target(nature: str, target, actual, rules: Rules) -> Fraction | None:
    """The ≥ threshold a result went beyond when the rules deduct for it, else None."""
    if nature != "gte" or rules.over_target != "deduct" or target <= 0:
        return None
    threshold = Fraction(target) * (1 + rules.over_target_beyond)
    return threshold if actual > threshold else None


def _quantitative_ratio(
    nature: str, target: Decimal | Fraction, actual: Decimal | Fraction,
    rules: Rules = NATIONAL_2020,
) -> Fraction:
    """Share of the weight earned, in [0, 1], by the nature's rule under ``rules``.

    ``target`` and ``actual`` are compared as they are (Decimal comparisons are exact) and
    divided as exact fractions."""
    threshold = _over_target(nature, target, actual, rules)
    if threshold is not None:
        return threshold / _fraction(actual)  # actual > threshold > 0
    if _meets(nature, target, actual):
        return _ONE
    if nature == "lte" and rules.lte_formula == "deduction":
        # w × (1 − (actual − target) ÷ target): zero at twice the target and beyond.
        target, actual = _fraction(target), _fraction(actual)
        return max(Fraction(0), 1 - (actual - target) / target) if target > 0 else Fraction(0)
    rule = QUANTITATIVE[nature]
    numerator = TERMS[rule.numerator](target, actual)
    denominator = TERMS[rule.denominator](target, actual)
    if numerator <= 0 or denominator <= 0:
        return Fraction(0)
    return _ratio(numerator, denominator)


def indicator_score(
    *,
    nature: str,
    weight: Decimal | None,
    target: Decimal | None,
    actual: Decimal | None,
    tier: str = "",
    entered: Decimal | None = None,
    applicable: bool = True,
    rules: Rules = NATIONAL_2020,
) -> Decimal | None:
    """Score of one indicator under ``rules``, 2 places, within [0, weight]; None when it is
    not scored.

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
        # Compared as displayed, so a value the form shows as the band edge is accepted.
        if not in_band(tier, weight, entered, rules):
            low, high = qualitative_band(tier, weight, rules)
            raise ScoreOutOfBand(tier, low, high, round2(entered))
        return round2(entered)

    if target is None or actual is None:
        return None
    ratio = _quantitative_ratio(nature, _exact(target), _exact(actual), rules)
    return _weighted(weight, ratio)


def target_missed(
    *,
    nature: str,
    target: Decimal | None,
    actual: Decimal | None,
    tier: str = "",
    rules: Rules = NATIONAL_2020,
) -> bool:
    """Whether the indicator misses its target, which calls for a deviation reason: it falls
    short, or (where the rules deduct for it) goes far beyond a ≥ target set too low.

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
    if _over_target(nature, _exact(target), _exact(actual), rules) is not None:
        return True
    return not _meets(nature, target, actual)


# --- Totals and grade -----------------------------------------------------------


class ScoredRow(NamedTuple):
    """One weighted line of a table (an indicator or the execution row) as seen by the total
    (a named tuple: a million-row import makes one a row, a third of a frozen dataclass's time)."""

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
    total = _round_quotient(score_sum, weight_sum, 100)
    return min(max(total, round2(Decimal(0))), round2(HUNDRED))


def grade(total: Decimal | None, rules: Rules = NATIONAL_2020) -> str | None:
    """Grade code for a total: the first of the rules' grade floors it reaches, else GRADE_BELOW."""
    if total is None:
        return None
    for code, lowest in rules.grade_floors:
        if total >= lowest:
            return code
    return GRADE_BELOW


# --- Weights --------------------------------------------------------------------


def weights_mismatch(
    entered_by_level1: Mapping[str, Decimal],
    execution_weight: Decimal,
    expected_total: Decimal = HUNDRED,
    rules: Rules = NATIONAL_2020,
) -> Decimal | None:
    """Entered total − expected when indicator weights plus execution do not add up, else None.

    Level-1 codes missing from the mapping count as 0; codes the rules do not have (``cost``
    outside a rule set with cost_level1) raise ValueError.
    """
    unknown = set(entered_by_level1) - set(rules.level1_codes)
    if unknown:
        raise ValueError(f"unknown level-1 codes {sorted(unknown)}")
    entered = sum(entered_by_level1.values(), Decimal(0)) + execution_weight
    difference = entered - expected_total
    return difference if difference != 0 else None
