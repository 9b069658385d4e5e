"""Consistency checks of a report (docs/design.md, "Consistency checks"): what a reviewer would otherwise catch by hand.

Each finding has a stable ``code``, a ``severity`` (errors block submission, warnings are
shown to reviewers), a message in the active language and the figures it compared.
``check_report`` reads a report with a fixed number of queries; ``run_checks`` works on rows
already in memory, so unsaved or crafted data can be checked too. This package alone decides a
finding: submission (workflow.py) refuses the errors, and the admin's report and project pages
render the same findings (evaluations/admin/indicators.py), never a check of their own.

By role: ``findings`` (the Finding and its codes), ``rows`` (what is read, in a fixed number
of queries), and the checks themselves: ``amounts``, ``scored`` (the 自评表s) and ``outline``
(sections written, targets, findings followed up).
"""

from __future__ import annotations

from collections.abc import Iterable

from evaluations.checks import amounts, outline, scored
from evaluations.checks.findings import (  # noqa: F401  (the codes are this package's interface)
    ADJUSTMENTS_PENDING,
    COST_NOT_LTE,
    DEVIATION_MISSING,
    ERROR,
    EXECUTION_EXPLANATION_MISSING,
    FINDING_CARRIED_OVER,
    FINDING_OVERDUE,
    NEGATIVE_AMOUNT,
    OUTCOME_MISSING,
    PROJECT_FUNDS_SUM,
    PROJECTS_NOT_LISTED,
    PROJECTS_SUM,
    REQUIRED_SECTIONS,
    RESULT_MISSING,
    SCORE_OUT_OF_BAND,
    SECTION_MISSING,
    STORED_SCORES_STALE,
    TARGET_ERRORS,
    TARGETS_IN_REVIEW,
    WARNING,
    WEIGHTS_MISMATCH,
    Finding,
)
from evaluations.checks.rows import ReportData, load, load_project
from evaluations.models import Project, Report


def check_report(report: Report) -> list[Finding]:
    return run_checks(load(report))


def check_project(project: Project) -> list[Finding]:
    """The findings about one project: those check_report gives with its ``project_id``."""
    return project_findings(load_project(project), project.pk)


def project_findings(data: ReportData, project_id: int) -> list[Finding]:
    # A project's findings read only its own rows (its amounts, funds, outcome and table),
    # so the rows of that project alone give them; what needs the whole report (the
    # budgets' project sums) has no project_id.
    return [f for f in run_checks(data) if f.project_id == project_id]


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == WARNING]


def run_checks(data: ReportData) -> list[Finding]:
    """Every check over one report's rows, errors and warnings in document order."""
    findings: list[Finding] = []
    whole_report = data.report is not None  # not the rows of one project alone (load_project)
    if whole_report:
        findings += outline.sections_written(data)
    findings += amounts.negative_amounts(data)
    if whole_report:  # the budgets' sums need the whole report's projects
        findings += amounts.projects_add_up(data)
    findings += amounts.project_funds_add_up(data)
    findings += outline.outcomes_present(data)
    findings += scored.scored_tables(data)
    if whole_report:
        findings += outline.rectification(data)
    findings += outline.targets_settled(data)
    findings += scored.cost_natures(data)
    if whole_report and data.report.status == Report.Status.DRAFT:
        findings += scored.stored_scores(data)
    return findings
