"""The admin import's limits and its stored uploads (issue 15: 2, 7, 8, 9; issue 14: 7).

Uploads wait in the database under a random token for at most an hour, removed on confirm or
cancel; a tampered, expired or spent token is a message, never a 500; the preview shows a
bounded number of errors and never a whole huge row.
"""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from evaluations.models import OutcomeNarrative, PendingImport, Project, Report
from tests.evaluations.test_import_admin import GOOD, confirm_fields, upload
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    OutcomeNarrativeFactory,
    ReportFactory,
)

pytestmark = pytest.mark.django_db

IMPORT = "admin:evaluations_report_import"
CONFIRM = "admin:evaluations_report_process_import"
HEADER = "年度,部门编码,项目编码,项目名称,预算类别,全年执行数\r\n"


@pytest.fixture
def clerk(client, data_entry_user):
    FiscalYearFactory(year=2024)  # clerks may not create years (access.why_not_create_year)
    DepartmentFactory(code="mine").staff.add(data_entry_user)
    client.force_login(data_entry_user)
    return data_entry_user


def preview_token(client, text=GOOD) -> str:
    return confirm_fields(upload(client, text).content.decode())["token"]


def page_after(client, response) -> str:
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


# Upload size ---------------------------------------------------------------------------------


def test_an_upload_over_the_limit_is_refused_before_it_is_read(client, clerk, settings):
    from django.core.files.uploadhandler import MemoryFileUploadHandler

    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    with mock.patch("evaluations.imports.importer.import_file") as import_file, \
            mock.patch.object(MemoryFileUploadHandler, "receive_data_chunk") as stored:
        response = upload(client, GOOD + "2024,mine,p2,项目二,general,1\r\n" * 100)
    content = response.content.decode()
    assert response.status_code == 200
    assert "的上限，未读取" in content
    stored.assert_not_called()  # no byte of the file reached the handler that keeps it
    import_file.assert_not_called()
    assert not PendingImport.objects.exists()


def test_the_limit_stops_the_body_at_the_file(rf, settings):
    """Announced too large: StopUpload at the file's first byte, the form fields before it kept."""
    from django.core.files.uploadhandler import StopUpload

    from config.uploads import UploadLimit

    handler = UploadLimit(rf.post("/"), 1024)
    handler.handle_raw_input(None, {}, 10 * 1024 * 1024, b"x")
    with pytest.raises(StopUpload):
        handler.new_file("import_file", "big.csv", "text/csv", None)
    assert handler.request.upload_too_large
    unannounced = UploadLimit(rf.post("/"), 1024)
    unannounced.handle_raw_input(None, {}, 0, b"x")
    unannounced.new_file("import_file", "big.csv", "text/csv", None)
    assert unannounced.receive_data_chunk(b"x" * 1000, 0) == b"x" * 1000
    with pytest.raises(StopUpload):
        unannounced.receive_data_chunk(b"x" * 1000, 1000)


# Storage of the pending upload ---------------------------------------------------------------


def test_the_upload_waits_in_the_database_under_a_random_token(client, clerk):
    token = preview_token(client)
    pending = PendingImport.objects.get()
    assert pending.token == token and len(token) >= 40 and "p.csv" not in token
    assert bytes(pending.data) == GOOD.encode() and pending.user == clerk
    other = preview_token(client)
    assert other != token  # each upload its own name


def test_a_refused_file_is_not_kept(client, clerk):
    content = upload(client, HEADER + "2024,mine,p1,项目一,nowhere,1\r\n").content.decode()
    assert "token" not in confirm_fields(content)
    assert not PendingImport.objects.exists()


def test_confirm_removes_the_upload_and_a_second_confirm_says_so(client, clerk):
    token = preview_token(client)
    assert client.post(reverse(CONFIRM), {"token": token}).status_code == 302
    assert Project.objects.count() == 1 and not PendingImport.objects.exists()
    page = page_after(client, client.post(reverse(CONFIRM), {"token": token}))
    assert "找不到这次上传：它已经确认导入、已取消" in page
    assert Project.objects.count() == 1


def test_cancel_removes_the_upload_and_imports_nothing(client, clerk):
    token = preview_token(client)
    page = page_after(client, client.post(reverse(CONFIRM), {"token": token, "cancel": "取消"}))
    assert "已取消导入，上传的文件已删除" in page
    assert not PendingImport.objects.exists() and not Project.objects.exists()


def test_an_expired_upload_is_refused_and_removed(client, clerk, settings):
    token = preview_token(client)
    PendingImport.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.IMPORT_UPLOAD_MAX_AGE + 1)
    )
    page = page_after(client, client.post(reverse(CONFIRM), {"token": token}))
    assert "上传已超过 60 分钟，已失效，请重新上传文件" in page
    assert not PendingImport.objects.exists() and not Project.objects.exists()


