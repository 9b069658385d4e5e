"""Generated published reports for the API, ranking and open-data tests."""

from __future__ import annotations

from decimal import Decimal

from evaluations.models import Report
from tests.evaluations.public_helpers import published_report
from tests.factories import BudgetExecutionFactory, DepartmentFactory, IndicatorFactory, source


def scored_report(code: str, year: int, *, actual: str = "10", adjusted: str = "120",
                  spent_project: str = "55", status=Report.Status.PUBLISHED, budget: str = "general",
                  indicator: str = "产出数量") -> Report:
    """A report whose 自评表 is scored: one department indicator (weight 90, target 10) and one
    budget (spending 60 + ``spent_project`` of ``adjusted``). ``actual`` 10 grades excellent
    (99.58), 5 poor (54.58)."""
    department = DepartmentFactory(code=code, name=f"部门{code}")
    report = published_report(year=year, department=department)
    if status != Report.Status.PUBLISHED:
        Report.objects.filter(pk=report.pk).update(status=status, published_at=None)
        report.refresh_from_db()
    BudgetExecutionFactory(
        report=report, funding_source=source(budget), adjusted_budget=Decimal(adjusted),
        project=Decimal(spent_project),
    )
    IndicatorFactory(report=report, name=indicator, weight=Decimal("90"), target_value=Decimal("10"),
                     actual_value=Decimal(actual), position=1000)
    return report
