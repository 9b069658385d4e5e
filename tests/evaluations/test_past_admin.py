"""The admin's upload of a past report: upload → review (each value beside its sentence,
unrecognised paragraphs, findings) → confirm; scoped to the user's departments (issue 20)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluations.models import FiscalYear, PendingImport, Project, Report
from evaluations.sample import SAMPLE_TEXT
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

UPLOAD = "admin:evaluations_report_import_report"
CONFIRM = "admin:evaluations_report_import_report_confirm"
EXTRA = "这是一段不属于任何部分的附注文字。\n"


@pytest.fixture
def mine(data_entry_user):
    department = DepartmentFactory(code="dongjiaduan", name="株洲高新技术产业开发区董家塅片区管理委员会")
    department.staff.add(data_entry_user)
    FiscalYear.objects.get_or_create(year=2022)
    return department


def _upload(client, data: bytes, name="report.txt", **fields):
    return client.post(reverse(UPLOAD), {
        "report_file": SimpleUploadedFile(name, data, "text/plain"), **fields})


def _hidden(content: str) -> dict:
    return dict(re.findall(r'type="hidden" name="(token|department|year)" value="([^"]*)"', content))


def test_review_shows_each_value_beside_its_sentence_then_confirm_saves(client, data_entry_user, mine):
    client.force_login(data_entry_user)
    changelist = client.get(reverse("admin:evaluations_report_changelist")).content.decode()
    assert reverse(UPLOAD) in changelist
    assert client.get(reverse(UPLOAD)).status_code == 200
    title, rest = SAMPLE_TEXT.read_text(encoding="utf-8").split("\n", 1)
    data = f"{title}\n{EXTRA}{rest}".encode("gb18030")
    response = _upload(client, data)
    content = response.content.decode()
    assert response.status_code == 200
    assert not Report.objects.exists()  # the review is a dry run
    # A value, as written and marked, beside the sentence it came from.
    assert "1,828.90 万元" in content
    assert "<mark>1,828.90万元</mark><div class=\"source\">2、2022年度单位一般公共预算财政拨款收入1,828.90万元。</div>" in content
    assert "政府隐性债务化解及土地开发" in content and "≥ 275亿元" in content
    assert EXTRA.strip() in content.split("未识别的段落")[1]  # listed as not recognised
    assert "未列出项目明细" in content  # the checks' finding on the would-be draft
    fields = _hidden(content)
    assert PendingImport.objects.get().token == fields["token"]
    response = client.post(reverse(CONFIRM), {**fields, "confirm": "1"})
    report = Report.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "admin:evaluations_report_change", args=[report.pk])
    assert report.status == Report.Status.DRAFT and report.department == mine
    assert Project.objects.filter(report=report).count() == 8
    assert Project.history.filter(history_user=data_entry_user).count() == 8
    assert not PendingImport.objects.exists()
    # A second confirm of the same upload finds nothing.
    client.post(reverse(CONFIRM), {**fields, "confirm": "1"})
    assert Project.objects.count() == 8


def test_bad_file_says_what_was_found_and_stores_nothing(client, data_entry_user, mine):
    client.force_login(data_entry_user)
    content = _upload(client, "从前有座山，山里有座庙。\n".encode() * 20).content.decode()
    assert "未导入" in content and "找到的标题：无" in content
    assert not PendingImport.objects.exists() and not Report.objects.exists()


def test_cancel_deletes_the_upload(client, data_entry_user, mine):
    client.force_login(data_entry_user)
    fields = _hidden(_upload(client, SAMPLE_TEXT.read_bytes()).content.decode())
    client.post(reverse(CONFIRM), {**fields, "cancel": "1"})
    assert not PendingImport.objects.exists() and not Report.objects.exists()


def test_another_departments_report_is_refused(client, data_entry_user):
    DepartmentFactory(code="dongjiaduan", name="株洲高新技术产业开发区董家塅片区管理委员会")
    FiscalYear.objects.create(year=2022)
    client.force_login(data_entry_user)
    content = _upload(client, SAMPLE_TEXT.read_bytes()).content.decode()
    assert "无权导入部门" in content
    assert not PendingImport.objects.exists() and not Report.objects.exists()


def test_a_report_past_draft_is_not_touched(client, reviewer, sample_report):
    client.force_login(reviewer)
    content = _upload(client, SAMPLE_TEXT.read_bytes()).content.decode()
    assert "“report.txt”未导入：报告已公开，不能通过导入修改" in content
    assert Report.objects.get().status == Report.Status.PUBLISHED


def test_users_without_the_import_permission_get_403(client, auditor):
    client.force_login(auditor)
    assert client.get(reverse(UPLOAD)).status_code == 403
    assert client.post(reverse(CONFIRM), {}).status_code == 403


def test_text_from_the_file_is_escaped(client, data_entry_user, mine):
    client.force_login(data_entry_user)
    text = SAMPLE_TEXT.read_text(encoding="utf-8").replace(
        "预算编制工作不够明确", "<script>alert(1)</script>预算编制工作不够明确")
    content = _upload(client, text.encode()).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;预算编制工作不够明确" in content
