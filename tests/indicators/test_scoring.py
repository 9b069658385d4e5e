"""Tests for indicators.scoring: hand-worked tables for each docs/design.md rule (its properties: test_scoring_properties.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from indicators.scoring import (
    ScoredRow,
    ScoreOutOfBand,
    execution_rate,
    execution_score,
    grade,
    needs_execution_explanation,
    qualitative_band,
    round2,
    target_missed,
    total_score,
    weights_mismatch,
)
from indicators.tables import build_table
from indicators.vocabulary import GRADE_LABELS
from tests.indicators.scoring_helpers import D, score

# --- round2 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ("1.005", "1.01"),
        ("2.675", "2.68"),  # float rounding would give 2.67
        ("1.004999", "1.00"),
        ("-1.005", "-1.01"),
        ("7", "7.00"),
        ("0.125", "0.13"),
    ],
)
def test_round2_half_up(x: str, expected: str) -> None:
    result = round2(D(x))
    assert result == D(expected)
    assert result.as_tuple().exponent == -2


# --- execution rate and score -----------------------------------------------------


@pytest.mark.parametrize(
    ("expenditure", "budget", "expected"),
    [
        ("2", "3", "66.67"),
        ("1", "3", "33.33"),
        ("9853", "10000", "98.53"),
        ("1", "8", "12.50"),
        ("0.00005", "1", "0.01"),  # 0.005% rounds up
        ("120", "100", "120.00"),  # over-spending keeps its real rate; the score caps it
        ("0", "100", "0.00"),
    ],
)
def test_execution_rate(expenditure: str, budget: str, expected: str) -> None:
    assert execution_rate(D(expenditure), D(budget)) == D(expected)


@pytest.mark.parametrize(
    ("expenditure", "budget"),
    [(None, "100"), ("50", None), (None, None), ("50", "0"), ("50", "-10")],
)
def test_execution_rate_undefined(expenditure: str | None, budget: str | None) -> None:
    e = None if expenditure is None else D(expenditure)
    b = None if budget is None else D(budget)
    assert execution_rate(e, b) is None


@pytest.mark.parametrize(
    ("rate", "weight", "expected"),
    [
        ("98.53", "10", "9.85"),
        ("98.55", "10", "9.86"),  # 9.855 rounds up
        ("100", "10", "10.00"),
        ("105", "10", "10.00"),  # capped at 100%
        ("50", "20", "10.00"),
        ("0", "10", "0.00"),
        ("-5", "10", "0.00"),
        ("66.67", "15", "10.00"),  # 10.0005
    ],
)
def test_execution_score(rate: str, weight: str, expected: str) -> None:
    assert execution_score(D(rate), D(weight)) == D(expected)


def test_execution_score_default_weight_is_10() -> None:
    assert execution_score(D("80")) == D("8.00")


def test_execution_score_none_without_rate() -> None:
    assert execution_score(None) is None


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("89.99", True), ("0", True), ("90", False), ("90.00", False), ("100", False), (None, False)],
)
def test_needs_execution_explanation(rate: str | None, expected: bool) -> None:
    assert needs_execution_explanation(None if rate is None else D(rate)) is expected


# --- quantitative indicators --------------------------------------------------------


@pytest.mark.parametrize(
    ("nature", "weight", "target", "actual", "expected"),
    [
        # gte: w × min(a/t, 1)
        ("gte", "20", "15", "18", "20.00"),  # capped at w
        ("gte", "20", "15", "15", "20.00"),
        ("gte", "20", "15", "12", "16.00"),
        ("gte", "10", "3", "2", "6.67"),
        ("gte", "10", "1000", "100.5", "1.01"),  # 1.005 rounds up
        ("gte", "20", "15", "0", "0.00"),
        ("gte", "20", "15", "-3", "0.00"),  # negative actual clamps to 0
        ("gte", "20", "0", "0", "20.00"),  # target ≤ 0: met or not
        ("gte", "20", "0", "5", "20.00"),
        ("gte", "20", "0", "-1", "0.00"),
        ("gte", "20", "-5", "-5", "20.00"),
        ("gte", "20", "-5", "-6", "0.00"),
        # lte: w if a ≤ t else w × t/a
        ("lte", "10", "5", "3", "10.00"),
        ("lte", "10", "5", "5", "10.00"),
        ("lte", "10", "5", "8", "6.25"),
        ("lte", "10", "1.005", "10", "1.01"),  # 1.005 rounds up
        ("lte", "10", "5", "0", "10.00"),
        ("lte", "10", "0", "0", "10.00"),
        ("lte", "10", "0", "2", "0.00"),  # any excess over a zero ceiling earns nothing
        ("lte", "10", "-1", "2", "0.00"),
        ("lte", "10", "-10", "-12", "10.00"),  # actual ≤ 0: met or not
        ("lte", "10", "-10", "-5", "0.00"),
        # eq: w × min(a, t) / max(a, t)
        ("eq", "10", "8", "8", "10.00"),
        ("eq", "10", "8", "6", "7.50"),  # under
        ("eq", "10", "8", "10", "8.00"),  # over
        ("eq", "10", "3", "2", "6.67"),
        ("eq", "10", "0", "0", "10.00"),
        ("eq", "10", "0", "3", "0.00"),
        ("eq", "10", "3", "0", "0.00"),
        ("eq", "10", "-4", "-4", "10.00"),
        ("eq", "10", "-4", "-2", "0.00"),  # min/max would be 2: no partial credit
        ("eq", "10", "4", "-2", "0.00"),
        # weight 0 scores 0
        ("gte", "0", "10", "10", "0.00"),
    ],
)
def test_quantitative_scores(
    nature: str, weight: str, target: str, actual: str, expected: str
) -> None:
    result = score(nature, weight, target, actual)
    assert result == D(expected)
    assert result is not None and result.as_tuple().exponent == -2


@pytest.mark.parametrize("nature", ["gte", "lte", "eq"])
@pytest.mark.parametrize(("target", "actual"), [(None, "5"), ("5", None), (None, None)])
def test_quantitative_missing_values_unscored(
    nature: str, target: str | None, actual: str | None
) -> None:
    assert score(nature, "10", target, actual) is None


@pytest.mark.parametrize("nature", ["gte", "lte", "eq"])
def test_quantitative_ignores_tier_and_entered(nature: str) -> None:
    assert score(nature, "10", "8", "8", tier="not_achieved", entered=D("1")) == D("10.00")


# --- qualitative indicators ---------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "weight", "low", "high"),
    [
        ("achieved", "10", "8.00", "10.00"),
        ("partial", "10", "6.00", "8.00"),
        ("not_achieved", "10", "0.00", "6.00"),
        ("achieved", "15", "12.00", "15.00"),
        ("partial", "15", "9.00", "12.00"),
        ("not_achieved", "15", "0.00", "9.00"),
        ("achieved", "3.33", "2.66", "3.33"),  # 2.664
        ("partial", "3.33", "2.00", "2.66"),  # 1.998
    ],
)
def test_qualitative_band(tier: str, weight: str, low: str, high: str) -> None:
    assert qualitative_band(tier, D(weight)) == (D(low), D(high))


@pytest.mark.parametrize(
    ("tier", "entered", "expected"),
    [
        ("achieved", "9", "9.00"),
        ("achieved", "8", "8.00"),
        ("achieved", "10", "10.00"),
        ("achieved", "7.995", "8.00"),  # checked as the form shows it
        ("partial", "7", "7.00"),
        ("partial", "6", "6.00"),
        ("partial", "7.99", "7.99"),
        ("partial", "7.994", "7.99"),
        ("not_achieved", "0", "0.00"),
        ("not_achieved", "3.5", "3.50"),
        ("not_achieved", "5.99", "5.99"),
    ],
)
def test_qualitative_in_band_accepted(tier: str, entered: str, expected: str) -> None:
    assert score("qualitative", "10", None, None, tier=tier, entered=D(entered)) == D(expected)


@pytest.mark.parametrize(
    ("tier", "entered", "low", "high", "shown"),
    [
        ("achieved", "7.99", "8.00", "10.00", "7.99"),
        ("achieved", "7.994", "8.00", "10.00", "7.99"),
        ("achieved", "10.01", "8.00", "10.00", "10.01"),
        ("partial", "5.99", "6.00", "8.00", "5.99"),
        ("partial", "8.01", "6.00", "8.00", "8.01"),
        # A boundary belongs to the higher tier (national-2020 as deployed: 部分达成 60–<80).
        ("partial", "8", "6.00", "8.00", "8.00"),
        ("partial", "7.995", "6.00", "8.00", "8.00"),
        ("not_achieved", "6", "0.00", "6.00", "6.00"),
        ("not_achieved", "6.01", "0.00", "6.00", "6.01"),
        ("not_achieved", "-1", "0.00", "6.00", "-1.00"),
    ],
)
def test_qualitative_out_of_band_raises(
    tier: str, entered: str, low: str, high: str, shown: str
) -> None:
    with pytest.raises(ScoreOutOfBand) as info:
        score("qualitative", "10", None, None, tier=tier, entered=D(entered))
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.tier, err.low, err.high, err.score) == (tier, D(low), D(high), D(shown))


def test_qualitative_achieved_without_score_gets_full_weight() -> None:
    assert score("qualitative", "15", None, None, tier="achieved") == D("15.00")


@pytest.mark.parametrize("tier", ["partial", "not_achieved", ""])
def test_qualitative_without_score_or_tier_unscored(tier: str) -> None:
    assert score("qualitative", "10", None, None, tier=tier) is None


def test_qualitative_ignores_target_and_actual() -> None:
    assert score("qualitative", "10", "100", "1", tier="achieved") == D("10.00")


def test_unknown_tier_and_nature_raise() -> None:
    with pytest.raises(ValueError):
        score("qualitative", "10", None, None, tier="mostly")
    with pytest.raises(ValueError):
        score("gt", "10", "1", "1")
    with pytest.raises(ValueError):
        qualitative_band("mostly", D("10"))
    with pytest.raises(ValueError):
        target_missed(nature="gt", target=D("1"), actual=D("1"))
    with pytest.raises(ValueError):
        target_missed(nature="qualitative", target=None, actual=None, tier="mostly")


def test_unknown_nature_raises_even_when_not_applicable() -> None:
    with pytest.raises(ValueError):
        score("gt", "10", "1", "1", applicable=False)


def test_negative_weight_raises() -> None:
    with pytest.raises(ValueError):
        score("gte", "-1", "1", "1")


# --- unweighted and not-applicable --------------------------------------------------


@pytest.mark.parametrize(
    ("nature", "kw"),
    [
        ("gte", {}),
        ("lte", {}),
        ("eq", {}),
        ("qualitative", {"tier": "achieved"}),
        ("qualitative", {"tier": "partial", "entered": D("7")}),
    ],
)
def test_unweighted_indicator_unscored(nature: str, kw: dict[str, object]) -> None:
    assert score(nature, None, "8", "8", **kw) is None


@pytest.mark.parametrize("nature", ["gte", "lte", "eq", "qualitative"])
def test_not_applicable_unscored(nature: str) -> None:
    assert score(nature, "10", "8", "8", tier="achieved", applicable=False) is None


def test_not_applicable_skips_band_check() -> None:
    assert (
        score("qualitative", "10", None, None, tier="achieved", entered=D("1"), applicable=False)
        is None
    )


# --- target missed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nature", "target", "actual", "tier", "expected"),
    [
        ("gte", "10", "9.99", "", True),
        ("gte", "10", "10", "", False),
        ("gte", "10", "11", "", False),
        ("lte", "10", "10.01", "", True),
        ("lte", "10", "10", "", False),
        ("lte", "10", "3", "", False),
        ("eq", "10", "10.00", "", False),
        ("eq", "10", "9", "", True),
        ("eq", "10", "11", "", True),
        ("gte", None, "1", "", False),
        ("lte", "1", None, "", False),
        ("eq", None, None, "", False),
        ("qualitative", None, None, "achieved", False),
        ("qualitative", None, None, "partial", True),
        ("qualitative", None, None, "not_achieved", True),
        ("qualitative", None, None, "", False),
    ],
)
def test_target_missed(
    nature: str, target: str | None, actual: str | None, tier: str, expected: bool
) -> None:
    t = None if target is None else D(target)
    a = None if actual is None else D(actual)
    assert target_missed(nature=nature, target=t, actual=a, tier=tier) is expected


# --- totals -------------------------------------------------------------------------


def rows(
    *spec: tuple[str | None, str | None] | tuple[str | None, str | None, bool],
) -> list[ScoredRow]:
    out = []
    for item in spec:
        s, w, *rest = item
        out.append(ScoredRow(None if s is None else D(s), None if w is None else D(w), *rest))
    return out


def test_total_rescales_when_indicator_not_applicable() -> None:
    # 50/30/10/10 with the 10-point satisfaction indicator not applicable: 81 of 90.
    table = rows(("45", "50"), ("28", "30"), ("9", "10", False), ("8", "10"))
    assert total_score(table) == D("90.00")


def test_total_when_all_apply_is_sum_of_scores() -> None:
    table = rows(("45.5", "50"), ("27.25", "30"), ("8.33", "10"), ("9.85", "10"))
    assert total_score(table) == D("90.93")


def test_total_rescale_rounds_half_up() -> None:
    assert total_score(rows(("2", "3"))) == D("66.67")
    assert total_score(rows(("1", "3"))) == D("33.33")


def test_total_uses_rounded_scores() -> None:
    # Each 0.005 is shown as 0.01, so the form's total is 0.02 (not round2(0.01) = 0.01).
    assert total_score(rows(("0.005", "50"), ("0.005", "50"))) == D("0.02")


def test_total_counts_missing_score_as_zero() -> None:
    assert total_score(rows((None, "50"), ("40", "50"))) == D("40.00")


def test_total_ignores_unweighted_rows() -> None:
    assert total_score(rows(("40", "50"), ("30", "50"), ("99", None))) == D("70.00")


@pytest.mark.parametrize(
    "table",
    [[], rows(("5", None)), rows(("5", "10", False)), rows(("0", "0"))],
)
def test_total_none_without_applicable_weight(table: list[ScoredRow]) -> None:
    assert total_score(table) is None


def test_total_clamped() -> None:
    assert total_score(rows(("120", "100"))) == D("100.00")
    assert total_score(rows(("-5", "100"))) == D("0.00")


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        ("100", "excellent"),
        ("90", "excellent"),
        ("90.00", "excellent"),
        ("89.99", "good"),
        ("80", "good"),
        ("79.99", "fair"),
        ("60", "fair"),
        ("59.99", "poor"),
        ("0", "poor"),
    ],
)
def test_grade_boundaries(total: str, expected: str) -> None:
    assert grade(D(total)) == expected


def test_grade_none_and_labels() -> None:
    assert grade(None) is None
    assert GRADE_LABELS == {"excellent": "优", "good": "良", "fair": "中", "poor": "差"}


# --- weights ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "execution", "expected_total", "expected"),
    [
        ({"output": "50", "outcome": "30", "satisfaction": "10"}, "10", "100", None),
        ({"output": "50", "outcome": "30", "satisfaction": "5"}, "10", "100", "-5"),
        ({"output": "55", "outcome": "30", "satisfaction": "10"}, "10", "100", "5"),
        ({"output": "50", "outcome": "30"}, "10", "100", "-10"),
        ({"output": "60", "outcome": "30"}, "10", "100", None),
        ({"output": "50", "outcome": "30", "satisfaction": "10"}, "0", "90", None),
        ({}, "10", "100", "-90"),
    ],
)
def test_weights_mismatch(
    entered: dict[str, str], execution: str, expected_total: str, expected: str | None
) -> None:
    result = weights_mismatch(
        {k: D(v) for k, v in entered.items()}, D(execution), D(expected_total)
    )
    assert result == (None if expected is None else D(expected))


def test_weights_mismatch_default_expected_is_100() -> None:
    assert weights_mismatch(
        {"output": D("50"), "outcome": D("30"), "satisfaction": D("10")}, D("5")
    ) == D("-5")


def test_weights_mismatch_rejects_unknown_level1() -> None:
    with pytest.raises(ValueError):
        weights_mismatch({"output": D("90"), "budget": D("0")}, D("10"))


# --- whole table (as indicators.tables composes the rules) ----------------------------


def _row(nature, weight, target=None, actual=None, *, tier="", score=None, applicable=True):
    return SimpleNamespace(
        nature=nature, weight=weight, target_value=target, actual_value=actual, tier=tier,
        score=score, applicable=applicable,
    )


def test_table_hand_worked() -> None:
    indicators = [
        _row("gte", D("20"), D("15"), D("12")),  # 16.00
        _row("lte", D("10"), D("5"), D("8")),  # 6.25
        _row("eq", D("10"), D("8"), D("8")),  # 10.00
        _row("qualitative", D("10"), tier="achieved"),  # 10.00
        _row("gte", D("20"), D("90"), D("81")),  # 18.00
        _row("gte", D("10"), D("5"), D("1"), applicable=False),  # drops out
        _row("qualitative", D("10"), tier="partial", score=D("7")),  # 7.00
        _row("gte", None, D("100"), D("3")),  # target only
    ]
    table = build_table(
        indicators=indicators, initial_budget=None, adjusted_budget=D("10000"),
        expenditure=D("9853"), execution_weight=D("10"),
    )
    assert table.execution_score == D("9.85")
    assert [s.score for s in table.indicators] == [
        D("16.00"), D("6.25"), D("10.00"), D("10.00"), D("18.00"), None, D("7.00"), None,
    ]
    # 77.10 of the 90 points that apply → 85.666… → 85.67
    assert table.total == D("85.67")
    assert table.grade == "good"


def test_table_without_execution_rate_counts_execution_as_zero() -> None:
    table = build_table(
        indicators=[_row("gte", D("90"), D("1"), D("1"))], initial_budget=None,
        adjusted_budget=None, expenditure=None, execution_weight=D("10"),
    )
    assert table.execution_score is None
    assert table.total == D("90.00")
    assert table.grade == "excellent"



@pytest.mark.parametrize(("value", "error"), [
    (D("NaN"), ValueError), (D("sNaN"), ValueError), (D("Infinity"), OverflowError),
    (D("-Infinity"), OverflowError),
])
@pytest.mark.parametrize("nature", ["gte", "lte", "eq"])
def test_a_target_or_actual_that_is_no_number_is_refused(value, error, nature):
    """A NaN or an infinity is no figure (the database stores neither): refused, never scored."""
    from indicators.scoring import indicator_score

    with pytest.raises(error):
        indicator_score(nature=nature, weight=D("10"), target=value, actual=D("5"))
    with pytest.raises(error):
        indicator_score(nature=nature, weight=D("10"), target=D("5"), actual=value)
