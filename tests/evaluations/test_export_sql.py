"""Property: the SQL compiled from the rules writes what the Python rules write, for random
indicators (scores from indicators.scoring, text through the formula guard). PostgreSQL only."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.formula_guard import ALWAYS_GUARDED, FORMULA_STARTS, LEADING_BLANKS
from evaluations import datasets as ds
from evaluations.exports.streams import stream_csv_bytes
from indicators import scoring
from indicators.models import Indicator
from tests.factories import ReportFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql_only]

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _decimals(places: int, low: int, high: int, **kwargs):
    return st.one_of(
        st.none(),
        st.decimals(min_value=low, max_value=high, places=places, allow_nan=False, **kwargs),
        st.sampled_from([Decimal(0), Decimal(1), Decimal("0.5")]),  # where branches meet
    )


values = _decimals(4, -10**6, 10**6)
weights = _decimals(2, 0, 9999)
natures = st.sampled_from([*scoring.NATURES, "", "=odd"])
tiers = st.sampled_from(["", *scoring.TIERS, "odd"])
# Text that starts like a formula as often as not: the guard's own characters, digits, CJK.
guard_heads = st.text(
    alphabet=st.sampled_from(ALWAYS_GUARDED + FORMULA_STARTS + LEADING_BLANKS + "0.5中a,\"\\"),
    max_size=4,
)
texts = st.builds(
    lambda head, tail: (head + tail)[:30],
    guard_heads,
    st.text(alphabet=st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=8),
)


CENT = Decimal("0.01")


@st.composite
def indicator(draw) -> dict:
    row = dict(
        nature=draw(natures), tier=draw(tiers), weight=draw(weights),
        target_value=draw(values), actual_value=draw(values),
        score=draw(_decimals(2, 0, 9999)), applicable=draw(st.booleans()),
        name=draw(texts), unit=draw(texts), target_text=draw(texts),
        actual_text=draw(texts), deviation=draw(texts),
    )
    if draw(st.booleans()):  # a met target, where "met" and the share meet
        row["actual_value"] = row["target_value"]
    if row["tier"] in scoring.TIERS and row["weight"] is not None:  # a band's edges and beyond
        low, high = scoring.qualitative_band(row["tier"], row["weight"])
        edges = [low, high, high + CENT] + ([low - CENT] if low > 0 else [])
        row["score"] = draw(st.sampled_from([row["score"], *edges]))
    return row


indicator_rows = st.lists(indicator(), min_size=1, max_size=12)


@pytest.fixture
def report():
    return ReportFactory()


@PROPERTY
@given(rows=indicator_rows)
def test_stored_score_equals_the_python_rule(report, rows):
    """What the fast export prints, the stored final_score, is the engine's (national-2020)."""
    with transaction.atomic():
        Indicator.objects.bulk_create(
            Indicator(report=report, position=n, **row) for n, row in enumerate(rows)
        )
        scored = Indicator.objects.order_by("position")
        got = list(scored.values_list("final_score", flat=True))
        transaction.set_rollback(True)
    expected = []
    for row in rows:
        try:
            expected.append(scoring.indicator_score(
                nature=row["nature"], weight=row["weight"], target=row["target_value"],
                actual=row["actual_value"], tier=row["tier"], entered=row["score"],
                applicable=row["applicable"],
            ))
        except ValueError:  # unknown nature or tier, a score out of its band: not scored
            expected.append(None)
    assert [None if s is None else Decimal(s) for s in got] == expected
    # The same scale as the Python path writes (16.00, not 16).
    assert [str(s) for s in got if s is not None] == [str(e) for e in expected if e is not None]


@PROPERTY
@given(rows=indicator_rows)
def test_compiled_export_writes_the_python_paths_bytes(report, rows):
    with transaction.atomic():
        Indicator.objects.bulk_create(
            Indicator(report=report, position=n, **row) for n, row in enumerate(rows)
        )
        for header in ("keys", "labels"):
            fast = b"".join(stream_csv_bytes(ds.INDICATORS, header=header, fast=True))
            slow = b"".join(stream_csv_bytes(ds.INDICATORS, header=header, fast=False))
            assert fast == slow
        transaction.set_rollback(True)
