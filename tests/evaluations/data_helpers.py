"""Shared helpers for the import, export and open-data tests."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.management import call_command

from evaluations.models import (
    BudgetExecution,
    Department,
    FiscalYear,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
)
from indicators.models import Indicator
from tests.factories import (
    BudgetExecutionFactory,
    DepartmentFactory,
    IndicatorFactory,
    OutcomeNarrativeFactory,
    ProjectFactory,
    ProjectFundFactory,
    ReportFactory,
    source,
)

# Import order: what a row refers to must exist first.
DATASET_ORDER = [
    "departments", "reports", "budget_executions", "projects", "project_funds", "narratives",
    "indicators",
]


def export(dataset: str, *args: str) -> str:
    out = io.StringIO()
    call_command("export_data", dataset, *args, stdout=out)
    return out.getvalue()


def wipe_domain_data() -> None:
    """Empty every table the datasets cover, as a fresh database would be."""
    Indicator.objects.all().delete()
    ProjectFund.objects.all().delete()
    Project.objects.all().delete()
    OutcomeNarrative.objects.all().delete()
    BudgetExecution.objects.all().delete()
    Report.objects.all().delete()
    while Department.objects.exists():
        Department.objects.filter(children__isnull=True).delete()
    FiscalYear.objects.all().delete()


def rich_report(year: int = 2023, code: str = "rich-dept") -> Report:
    """A report with every kind of row: funds, weighted and qualitative indicators, odd text."""
    department = DepartmentFactory(code=code, name="=危险名称", short_name="-简称")
    report = ReportFactory(
        department=department, fiscal_year__year=year, profile="第一行\r\n第二行，含“引号”,逗号",
        problems="@SUM(A1)", improvements="\t以制表符开头", goals="'以单引号开头",
        status=Report.Status.APPROVED,
    )
    BudgetExecutionFactory(report=report)
    BudgetExecutionFactory(
        report=report, funding_source=source("fund"), initial_budget=Decimal("0.1250"),
        adjusted_budget=Decimal("1524.9100"), income=None, personnel=Decimal("0"),
        public=Decimal("0"), project=Decimal("1400.2600"),
    )
    project = ProjectFactory(report=report, code="proj-a", name="+项目甲", position=1)
    ProjectFundFactory(project=project)
    ProjectFundFactory(
        project=project, funding_source=source("carryover"), initial_budget=Decimal("3.3300"),
        adjusted_budget=Decimal("0.5000"), expenditure=Decimal("0.4999"),
    )
    other = ProjectFactory(
        report=report, code="proj-b", name="项目乙", position=2, funding_source=source("fund"),
        adjusted_budget=Decimal("100"), expenditure=Decimal("85.5"),
    )
    OutcomeNarrativeFactory(report=report, position=1, headline="=HYPERLINK(\"x\")", body="-3.50")
    OutcomeNarrativeFactory(report=report, position=2, headline="第二段", body="")
    IndicatorFactory(report=report, level1="output", level2="quantity", name="数量",
                     weight=Decimal("30"), target_value=Decimal("10"),
                     actual_value=Decimal("-3.50"), position=1, deviation="-未完成")
    IndicatorFactory(report=report, level1="satisfaction", level2="satisfaction",
                     name="满意度", nature="qualitative", weight=Decimal("20"), tier="partial",
                     score=Decimal("15.5"), target_value=None, actual_value=None,
                     target_text="较满意", actual_text="满意", position=2)
    IndicatorFactory(report=report, level1="outcome", level2="social", name="不适用",
                     weight=Decimal("40"), applicable=False, position=3, unit="%")
    for position, (name, nature) in enumerate([("成本", "lte"), ("时效", "eq")], start=1):
        IndicatorFactory(report=report, project=project, level1="output", level2="cost",
                         name=name, nature=nature, weight=Decimal("45"), position=position,
                         target_value=Decimal("8"), actual_value=Decimal("10"))
    IndicatorFactory(report=report, project=other, level1="outcome", level2="economic",
                     name="经济效益", weight=Decimal("90"), target_value=Decimal("100"),
                     actual_value=Decimal("87.5"), position=1)
    return report
