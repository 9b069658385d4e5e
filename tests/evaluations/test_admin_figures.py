"""Figures in the admin's read-only cells, change lists and import preview read as
common.formatting writes them (docs/design.md, "Domain model"): 8,811.5799 and 767.00, never
the stored 8811.5799 or 767.0000 (evaluations/admin/figures.py)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations.models import BudgetExecution, Project
from indicators.models import Indicator
from tests.evaluations.test_import_admin import upload
from tests.factories import DepartmentFactory, ProjectFactory, ReportFactory

pytestmark = pytest.mark.django_db

RAW = re.compile(r">\s*-?\d+\.\d{4}\s*<")  # a cell holding a stored value as it is kept


def _page(client, name: str, pk: int) -> str:
    response = client.get(reverse(name, args=[pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_published_reports_read_only_budget_cells(client, reviewer, sample_report):
    budget = sample_report.budget_executions.order_by("pk").first()
    BudgetExecution.objects.filter(pk=budget.pk).update(
        initial_budget=Decimal("8811.5799"), personnel=Decimal("767.0000")
    )
    client.force_login(reviewer)
    page = _page(client, "admin:evaluations_report_change", sample_report.pk)
    assert re.search(r'<td class="field-initial_budget">\s*<p>8,811\.5799</p>', page)
    assert re.search(r'<td class="field-personnel">\s*<p>767\.00</p>', page)
    assert not RAW.search(page), RAW.search(page).group(0)


def test_a_published_project_and_indicator_read_only(client, reviewer, sample_report):
    project = sample_report.projects.order_by("pk").first()
    Project.objects.filter(pk=project.pk).update(expenditure=Decimal("2216.5021"))
    indicator = Indicator.objects.filter(report=sample_report, target_value__isnull=False).first()
    Indicator.objects.filter(pk=indicator.pk).update(target_value=Decimal("193"))
    client.force_login(reviewer)
    page = _page(client, "admin:evaluations_project_change", project.pk)
    assert '<div class="readonly">2,216.5021</div>' in page
    assert not RAW.search(page), RAW.search(page).group(0)
    page = _page(client, "admin:indicators_indicator_change", indicator.pk)
    assert '<div class="readonly">193.00</div>' in page
    assert not RAW.search(page), RAW.search(page).group(0)


def test_the_project_change_list_column(client, reviewer, sample_report):
    project = sample_report.projects.order_by("pk").first()
    Project.objects.filter(pk=project.pk).update(expenditure=Decimal("1400.26"))
    client.force_login(reviewer)
    page = client.get(reverse("admin:evaluations_project_changelist")).content.decode()
    assert '<td class="field-expenditure">1,400.26</td>' in page
    assert not RAW.search(page), RAW.search(page).group(0)


def test_the_import_preview_before_and_after(client, data_entry_user):
    mine = DepartmentFactory(code="mine")
    mine.staff.add(data_entry_user)
    report = ReportFactory(department=mine, fiscal_year__year=2024)
    ProjectFactory(report=report, code="p1", name="项目一", expenditure=Decimal("1392.69"))
    client.force_login(data_entry_user)
    content = upload(
        client,
        "年度,部门编码,项目编码,项目名称,预算类别,全年执行数\r\n2024,mine,p1,项目一,一般公共预算,0\r\n",
    ).content.decode()
    assert "全年执行数：1,392.69 → 0.00" in content
    assert "1392.6900" not in content


def test_a_decimal_fields_other_values_are_left_to_django():
    """Only what the database gives (a Decimal, an int) is a figure; a float or a text in a
    decimal field (never stored, but a computed display might pass one) is shown as Django
    shows it, not as 0.1000000000000000055511151231 or a crash."""
    from decimal import Decimal

    from django.db import models

    from evaluations.admin.figures import _django_display_for_field, display_for_field

    field = models.DecimalField(max_digits=8, decimal_places=2)
    assert display_for_field(Decimal("1925"), field, "-") == "1,925.00"
    assert display_for_field(0.1, field, "-") == "0.10"
    for value in ("abc", "1,234.5", None):  # Django's own display, whatever it makes of them
        assert display_for_field(value, field, "-") == _django_display_for_field(value, field, "-")
