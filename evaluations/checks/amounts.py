"""Checks of the amounts: none negative, the projects add up to the budgets' project spending,
a project's fund rows add up to its expenditure."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext as _

from common.formatting import amount
from evaluations.checks.findings import (
    ERROR,
    NEGATIVE_AMOUNT,
    PROJECT_FUNDS_SUM,
    PROJECTS_NOT_LISTED,
    PROJECTS_SUM,
    WARNING,
    ZERO,
    Finding,
)
from evaluations.checks.rows import ReportData
from evaluations.models import BudgetExecution, Project, ProjectFund, amount_names

AMOUNT_FIELDS = {model: amount_names(model) for model in (BudgetExecution, Project, ProjectFund)}


def _project_id(row) -> int | None:
    if isinstance(row, Project):
        return row.pk
    if isinstance(row, ProjectFund):
        return row.project_id
    return None


# --- The checks -----------------------------------------------------------------


def _label(row) -> str:
    if isinstance(row, BudgetExecution):
        return str(row.funding_source)
    if isinstance(row, ProjectFund):
        return f"{row.project} · {row.funding_source}" if row.project_id else str(row.funding_source)
    return str(row)


def negative_amounts(data: ReportData) -> list[Finding]:
    found = []
    rows = [*data.budget_executions, *data.projects, *data.project_funds]
    for row in rows:
        for name in AMOUNT_FIELDS[type(row)]:
            value = getattr(row, name)
            if value is not None and value < 0:
                verbose = row._meta.get_field(name).verbose_name
                found.append(Finding(
                    NEGATIVE_AMOUNT, ERROR,
                    _("%(subject)s的“%(field)s”为 %(value)s 万元，金额不能为负数。")
                    % {"subject": _label(row), "field": verbose, "value": amount(value)},
                    {"field": name, "value": value},
                    _label(row),
                    project_id=_project_id(row),
                ))
    return found


def projects_add_up(data: ReportData) -> list[Finding]:
    """Per budget source, the listed projects' expenditure equals the budget's project spending.

    A budget whose projects are not listed (the sample's 政府性基金) is only a warning.
    """
    by_source: dict[int, list[Project]] = defaultdict(list)
    for project in data.projects:
        by_source[project.funding_source_id].append(project)
    found = []
    budgets = {b.funding_source_id: b for b in data.budget_executions}
    for source_id, budget in budgets.items():
        projects = by_source.get(source_id)
        budget_project = budget.project or ZERO
        if not projects:
            if budget_project != 0:
                found.append(Finding(
                    PROJECTS_NOT_LISTED, WARNING,
                    _("%(source)s项目支出 %(budget)s 万元，未列出项目明细。")
                    % {"source": budget.funding_source, "budget": amount(budget_project)},
                    {"budget_project": budget_project},
                    str(budget.funding_source),
                ))
            continue
        total = sum((p.expenditure or ZERO for p in projects), ZERO)
        if total != budget_project:
            found.append(_sum_mismatch(str(budget.funding_source), budget_project, total))
    for source_id, projects in by_source.items():
        if source_id not in budgets:
            total = sum((p.expenditure or ZERO for p in projects), ZERO)
            found.append(_sum_mismatch(str(projects[0].funding_source), ZERO, total))
    return found


def _sum_mismatch(source: str, budget_project: Decimal, total: Decimal) -> Finding:
    return Finding(
        PROJECTS_SUM, ERROR,
        _("%(source)s：各项目全年执行数合计 %(projects)s 万元，与预算支出情况中的项目支出 "
          "%(budget)s 万元不一致，相差 %(difference)s 万元。")
        % {
            "source": source, "projects": amount(total), "budget": amount(budget_project),
            "difference": amount(total - budget_project),
        },
        {"budget_project": budget_project, "projects_total": total, "difference": total - budget_project},
        source,
    )


def project_funds_add_up(data: ReportData) -> list[Finding]:
    """The 其中 rows of a project's table, where entered, add up to its expenditure."""
    funds: dict[int, list[ProjectFund]] = defaultdict(list)
    for fund in data.project_funds:
        funds[fund.project_id].append(fund)
    found = []
    for project in data.projects:
        rows = funds.get(project.pk)
        if not rows:
            continue
        total = sum((r.expenditure or ZERO for r in rows), ZERO)
        if total != (project.expenditure or ZERO):
            found.append(Finding(
                PROJECT_FUNDS_SUM, WARNING,
                _("项目“%(project)s”各资金来源执行数合计 %(funds)s 万元，与全年执行数 %(expenditure)s 万元不一致。")
                % {"project": project.name, "funds": amount(total), "expenditure": amount(project.expenditure)},
                {"funds_total": total, "expenditure": project.expenditure},
                project.name,
                project_id=project.pk,
            ))
    return found
