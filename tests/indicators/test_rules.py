"""The engine under rule sets (indicators.scoring.Rules): every parameter's every option.

Hand-worked: a table under a variant with the ``deduction`` ≤ formula and over-target
deduction. Properties: each option keeps scores within [0, weight], meets its own definition,
and leaves national-2020 where the option is national's.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from indicators import scoring
from indicators.scoring import NATIONAL_2020, Rules, indicator_score
from indicators.tables import build_table

D = Decimal

DEDUCTING = dataclasses.replace(
    NATIONAL_2020, lte_formula="deduction", over_target="deduct",
    over_target_beyond=Fraction(1, 2),
)

weights = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)
positive = st.decimals(min_value=D("0.01"), max_value=10**6, places=4, allow_nan=False)
signed = st.decimals(min_value=-10**6, max_value=10**6, places=4, allow_nan=False)
percents = st.integers(min_value=1, max_value=99)


@st.composite
def rules(draw) -> Rules:
    """Any valid rule set: bands tiling [0, 1], any formula, any over-target handling."""
    partial_min, achieved_min = sorted(draw(st.lists(percents, min_size=2, max_size=2, unique=True)))
    floors = sorted(draw(st.lists(st.integers(1, 100), min_size=3, max_size=3, unique=True)), reverse=True)
    return Rules(
        bands=(
            ("achieved", Fraction(achieved_min, 100), Fraction(1)),
            ("partial", Fraction(partial_min, 100), Fraction(achieved_min, 100)),
            ("not_achieved", Fraction(0), Fraction(partial_min, 100)),
        ),
        lte_formula=draw(st.sampled_from(scoring.LTE_FORMULAS)),
        over_target=draw(st.sampled_from(scoring.OVER_TARGET)),
        over_target_beyond=Fraction(draw(st.integers(1, 300)), 100),
        execution_weight=D(draw(st.integers(0, 30))),
        explanation_below=D(draw(st.integers(0, 100))),
        level1_weights=NATIONAL_2020.level1_weights,
        grade_floors=tuple(zip(("excellent", "good", "fair"), map(D, floors), strict=True)),
        cost_level1=draw(st.booleans()),
        spending_floors=tuple(zip((4, 6, 8, 10), sorted(
            D(draw(st.integers(0, 100))) for _month in range(4)), strict=True)),
        progress_gap=D(draw(st.integers(0, 100))),
        recommendations=tuple(
            (grade, draw(st.sampled_from(["increase", "keep", "reduce", "cancel"])))
            for grade in ("excellent", "good", "fair", "poor")
        ),
    )


def score(nature, weight, target, actual, rules=NATIONAL_2020, **kw):
    return indicator_score(
        nature=nature, weight=D(weight), target=None if target is None else D(target),
        actual=None if actual is None else D(actual), rules=rules, **kw,
    )


# --- Hand-worked ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nature", "weight", "target", "actual", "national", "variant"),
    [
        # ≤, deduction: 20 × (1 − (120 − 100) ÷ 100) = 16; ratio: 20 × 100 ÷ 120 = 16.67
        ("lte", "20", "100", "120", "16.67", "16.00"),
        # ≤ at twice the target and beyond: deduction gives 0, ratio still half
        ("lte", "10", "50", "100", "5.00", "0.00"),
        ("lte", "10", "50", "130", "3.85", "0.00"),
        # ≤ met: full either way
        ("lte", "10", "50", "49", "10.00", "10.00"),
        # ≥ far above a target set too low (beyond 150 %): 10 × 150 ÷ 200 = 7.5
        ("gte", "10", "100", "200", "10.00", "7.50"),
        # ≥ up to the threshold: full
        ("gte", "10", "100", "150", "10.00", "10.00"),
        # ≥ short of target: the ratio, unchanged by the variant
        ("gte", "10", "100", "80", "8.00", "8.00"),
        # ≥ 15 × 150 ÷ 400 = 5.625 → 5.63 (half up)
        ("gte", "15", "100", "400", "15.00", "5.63"),
    ],
)
def test_hand_worked_variant(nature, weight, target, actual, national, variant):
    assert score(nature, weight, target, actual) == D(national)
    assert score(nature, weight, target, actual, DEDUCTING) == D(variant)


def test_hand_worked_variant_table():
    """A project's table, 90 points of indicators plus execution 10, under both rule sets."""
    rows = [
        SimpleNamespace(nature="gte", weight=D("30"), target_value=D("100"), actual_value=D("250"),
                        tier="", score=None, applicable=True),  # national 30; variant 30×150/250 = 18
        SimpleNamespace(nature="lte", weight=D("30"), target_value=D("80"), actual_value=D("100"),
                        tier="", score=None, applicable=True),  # national 24; variant 30×0.75 = 22.5
        SimpleNamespace(nature="qualitative", weight=D("20"), target_value=None, actual_value=None,
                        tier="partial", score=D("14"), applicable=True),  # 14 either way
        SimpleNamespace(nature="eq", weight=D("10"), target_value=D("4"), actual_value=D("5"),
                        tier="", score=None, applicable=True),  # 8 either way
    ]
    budget = {"initial_budget": D("100"), "adjusted_budget": D("100"), "expenditure": D("95"),
              "execution_weight": D("10")}  # execution 9.5
    national = build_table(indicators=rows, **budget)
    variant = build_table(indicators=rows, rules=DEDUCTING, **budget)
    assert [s.score for s in national.indicators] == [D("30.00"), D("24.00"), D("14.00"), D("8.00")]
    assert [s.score for s in variant.indicators] == [D("18.00"), D("22.50"), D("14.00"), D("8.00")]
    assert (national.total, national.grade) == (D("85.50"), "good")
    assert (variant.total, variant.grade) == (D("72.00"), "fair")
    # The deducted ≥ row now needs a deviation reason: its target was set too low.
    assert [s.missed for s in variant.indicators] == [True, True, True, True]
    assert [s.missed for s in national.indicators] == [False, True, True, True]


