"""Reports as summary rows (budgets by source, total, 自评 score) for the year and department pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from evaluations.models import BudgetExecution, FundingSource, Report
from indicators.models import Indicator
from indicators.tables import SelfEvaluationTable, department_table

ZERO = Decimal("0")


def published() -> QuerySet[Report]:
    # The rule set comes along: pages name the rule set a report was scored under.
    return Report.objects.published().select_related("department", "fiscal_year", "rule_set")


def with_summary(reports: QuerySet[Report]) -> QuerySet[Report]:
    """What a summary row needs: budgets (with their names) and department indicators."""
    return reports.prefetch_related(
        Prefetch(
            "budget_executions",
            queryset=BudgetExecution.objects.select_related("funding_source"),
        ),
        Prefetch(
            "indicators",
            queryset=Indicator.objects.filter(project__isnull=True).order_by("position", "id"),
            to_attr="department_indicators",
        ),
    )


@dataclass
class SummaryRow:
    """A report as one row of a year or department table."""

    report: Report
    by_source: dict[int, Decimal]
    total: Decimal
    table: SelfEvaluationTable
    cells: list[Decimal | None] = field(default_factory=list)


def summaries(reports: list[Report]) -> tuple[list[FundingSource], list[SummaryRow]]:
    """The budget columns any of ``reports`` fills, in their order, and a row per report."""
    sources: dict[int, FundingSource] = {}
    rows = []
    for report in reports:
        executions = list(report.budget_executions.all())
        for execution in executions:
            sources.setdefault(execution.funding_source_id, execution.funding_source)
        by_source = {e.funding_source_id: e.expenditure for e in executions}
        rows.append(SummaryRow(
            report=report, by_source=by_source, total=sum(by_source.values(), ZERO),
            table=department_table(report, executions, report.department_indicators, report.rules),
        ))
    columns = sorted(sources.values(), key=lambda s: (s.position, s.code))
    for row in rows:
        row.cells = [row.by_source.get(source.id) for source in columns]
    return columns, rows
