"""Budget and project-fund rows are edited only inline; their history is on the report's page."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import BudgetExecution, FundingSource
from tests.evaluations.workflow_setup import build_world
from tests.factories import ProjectFundFactory
from tests.indicators.test_admin_indicators import _prefix, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_report_history_shows_who_changed_a_budget_figure(client, data_entry_user):
    world = build_world(data_entry_user)
    report = world.report_a
    client.force_login(data_entry_user)
    url = reverse("admin:evaluations_report_change", args=[report.pk])
    response = client.get(url)
    data = form_data(response)
    data[f"{_prefix(response, BudgetExecution)}-0-personnel"] = "51.5"
    assert client.post(url, data).status_code == 302
    fund = world.report_b.projects.get().funds.get()
    fund.expenditure = Decimal("1.2345")
    fund.save()  # department 乙's row: never on 甲's page

    page = client.get(reverse("admin:evaluations_report_history", args=[report.pk]))

    content = page.content.decode()
    section = content[content.index('id="row-history"'):]
    assert "人员经费: 50.0000 → 51.5000" in section
    assert "预算支出情况：一般公共预算" in section
    assert "clerk" in section
    assert "项目资金来源：甲部门的项目 · 当年财政拨款" in section  # created with the report
    assert "1.2345" not in section


def test_report_history_query_count_stays_flat(client, data_entry_user):
    world = build_world(data_entry_user)
    report = world.report_a
    client.force_login(data_entry_user)
    url = reverse("admin:evaluations_report_history", args=[report.pk])
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    baseline = count()
    project = report.projects.get()
    for code in ("carryover", "other"):
        ProjectFundFactory(project=project, funding_source=FundingSource.objects.get(code=code))
    row = report.budget_executions.get()
    for n in range(5):
        row.public = Decimal(n)
        row.save()
    assert count() == baseline


def test_history_differences_read_as_labels_and_local_times(client, data_entry_user, reviewer):
    from evaluations import workflow

    world = build_world(data_entry_user)
    report = world.report_a
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    workflow.publish_report(report, reviewer)
    client.force_login(data_entry_user)

    content = client.get(reverse("admin:evaluations_report_history", args=[report.pk])).content.decode()

    assert "<strong>状态:</strong> 草稿 → 已提交" in content
    assert "<strong>状态:</strong> 已审核 → 已公开" in content
    assert "draft → submitted" not in content
    assert "+00:00" not in content  # publication time in Asia/Shanghai, not raw UTC


def test_audit_csv_records_who_was_given_a_department(client, auditor):
    import csv
    import io

    from tests.factories import DepartmentFactory, UserFactory

    department = DepartmentFactory(code="x", name="某部门")
    department.staff.add(UserFactory(username="newclerk"))
    department.staff.add(UserFactory(username="another"))
    department.staff.remove(*department.staff.filter(username="newclerk"))
    client.force_login(auditor)

    response = client.get(reverse("admin:evaluations_report_audit_log"))

    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    changes = [r[7] for r in csv.reader(io.StringIO(body)) if r[3] == "部门" and r[2] == "修改"]
    assert changes == [
        "填报人员: — → newclerk",
        "填报人员: newclerk → another、newclerk",
        "填报人员: another、newclerk → another",
    ]