def test_band_edge_belongs_to_the_higher_tier():
    # 达成 80–100, 部分达成 60–<80, 未达成 <60 (the boundary fix of national-2020)
    assert score("qualitative", "10", None, None, tier="achieved", entered=D("8")) == D("8.00")
    for tier, edge in (("partial", "8"), ("not_achieved", "6")):
        with pytest.raises(scoring.ScoreOutOfBand):
            score("qualitative", "10", None, None, tier=tier, entered=D(edge))
    assert score("qualitative", "10", None, None, tier="partial", entered=D("6")) == D("6.00")


def test_band_of_zero_weight_is_a_point_every_tier_takes():
    for tier in scoring.TIERS:
        assert score("qualitative", "0", None, None, tier=tier, entered=D("0")) == D("0.00")


# --- Properties, one parameter at a time -------------------------------------------------


@given(rules=rules(), weight=weights, target=signed, actual=signed,
       nature=st.sampled_from(list(scoring.QUANTITATIVE)))
def test_prop_every_rule_set_scores_within_weight(rules, weight, target, actual, nature):
    result = indicator_score(nature=nature, weight=weight, target=target, actual=actual, rules=rules)
    assert D(0) <= result <= scoring.round2(weight)


@given(weight=weights, target=positive, actual=positive)
def test_prop_lte_deduction_is_linear_to_zero_at_twice_the_target(weight, target, actual):
    rules = dataclasses.replace(NATIONAL_2020, lte_formula="deduction")
    result = indicator_score(nature="lte", weight=weight, target=target, actual=actual, rules=rules)
    share = max(Fraction(0), min(Fraction(1), 1 - (Fraction(actual) - Fraction(target)) / Fraction(target)))
    assert abs(Fraction(result) - Fraction(weight) * share) <= Fraction(1, 200)
    if actual >= 2 * target:
        assert result == 0


@given(weight=weights, target=positive, actual=positive)
def test_prop_lte_deduction_never_above_ratio(weight, target, actual):
    """Deduction is the stricter ≤ formula: 1 − (a − t)/t ≤ t/a for every a ≥ t > 0."""
    ratio = indicator_score(nature="lte", weight=weight, target=target, actual=actual)
    deduction = indicator_score(
        nature="lte", weight=weight, target=target, actual=actual,
        rules=dataclasses.replace(NATIONAL_2020, lte_formula="deduction"),
    )
    assert deduction <= ratio


@given(weight=weights, target=positive, actual=positive, beyond=st.integers(1, 300))
def test_prop_over_target(weight, target, actual, beyond):
    deduct = dataclasses.replace(
        NATIONAL_2020, over_target="deduct", over_target_beyond=Fraction(beyond, 100)
    )
    full = indicator_score(nature="gte", weight=weight, target=target, actual=actual)
    deducted = indicator_score(nature="gte", weight=weight, target=target, actual=actual, rules=deduct)
    threshold = Fraction(target) * (1 + Fraction(beyond, 100))
    if Fraction(actual) <= threshold:
        assert deducted == full  # up to the threshold, nothing changes
    else:
        assert full == scoring.round2(weight)
        assert abs(Fraction(deducted) - Fraction(weight) * threshold / Fraction(actual)) <= Fraction(1, 200)
        assert scoring.target_missed(nature="gte", target=target, actual=actual, rules=deduct)


