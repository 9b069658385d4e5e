"""The rows of one report the checks read, fetched in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from evaluations.models import (
    BudgetExecution,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
    TargetAdjustment,
)
from evaluations.models import Finding as RectificationFinding
from indicators import scoring, tables
from indicators.models import Indicator


@dataclass
class ReportData:
    """The rows of one report the checks read; ``indicators`` holds the department's and projects'.

    ``report`` is None for the rows of one project alone (``load_project``). The 自评表s are
    computed once, on first use, from the rows as they are then: pages show the same tables
    the checks read.
    """

    report: Report | None
    budget_executions: Sequence[BudgetExecution]
    projects: Sequence[Project]
    project_funds: Sequence[ProjectFund] = ()
    indicators: Sequence[Indicator] = ()
    # The report's findings (整改问题) and last year's unverified ones of its department.
    findings: Sequence[RectificationFinding] = ()
    # Adjustments of approved targets still awaiting a reviewer (read only once approved).
    pending_adjustments: int = 0
    narratives: Sequence[OutcomeNarrative] = ()
    # The report's rule set (indicators.rule_sets): the tables here are scored afresh under it.
    rules: scoring.Rules = scoring.NATIONAL_2020

    @cached_property
    def _indicators_by_project(self) -> dict[int | None, list[Indicator]]:
        by_project: dict[int | None, list[Indicator]] = defaultdict(list)
        for indicator in self.indicators:
            by_project[indicator.project_id].append(indicator)
        return by_project

    @cached_property
    def department_table(self) -> tables.SelfEvaluationTable:
        """部门整体支出绩效自评表, from the budgets and the department-level indicators."""
        return tables.score_department_table(
            self.report, self.budget_executions, self._indicators_by_project.get(None, []),
            self.rules,
        )

    @cached_property
    def _project_tables(self) -> dict[int, tables.SelfEvaluationTable]:
        return {
            project.pk: tables.score_project_table(
                project, self._indicators_by_project.get(project.pk, []), self.rules
            )
            for project in self.projects
        }

    def project_table(self, project: Project) -> tables.SelfEvaluationTable:
        """项目支出绩效自评表 of one of ``projects``."""
        return self._project_tables[project.pk]


def load(report: Report) -> ReportData:
    """Fetch what the checks need in five queries, however large the report."""
    return ReportData(
        report=report,
        rules=report.rules,
        budget_executions=list(
            report.budget_executions.select_related("funding_source").order_by(
                "funding_source__position", "pk"
            )
        ),
        projects=list(report.projects.select_related("funding_source").order_by("position", "pk")),
        project_funds=list(
            ProjectFund.objects.filter(project__report=report).select_related("funding_source")
        ),
        # With their re-check scores (a join, no query), which the report's page shows.
        indicators=list(report.indicators.select_related("recheck").order_by("position", "pk")),
        findings=list(
            RectificationFinding.objects.filter(
                report__department_id=report.department_id,
                report__fiscal_year__year__in=[report.fiscal_year.year, report.fiscal_year.year - 1],
            ).select_related("report__fiscal_year").order_by("-report__fiscal_year__year", "position")
        ),
        pending_adjustments=(
            report.target_adjustments.filter(status=TargetAdjustment.Status.PENDING).count()
            if report.targets_status == Report.TargetsStatus.APPROVED else 0
        ),
        narratives=list(report.narratives.order_by("position")),
    )


def load_project(project: Project) -> ReportData:
    """The rows of one project (its fund rows and indicators), in four queries."""
    return ReportData(
        report=None,
        rules=_rules_of(project),
        budget_executions=(),
        projects=[project],
        project_funds=list(project.funds.select_related("funding_source")),
        indicators=list(project.indicators.order_by("position", "pk")),
    )


def _rules_of(project: Project) -> scoring.Rules:
    """Report.rules of the project's report: one query, none when the report is loaded."""
    if Project.report.is_cached(project):
        return project.report.rules
    return Report.objects.select_related("rule_set").get(pk=project.report_id).rules

