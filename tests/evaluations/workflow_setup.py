"""Two departments and their people, shared by the workflow, isolation and audit tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group

from evaluations.models import Report
from tests.factories import (
    BudgetExecutionFactory,
    DepartmentFactory,
    IndicatorFactory,
    OutcomeNarrativeFactory,
    ProjectFactory,
    ProjectFundFactory,
    ReportFactory,
    UserFactory,
)

INLINE_PREFIXES = ("budget_executions", "projects", "narratives", "indicators")


@dataclass
class World:
    report_a: Report
    report_b: Report
    clerk_a: object
    clerk_b: object


def user_in(group: str, username: str):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group))
    return user


def passing_report(department, **kwargs) -> Report:
    """A report that passes every consistency check, with one row of every kind."""
    report = ReportFactory(department=department, **kwargs)
    BudgetExecutionFactory(report=report, adjusted_budget=Decimal("70"), project=Decimal("9.5"))
    project = ProjectFactory(report=report, name=f"{department.name}的项目")
    ProjectFundFactory(project=project)
    OutcomeNarrativeFactory(report=report, headline=f"{department.name}的绩效情况")
    IndicatorFactory(report=report, name=f"{department.name}的部门指标")
    IndicatorFactory(report=report, project=project, name=f"{department.name}的项目指标")
    return report


def build_world(clerk_a) -> World:
    department_a = DepartmentFactory(code="dept-a", name="甲部门")
    department_b = DepartmentFactory(code="dept-b", name="乙部门")
    clerk_b = user_in("data_entry", "clerk-b")
    department_a.staff.add(clerk_a)
    department_b.staff.add(clerk_b)
    return World(
        report_a=passing_report(department_a),
        report_b=passing_report(department_b),
        clerk_a=clerk_a,
        clerk_b=clerk_b,
    )


def report_form_data(report: Report, **changes) -> dict:
    """POST data for the report change form that leaves every inline row as it is."""
    data = {
        "department": report.department_id,
        "fiscal_year": report.fiscal_year_id,
        "title": report.title,
        "publisher": report.publisher,
        "index_number": report.index_number,
        "document_number": report.document_number,
        "profile": report.profile,
        "goals": report.goals,
        "overall_summary": report.overall_summary,
        "execution_weight_override": (
            "" if report.execution_weight_override is None else str(report.execution_weight_override)
        ),
        "execution_explanation": report.execution_explanation,
        "problems": report.problems,
        "improvements": report.improvements,
        "result_application": report.result_application,
        "other_matters": report.other_matters,
    }
    for prefix in INLINE_PREFIXES:
        data[f"{prefix}-TOTAL_FORMS"] = 0
        data[f"{prefix}-INITIAL_FORMS"] = 0
        data[f"{prefix}-MIN_NUM_FORMS"] = 0
        data[f"{prefix}-MAX_NUM_FORMS"] = 1000
    data.update(changes)
    return data
