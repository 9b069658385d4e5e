"""A public page's ETag and Last-Modified come from published data only (issue 15.13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.http import http_date, parse_http_date

from evaluations import workflow
from evaluations.models import Department, FundingSource, Report
from tests.evaluations.public_helpers import published_report
from tests.factories import ReportFactory

pytestmark = pytest.mark.django_db

PAGES = ["/", "/reports/2022/", "/departments/dongjiaduan/"]


def _age(*reports: Report, days: int) -> None:
    """Date the reports, and every department and funding source, ``days`` ago."""
    then = timezone.now() - timedelta(days=days)
    Report.objects.filter(pk__in=[r.pk for r in reports]).update(updated_at=then)
    Department.objects.update(public_changed_at=then)
    FundingSource.history.update(history_date=then)


@pytest.mark.parametrize("url", PAGES)
def test_saving_a_draft_moves_neither_etag_nor_last_modified(client, sample_report, url):
    # The draft's department exists already: a new department, even one with nothing public
    # yet, revalidates every page (stamp.py reads any department's latest change).
    draft = ReportFactory(fiscal_year=sample_report.fiscal_year)
    _age(sample_report, draft, days=3)
    first = client.get(url)
    draft.problems = "草稿里的修改。"
    draft.save()
    later = client.get(url)
    assert later["ETag"] == first["ETag"]
    assert later["Last-Modified"] == first["Last-Modified"]
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_a_draft_of_a_department_with_a_published_year_leaves_its_page_alone(client, sample_report):
    url = "/departments/dongjiaduan/"
    _age(sample_report, days=3)
    first = client.get(url)
    draft = ReportFactory(department=sample_report.department, fiscal_year__year=2023)
    draft.save()
    later = client.get(url)
    assert (later["ETag"], later["Last-Modified"]) == (first["ETag"], first["Last-Modified"])


def test_withdrawing_a_report_dates_the_page_by_the_withdrawal(client, sample_report, superuser):
    other = published_report(year=2022)
    _age(sample_report, other, days=3)
    first = client.get("/reports/2022/")
    assert parse_http_date(first["Last-Modified"]) < (timezone.now() - timedelta(days=2)).timestamp()
    before = int(timezone.now().timestamp())
    workflow.reopen_report(other, superuser, "数据有误，撤回更正。")
    _age(other, days=3)  # however its own row is dated, the reopening is recent
    later = client.get("/reports/2022/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert later.status_code == 200
    assert later["ETag"] != first["ETag"]
    assert parse_http_date(later["Last-Modified"]) >= before
    assert other.department.name not in later.content.decode()


def test_publishing_and_editing_published_data_still_move_both(client, sample_report):
    _age(sample_report, days=3)
    first = client.get("/reports/2022/")
    sample_report.refresh_from_db()
    sample_report.problems += "更正。"
    sample_report.save()
    later = client.get("/reports/2022/")
    assert later["ETag"] != first["ETag"]
    assert parse_http_date(later["Last-Modified"]) > parse_http_date(first["Last-Modified"])
    assert later["Last-Modified"] == http_date(sample_report.updated_at.timestamp())


@pytest.mark.postgresql_only
def test_the_stamps_sql_is_built_once_per_scope_and_answers_as_the_orm_does(
    sample_report, reviewer, superuser, monkeypatch
):
    from django.db.models import Q

    from evaluations.public import stamp

    stamp._stamp_sql.clear()
    scopes = [Q(fiscal_year__year=2022), Q(fiscal_year__year=2022, department__code="dongjiaduan"),
              Q(fiscal_year__year=2022) | Q(fiscal_year__year=2021), Q(fiscal_year__year=1999)]
    first = [stamp.page_stamp(scope) for scope in scopes]
    assert first[0] and first[1] and first[2] and first[3] is None
    orm = [stamp._aggregate(Report.objects.filter(s, status=Report.Status.PUBLISHED), s) for s in scopes]
    built = []
    monkeypatch.setattr(stamp, "_aggregate", lambda *a: built.append(a))
    assert [stamp._stamp_row(scope) for scope in scopes] == orm  # sent again, not built
    assert [stamp.page_stamp(scope) for scope in scopes] == first and built == []
    # The data moves the stamp as before: the SQL is kept, never the answer.
    published_report(year=2022)
    assert stamp.page_stamp(scopes[0]) != first[0]
    workflow.reopen_report(sample_report, reviewer, comment="更正")
    assert stamp.page_stamp(scopes[1]) is None
    monkeypatch.undo()
    assert [stamp._stamp_row(scope) for scope in scopes] == [
        stamp._aggregate(Report.objects.filter(s, status=Report.Status.PUBLISHED), s) for s in scopes]
