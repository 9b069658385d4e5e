"""Attachments: the type found by content, the size and name refused, stored with SHA-256,
public ones of published reports served safely, the rest never to the public."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluations import attachments
from evaluations.models import Attachment, Report
from tests.evaluations import attachment_files as files
from tests.evaluations.cycle_helpers import finding, published_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(data: bytes, name: str = "file.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize(("data", "kind"), [
    (files.PDF, "pdf"), (files.PNG, "png"), (files.JPEG, "jpg"), (files.DOCX, "docx"),
    (files.XLSX, "xlsx"),
])
def test_each_kind_is_found_by_content_not_by_name(data, kind):
    found = attachments.inspect(upload(data, "misleading.exe"))
    assert found.kind == kind and found.size == len(data)
    assert found.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(("data", "words"), [
    (files.EXE, "按文件内容判断"), (files.SVG, "按文件内容判断"), (files.HTML, "按文件内容判断"),
    (files.OLE_DOC, ".doc/.xls"), (files.PLAIN_ZIP, "按文件内容判断"), (files.DOCM, "宏"),
    (b"PK\x03\x04broken", "按文件内容判断"), (b"", "空"),
])
def test_other_contents_are_refused_whatever_the_name(data, words):
    with pytest.raises(ValidationError) as exc:
        attachments.inspect(upload(data, "report.pdf"))
    assert words in exc.value.messages[0]


@pytest.mark.parametrize("name", ["../etc/passwd.pdf", "a\\b.pdf", "bell\x07.pdf", "rtl\u202egpj.pdf", ".."])
def test_names_with_path_parts_or_control_characters_are_refused(name):
    with pytest.raises(ValidationError) as exc:
        attachments.inspect(upload(files.PDF), name=name)
    assert "文件名无效" in exc.value.messages[0]


def test_a_file_over_the_limit_is_refused(settings):
    settings.ATTACHMENT_MAX_BYTES = 20
    with pytest.raises(ValidationError) as exc:
        attachments.inspect(upload(files.PDF))
    assert "超过" in exc.value.messages[0]


# --- The admin ------------------------------------------------------------------------------


@pytest.fixture
def clerk(data_entry_user):
    return data_entry_user


def add(client, report, data, name="证明.pdf", **fields):
    form = {"report": report.pk, "title": "签字原件", "file": upload(data, name), "public": "on"}
    form.update(fields)
    return client.post(reverse("admin:evaluations_attachment_add"), form)


def test_staff_upload_to_their_draft_and_the_file_is_stored_under_a_random_name(client, clerk, tmp_path):
    report = published_report(code="mine")
    report.department.staff.add(clerk)
    Report.objects.filter(pk=report.pk).update(status="draft")
    client.force_login(clerk)
    response = add(client, report, files.PDF)
    assert response.status_code == 302, response.context["adminform"].form.errors
    item = Attachment.objects.get()
    assert (item.kind, item.size, item.filename, item.uploaded_by) == ("pdf", len(files.PDF), "证明.pdf", clerk)
    assert item.sha256 == hashlib.sha256(files.PDF).hexdigest()
    assert "证明" not in item.file.name and item.file.name.endswith(".pdf")
    assert (tmp_path / item.file.name).read_bytes() == files.PDF


def test_bad_files_are_refused_with_a_message_and_nothing_stored(client, clerk, tmp_path):
    report = published_report(code="mine")
    report.department.staff.add(clerk)
    Report.objects.filter(pk=report.pk).update(status="draft")
    client.force_login(clerk)
    response = add(client, report, files.EXE, name="invoice.pdf")
    assert "按文件内容判断" in str(response.context["adminform"].form.errors["file"])
    assert not Attachment.objects.exists() and not any(tmp_path.rglob("*.*"))


def test_an_upload_over_the_limit_is_stopped_with_a_message(client, clerk, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    report = published_report(code="mine")
    report.department.staff.add(clerk)
    Report.objects.filter(pk=report.pk).update(status="draft")
    client.force_login(clerk)
    response = add(client, report, files.PDF + b"0" * 200)
    assert "上限" in str(response.context["adminform"].form.errors["file"])
    assert not Attachment.objects.exists()


def test_a_published_reports_own_evidence_is_locked_but_a_findings_is_not(client, clerk):
    report = published_report(code="mine")
    report.department.staff.add(clerk)
    item = finding(report)
    client.force_login(clerk)
    response = add(client, report, files.PDF)
    assert "只有草稿可以修改" in str(response.context["adminform"].form.non_field_errors())
    response = add(client, report, files.PNG, name="photo.png", finding=item.pk)
    assert response.status_code == 302
    assert Attachment.objects.get().finding == item


def test_evidence_uploaded_on_the_findings_page(client, clerk):
    report = published_report(code="mine")
    report.department.staff.add(clerk)
    item = finding(report, source="self")
    client.force_login(clerk)
    data = {
        "report": report.pk, "position": 1, "source": "self", "description": item.description,
        "measure": "", "owner": "", "due_date": "", "status": "in_progress",
        "attachments-TOTAL_FORMS": 1, "attachments-INITIAL_FORMS": 0,
        "attachments-0-title": "整改照片", "attachments-0-file": upload(files.JPEG, "p.jpg"),
        "attachments-0-public": "on",
    }
    response = client.post(reverse("admin:evaluations_finding_change", args=[item.pk]), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    stored = Attachment.objects.get()
    assert (stored.report, stored.finding, stored.kind) == (report, item, "jpg")


def test_a_finding_with_evidence_is_verified(client, clerk, reviewer):
    """The reviewer's 已验证 was refused ("整改问题已验证，不能再修改。") whenever the finding had
    evidence: its inline judged the lock on the status being posted, not the one stored."""
    report = published_report(code="mine")
    report.department.staff.add(clerk)
    item = finding(report, source="review", status="done", measure="已补齐", done_by=clerk)
    evidence = attach(report, finding=item, title="整改照片")
    client.force_login(reviewer)
    data = {
        "report": report.pk, "position": item.position, "source": "review",
        "description": item.description, "measure": "已补齐", "owner": "", "due_date": "",
        "status": "verified",
        "attachments-TOTAL_FORMS": 1, "attachments-INITIAL_FORMS": 1,
        "attachments-0-id": evidence.pk, "attachments-0-finding": item.pk,
        "attachments-0-title": "整改照片", "attachments-0-public": "on",
    }
    url = reverse("admin:evaluations_finding_change", args=[item.pk])
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    item.refresh_from_db()
    assert item.status == "verified"
    # Settled now: its evidence takes no change from the department.
    client.force_login(clerk)
    response = client.post(reverse("admin:evaluations_attachment_change", args=[evidence.pk]), {
        "report": report.pk, "finding": item.pk, "title": "换一张", "public": "on"})
    assert response.status_code == 403  # read-only: the settled finding's lock, not a form error
    assert Attachment.objects.get(pk=evidence.pk).title == "整改照片"


def test_private_files_only_to_users_who_see_the_report(client, clerk, django_user_model):
    mine, theirs = published_report(code="mine"), published_report(code="theirs")
    mine.department.staff.add(clerk)
    own = attach(mine, public=False)
    other = attach(theirs, public=False)
    client.force_login(clerk)
    response = client.get(reverse("admin:evaluations_attachment_download", args=[own.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == files.PDF
    assert client.get(reverse("admin:evaluations_attachment_download", args=[other.pk])).status_code == 404


# --- The public page ------------------------------------------------------------------------


def attach(report, public=True, data=files.PDF, name="证明 文件.pdf", **kwargs) -> Attachment:
    found = attachments.inspect(upload(data, name))
    item = Attachment(report=report, title=kwargs.pop("title", "证明材料"), public=public,
                      kind=found.kind, size=found.size, sha256=found.sha256,
                      filename=found.filename, **kwargs)
    item.file.save("x", upload(data), save=False)
    item.save()
    return item


def public_url(item: Attachment) -> str:
    report = item.report
    return reverse("evaluations:attachment", args=[report.fiscal_year.year, report.department.code, item.pk])


def test_public_attachments_are_listed_and_served_safely(client):
    report = published_report()
    shown = attach(report, title="公开的证明")
    hidden = attach(report, public=False, title="内部材料")
    page = client.get(report.get_absolute_url()).content.decode()
    assert "公开的证明" in page and "内部材料" not in page and shown.sha256 in page
    response = client.get(public_url(shown))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E8%AF%81%E6%98%8E%20%E6%96%87%E4%BB%B6.pdf" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert client.get(public_url(hidden)).status_code == 404


def test_drafts_attachments_are_never_public_whatever_the_url(client):
    report = published_report()
    item = attach(report)
    Report.objects.filter(pk=report.pk).update(status="draft")
    assert client.get(public_url(item)).status_code == 404
    other = published_report(code="other")
    wrong = reverse("evaluations:attachment", args=[2023, other.department.code, item.pk])
    assert client.get(wrong).status_code == 404


# --- Stored files follow their rows (issue 19) ------------------------------------------------


def _stored(item: Attachment):
    from pathlib import Path

    return Path(item.file.path)


def _owner(report: Report, name: str):
    if name == "report":
        return report, {}
    if name == "finding":
        owner = finding(report)
        return owner, {"finding": owner}
    project = report.projects.get()
    if name == "project":
        return project, {"project": project}
    indicator = project.indicators.first()
    return indicator, {"indicator": indicator}


@pytest.mark.postgresql
@pytest.mark.parametrize("owner_name", ["report", "project", "indicator", "finding"])
def test_a_deleted_attachment_takes_its_file_along_also_in_a_cascade(
    owner_name, django_capture_on_commit_callbacks,
):
    report = published_report()
    owner, about = _owner(report, owner_name)
    item, other = attach(report, **about), attach(report)
    path = _stored(item)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        owner.delete()
        assert path.exists()  # not before the transaction commits
    for callback in callbacks:
        callback()
    assert not path.exists()
    assert _stored(other).exists() == (owner_name != "report")


@pytest.mark.postgresql
def test_a_file_another_row_names_is_kept_until_the_last_row_goes(django_capture_on_commit_callbacks):
    report = published_report()
    first = attach(report)
    second = attach(report, title="同一文件")
    Attachment.objects.filter(pk=second.pk).update(file=first.file.name)
    path = _stored(first)
    with django_capture_on_commit_callbacks(execute=True):
        first.delete()
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        Attachment.objects.get(pk=second.pk).delete()
    assert not path.exists()


@pytest.mark.postgresql
def test_a_replaced_file_is_removed_and_a_rolled_back_deletion_keeps_its_file(
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    item = attach(published_report())
    old = _stored(item)
    with django_capture_on_commit_callbacks(execute=True):
        item.file.save("y", upload(files.PNG), save=True)
    assert not old.exists() and _stored(item).exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            item.delete()
            raise RuntimeError
    assert callbacks == [] and _stored(item).exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_files_go_only_when_the_deleting_transaction_commits():
    """Real commits and rollbacks, on each database (the tests above capture the callbacks).
    A bare report: a transactional test may follow one that flushed the migrations' rows."""
    from django.db import transaction

    from tests.factories import ReportFactory

    report = ReportFactory()
    item = attach(report)
    path = _stored(item)
    with pytest.raises(RuntimeError), transaction.atomic():
        report.delete()
        raise RuntimeError
    assert path.exists() and Attachment.objects.filter(pk=item.pk).exists()
    with transaction.atomic():
        Report.objects.get(pk=item.report_id).delete()
        assert path.exists()
    assert not path.exists()


def test_a_stored_file_links_to_the_checked_download_by_its_own_name(client, clerk):
    """The form's 目前 link pointed at the storage path under /media/ (a 404 here, and past
    every access check wherever a web server serves MEDIA_URL)."""
    report = published_report(code="mine")
    report.department.staff.add(clerk)
    item = attach(report, finding=finding(report), name="整改报告.pdf")
    client.force_login(clerk)
    page = client.get(reverse("admin:evaluations_attachment_change", args=[item.pk])).content.decode()
    download = reverse("admin:evaluations_attachment_download", args=[item.pk])
    assert f'href="{download}">整改报告.pdf</a>' in page
    assert item.file.name not in page and "/media/" not in page
    # On the finding's page, the evidence inline's file input names it the same way.
    page = client.get(reverse("admin:evaluations_finding_change", args=[item.finding_id])).content.decode()
    assert f'href="{download}">整改报告.pdf</a>' in page and "/media/" not in page
