"""Copy forward: start next year's report for a department from this year's (复制到下一年度).

What carries over is the structure that stays from year to year; what a year produced is
cleared so nothing from the old year can be submitted by mistake as the new one's:

- report: profile, goals, publisher, execution weight (the table's 分值) — kept; title,
  index number, document number, summary and sections 七–十, low-execution explanation,
  status and publication — reset (a new draft, revision 1). Narratives are not copied:
  they describe what the old year achieved.
- budget executions: one row per budget the department had, amounts cleared.
- projects: code, name, budget, goal, position, execution weight — kept; amounts,
  outcome and low-execution explanation cleared. Their fund rows: sources kept, amounts
  cleared.
- indicators (department and project): headings, name, nature, unit, target, weight,
  applicability and position kept; actual value, tier, entered score and deviation cleared.

The target year follows the import's rules (``evaluations.access``): an existing year must
take new reports (open), a missing one is created only by a user who may create years and
never beyond next year. The rows are written through ``workflow.editing``, as every write
to a report's rows is.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from evaluations import access, scores
from evaluations.models import BudgetExecution, FiscalYear, Project, ProjectFund, Report
from evaluations.workflow import editing
from indicators.models import Indicator


def _change_reason(report: Report) -> str:
    return _("复制自%(year)s年度报告") % {"year": report.fiscal_year.year}


def copy_report_forward(report: Report, fiscal_year: FiscalYear | int, *, user) -> Report:
    """Create ``report``'s department's draft for ``fiscal_year`` from ``report``.

    Creates the fiscal year when it does not exist yet and ``user`` may create it. Raises
    ValidationError when the department already has a report for that year, the year is
    closed for entry, or it is missing and may not be created (no permission, or beyond
    next year).
    """
    year = fiscal_year.year if isinstance(fiscal_year, FiscalYear) else int(fiscal_year)
    try:
        return _copy(report, year, user)
    except IntegrityError as exc:
        # Someone created the same report between our check and our insert.
        raise _already_exists(report, year) from exc


def _already_exists(report: Report, year: int) -> ValidationError:
    return ValidationError(
        _("%(department)s %(year)s年度的自评报告已存在，不能重复复制。")
        % {"department": report.department.name, "year": year},
        code="report_exists",
    )


def _target_year(year: int, user) -> FiscalYear:
    target_year = FiscalYear.objects.filter(year=year).first()
    if target_year is None:
        refusal = access.why_not_create_year(user, year)
        if refusal == access.YearRefusal.BEYOND:
            raise ValidationError(
                _("%(year)s年度尚未设立，且晚于%(latest)s年度，不能复制到该年度。")
                % {"year": year, "latest": access.latest_new_year()},
                code="year_beyond",
            )
        if refusal == access.YearRefusal.PERMISSION:
            raise ValidationError(
                _("%(year)s年度尚未设立；请审核人先在“自评报告”列表页开放该年度填报。") % {"year": year},
                code="year_missing",
            )
        target_year, _created = FiscalYear.objects.get_or_create(year=year)
    if not access.takes_new_reports(target_year, user):
        raise ValidationError(_("%(year)s年度未开放填报。") % {"year": year}, code="year_closed")
    return target_year


@transaction.atomic
def _copy(report: Report, year: int, user) -> Report:
    target_year = _target_year(year, user)
    if Report.objects.filter(department_id=report.department_id, fiscal_year=target_year).exists():
        raise _already_exists(report, year)

    reason = _change_reason(report)
    new_report = Report(
        department_id=report.department_id,
        fiscal_year=target_year,
        profile=report.profile,
        goals=report.goals,
        publisher=report.publisher,
        execution_weight_override=report.execution_weight_override,
    )
    new_report._history_user = user
    new_report._change_reason = reason
    # Scored once, under the new year's default rule set, when the rows are in (scores.py).
    with scores.deferred():
        new_report.save()
        with editing(new_report.pk, user):
            _copy_rows(report, new_report, user, reason)
    return new_report


def _copy_rows(report: Report, new_report: Report, user, reason: str) -> None:
    history = {"default_user": user, "default_change_reason": reason}
    bulk_create_with_history(
        [
            BudgetExecution(report=new_report, funding_source_id=row.funding_source_id)
            for row in report.budget_executions.all()
        ],
        BudgetExecution, **history,
    )

    old_projects = list(report.projects.prefetch_related("funds"))
    new_projects = bulk_create_with_history(
        [
            Project(
                report=new_report, funding_source_id=p.funding_source_id, code=p.code,
                name=p.name, goal=p.goal, position=p.position,
                execution_weight_override=p.execution_weight_override,
            )
            for p in old_projects
        ],
        Project, **history,
    )
    if any(p.pk is None for p in new_projects):  # a backend that returns no ids on insert
        new_projects = list(new_report.projects.all())
    # Codes are unique within a report, so they map old projects to new ones.
    project_by_code = {p.code: p for p in new_projects}
    new_project_of = {old.pk: project_by_code[old.code] for old in old_projects}

    bulk_create_with_history(
        [
            ProjectFund(project=new_project_of[old.pk], funding_source_id=fund.funding_source_id)
            for old in old_projects
            for fund in old.funds.all()
        ],
        ProjectFund, **history,
    )
    bulk_create_with_history(
        [
            Indicator(
                report=new_report,
                project=new_project_of[ind.project_id] if ind.project_id else None,
                level1=ind.level1, level2=ind.level2, name=ind.name, nature=ind.nature,
                unit=ind.unit, target_value=ind.target_value, target_text=ind.target_text,
                weight=ind.weight, applicable=ind.applicable, position=ind.position,
            )
            for ind in report.indicators.order_by("project_id", "position", "id")
        ],
        Indicator, **history,
    )
