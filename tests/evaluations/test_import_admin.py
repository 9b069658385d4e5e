"""The admin import (upload → preview → confirm) and export, and the template download."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluations.models import Project, Report
from tests.factories import DepartmentFactory, FiscalYearFactory, ProjectFactory, ReportFactory

pytestmark = pytest.mark.django_db

PROJECTS = "projects"

GOOD = (
    "年度,部门编码,项目编码,项目名称,预算类别,全年执行数\r\n"
    "2024,mine,p1,项目一,一般公共预算,1.50\r\n"
)


@pytest.fixture
def mine(data_entry_user):
    department = DepartmentFactory(code="mine")
    department.staff.add(data_entry_user)
    return department


def upload(client, content: str, encoding: str = "utf-8", resource: str = PROJECTS):
    return client.post(
        reverse("admin:evaluations_report_import"),
        {
            "dataset": resource,
            "import_file": SimpleUploadedFile("p.csv", content.encode(encoding), "text/csv"),
        },
    )


def confirm_fields(content: str) -> dict:
    """The preview's confirm form: the token naming the stored upload."""
    return dict(re.findall(r'name="(token)" value="([^"]*)"', content))


def test_preview_then_confirm(client, data_entry_user, mine):
    FiscalYearFactory(year=2024)  # a clerk may not create years (access.why_not_create_year)
    client.force_login(data_entry_user)
    assert client.get(reverse("admin:evaluations_report_import")).status_code == 200
    response = upload(client, GOOD, encoding="gb18030")
    content = response.content.decode()
    assert response.status_code == 200
    assert "项目一" in content and '<td class="action">新增</td>' in content
    assert not Project.objects.exists()  # the preview is a dry run
    fields = confirm_fields(content)
    response = client.post(reverse("admin:evaluations_report_process_import"), fields)
    assert response.status_code == 302
    assert Project.objects.get().name == "项目一"
    assert Project.history.get().history_user == data_entry_user


def test_preview_shows_row_errors_and_offers_no_confirm(client, data_entry_user, mine):
    DepartmentFactory(code="theirs")
    client.force_login(data_entry_user)
    bad = GOOD + "2024,theirs,p2,别人的,general,1\r\n2024,mine,p3,负数,general,-1\r\n"
    content = upload(client, bad).content.decode()
    assert "无权导入部门“theirs”的数据" in content
    assert "不能为负数" in content
    assert "process_import" not in content
    assert not Project.objects.exists()


def test_import_needs_its_own_permission(client, auditor):
    client.force_login(auditor)
    assert client.get(reverse("admin:evaluations_report_import")).status_code == 403


def export_link(client, url: str, dataset: str) -> str:
    """The export page's link for one dataset (the page lists one per dataset)."""
    content = client.get(url).content.decode()
    target = reverse("evaluations:exports", args=[dataset])
    return html.unescape(re.search(rf'href="({re.escape(target)}[^"]*)"', content).group(1))


def test_admin_export_writes_the_dataset_cells(client, auditor, sample_report):
    """Adapted: the export page links to /exports/ with the changelist's filters (it was a
    django-import-export form posting the same query string)."""
    ProjectFactory(report=ReportFactory(department__code="other"), code="elsewhere")
    client.force_login(auditor)
    url = reverse("admin:evaluations_report_export")
    assert client.get(url).status_code == 200
    link = export_link(client, url + f"?department__id__exact={sample_report.department_id}", PROJECTS)
    response = client.get(link)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    body = content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("年度,部门编码,项目编码,项目名称,预算类别")
    # (tablib ended lines with CRLF; /exports/ writes LF, which Excel reads alike)
    assert "2022,dongjiaduan,debt-land,政府隐性债务化解及土地开发,一般公共预算,,,1400.26," in body
    assert "elsewhere" not in body


def test_template_download(client, data_entry_user, auditor):
    url = reverse("evaluations:data_template", args=["indicators"])
    assert client.get(url).status_code == 302
    client.force_login(data_entry_user)
    response = client.get(url)
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff年度,部门编码,项目编码,一级指标")
    assert "得分（定性指标填写）" in text and "final_score" not in text and text.count("\n") == 1
    keys = client.get(url, {"header": "keys", "bom": "0"}).content.decode()
    assert keys == (
        "year,department_code,project_code,level1,level2,name,nature,unit,target_value,"
        "target_text,actual_value,actual_text,weight,tier,applicable,score,deviation\n"
    )
    client.force_login(auditor)
    assert client.get(url).status_code == 200


