"""Database constraints reject bad rows with their named, readable messages."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from evaluations.models import BudgetExecution, Department, Report
from tests.factories import (
    BudgetExecutionFactory,
    DepartmentFactory,
    IndicatorFactory,
    OutcomeNarrativeFactory,
    ProjectFactory,
    ReportFactory,
    source,
)

pytestmark = pytest.mark.django_db


def _integrity_error(fn) -> str:
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        fn()
    return str(excinfo.value)


def test_one_report_per_department_and_year():
    report = ReportFactory()
    dup = Report(department=report.department, fiscal_year=report.fiscal_year)
    with pytest.raises(ValidationError) as excinfo:
        dup.full_clean()
    assert "该部门本年度已有自评报告。" in str(excinfo.value)
    _integrity_error(dup.save)
    assert Report.objects.count() == 1


def test_one_execution_row_per_budget():
    row = BudgetExecutionFactory()
    dup = BudgetExecution(report=row.report, funding_source=source("general"))
    with pytest.raises(ValidationError) as excinfo:
        dup.full_clean()
    assert "同一报告中每类预算只能填写一行。" in str(excinfo.value)
    _integrity_error(dup.save)


@pytest.mark.parametrize("field", ["initial_budget", "income", "personnel", "public", "project"])
def test_negative_amounts_are_rejected_by_validation_and_database(field):
    row = BudgetExecutionFactory()
    setattr(row, field, Decimal("-0.01"))
    with pytest.raises(ValidationError) as excinfo:
        row.full_clean()
    assert field in excinfo.value.message_dict
    message = _integrity_error(row.save)
    assert "budget_execution_amounts_non_negative" in message or "CHECK" in message.upper()


def test_negative_project_expenditure_names_the_constraint_message():
    project = ProjectFactory()
    project.expenditure = Decimal("-1")
    with pytest.raises(ValidationError) as excinfo:
        project.full_clean()
    assert "expenditure" in excinfo.value.message_dict
    _integrity_error(project.save)


def test_positions_are_unique_within_a_report():
    project = ProjectFactory(position=1)
    other = ProjectFactory.build(report=project.report, position=1, code="other")
    with pytest.raises(ValidationError) as excinfo:
        other.full_clean()
    assert "同一报告中项目顺序不能重复。" in str(excinfo.value)

    narrative = OutcomeNarrativeFactory(position=1)
    _integrity_error(
        lambda: OutcomeNarrativeFactory(report=narrative.report, position=1)
    )

    indicator = IndicatorFactory(position=3)
    _integrity_error(lambda: IndicatorFactory(report=indicator.report, position=3))
    # The same position is fine under a project of the same report.
    IndicatorFactory(
        report=indicator.report, project=ProjectFactory(report=indicator.report), position=3
    )


def test_project_codes_are_unique_within_a_report():
    project = ProjectFactory(code="a")
    other = ProjectFactory.build(report=project.report, code="a", position=99)
    with pytest.raises(ValidationError) as excinfo:
        other.full_clean()
    assert "同一报告中项目编码不能重复。" in str(excinfo.value)


def test_derived_figures_are_computed():
    row = BudgetExecutionFactory(
        personnel=Decimal("266.61"), public=Decimal("37.38"), project=Decimal("1524.91"),
        adjusted_budget=Decimal("2000"),
    )
    assert row.basic == Decimal("303.99")
    assert row.expenditure == Decimal("1828.90")
    assert row.execution_rate == Decimal("91.45")


def test_report_title_and_publisher_default_from_department():
    report = ReportFactory(department__name="某局", fiscal_year__year=2024)
    assert str(report) == "2024年度某局整体支出绩效自评报告"
    assert report.display_publisher == "某局"


def test_a_department_cannot_manage_itself_through_others():
    top = DepartmentFactory(name="甲")
    middle = DepartmentFactory(name="乙", parent=top)
    bottom = DepartmentFactory(name="丙", parent=middle)
    bottom.full_clean()  # a chain is fine
    top.parent = bottom
    with pytest.raises(ValidationError) as excinfo:
        top.full_clean()
    assert excinfo.value.message_dict["parent"] == ["归口管理关系形成循环：甲 → 丙 → 乙 → 甲。"]
    top.parent = top
    with pytest.raises(ValidationError, match="甲 → 甲"):
        top.full_clean()


def _moved(department, action) -> bool:
    before = Department.objects.get(pk=department.pk).public_changed_at
    action()
    return Department.objects.get(pk=department.pk).public_changed_at != before


def test_public_changed_at_moves_only_with_what_the_pages_print():
    """Code, names and 归口 are printed on public pages; staff and unchanged saves are not."""
    from tests.factories import UserFactory

    parent = DepartmentFactory()
    department = Department.objects.get(pk=DepartmentFactory().pk)
    assert not _moved(department, department.save)
    assert not _moved(department, lambda: department.staff.add(UserFactory()))

    def rename():
        department.name = "新名称"
        department.save()

    assert _moved(department, rename)

    def attach():
        department.parent = parent
        department.save(update_fields=["parent"])

    assert _moved(department, attach)


def test_public_changed_at_follows_the_database_not_a_stale_copy():
    department = Department.objects.get(pk=DepartmentFactory(name="甲").pk)
    elsewhere = Department.objects.get(pk=department.pk)
    elsewhere.name = "乙"
    elsewhere.save()
    department.refresh_from_db()

    def back_to_jia():
        department.name = "甲"
        department.save()

    assert _moved(department, back_to_jia)

    # A name changed in memory but left out of update_fields is still unsaved afterwards.
    department.name = "丙"
    department.short_name = "丙简"
    department.save(update_fields=["short_name"])
    assert Department.objects.get(pk=department.pk).name == "甲"
    assert _moved(department, department.save)
