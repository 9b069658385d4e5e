"""The target_adjustments, monitoring_spending and monitoring_progress datasets: import with
bad input refused whole, exports with lights appended, department isolation, flat queries."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import datasets as ds
from evaluations import workflow
from evaluations.exports.streams import ExportFilters, stream_csv
from evaluations.imports.importer import import_file
from evaluations.models import (
    MonitoringProgress,
    MonitoringRound,
    MonitoringSpending,
    Report,
    TargetAdjustment,
)
from tests.evaluations.workflow_setup import build_world, passing_report
from tests.factories import DepartmentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(data_entry_user, reviewer):
    world = build_world(data_entry_user)
    for report, clerk in ((world.report_a, world.clerk_a), (world.report_b, world.clerk_b)):
        workflow.move_targets(report, clerk, "submit")
        workflow.move_targets(report, reviewer, "approve")
        report.refresh_from_db()
    return world


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def export(dataset, **filters) -> list[dict]:
    return rows_of("".join(stream_csv(dataset, ExportFilters(**filters), header="keys")))


SPENDING = "year,department_code,month,funding_source,project_code,spent_to_date\n"
PROGRESS = "year,department_code,month,project_code,indicator,progress_value,progress_text,outlook,measures\n"
ADJUST = "year,department_code,project_code,indicator,field,new_value,reason\n"


def test_monitoring_imports_and_exports_with_lights(world):
    project = world.report_a.projects.get()
    spending = (SPENDING + "2023,dept-a,7,general,,20\n"
                f"2023,dept-a,7,一般公共预算,{project.code},4\n")
    result = import_file(ds.MONITORING_SPENDING, spending.encode(), user=world.clerk_a)
    assert result.ok, result.errors
    progress = PROGRESS + "2023,dept-a,7,,甲部门的部门指标,3,,,\n"
    assert import_file(ds.MONITORING_PROGRESS, progress.encode(), user=world.clerk_a).ok
    round_ = MonitoringRound.objects.get()
    assert (round_.month, round_.status, round_.light) == (7, "draft", "red")
    rows = export(ds.MONITORING_SPENDING)
    assert [(r["project_code"], r["spent_to_date"], r["rate"], r["light"]) for r in rows] == [
        ("", "20.00", "28.57", "red"), (project.code, "4.00", "40.00", "green")]
    assert "低于6月末应达到的40%" in rows[0]["light_reason"]
    progress_rows = export(ds.MONITORING_PROGRESS)
    assert progress_rows[0]["indicator"] == "甲部门的部门指标" and progress_rows[0]["light"] == "green"
    # The same file again changes nothing.
    again = import_file(ds.MONITORING_SPENDING, spending.encode(), user=world.clerk_a)
    assert again.ok and again.counts["skip"] == 2


@pytest.mark.parametrize(("dataset", "body", "column"), [
    (ds.MONITORING_SPENDING, SPENDING + "2023,dept-a,7,general,,70.01\n", "spent_to_date"),
    (ds.MONITORING_SPENDING, SPENDING + "2023,dept-a,13,general,,1\n", "month"),
    (ds.MONITORING_SPENDING, SPENDING + "2023,dept-b,7,general,,1\n", "department_code"),
    (ds.MONITORING_PROGRESS, PROGRESS + "2023,dept-a,7,,乙部门的部门指标,1,,,\n", "indicator"),
    (ds.MONITORING_PROGRESS, PROGRESS + "2023,dept-a,0,,甲部门的部门指标,1,,,\n", "month"),
    (ds.TARGET_ADJUSTMENTS, ADJUST + "2023,dept-a,,甲部门的部门指标,actual_value,1,r\n", "field"),
    (ds.TARGET_ADJUSTMENTS, ADJUST + "2023,dept-a,,甲部门的部门指标,target_value,很多,r\n", "new_value"),
])
def test_bad_rows_are_refused_naming_the_column_and_nothing_is_written(world, dataset, body, column):
    good_first = {
        ds.MONITORING_SPENDING: "2023,dept-a,7,general,,1\n",
        ds.MONITORING_PROGRESS: "2023,dept-a,7,,甲部门的部门指标,1,,,\n",
        ds.TARGET_ADJUSTMENTS: "2023,dept-a,,甲部门的部门指标,unit,件,r\n",
    }[dataset]
    header, bad = body.split("\n", 1)
    result = import_file(dataset, f"{header}\n{good_first}{bad}".encode(), user=world.clerk_a)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, column)]
    assert not (MonitoringRound.objects.exists() or MonitoringSpending.objects.exists()
                or MonitoringProgress.objects.exists() or TargetAdjustment.objects.exists())


def test_monitoring_before_targets_are_approved_is_refused(world, data_entry_user):
    department = DepartmentFactory(code="dept-c")
    department.staff.add(data_entry_user)
    passing_report(department)
    result = import_file(ds.MONITORING_SPENDING, (SPENDING + "2023,dept-c,7,general,,1\n").encode(),
                         user=data_entry_user)
    assert [(e.column, "尚未批复" in e.message) for e in result.errors] == [("month", True)]


def test_adjustments_import_as_pending_requests_and_export(world, reviewer):
    body = ADJUST + "2023,dept-a,,甲部门的部门指标,target_value,12,任务增加\n"
    assert import_file(ds.TARGET_ADJUSTMENTS, body.encode(), user=world.clerk_a).ok
    adjustment = TargetAdjustment.objects.get()
    assert (adjustment.status, adjustment.old_value, adjustment.requested_by) == ("pending", "10", world.clerk_a)
    approved = body.replace("reason\n", "reason,status\n").replace("任务增加\n", "任务增加,approved\n")
    result = import_file(ds.TARGET_ADJUSTMENTS, approved.encode(), user=world.clerk_a)
    assert [e.column for e in result.errors] == ["status"]
    rows = export(ds.TARGET_ADJUSTMENTS)
    assert [(r["indicator"], r["field"], r["old_value"], r["new_value"], r["status"]) for r in rows] == [
        ("甲部门的部门指标", "target_value", "10", "12", "pending")]


def test_staff_import_and_export_only_their_departments(client, world):
    other = SPENDING + "2023,dept-b,7,general,,1\n"
    assert not import_file(ds.MONITORING_SPENDING, other.encode(), user=world.clerk_a).ok
    assert import_file(ds.MONITORING_SPENDING, other.encode(), user=world.clerk_b).ok
    mine = SPENDING + "2023,dept-a,7,general,,1\n"
    assert import_file(ds.MONITORING_SPENDING, mine.encode(), user=world.clerk_a).ok
    world.clerk_a.user_permissions.add(Permission.objects.get(codename="export_data"))
    client.force_login(world.clerk_a)
    for name in ("monitoring_spending", "monitoring_progress", "target_adjustments"):
        response = client.get(reverse("evaluations:exports", args=[name]), {"header": "keys"})
        assert response.status_code == 200
        assert "dept-b" not in b"".join(response.streaming_content).decode()
    body = b"".join(client.get(reverse("evaluations:exports", args=["monitoring_spending"]),
                               {"header": "keys"}).streaming_content).decode()
    assert [r["department_code"] for r in rows_of(body)] == ["dept-a"]


def test_monitoring_exports_stay_flat_as_rounds_grow(world, auditor, client):
    client.force_login(auditor)
    counts = []
    for month in (7, 8, 9, 10):
        body = SPENDING + "".join(f"2023,{d},{month},general,,{month}\n" for d in ("dept-a", "dept-b"))
        assert import_file(ds.MONITORING_SPENDING, body.encode()).ok
        progress = PROGRESS + f"2023,dept-a,{month},,甲部门的部门指标,{month},,,\n"
        assert import_file(ds.MONITORING_PROGRESS, progress.encode()).ok
        for name in ("monitoring_spending", "monitoring_progress", "target_adjustments"):
            with CaptureQueriesContext(connection) as ctx:
                b"".join(client.get(reverse("evaluations:exports", args=[name])).streaming_content)
            counts.append((name, len(ctx.captured_queries)))
    assert counts[:3] == counts[-3:], counts
    assert len(export(ds.MONITORING_SPENDING)) == 8
    assert {r["spent_to_date"] for r in export(ds.MONITORING_SPENDING, departments=["dept-b"])} == {
        "7.00", "8.00", "9.00", "10.00"}
    assert Decimal(export(ds.MONITORING_SPENDING)[-1]["rate"]) == Decimal("14.29")


def test_reports_carry_targets_status_and_a_file_may_repeat_but_not_change_it(world, admin_user):
    """``targets_status`` is a key of ``reports``: exported as stored, read back unchanged,
    refused when a file would move it (the workflow does), restored only into a new report."""
    rows = export(ds.REPORTS, departments=["dept-a"])
    assert [(r["department_code"], r["targets_status"]) for r in rows] == [("dept-a", "approved")]
    header = ",".join(ds.REPORTS.headers("keys", derived=False))

    def body(status: str, code: str = "dept-a") -> bytes:
        row = {**rows[0], "targets_status": status, "department_code": code}
        return (header + "\n" + ",".join(
            f'"{row[key]}"' for key in ds.REPORTS.headers("keys", derived=False)) + "\n").encode()

    again = import_file(ds.REPORTS, body("approved"), user=world.clerk_a)
    assert again.ok and again.counts["skip"] == 1, again.errors
    refused = import_file(ds.REPORTS, body("draft"), user=world.clerk_a)
    assert [(e.row, e.column) for e in refused.errors] == [(2, "targets_status")]
    world.report_a.refresh_from_db()
    assert world.report_a.targets_status == "approved"
    # Even the command line moves an existing report's targets only through the workflow ...
    assert not import_file(ds.REPORTS, body("draft"), user=None).ok
    # ... and restores them with a new report, as it does its status.
    DepartmentFactory(code="dept-new")
    restored = import_file(ds.REPORTS, body("approved", "dept-new"), user=None)
    assert restored.ok, restored.errors
    assert Report.objects.get(department__code="dept-new").targets_status == "approved"
