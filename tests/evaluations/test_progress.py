"""各部门填报进度: every department of a year, started or not, returned or not, in a fixed
number of queries; a clerk sees their own departments only."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from evaluations import workflow
from evaluations.models import Finding
from tests.evaluations.workflow_setup import build_world
from tests.factories import DepartmentFactory, ReportFactory

pytestmark = pytest.mark.django_db
URL = reverse("admin:evaluations_report_progress")


@pytest.fixture
def world(data_entry_user):
    return build_world(data_entry_user)


def _rows(response) -> dict[str, str]:
    return {row.department.code: row.stage for row in response.context["rows"]}


def test_every_department_with_its_stage(client, world, reviewer):
    year = world.report_a.fiscal_year.year
    idle = DepartmentFactory(code="never", name="从未填报的局")
    workflow.submit_report(world.report_a, world.clerk_a)
    workflow.return_report(world.report_a, reviewer, "请补充偏差原因。")
    Finding.objects.create(report=world.report_b, position=1, source="review", description="问题",
                           due_date=datetime.date(2000, 1, 1))
    client.force_login(reviewer)
    response = client.get(URL, {"year": year})
    stages = _rows(response)
    assert stages[idle.code] == "not_started"
    assert stages[world.report_a.department.code] == "returned"
    page = response.content.decode()
    assert "从未填报的局" in page and "未开始" in page and "待部门修改" in page
    assert "1 逾期" in page
    only_returned = client.get(URL, {"year": year, "stage": "returned"})
    assert list(_rows(only_returned)) == [world.report_a.department.code]
    # The reports list links to it.
    assert URL in client.get(reverse("admin:evaluations_report_changelist")).content.decode()


def test_a_clerk_sees_their_departments_only(client, world):
    client.force_login(world.clerk_a)
    stages = _rows(client.get(URL, {"year": world.report_a.fiscal_year.year}))
    assert list(stages) == [world.report_a.department.code]


def test_the_page_is_a_fixed_number_of_queries(client, world, reviewer, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    year = world.report_a.fiscal_year.year
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as before:
        client.get(URL, {"year": year})
    for n in range(12):
        report = ReportFactory(department__code=f"more-{n}", fiscal_year=world.report_a.fiscal_year)
        Finding.objects.create(report=report, position=1, source="review", description="问题")
        DepartmentFactory(code=f"idle-{n}")
    with django_assert_max_num_queries(len(before)):
        response = client.get(URL, {"year": year})
    assert len(response.context["rows"]) > 24