def test_a_new_upload_clears_expired_ones(client, clerk, settings):
    preview_token(client)
    PendingImport.objects.update(created_at=timezone.now() - timedelta(hours=2))
    token = preview_token(client)
    assert list(PendingImport.objects.values_list("token", flat=True)) == [token]


@pytest.mark.parametrize("token", [
    "", "x", "../../etc/passwd", "b" * 43, "c" * 5000, "%00", "ü" * 43,
])
def test_a_tampered_token_is_a_message(client, clerk, token):
    preview_token(client)
    response = client.post(reverse(CONFIRM), {"token": token})
    assert "找不到这次上传" in page_after(client, response)
    assert PendingImport.objects.count() == 1 and not Project.objects.exists()


def test_a_nul_in_the_token_is_a_bad_request(client, clerk):
    """Refused before any view by config/request_limits.py: a 400, not a 500."""
    preview_token(client)
    assert client.post(reverse(CONFIRM), {"token": "a" * 43 + "\x00"}).status_code == 400
    assert PendingImport.objects.count() == 1


def test_another_users_token_is_not_found(client, clerk, django_user_model):
    token = preview_token(client)
    from tests.conftest import _user_in

    other = _user_in("data_entry", username="other-clerk")
    client.force_login(other)
    assert "找不到这次上传" in page_after(client, client.post(reverse(CONFIRM), {"token": token}))
    assert PendingImport.objects.count() == 1


def test_a_token_of_another_admins_dataset_is_not_found(client, superuser):
    """The department admin's confirm takes only departments uploads, not the report admin's."""
    client.force_login(superuser)
    DepartmentFactory(code="mine")
    token = preview_token(client)
    response = client.post(reverse("admin:evaluations_department_process_import"), {"token": token})
    assert response.status_code == 302 and PendingImport.objects.count() == 1


def test_confirm_by_get_goes_back_to_the_form(client, clerk):
    response = client.get(reverse(CONFIRM))
    assert response.status_code == 302 and response["Location"] == reverse(IMPORT)


def test_confirm_checks_again_and_writes_nothing_into_a_report_past_draft(client, clerk):
    """Between preview and confirm the report was submitted: the confirm runs every check
    again rather than replaying the preview, and says what stopped it on a page of errors."""
    report = ReportFactory(department__code="mine2", fiscal_year__year=2024)
    report.department.staff.add(clerk)
    token = preview_token(client, GOOD.replace("mine", "mine2"))
    Report.objects.filter(pk=report.pk).update(status=Report.Status.SUBMITTED)
    response = client.post(reverse(CONFIRM), {"token": token})
    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>导入未完成：确认时重新检查发现错误</h1>" in content
    assert "不能通过导入修改" in content and not Project.objects.exists()
    assert not PendingImport.objects.exists()


# The error page (14.7) and its bounds (15.2) -------------------------------------------------


def test_errors_are_a_table_of_row_column_and_message_with_the_valid_codes(client, clerk):
    response = upload(client, HEADER + "2024,mine,p1,项目一,专项资金,1\r\n")
    content = response.content.decode()
    assert "<h1>文件有错误，未导入</h1>" in content
    assert re.search(r"<th scope=\"col\">行</th><th scope=\"col\">列</th><th scope=\"col\">错误说明</th>", content)
    row = re.search(r'<tr><td class="row-number">2</td><td class="column">预算类别</td>'
                    r'<td class="message">([^<]*)</td></tr>', content)
    assert row is not None
    assert "未知的代码“专项资金”，可填：" in row.group(1) and "一般公共预算（general）" in row.group(1)


def test_the_preview_lists_at_most_n_errors_and_counts_the_rest(client, clerk, settings):
    settings.IMPORT_PREVIEW_ROWS = 5
    bad = HEADER + "".join(f"2024,mine,p{i},项目,general,-1\r\n" for i in range(30))
    content = upload(client, bad).content.decode()
    assert content.count('<td class="row-number">') == 5
    assert "以上为前 5 处错误，另有 25 处未列出" in content


def test_thousands_of_unknown_columns_make_a_small_page(client, clerk):
    """15.2: 2,000 unknown columns made a 162 MB page; now a bounded table of errors."""
    header = ",".join(f"列{i}" for i in range(2000))
    response = upload(client, header + "\r\n" + ",".join("x" * 2000) + "\r\n")
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count('<td class="row-number">') <= 100
    assert len(content) < 100_000


def test_a_huge_cell_in_an_error_is_not_rendered_whole(client, clerk):
    huge = "甲" * 50_000
    content = upload(client, HEADER + f"2024,mine,p1,项目一,{huge},1\r\n").content.decode()
    assert "未知的代码" in content and huge not in content
    assert len(content) < 60_000


