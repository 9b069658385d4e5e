"""Findings and rectification (整改): who enters and verifies them, the dataset, the checks."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from evaluations import access, checks
from evaluations import datasets as ds
from evaluations.exports.streams import ExportFilters, stream_csv
from evaluations.imports import import_file
from evaluations.models import Finding
from tests.evaluations.cycle_helpers import finding, published_report
from tests.evaluations.test_checks import DRAFT_CHECK_QUERIES
from tests.factories import ReportFactory

pytestmark = pytest.mark.django_db

HEADER = "year,department_code,position,source,description,measure,owner,due_date,status\r\n"


def csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\r\n" for r in rows)).encode()


@pytest.fixture
def clerk(data_entry_user):
    report = published_report()
    report.department.staff.add(data_entry_user)
    return data_entry_user


# --- Who may --------------------------------------------------------------------------------


def test_staff_enter_self_findings_reviewers_and_auditors_the_others(clerk, reviewer, auditor):
    assert access.finding_sources(clerk) == ["self"]
    assert "self" not in access.finding_sources(reviewer)
    assert set(access.finding_sources(auditor)) == {"review", "recheck", "audit", "third_party"}
    assert "self" in access.finding_sources(None)


def test_only_a_reviewer_verifies_a_done_finding_not_their_own(clerk, reviewer, auditor):
    item = finding(published_report(code="d2"), status=Finding.Status.DONE)
    assert access.why_not_finding_status(item, "done", "verified", reviewer) is None
    assert "审核人" in access.why_not_finding_status(item, "done", "verified", clerk)
    assert "审核人" in access.why_not_finding_status(item, "done", "verified", auditor)
    item.status = Finding.Status.IN_PROGRESS
    assert "已整改" in access.why_not_finding_status(item, "in_progress", "verified", reviewer)
    item.done_by = reviewer
    assert "自己" in access.why_not_finding_status(item, "done", "verified", reviewer)
    item.done_by = None
    item.report.department.staff.add(reviewer)
    assert "本部门" in access.why_not_finding_status(item, "done", "verified", reviewer)


def test_a_verified_finding_is_settled(reviewer, superuser):
    item = finding(published_report())
    item.take_status(Finding.Status.DONE, None)
    item.take_status(Finding.Status.VERIFIED, reviewer)
    item.save()
    assert item.verified_by == reviewer and item.verified_at is not None
    assert access.why_finding_locked(item, reviewer)
    assert access.why_not_finding_status(item, "verified", "open", reviewer)
    assert access.why_finding_locked(item, superuser) is None


def test_finding_rows_ignore_the_reports_edit_lock_but_not_departments(clerk, reviewer):
    mine = finding(published_report(code="d1x"))
    other = finding(published_report(code="d2"))
    mine.report.department.staff.add(clerk)
    changeable = access.restrict(Finding.objects.all(), clerk, access.CHANGE)
    assert set(changeable) == {mine}  # published, yet changeable; the other department's not
    assert set(access.restrict(Finding.objects.all(), reviewer, access.CHANGE)) == {mine, other}


# --- The model's rules ------------------------------------------------------------------------


def test_due_date_before_the_reports_year_is_refused_with_the_field_named():
    item = finding(published_report(year=2023))
    item.due_date = datetime.date(2022, 12, 31)
    with pytest.raises(ValidationError) as exc:
        item.full_clean()
    assert "due_date" in exc.value.message_dict and "2023" in exc.value.message_dict["due_date"][0]


def test_named_constraints_hold_in_the_database():
    report = published_report()
    finding(report, position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        finding(report, position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.create(report=report, position=2, description="x", status="verified")
    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.create(report=report, position=3, description="x", source="rumour")


def test_overdue_is_one_rule_as_a_test_and_a_query():
    report = published_report()
    today = datetime.date(2024, 7, 1)
    late = finding(report, 1, due_date=datetime.date(2024, 6, 30))
    finding(report, 2, due_date=datetime.date(2024, 6, 30), status="done")
    finding(report, 3, due_date=datetime.date(2024, 7, 1))
    finding(report, 4, due_date=None)
    assert [f.pk for f in Finding.objects.all() if f.is_overdue(today)] == [late.pk]
    assert list(Finding.objects.overdue(today)) == [late]


# --- Checks -------------------------------------------------------------------------------------


def test_checks_warn_of_overdue_findings_and_last_years_unverified(django_assert_num_queries):
    last = published_report(year=2023)
    finding(last, 1, description="去年的问题", status="in_progress")
    finding(last, 2, description="已验证", status="verified", verified_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    report = ReportFactory(department=last.department, fiscal_year__year=2024)
    finding(report, 1, description="逾期", due_date=datetime.date(2024, 1, 31))
    with django_assert_num_queries(DRAFT_CHECK_QUERIES):  # the findings come in the one query
        found = checks.check_report(report)
    codes = {(f.code, f.figures.get("status")) for f in found}
    assert (checks.FINDING_OVERDUE, "open") in codes
    assert (checks.FINDING_CARRIED_OVER, "in_progress") in codes
    assert not any("已验证" in f.message for f in found)
    assert all(not f.is_error for f in found if f.code.startswith("finding"))


# --- The dataset ------------------------------------------------------------------------------


# Exports read through COPY on PostgreSQL (streams._read_flat): `make test` runs both.
@pytest.mark.postgresql
def test_findings_import_and_export_round_trip(tmp_path):
    published_report(year=2023, code="d1")
    data = csv(
        "2023,d1,1,审核发现,\"材料不全，“缺签字”\",补齐,办公室,2024-06-30,整改中",
        "2023,d1,2,self,=危险,,,2024/3/1,",
    )
    result = import_file(ds.FINDINGS, data)
    assert result.ok, result.errors
    first = "".join(stream_csv(ds.FINDINGS, ExportFilters(), header="keys"))
    assert "2023,d1,2,self,'=危险,,,2024-03-01,open" in first
    Finding.objects.all().delete()
    assert import_file(ds.FINDINGS, first.encode()).ok
    assert "".join(stream_csv(ds.FINDINGS, ExportFilters(), header="keys")) == first
    assert import_file(ds.FINDINGS, first.encode()).count("skip") == 2


@pytest.mark.parametrize(("row", "column", "words"), [
    ("2023,d1,1,self,问题,,,2022-12-31,", "due_date", "早于"),
    ("2023,d1,1,self,问题,,,2024-13-01,", "due_date", "日期无效"),
    ("2023,d1,1,rumour,问题,,,,", "source", "未知的代码"),
    ("2023,d1,1,self,,,,,", "description", "不能为空"),
    ("2023,nope,1,self,问题,,,,", "department_code", "不存在"),
    ("2025,d1,1,self,问题,,,,", "year", "没有2025年度"),
])
def test_bad_rows_are_named_and_nothing_is_written(row, column, words):
    published_report(year=2023, code="d1")
    result = import_file(ds.FINDINGS, csv("2023,d1,9,self,好的一行,,,,", row))
    assert not result.ok
    error = result.errors[0]
    assert error.row == 3 and error.column == column and words in error.message, error
    assert not Finding.objects.exists()


def test_staff_import_self_findings_only_and_never_verify(clerk):
    result = import_file(ds.FINDINGS, csv("2023,d1,1,审计发现,问题,,,,"), user=clerk)
    assert [(e.column, "无权" in e.message) for e in result.errors] == [("source", True)]
    assert import_file(ds.FINDINGS, csv("2023,d1,1,,问题,,,,已整改"), user=clerk).ok
    item = Finding.objects.get()
    assert item.source == "self" and item.status == "done" and item.done_by == clerk
    result = import_file(ds.FINDINGS, csv("2023,d1,1,,问题,,,,已验证"), user=clerk)
    assert result.errors[0].column == "status" and "审核人" in result.errors[0].message
    assert Finding.objects.get().status == "done"


def test_staff_may_answer_a_reviewers_finding_but_not_rewrite_it(clerk, reviewer):
    assert import_file(ds.FINDINGS, csv("2023,d1,1,审核发现,原问题,,,,"), user=reviewer).ok
    assert import_file(ds.FINDINGS, csv("2023,d1,1,审核发现,原问题,已补齐,张三,,整改中"), user=clerk).ok
    result = import_file(ds.FINDINGS, csv("2023,d1,1,审核发现,改写的问题,,,,"), user=clerk)
    assert result.errors[0].column == "description"
    assert Finding.objects.get().description == "原问题"


def test_reviewer_verifies_by_import_and_the_stamp_moves(clerk, reviewer):
    assert import_file(ds.FINDINGS, csv("2023,d1,1,,问题,,,,done"), user=clerk).ok
    report = Finding.objects.get().report
    before = report.updated_at
    assert import_file(ds.FINDINGS, csv("2023,d1,1,,问题,,,,verified"), user=reviewer).ok
    item = Finding.objects.get()
    assert item.status == "verified" and item.verified_by == reviewer
    report.refresh_from_db()
    assert report.updated_at > before  # the public page's stamp reads it


def test_other_departments_findings_are_refused(clerk):
    published_report(code="d2")
    result = import_file(ds.FINDINGS, csv("2023,d2,1,,问题,,,,"), user=clerk)
    assert result.errors[0].column == "department_code" and "无权" in result.errors[0].message
    assert not Finding.objects.exists()


def test_staff_answer_by_import_without_repeating_the_source(clerk, reviewer):
    assert import_file(ds.FINDINGS, csv("2023,d1,1,审核发现,原问题,,,,"), user=reviewer).ok
    answer = "year,department_code,position,description,measure\r\n2023,d1,1,原问题,已补齐\r\n"
    assert import_file(ds.FINDINGS, answer.encode(), user=clerk).ok
    item = Finding.objects.get()
    assert (item.source, item.status, item.measure) == ("review", "open", "已补齐")
