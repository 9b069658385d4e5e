"""The indicators export against recorded bytes, on every database.

A fixed set of indicators covers every nature, tier, band edge, applicable case and formula
start; its export is committed in tests/evaluations/recorded/. The Python path must write
those bytes on SQLite and PostgreSQL, and the COPY path (which compiles the same rules to SQL)
on PostgreSQL: so `make test` on SQLite alone still checks the scoring and the formula guard
against the bytes the fast path was last proved to write. After a deliberate change to those
bytes, rewrite the files with RECORD_EXPORT=1 and review their diff.
"""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from evaluations import datasets as ds
from evaluations.exports.streams import stream_csv_bytes
from indicators import scoring
from indicators.models import Indicator
from tests.factories import DepartmentFactory, ProjectFactory, ReportFactory, source

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

RECORDED = Path(__file__).parent / "recorded"

# (nature, weight, target, actual, tier, entered score, applicable): each line one case.
SCORED = [
    # gte: met, the share, half a cent up, repeating quotients, terms ≤ 0, missing values.
    ("gte", "20", "15", "15", "", None, True), ("gte", "20", "15", "12", "", None, True),
    ("gte", "1", "8", "1", "", None, True), ("gte", "10", "3", "2", "", None, True),
    ("gte", "33.33", "7", "3", "", None, True), ("gte", "10", "0", "-1", "", None, True),
    ("gte", "10", "0", "0", "", None, True), ("gte", "10", "-2", "-3", "", None, True),
    ("gte", "10", "5", "0", "", None, True), ("gte", "10", "5", "-1", "", None, True),
    ("gte", "10", None, "1", "", None, True), ("gte", "10", "1", None, "", None, True),
    ("gte", None, "1", "1", "", None, True), ("gte", "10", "5", "1", "", None, False),
    ("gte", "0", "5", "1", "", None, True), ("gte", "0.01", "2", "1", "", None, True),
    ("gte", "9999.99", "7", "3", "", None, True), ("gte", "0.05", "2", "1", "", None, True),
    # lte
    ("lte", "10", "5", "5", "", None, True), ("lte", "10", "5", "8", "", None, True),
    ("lte", "7.33", "4.9999", "7", "", None, True), ("lte", "10", "2", "3", "", None, True),
    ("lte", "10", "-1", "2", "", None, True), ("lte", "10", "-3", "-1", "", None, True),
    ("lte", "10", "0", "4", "", None, True), ("lte", "10", "4", None, "", None, True),
    # eq
    ("eq", "10", "8", "8", "", None, True), ("eq", "10", "3", "2", "", None, True),
    ("eq", "10", "2", "3", "", None, True), ("eq", "10", "0", "3", "", None, True),
    ("eq", "10", "-2", "-3", "", None, True), ("eq", "9999.99", "7", "3", "", None, True),
    ("eq", "10", "0.0001", "1234.5678", "", None, True),
    # qualitative: no tier, the default, band edges inside and just outside, every tier.
    ("qualitative", "10", None, None, "", None, True),
    ("qualitative", "10", None, None, "achieved", None, True),
    ("qualitative", "10", None, None, "achieved", "8", True),
    ("qualitative", "10", None, None, "achieved", "7.99", True),
    ("qualitative", "10", None, None, "achieved", "10", True),
    ("qualitative", "10", None, None, "partial", None, True),
    ("qualitative", "10", None, None, "partial", "6", True),
    ("qualitative", "10", None, None, "partial", "8", True),
    ("qualitative", "10", None, None, "partial", "5.99", True),
    ("qualitative", "10", None, None, "not_achieved", "0", True),
    ("qualitative", "10", None, None, "not_achieved", "6", True),
    ("qualitative", "10", None, None, "not_achieved", "6.01", True),
    ("qualitative", "33.33", None, None, "achieved", "26.66", True),
    ("qualitative", "33.33", None, None, "achieved", "26.65", True),
    ("qualitative", "33.33", None, None, "partial", "20", True),
    ("qualitative", "33.33", None, None, "not_achieved", "20", True),
    ("qualitative", "10", None, None, "achieved", None, False),
    ("qualitative", None, None, None, "achieved", None, True),
    ("qualitative", "10", None, None, "=odd", "5", True),
    # Unknown natures are written as inert text and never scored.
    ("", "10", "1", "1", "", None, True), ("=odd", "10", "1", "1", "", None, True),
]
# Text cells: the formula guard's every case, and CSV's quoting.
TEXTS = [
    "普通文字", "=SUM(A1)", "+1+1", "-3.50", "+5.", "-", "@x", "'q", "''", "\t制表", "\r回车",
    "a\nb", 'q"uote', "a,b", "\\.", "-１２", " 前空格", "＝1+1", "＋1", "－1", "＠SUM(A1)",
    " =1+1", "\u00a0=1+1", "\u3000=1+1", "\u200b=1+1", "\ufeff=1", "\n=1", " -3.5", "1e3",
    "",
]


def _d(text):
    return None if text is None else Decimal(text)


def _recorded_indicators() -> None:
    one = ReportFactory(department=DepartmentFactory(code="d-one"), fiscal_year__year=2023)
    two = ReportFactory(department=DepartmentFactory(code="=d2"), fiscal_year__year=2024)
    projects = [
        ProjectFactory(report=one, code="p-1", position=0),
        ProjectFactory(report=two, code="-p2", position=1, funding_source=source("fund")),
    ]
    rows = []
    for i, (nature, weight, target, actual, tier, score, applicable) in enumerate(SCORED):
        text = TEXTS[i % len(TEXTS)]
        report = (one, two)[i % 2]
        rows.append(Indicator(
            report=report, project=projects[i % 2] if i % 3 else None,
            level1=("output", "outcome", "satisfaction", "=unknown")[i % 4],
            level2=("quantity", "quality", "cost", "-odd", "social")[i % 5],
            name=f"{text}{i}" if i % 4 else text, nature=nature, unit=TEXTS[(i + 7) % len(TEXTS)],
            target_value=_d(target), target_text=TEXTS[(i + 3) % len(TEXTS)],
            actual_value=_d(actual), actual_text=TEXTS[(i + 11) % len(TEXTS)],
            weight=_d(weight), tier=tier, applicable=applicable, score=_d(score),
            deviation=TEXTS[(i + 19) % len(TEXTS)], position=i,
        ))
    Indicator.objects.bulk_create(rows)


def test_the_cases_cover_every_rule():
    natures = {case[0] for case in SCORED}
    assert set(scoring.NATURES) <= natures
    assert {case[4] for case in SCORED if case[0] == scoring.QUALITATIVE} >= {"", *scoring.TIERS}
    assert {case[6] for case in SCORED} == {True, False}
    assert len(TEXTS) < len(SCORED)  # every text reaches a name cell


def _export(header: str, *, fast: bool) -> bytes:
    return b"".join(stream_csv_bytes(ds.INDICATORS, header=header, bom=True, fast=fast))


@pytest.mark.parametrize("header", ["keys", "labels"])
def test_export_writes_the_recorded_bytes(header):
    _recorded_indicators()
    path = RECORDED / f"indicators_{header}.csv"
    slow = _export(header, fast=False)
    if os.environ.get("RECORD_EXPORT"):
        path.write_bytes(slow)
        pytest.fail(f"recorded {path}: review its diff, then run again without RECORD_EXPORT")
    expected = path.read_bytes()
    assert slow.split(b"\n") == expected.split(b"\n")  # a failing line reads better than bytes
    if connection.vendor == "postgresql":
        assert _export(header, fast=True) == expected
