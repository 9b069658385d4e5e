"""Shared set-up of the year-after tests: a published report with a department's staff."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from evaluations.models import Finding, Report
from tests.factories import (
    BudgetExecutionFactory,
    DepartmentFactory,
    IndicatorFactory,
    ProjectFactory,
    ReportFactory,
)


def published(report: Report) -> Report:
    Report.objects.filter(pk=report.pk).update(status=Report.Status.PUBLISHED, published_at=timezone.now())
    report.refresh_from_db()
    return report


def published_report(year: int = 2023, code: str = "d1", **kwargs) -> Report:
    """A published report of department ``code`` with one weighted project table."""
    department = DepartmentFactory(code=code, name=f"部门{code}")
    report = ReportFactory(department=department, fiscal_year__year=year, **kwargs)
    BudgetExecutionFactory(report=report)
    project = ProjectFactory(report=report, code="p1", name="项目一", position=1,
                             adjusted_budget=Decimal("10"), expenditure=Decimal("10"))
    IndicatorFactory(report=report, project=project, name="数量", weight=Decimal("50"),
                     target_value=Decimal("10"), actual_value=Decimal("10"), position=1)
    IndicatorFactory(report=report, project=project, level1="outcome", level2="social",
                     name="效益", weight=Decimal("40"), target_value=Decimal("10"),
                     actual_value=Decimal("8"), position=2, deviation="原因。")
    return published(report)


def finding(report: Report, position: int = 1, **kwargs) -> Finding:
    values = {
        "source": Finding.Source.REVIEW, "description": f"问题{position}",
        "measure": "措施", "owner": "办公室",
        "due_date": datetime.date(report.fiscal_year.year + 1, 6, 30),
    }
    values.update(kwargs)
    return Finding.objects.create(report=report, position=position, **values)