def test_the_preview_lists_at_most_n_changes(client, clerk, settings):
    settings.IMPORT_PREVIEW_ROWS = 3
    rows = HEADER + "".join(f"2024,mine,p{i},项目{i},general,1\r\n" for i in range(10))
    content = upload(client, rows).content.decode()
    assert content.count('<td class="action">新增</td>') == 3
    assert "以上为前 3 行，另有 7 行新增或更新未列出" in content
    assert "新增 <strong>10</strong> 行" in content


def test_a_control_character_in_an_upload_previews_and_imports(client, clerk):
    text = "年度,部门编码,序号,标题句,正文\r\n2024,mine,1,标题,第一行\x0b第二行\r\n"
    content = upload(client, text, resource="narratives").content.decode()
    token = confirm_fields(content)["token"]
    assert client.post(reverse(CONFIRM), {"token": token}).status_code == 302
    assert OutcomeNarrative.objects.count() == 1


def test_the_upload_form_links_templates_and_states_the_limits(client, clerk):
    content = client.get(reverse(IMPORT)).content.decode()
    assert "文件不超过 20 MB" in content and 'enctype="multipart/form-data"' in content
    assert "Resource" not in content  # 14.8: django-import-export's English label


def test_an_unknown_dataset_is_a_form_error(client, clerk):
    response = client.post(reverse(IMPORT), {
        "dataset": "users", "import_file": SimpleUploadedFile("p.csv", GOOD.encode()),
    })
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not PendingImport.objects.exists()


# Export ----------------------------------------------------------------------------------------


def test_export_survives_control_characters_in_stored_text(client, auditor):
    """15.7: one \\x0b (Word's Shift+Enter) broke the admin's XLSX export for everyone."""
    OutcomeNarrativeFactory(body="第一行\x0b第二行")
    client.force_login(auditor)
    page = client.get(reverse("admin:evaluations_outcomenarrative_export")).content.decode()
    link = re.search(r'href="(/exports/narratives\.csv[^"]*)"', page).group(1)
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    assert "第一行\x0b第二行" in b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.mark.parametrize("query", [
    "fiscal_year__id__exact=", "status__exact=nonsense", "fiscal_year__id__exact=abc",
    "department__id__exact=99999999999999999999999", "department__id__exact=424242",
])
def test_a_filter_naming_nothing_is_a_bad_request_not_everything(client, auditor, query):
    """15.9: an empty fiscal_year__id__exact was a 500 in import-export's export; exporting
    every row instead would not be what the list showed."""
    client.force_login(auditor)
    response = client.get(reverse("admin:evaluations_report_export") + "?" + query)
    assert response.status_code == 400


def test_conditions_exports_cannot_apply_are_named(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("admin:evaluations_report_export") + "?q=abc&o=2&p=1")
    assert response.status_code == 200
    assert "不适用于导出" in response.content.decode()


@pytest.mark.parametrize("query", ["fiscal_year__id__exact=%00", "status__exact=%00", "q=%00"])
def test_a_nul_in_a_filter_is_a_bad_request(client, auditor, query):
    client.force_login(auditor)
    assert client.get(reverse("admin:evaluations_report_export") + "?" + query).status_code == 400


def test_export_carries_the_changelist_filters(client, auditor):
    report = ReportFactory(fiscal_year__year=2031, status=Report.Status.DRAFT)
    client.force_login(auditor)
    query = (f"fiscal_year__id__exact={report.fiscal_year_id}&status__exact=draft"
             f"&department__id__exact={report.department_id}")
    page = client.get(reverse("admin:evaluations_report_export") + "?" + query).content.decode()
    code = report.department.code
    assert f"/exports/budget_executions.csv?bom=1&amp;year=2031&amp;status=draft&amp;department={code}" in page
    assert f"年度 2031、状态 草稿、部门编码 {code}" in page


def test_export_and_import_need_their_permissions(client, data_entry_user, auditor):
    client.force_login(data_entry_user)
    assert client.get(reverse("admin:evaluations_report_export")).status_code == 403
    changelist = client.get(reverse("admin:evaluations_report_changelist")).content.decode()
    assert reverse(IMPORT) in changelist
    assert reverse("admin:evaluations_report_export") not in changelist
    client.force_login(auditor)
    assert client.post(reverse(CONFIRM), {"token": "a" * 43}).status_code == 403


@pytest.mark.parametrize("model", ["department", "report", "project", "outcomenarrative"])
def test_every_data_admin_has_the_pages(client, superuser, model):
    client.force_login(superuser)
    changelist = client.get(reverse(f"admin:evaluations_{model}_changelist")).content.decode()
    for page in ("import", "export"):
        url = reverse(f"admin:evaluations_{model}_{page}")
        assert url in changelist
        assert client.get(url).status_code == 200


def test_the_indicator_admin_has_the_pages(client, superuser):
    client.force_login(superuser)
    for page in ("import", "export"):
        assert client.get(reverse(f"admin:indicators_indicator_{page}")).status_code == 200
