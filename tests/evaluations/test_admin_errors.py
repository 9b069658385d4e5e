"""What a clerk reads when a report page is filled in wrongly: the constraints' own Chinese
messages, never raw field names or a server error."""

import re

import pytest
from django.urls import reverse

from evaluations.models import FundingSource, Report
from tests.evaluations.workflow_setup import build_world, report_form_data
from tests.factories import FiscalYearFactory
from tests.indicators.test_admin_indicators import form_data

pytestmark = pytest.mark.django_db


def errors(response) -> list[str]:
    html = response.content.decode()
    return [
        re.sub(r"<[^>]+>", "", item)
        for block in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
        for item in re.findall(r"<li>(.*?)</li>", block, re.S)
    ]


def test_new_report_with_duplicate_rows_names_the_rule(client, data_entry_user):
    world = build_world(data_entry_user)
    year = FiscalYearFactory(year=2030)
    general = FundingSource.objects.get(code="general").pk
    data = report_form_data(world.report_a, fiscal_year=year.pk)
    data.update({"budget_executions-TOTAL_FORMS": 2, "projects-TOTAL_FORMS": 2, "narratives-TOTAL_FORMS": 2})
    for i in range(2):
        data.update({
            f"budget_executions-{i}-funding_source": general,
            f"budget_executions-{i}-personnel": "1", f"budget_executions-{i}-public": "1",
            f"budget_executions-{i}-project": "1",
            f"projects-{i}-position": str(i + 1), f"projects-{i}-code": "p1",
            f"projects-{i}-name": "项目", f"projects-{i}-funding_source": general,
            f"projects-{i}-expenditure": "1",
            f"narratives-{i}-position": "1", f"narratives-{i}-headline": f"段落{i}",
        })
    client.force_login(data_entry_user)

    response = client.post(reverse("admin:evaluations_report_add"), data)

    assert response.status_code == 200
    found = errors(response)
    for message in ("同一报告中每类预算只能填写一行。", "同一报告中项目编码不能重复。",
                    "同一报告中绩效情况序号不能重复。"):
        assert message in found
    assert not any("funding_source" in e or "code" in e or "position" in e for e in found)
    assert not Report.objects.filter(fiscal_year=year).exists()


def test_new_report_with_rows_in_one_go_and_a_negative_amount(client, data_entry_user):
    world = build_world(data_entry_user)
    year = FiscalYearFactory(year=2030)
    general = FundingSource.objects.get(code="general").pk
    data = report_form_data(world.report_a, fiscal_year=year.pk)
    data.update({
        "budget_executions-TOTAL_FORMS": 1, "budget_executions-0-funding_source": general,
        "budget_executions-0-personnel": "1", "budget_executions-0-public": "0",
        "budget_executions-0-project": "-1",
        "indicators-TOTAL_FORMS": 1, "indicators-0-position": "1", "indicators-0-level1": "output",
        "indicators-0-level2": "quantity", "indicators-0-name": "指标", "indicators-0-nature": "gte",
        "indicators-0-applicable": "on",
    })
    client.force_login(data_entry_user)
    add = reverse("admin:evaluations_report_add")

    response = client.post(add, data)
    assert response.status_code == 200
    assert "确保该值大于或等于0。" in errors(response)

    data["budget_executions-0-project"] = "1"
    assert client.post(add, data).status_code == 302
    report = Report.objects.get(fiscal_year=year)
    assert report.budget_executions.count() == report.indicators.count() == 1

    # The department is one of the clerk's own.
    data.update(department=world.report_b.department_id, fiscal_year=FiscalYearFactory(year=2031).pk)
    response = client.post(add, data)
    assert response.status_code == 200
    assert not Report.objects.filter(department=world.report_b.department, fiscal_year__year=2031).exists()


def test_new_reports_only_in_open_years(client, data_entry_user):
    world = build_world(data_entry_user)
    closed = FiscalYearFactory(year=2019, is_open=False)
    client.force_login(data_entry_user)
    add = reverse("admin:evaluations_report_add")

    response = client.post(add, report_form_data(world.report_a, fiscal_year=closed.pk))

    assert response.status_code == 200
    # Refused, saying whom to ask (issue 14.1), not Django's bare "选择一个有效的选项".
    assert "该年度未开放填报。请联系审核人" in "".join(errors(response))
    assert not Report.objects.filter(fiscal_year=closed).exists()

    # A draft already in a year that has since closed takes no more entry (is_open is "entry
    # allowed"); test_workflow covers what stays possible and for whom.
    year = world.report_a.fiscal_year
    year.is_open = False
    year.save()
    change = reverse("admin:evaluations_report_change", args=[world.report_a.pk])
    response = client.post(change, report_form_data(world.report_a, problems="更正。"))
    assert response.status_code == 403


def test_browser_line_breaks_do_not_rewrite_untouched_text(client, data_entry_user):
    # Browsers post every textarea line break as CRLF; the stored text uses LF.
    world = build_world(data_entry_user)
    report = world.report_a
    report.goals = "一、第一段。\n二、第二段。"
    report.save()
    before = report.history.count()
    project = report.projects.get()
    project.outcome = "完成情况。\n第二行。"
    project.save()
    project_before = project.history.count()
    client.force_login(data_entry_user)
    url = reverse("admin:evaluations_report_change", args=[report.pk])
    response = client.get(url)
    data = form_data(response)
    crlf = {k: v.replace("\n", "\r\n") for k, v in data.items() if isinstance(v, str)}
    data.update(crlf)

    assert client.post(url, data).status_code == 302

    report.refresh_from_db()
    project.refresh_from_db()
    assert report.goals == "一、第一段。\n二、第二段。"
    assert project.outcome == "完成情况。\n第二行。"
    assert project.history.count() == project_before
    latest = report.history.first()
    assert report.history.count() == before + 1  # the save itself, with nothing changed
    assert not latest.diff_against(latest.prev_record).changed_fields


def test_draft_page_warns_that_submitting_does_not_save(client, data_entry_user):
    world = build_world(data_entry_user)
    client.force_login(data_entry_user)
    content = client.get(
        reverse("admin:evaluations_report_change", args=[world.report_a.pk])
    ).content.decode()
    workflow = content[content.index('id="workflow-form"'):]
    assert "未保存的修改不会随报告提交" in workflow[: workflow.index("</form>")]


def test_a_failed_save_says_so_above_the_checks(client, data_entry_user):
    """The form's 请更正以下错误 sat under the red box of consistency findings, which read as if
    the findings had blocked the save (the admin reviewer's clerk-bad-top)."""
    world = build_world(data_entry_user)
    report = world.report_a
    data = report_form_data(report)
    data["execution_weight_override"] = "abc"
    client.force_login(data_entry_user)
    response = client.post(reverse("admin:evaluations_report_change", args=[report.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index('id="save-failed"') < page.index('id="workflow"')
    assert "检查结果不妨碍保存" in page
    assert 'id="save-failed"' not in client.get(reverse("admin:evaluations_report_change", args=[report.pk])).content.decode()
