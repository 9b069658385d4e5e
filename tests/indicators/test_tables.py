"""The project and department tables use the scoring rules and leave unweighted targets unscored."""

from decimal import Decimal

import pytest

from indicators.scoring import NATIONAL_2020
from indicators.tables import (
    department_table,
    project_table,
    score_department_table,
    score_project_table,
)
from tests.factories import BudgetExecutionFactory, IndicatorFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_sample_department_table_is_unscored(sample_report):
    table = department_table(
        sample_report, list(sample_report.budget_executions.all()),
        list(sample_report.indicators.filter(project__isnull=True)), sample_report.rules,
    )
    assert table.total is None and table.grade is None and not table.is_scored
    assert table.expenditure == Decimal("1828.90") + Decimal("1898.71")
    assert all(s.score is None for s in table.indicators)


def test_project_table_totals_and_grades():
    project = ProjectFactory(adjusted_budget=Decimal("100"), expenditure=Decimal("95"))
    rows = [
        IndicatorFactory(report=project.report, project=project, weight=Decimal("50"),
                         target_value=Decimal("10"), actual_value=Decimal("10"), position=1),
        IndicatorFactory(report=project.report, project=project, weight=Decimal("30"),
                         level1="outcome", level2="social", target_value=Decimal("15"),
                         actual_value=Decimal("12"), position=2),
        IndicatorFactory(report=project.report, project=project, weight=Decimal("10"),
                         level1="satisfaction", level2="satisfaction", nature="qualitative",
                         tier="partial", score=Decimal("7"), position=3),
    ]
    table = score_project_table(project, rows, NATIONAL_2020)
    project.refresh_from_db()
    stored = project_table(project, [type(r).objects.get(pk=r.pk) for r in rows], NATIONAL_2020)
    assert (stored.total, stored.grade, [s.score for s in stored.indicators]) == (
        table.total, table.grade, [s.score for s in table.indicators]
    )
    assert [s.score for s in table.indicators] == [Decimal("50.00"), Decimal("24.00"), Decimal("7.00")]
    assert table.execution_rate == Decimal("95.00")
    assert table.execution_score == Decimal("9.50")
    assert table.total == Decimal("90.50")
    assert table.grade == "excellent"
    assert [s.missed for s in table.indicators] == [False, True, True]


def test_out_of_band_qualitative_score_is_reported_not_raised():
    ind = IndicatorFactory(nature="qualitative", tier="achieved", weight=Decimal("10"),
                           score=Decimal("5"))
    execution = BudgetExecutionFactory(report=ind.report)
    table = score_department_table(ind.report, [execution], [ind], NATIONAL_2020)
    assert table.indicators[0].score is None
    assert table.indicators[0].error == "8.00–10.00"