@given(rules=rules(), weight=st.decimals(min_value=1, max_value=100, places=2, allow_nan=False),
       entered=st.decimals(min_value=0, max_value=100, places=2, allow_nan=False))
def test_prop_bands_tile_without_overlap(rules, weight, entered):
    """Every score from 0 to the weight lies in exactly one tier's band, whatever the bands."""
    assume(entered <= weight)
    low_edges = {scoring.qualitative_band(t, weight, rules)[0] for t in scoring.TIERS}
    assume(len(low_edges) == 3)  # a weight so small that two edges round alike is a point
    holders = [t for t in scoring.TIERS if scoring.in_band(t, weight, entered, rules)]
    assert len(holders) == 1


@given(rules=rules(), total=st.decimals(min_value=0, max_value=100, places=2, allow_nan=False))
def test_prop_grade_reads_the_rules_floors(rules, total):
    code = scoring.grade(total, rules)
    floors = dict(rules.grade_floors)
    reached = [c for c, lowest in rules.grade_floors if total >= lowest]
    assert code == (reached[0] if reached else scoring.GRADE_BELOW)
    if code != scoring.GRADE_BELOW:
        assert total >= floors[code]


@given(rules=rules(), own=st.none() | st.decimals(min_value=0, max_value=30, places=2, allow_nan=False),
       rate=st.decimals(min_value=0, max_value=200, places=2, allow_nan=False))
def test_prop_execution_row_takes_the_tables_weight_else_the_rules(rules, own, rate):
    table = build_table(indicators=[], initial_budget=None, adjusted_budget=D("100"),
                        expenditure=rate, execution_weight=own, rules=rules)
    weight = rules.execution_weight if own is None else own
    assert table.execution_weight == weight
    assert D(0) <= table.execution_score <= scoring.round2(weight)
    assert table.execution_score == scoring.execution_score(table.execution_rate, weight)


@given(rules=rules(), grade=st.sampled_from(["excellent", "good", "fair", "poor", None]))
def test_prop_the_rules_suggest_their_own_recommendation(rules, grade):
    assert rules.recommendation(grade) == (dict(rules.recommendations)[grade] if grade else None)


@given(rules=rules(), rate=st.decimals(min_value=0, max_value=200, places=2, allow_nan=False))
def test_prop_explanation_threshold(rules, rate):
    assert scoring.needs_execution_explanation(rate, rules) == (rate < rules.explanation_below)


@given(cost_level1=st.booleans())
def test_prop_cost_level1_decides_whether_cost_weights_count(cost_level1):
    rules = dataclasses.replace(NATIONAL_2020, cost_level1=cost_level1)
    entered = {"output": D(40), "outcome": D(30), "satisfaction": D(10), "cost": D(10)}
    if cost_level1:
        assert scoring.weights_mismatch(entered, D(10), rules=rules) is None
    else:
        with pytest.raises(ValueError, match="cost"):
            scoring.weights_mismatch(entered, D(10), rules=rules)


def test_national_2020_is_the_former_constants():
    assert NATIONAL_2020.lte_formula == "ratio" and NATIONAL_2020.over_target == "full"
    assert dict(NATIONAL_2020.grade_floors) == {"excellent": 90, "good": 80, "fair": 60}
    assert NATIONAL_2020.band("partial") == (Fraction(3, 5), Fraction(4, 5))
    assert (NATIONAL_2020.execution_weight, NATIONAL_2020.explanation_below) == (10, 90)
    assert dict(NATIONAL_2020.level1_weights) == {"output": 50, "outcome": 30, "satisfaction": 10}
    assert not NATIONAL_2020.cost_level1
    # The monitoring thresholds and the recommendation map the product used before rule sets.
    assert NATIONAL_2020.spending_floors == ((4, 25), (6, 40), (8, 60), (10, 80))
    assert NATIONAL_2020.progress_gap == 10
    assert dict(NATIONAL_2020.recommendations) == {
        "excellent": "increase", "good": "keep", "fair": "reduce", "poor": "cancel",
    }
