"""The public page's 整改情况 and attachments: what is shown, and the query count staying flat."""

from __future__ import annotations

import datetime

import pytest

from evaluations.models import Report
from tests.evaluations.attachment_files import PDF
from tests.evaluations.cycle_helpers import finding, published_report
from tests.evaluations.test_attachments import attach
from tests.evaluations.test_public_report import REPORT_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def page(client, report) -> str:
    response = client.get(report.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_findings_and_their_status_are_shown_and_escaped(client):
    report = published_report()
    finding(report, 1, description="<script>x</script>资料不全", status="in_progress",
            measure="补齐资料", owner="办公室")
    text = page(client, report)
    assert "整改情况" in text and "整改中" in text and "补齐资料" in text and "2024-06-30" in text
    assert "&lt;script&gt;x&lt;/script&gt;资料不全" in text and "<script>x" not in text


def test_no_findings_no_section(client):
    assert 'id="rectification"' not in page(client, published_report())


def test_next_years_report_shows_last_years_findings_not_yet_verified(client):
    last = published_report(year=2023)
    finding(last, 1, description="去年未完成的问题", status="in_progress")
    finding(last, 2, description="去年已验证的问题", status="verified",
            verified_at=datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC))
    this = published_report(year=2024, code=last.department.code)
    text = page(client, this)
    assert "2023年度尚未验证的整改问题" in text
    assert "去年未完成的问题" in text and "去年已验证的问题" not in text
    # Last year's report withdrawn for correction: its findings are not public meanwhile.
    Report.objects.filter(pk=last.pk).update(status="draft")
    Report.objects.filter(pk=this.pk).update(updated_at=datetime.datetime.now(datetime.UTC))
    assert "去年未完成的问题" not in page(client, this)


def test_a_new_finding_moves_the_cached_page(client, reviewer):
    from evaluations import datasets as ds
    from evaluations.imports import import_file

    report = published_report()
    assert "新发现的问题" not in page(client, report)
    data = ("year,department_code,position,source,description\r\n"
            "2023,d1,1,review,新发现的问题\r\n").encode()
    assert import_file(ds.FINDINGS, data, user=reviewer).ok
    assert "新发现的问题" in page(client, report)


def test_query_count_stays_flat_as_findings_and_attachments_grow(client, django_assert_num_queries):
    last = published_report(year=2023)
    report = published_report(year=2024, code=last.department.code)
    client.get(report.get_absolute_url())  # warm per-process caches

    def grow(start: int, count: int) -> None:
        for n in range(start, start + count):
            finding(report, n)
            finding(last, n)
            attach(report, title=f"附件{n}", data=PDF)
        Report.objects.filter(pk=report.pk).update(updated_at=datetime.datetime.now(datetime.UTC))

    grow(1, 1)
    with django_assert_num_queries(REPORT_QUERIES):
        first = page(client, report)
    grow(2, 10)
    with django_assert_num_queries(REPORT_QUERIES):
        more = page(client, report)
    assert first.count('class="meta"') < more.count('class="meta"')
    assert more.count("附件1") >= 1 and more.count("/attachments/") == 11




def test_the_section_reads_in_english(client):
    from tests.evaluations.public_helpers import compile_messages

    compile_messages()
    report = published_report()
    finding(report, 1, status="in_progress")
    client.cookies["django_language"] = "en"
    text = client.get(report.get_absolute_url()).content.decode()
    assert "Rectification of findings" in text and "In progress" in text and "Due date" in text


def test_a_change_to_last_years_finding_moves_next_years_page(client, reviewer):
    from evaluations import datasets as ds
    from evaluations.imports import import_file

    last = published_report(year=2023)
    finding(last, 1, description="去年的问题", status="open")
    this = published_report(year=2024, code=last.department.code)
    assert "未整改" in page(client, this)
    data = "year,department_code,position,description,status\r\n2023,d1,1,去年的问题,整改中\r\n"
    assert import_file(ds.FINDINGS, data.encode(), user=reviewer).ok
    text = page(client, this)
    assert "整改中" in text and "未整改" not in text