def test_import_page_links_the_templates(client, data_entry_user):
    client.force_login(data_entry_user)
    content = client.get(reverse("admin:evaluations_report_import")).content.decode()
    for name in ("reports", "budget_executions", "indicators"):
        assert reverse("evaluations:data_template", args=[name]) in content


def test_admin_export_reads_back(client, auditor, sample_report):
    """Adapted: the admin's XLSX export is gone (15.7: a control character in any text broke
    it for everyone); the indicators link gives every row, numbers as /exports/ writes them."""
    import csv
    import io

    client.force_login(auditor)
    link = export_link(client, reverse("admin:evaluations_report_export"), "indicators")
    response = client.get(link)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["年度", "部门编码", "项目编码"]
    assert len(rows) == 11
    assert rows[1][0] == "2022" and rows[1][8] == "275"


def test_confirm_refused_after_the_preview_says_so(client, data_entry_user, mine):
    """The report was submitted between preview and confirm: nothing written, and said so."""
    report = ReportFactory(department=mine, fiscal_year__year=2024)
    client.force_login(data_entry_user)
    content = upload(client, GOOD).content.decode()
    fields = confirm_fields(content)
    Report.objects.filter(pk=report.pk).update(status="submitted")  # workflow fields: not by save()
    response = client.post(reverse("admin:evaluations_report_process_import"), fields, follow=True)
    page = response.content.decode()
    assert "不能通过导入修改" in page
    assert "Import finished" not in page and "导入完成" not in page
    assert not Project.objects.exists()


def test_every_write_of_a_confirmed_import_records_the_user(client, data_entry_user, mine):
    """A new year, the report the rows need, the rows (bulk), then their update (bulk)."""
    from django.contrib.auth.models import Permission

    from evaluations.models import FiscalYear, Report

    # The new year too, created by a clerk who may create years (access.ADD_FISCAL_YEAR).
    data_entry_user.user_permissions.add(Permission.objects.get(codename="add_fiscalyear"))
    client.force_login(data_entry_user)

    def confirm(text, resource=PROJECTS):
        content = upload(client, text, resource=resource).content.decode()
        fields = confirm_fields(content)
        assert client.post(reverse("admin:evaluations_report_process_import"), fields).status_code == 302

    confirm(GOOD)
    confirm(GOOD.replace("1.50", "2.50"))
    confirm("年度,部门编码,部门基本情况\r\n2024,mine,新概况\r\n", resource="reports")  # reports: saved one by one
    assert Project.objects.get().expenditure == 2.5
    assert Report.objects.get().profile == "新概况"
    for model in (FiscalYear, Report, Project):
        assert {h.history_user for h in model.history.all()} == {data_entry_user}, model
    assert sorted(Project.history.values_list("history_type", flat=True)) == ["+", "~"]
    assert Report.history.filter(history_type="~").exists()


def test_a_malformed_file_is_named_on_the_upload_form(client, data_entry_user, mine):
    client.force_login(data_entry_user)
    content = upload(client, GOOD + '2024,mine,p2,"没有结束,general,1\r\n').content.decode()
    assert "第 3 行：CSV 格式错误，引号不成对" in content
    assert "process_import" not in content and not Project.objects.exists()


def test_xlsx_upload_for_another_department_is_refused(client, data_entry_user, mine):
    import io

    from openpyxl import Workbook

    DepartmentFactory(code="theirs")
    book = Workbook()
    book.active.append(["年度", "部门编码", "项目编码", "项目名称", "预算类别", "全年执行数"])
    book.active.append([2024, "theirs", "p1", "别人的", "一般公共预算", 1.5])
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(data_entry_user)
    content = client.post(reverse("admin:evaluations_report_import"), {
        "dataset": PROJECTS,
        "import_file": SimpleUploadedFile("p.xlsx", buffer.getvalue()),
    }).content.decode()
    assert "无权导入部门“theirs”的数据" in content and "process_import" not in content
    assert not Project.objects.exists()
