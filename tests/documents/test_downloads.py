"""The files' URLs: published revisions only, stored once and served again, earlier revisions
kept, Chinese file names (RFC 5987), the admin's copies for what the user may see."""

from __future__ import annotations

import hashlib
import io
from urllib.parse import quote

import pytest
from django.urls import reverse
from docx import Document

from evaluations import workflow
from evaluations.documents import generate, storage
from evaluations.models import ReportDocument
from tests.documents.helpers import docx_text

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]
FILES = ("report.docx", "report.pdf", "self-evaluation.xlsx")


@pytest.fixture
def fake_builders(monkeypatch):
    """Cheap stand-ins that still say what they were built from."""
    def fake(kind):
        def make(article):
            report = article.report
            return f"{kind}:{report.pk}:r{report.revision}:{article.report.other_matters}".encode()
        return make

    monkeypatch.setattr(generate, "builders", lambda: {k: fake(k) for k in storage.KINDS})


def _url(report, filename, **query):
    url = reverse("evaluations:report_document",
                  args=[report.fiscal_year.year, report.department.code, filename])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_sample_downloads_with_chinese_names_and_is_stored(client, sample_report):
    for filename in FILES:
        response = client.get(_url(sample_report, filename))
        assert response.status_code == 200, filename
        content = b"".join(response.streaming_content)
        name = storage.download_name(sample_report, storage.BY_FILENAME[filename].code)
        assert name.startswith("2022年度株洲高新技术产业开发区董家塅片区管理委员会")
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(name)}" in disposition
        # Clients that read only ``filename`` get an ASCII name, not the URL's last part.
        assert f'filename="2022-dongjiaduan-{filename}"' in disposition
        stored = ReportDocument.objects.get(report=sample_report, revision=1,
                                            kind=storage.BY_FILENAME[filename].code)
        assert stored.size == len(content)
        assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert "一、基本情况" in docx_text(
        b"".join(client.get(_url(sample_report, "report.docx")).streaming_content))
    # The report page lists the three files with size and SHA-256.
    page = client.get(sample_report.get_absolute_url()).content.decode()
    for document in ReportDocument.objects.filter(report=sample_report):
        assert document.sha256 in page
    assert ReportDocument.objects.count() == 3  # served again from storage, not rebuilt


def test_only_published_reports_and_known_names(client, sample_report, fake_builders):
    assert client.get(_url(sample_report, "report.txt")).status_code == 404
    assert client.get(_url(sample_report, "report.docx", revision=2)).status_code == 404
    assert client.get(_url(sample_report, "report.docx", revision="x")).status_code == 404
    sample_report.status = "draft"
    sample_report.save(update_fields=["status"])
    for filename in FILES:
        assert client.get(_url(sample_report, filename)).status_code == 404
    assert not ReportDocument.objects.exists()


def test_publication_writes_the_files_and_earlier_revisions_stay(
    client, sample_report, reviewer, data_entry_user, settings, fake_builders,
    django_capture_on_commit_callbacks,
):
    settings.DOCUMENTS_AT_PUBLICATION = "now"
    first = b"".join(client.get(_url(sample_report, "report.docx")).streaming_content)
    workflow.reopen_report(sample_report, reviewer, "更正。")
    sample_report.refresh_from_db()
    assert client.get(_url(sample_report, "report.docx", revision=1)).status_code == 404
    sample_report.other_matters = "更正后的说明。"
    sample_report.save()
    sample_report.department.staff.add(data_entry_user)
    workflow.submit_report(sample_report, data_entry_user)
    workflow.approve_report(sample_report, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish_report(sample_report, reviewer, "更正其他说明。")
    assert set(ReportDocument.objects.filter(revision=2).values_list("kind", flat=True)) == set(
        storage.KINDS)
    earlier = client.get(_url(sample_report, "report.docx", revision=1))
    again = b"".join(earlier.streaming_content)
    assert again == first and b":r1:" in first
    # An earlier revision never changes (kept a day by caches) and is named as such.
    assert earlier["Cache-Control"] == "public, max-age=86400"
    assert quote("整体支出绩效自评报告（第1版）.docx") in earlier["Content-Disposition"]
    assert 'filename="2022-dongjiaduan-report-r1.docx"' in earlier["Content-Disposition"]
    latest = client.get(_url(sample_report, "report.docx"))
    current = b"".join(latest.streaming_content)
    assert b":r2:" in current and "更正后的说明。".encode() in current
    # The current address serves the next revision once there is one: asked again each time
    # (it was kept a day, so a cache handed out revision 1 beside revision 2's SHA-256).
    assert latest["Cache-Control"] == "public, no-cache"
    assert "版" not in latest["Content-Disposition"] and latest["ETag"]
    named = client.get(_url(sample_report, "report.docx", revision=2))
    assert "%E7%89%88" not in named["Content-Disposition"]  # the current revision by number: no （第N版）
    page = client.get(sample_report.get_absolute_url()).content.decode()
    assert "?revision=1" in page


def test_admin_offers_drafts_marked_as_drafts_to_their_department_only(
    client, sample_report, data_entry_user
):
    from tests.evaluations.workflow_setup import user_in

    sample_report.status = "draft"
    sample_report.save(update_fields=["status"])
    url = reverse("admin:evaluations_report_document", args=[sample_report.pk, "report.docx"])
    outsider = user_in("data_entry", "outsider")
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    sample_report.department.staff.add(data_entry_user)
    client.force_login(data_entry_user)
    response = client.get(url)
    assert response.status_code == 200
    assert "filename*=UTF-8''" + quote("草稿-2022年度") in response["Content-Disposition"]
    assert 'filename="draft-2022-dongjiaduan-' in response["Content-Disposition"]
    header = Document(io.BytesIO(b"".join(response.streaming_content))).sections[0].header
    assert "草稿" in header.paragraphs[0].text
    change = client.get(reverse("admin:evaluations_report_change", args=[sample_report.pk]))
    assert url in change.content.decode()
    assert not ReportDocument.objects.exists()  # drafts are never stored
