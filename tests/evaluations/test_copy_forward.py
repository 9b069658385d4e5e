"""Copy forward: next year's draft keeps the structure and targets, clears what a year produced."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from evaluations.copying import copy_report_forward
from evaluations.models import FiscalYear, Report
from indicators.models import Indicator
from tests.factories import (
    FiscalYearFactory,
    IndicatorFactory,
    ProjectFactory,
    ProjectFundFactory,
    ReportFactory,
    UserFactory,
    source,
)

pytestmark = pytest.mark.django_db

D = Decimal


def test_copy_of_the_sample_keeps_structure_and_clears_outcomes(sample_report, superuser):
    project = sample_report.projects.order_by("position").first()
    ProjectFundFactory(project=project, funding_source=source("carryover"),
                       initial_budget=D("1"), adjusted_budget=D("2"), expenditure=D("2"))
    IndicatorFactory(report=sample_report, project=project, position=1, weight=D("50"),
                     nature="qualitative", tier="partial", score=D("35"), deviation="延期。",
                     target_value=None, actual_value=None, target_text="按期完成",
                     actual_text="部分完成")
    assert not FiscalYear.objects.filter(year=2023).exists()

    copy = copy_report_forward(sample_report, 2023, user=superuser)

    copy.refresh_from_db()
    assert copy.fiscal_year.year == 2023 and FiscalYear.objects.get(year=2023).is_open
    assert copy.department_id == sample_report.department_id
    assert (copy.status, copy.revision, copy.published_at) == ("draft", 1, None)
    assert copy.profile == sample_report.profile and copy.goals == sample_report.goals
    assert copy.title == "" and copy.document_number == "" and copy.index_number == ""
    for field in ("overall_summary", "problems", "improvements", "result_application",
                  "other_matters", "execution_explanation"):
        assert getattr(copy, field) == "", field
    assert copy.narratives.count() == 0

    old_budgets = list(sample_report.budget_executions.order_by("funding_source__position"))
    new_budgets = list(copy.budget_executions.order_by("funding_source__position"))
    assert [b.funding_source_id for b in new_budgets] == [b.funding_source_id for b in old_budgets]
    assert all(
        b.adjusted_budget is None and b.initial_budget is None and b.income is None
        and b.expenditure == 0 for b in new_budgets
    )

    old_projects = list(sample_report.projects.order_by("position"))
    new_projects = list(copy.projects.order_by("position"))
    assert [(p.code, p.name, p.funding_source_id, p.goal, p.position, p.execution_weight)
            for p in new_projects] == [
        (p.code, p.name, p.funding_source_id, p.goal, p.position, p.execution_weight)
        for p in old_projects
    ]
    assert all(p.expenditure == 0 and p.adjusted_budget is None and p.outcome == ""
               for p in new_projects)
    new_project = copy.projects.get(code=project.code)
    fund = new_project.funds.get()
    assert fund.funding_source.code == "carryover"
    assert (fund.initial_budget, fund.adjusted_budget, fund.expenditure) == (None, None, 0)

    kept = ("project__code", "level1", "level2", "name", "nature", "unit", "target_value",
            "target_text", "weight", "applicable", "position")
    old = list(sample_report.indicators.order_by("project__code", "position").values_list(*kept))
    new = list(copy.indicators.order_by("project__code", "position").values_list(*kept))
    assert new == old and len(new) == 11
    assert not copy.indicators.exclude(
        actual_value=None, actual_text="", tier="", score=None, deviation=""
    ).exists()
    copied = copy.indicators.get(project=new_project)
    assert (copied.actual_text, copied.tier, copied.score, copied.deviation) == ("", "", None, "")
    assert copied.report_id == copy.pk

    # The source is untouched, and the copy is recorded as made by the user.
    assert sample_report.indicators.count() == 11 and sample_report.narratives.count() == 6
    assert copy.history.get().history_user == superuser
    assert Indicator.history.filter(report_id=copy.pk).count() == 11


def test_refuses_when_the_year_already_has_a_report(superuser):
    report = ReportFactory(fiscal_year=FiscalYearFactory(year=2023))
    ReportFactory(department=report.department, fiscal_year=FiscalYearFactory(year=2024))
    with pytest.raises(ValidationError) as exc:
        copy_report_forward(report, 2024, user=superuser)
    assert exc.value.messages == [f"{report.department.name} 2024年度的自评报告已存在，不能重复复制。"]
    assert Report.objects.count() == 2


def test_refuses_a_closed_year_and_writes_nothing(superuser):
    report = ReportFactory(fiscal_year=FiscalYearFactory(year=2023))
    ProjectFactory(report=report)
    FiscalYear.objects.create(year=2024, is_open=False)
    with pytest.raises(ValidationError, match="2024年度未开放填报"):
        copy_report_forward(report, FiscalYear.objects.get(year=2024), user=superuser)
    assert Report.objects.count() == 1


# --- The admin action ---------------------------------------------------------------------


def _run_action(client, reports):
    return client.post(
        reverse("admin:evaluations_report_changelist"),
        {"action": "copy_to_next_year", "_selected_action": [r.pk for r in reports]},
        follow=True,
    )


def test_admin_action_copies_to_the_next_year(client, superuser):
    report = ReportFactory(fiscal_year=FiscalYearFactory(year=2023))
    IndicatorFactory(report=report, actual_value=D("9"), deviation="未完成。")
    client.force_login(superuser)

    response = _run_action(client, [report])

    copy = Report.objects.get(department=report.department, fiscal_year__year=2024)
    assert copy.indicators.get().actual_value is None
    assert f"已创建 2024年度{report.department.name}整体支出绩效自评报告（草稿）" in (
        response.content.decode()
    )

    response = _run_action(client, [report])  # again: refused, nothing new
    assert "2024年度的自评报告已存在" in response.content.decode()
    assert Report.objects.filter(department=report.department).count() == 2


def test_admin_action_needs_add_permission(client):
    report = ReportFactory(fiscal_year=FiscalYearFactory(year=2023))
    viewer = UserFactory(username="viewer")
    report.department.staff.add(viewer)  # the list is scoped to the user's departments
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_report"),
        Permission.objects.get(codename="change_report"),
    )
    client.force_login(viewer)
    changelist = client.get(reverse("admin:evaluations_report_changelist")).content.decode()
    assert "copy_to_next_year" not in changelist
    _run_action(client, [report])
    assert Report.objects.count() == 1

    viewer.user_permissions.add(Permission.objects.get(codename="add_report"))
    client.force_login(viewer)
    assert "copy_to_next_year" in client.get(
        reverse("admin:evaluations_report_changelist")
    ).content.decode()


def test_admin_action_copies_only_the_users_departments(client, data_entry_user):
    own = ReportFactory(fiscal_year=FiscalYearFactory(year=2023))
    own.department.staff.add(data_entry_user)
    other = ReportFactory(fiscal_year=FiscalYearFactory(year=2023))
    FiscalYearFactory(year=2024)  # a clerk may not create years (access.why_not_create_year)
    client.force_login(data_entry_user)

    _run_action(client, [own, other])

    assert Report.objects.filter(fiscal_year__year=2024).get().department == own.department
