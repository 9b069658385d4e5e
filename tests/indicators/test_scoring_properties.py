"""Property tests for indicators.scoring (the hand-worked tables: test_scoring.py)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from indicators.scoring import (
    ScoredRow,
    ScoreOutOfBand,
    execution_rate,
    execution_score,
    in_band,
    indicator_score,
    qualitative_band,
    round2,
    target_missed,
    total_score,
)
from tests.indicators.scoring_helpers import D

# --- properties ---------------------------------------------------------------------

weights = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
non_negative = st.decimals(
    min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False
)
signed = st.decimals(
    min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False
)
quantitative = st.sampled_from(["gte", "lte", "eq"])
tiers = st.sampled_from(["achieved", "partial", "not_achieved"])


@given(nature=quantitative, weight=weights, target=non_negative, actual=non_negative)
def test_prop_quantitative_score_within_weight(
    nature: str, weight: Decimal, target: Decimal, actual: Decimal
) -> None:
    result = indicator_score(nature=nature, weight=weight, target=target, actual=actual)
    assert result is not None
    assert D(0) <= result <= weight


@given(nature=quantitative, weight=weights, target=signed, actual=signed)
def test_prop_met_target_scores_full_weight(
    nature: str, weight: Decimal, target: Decimal, actual: Decimal
) -> None:
    result = indicator_score(nature=nature, weight=weight, target=target, actual=actual)
    assert result is not None
    assert D(0) <= result <= weight
    if not target_missed(nature=nature, target=target, actual=actual):
        assert result == weight


@given(weight=weights, target=signed, a1=signed, a2=signed)
def test_prop_gte_monotone_and_lte_antitone(
    weight: Decimal, target: Decimal, a1: Decimal, a2: Decimal
) -> None:
    lo, hi = sorted([a1, a2])
    gte = [indicator_score(nature="gte", weight=weight, target=target, actual=a) for a in (lo, hi)]
    lte = [indicator_score(nature="lte", weight=weight, target=target, actual=a) for a in (lo, hi)]
    assert gte[0] <= gte[1]  # type: ignore[operator]
    assert lte[0] >= lte[1]  # type: ignore[operator]


@given(weight=weights, tier=tiers, entered=st.none() | non_negative)
def test_prop_qualitative_score_within_weight(
    weight: Decimal, tier: str, entered: Decimal | None
) -> None:
    try:
        result = indicator_score(
            nature="qualitative",
            weight=weight,
            target=None,
            actual=None,
            tier=tier,
            entered=entered,
        )
    except ScoreOutOfBand as err:
        assert not in_band(tier, weight, err.score)
        assert err.score == round2(entered)
        return
    if result is not None:
        low, high = qualitative_band(tier, weight)
        assert D(0) <= low <= result <= high <= weight
    else:
        assert entered is None and tier != "achieved"


@given(weight=weights)
def test_prop_qualitative_bands_tile_the_weight(weight: Decimal) -> None:
    na = qualitative_band("not_achieved", weight)
    pa = qualitative_band("partial", weight)
    ac = qualitative_band("achieved", weight)
    assert na[0] == 0
    assert na[1] == pa[0]
    assert pa[1] == ac[0]
    assert ac[1] == weight
    assert na[0] <= na[1] <= pa[1] <= ac[1]


@given(rate=signed, weight=weights)
def test_prop_execution_score_within_weight(rate: Decimal, weight: Decimal) -> None:
    result = execution_score(rate, weight)
    assert result is not None
    assert D(0) <= result <= weight


@given(amount=st.decimals(min_value=D("0.01"), max_value=10**9, places=2))
def test_prop_full_spending_is_100_percent(amount: Decimal) -> None:
    assert execution_rate(amount, amount) == D("100.00")


@given(x=signed)
def test_prop_round2_within_half_cent(x: Decimal) -> None:
    r = round2(x)
    assert r.as_tuple().exponent == -2
    assert abs(r - x) <= D("0.005")


scored_rows = st.builds(
    ScoredRow,
    score=st.none() | st.decimals(min_value=-1000, max_value=1000, places=3),
    weight=st.none() | weights,
    applicable=st.booleans(),
)


@given(table=st.lists(scored_rows, max_size=12))
def test_prop_total_within_0_100(table: list[ScoredRow]) -> None:
    result = total_score(table)
    if result is not None:
        assert D(0) <= result <= D(100)


@given(
    table=st.lists(scored_rows, max_size=12), extra=scored_rows, position=st.integers(min_value=0)
)
def test_prop_total_invariant_to_not_applicable_and_unweighted_rows(
    table: list[ScoredRow], extra: ScoredRow, position: int
) -> None:
    i = position % (len(table) + 1)
    dropped_out = extra._replace(applicable=False)
    unweighted = extra._replace(weight=None)
    assert total_score(table[:i] + [dropped_out] + table[i:]) == total_score(table)
    assert total_score(table[:i] + [unweighted] + table[i:]) == total_score(table)
    # Dropping an existing not-applicable row changes nothing either.
    without = [r for r in table if r.applicable]
    assert total_score(without) == total_score(table)


@st.composite
def full_tables(draw: st.DrawFn) -> list[ScoredRow]:
    """Weights (in cents) that sum to exactly 100, each with a 2-place score in [0, weight]."""
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=10000), max_size=8)))
    bounds = [0, *cuts, 10000]
    table = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        w_cents = hi - lo
        s_cents = draw(st.integers(min_value=0, max_value=w_cents))
        table.append(ScoredRow(D(s_cents).scaleb(-2), D(w_cents).scaleb(-2)))
    return table


@given(table=full_tables())
def test_prop_total_is_sum_when_weights_are_100(table: list[ScoredRow]) -> None:
    assert sum((r.weight for r in table), D(0)) == 100  # type: ignore[misc]
    assert total_score(table) == sum((r.score for r in table), D(0))  # type: ignore[misc]


@given(table=full_tables(), factor=st.integers(min_value=1, max_value=5), extra=scored_rows)
def test_prop_total_scale_invariant(table: list[ScoredRow], factor: int, extra: ScoredRow) -> None:
    # Scaling every weight and score by the same factor leaves the rescaled total unchanged.
    assume(any(r.weight for r in table))
    scaled = [ScoredRow(r.score * factor, r.weight * factor) for r in table]  # type: ignore[operator]
    assert total_score(scaled) == total_score(table)
    assert total_score([*scaled, extra._replace(applicable=False)]) == total_score(
        table
    )
