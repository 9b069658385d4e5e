"""Indicators in the admin: band errors on save, flags for missing deviation reasons and
weights that do not add up, computed scores and totals, and flat query counts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.forms import CheckboxInput
from django.urls import reverse

from evaluations.models import Report
from indicators.models import Indicator
from tests.factories import (
    BudgetExecutionFactory,
    IndicatorFactory,
    ProjectFactory,
    ProjectFundFactory,
    ReportFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def form_data(response) -> dict:
    """The POST data that submits a rendered change form unchanged, inlines included."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data: dict = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if isinstance(bound.field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)
    return data


def _prefix(response, model) -> str:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return inline.formset.prefix
    raise AssertionError(f"no inline for {model}")


def _warnings(response) -> list[str]:
    return [
        str(m) for m in get_messages(response.wsgi_request) if m.level == messages.WARNING
    ]


def _computed_scores(content: str) -> list[str]:
    """The read-only 计算得分 cells of the indicator rows (the blank template row left off)."""
    cells = re.findall(
        r'fieldBox field-final_score_display">.*?<div class="readonly">(.*?)</div>', content, re.S
    )
    return cells[:-1]


def _report_url(report) -> str:
    return reverse("admin:evaluations_report_change", args=[report.pk])


def _project_url(project) -> str:
    return reverse("admin:evaluations_project_change", args=[project.pk])


@pytest.fixture
def scored_report():
    """A department table whose weights add up: 50 + 30 + 10 + execution 10."""
    report = ReportFactory()
    BudgetExecutionFactory(report=report, adjusted_budget=D("100"), personnel=D("60"),
                           public=D("10"), project=D("20"))  # 90% → 9.00
    IndicatorFactory(report=report, weight=D("50"), target_value=D("10"), actual_value=D("10"),
                     position=1, name="完成项目数")
    IndicatorFactory(report=report, level1="outcome", level2="social", weight=D("30"),
                     nature="qualitative", tier="achieved", target_value=None,
                     actual_value=None, position=2, name="社会效益")
    IndicatorFactory(report=report, level1="satisfaction", level2="satisfaction",
                     weight=D("10"), target_value=D("90"), actual_value=D("95"), position=3,
                     name="满意度")
    return report


def test_out_of_band_score_is_rejected_with_the_band(client, superuser, scored_report):
    client.force_login(superuser)
    url = _report_url(scored_report)
    response = client.get(url)
    data = form_data(response)
    prefix = _prefix(response, Indicator)
    assert data[f"{prefix}-1-name"] == "社会效益"
    data[f"{prefix}-1-score"] = "20"  # achieved at weight 30 means 24.00–30.00

    response = client.post(url, data)

    assert response.status_code == 200
    assert "“达成”档的得分应在 24.00 至 30.00 之间。" in response.content.decode()
    assert Indicator.objects.get(name="社会效益").score is None


def test_partial_tier_without_score_is_rejected(client, superuser, scored_report):
    client.force_login(superuser)
    url = _report_url(scored_report)
    response = client.get(url)
    data = form_data(response)
    prefix = _prefix(response, Indicator)
    data[f"{prefix}-1-tier"] = "partial"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "“部分达成”档须填写得分（18.00 至 24.00 之间）。" in response.content.decode()


def test_valid_save_shows_scores_total_and_grade(client, superuser, scored_report):
    client.force_login(superuser)
    url = _report_url(scored_report)
    response = client.get(url)
    data = form_data(response)
    prefix = _prefix(response, Indicator)
    data[f"{prefix}-1-tier"] = "partial"
    data[f"{prefix}-1-score"] = "21.5"
    data[f"{prefix}-1-deviation"] = "部分街道尚未覆盖。"

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert _warnings(response) == []
    content = client.get(url).content.decode()
    # 50 + 21.50 + 10 + 9.00 = 90.50 → 优
    assert "<strong>总分</strong>：90.50" in content
    assert "<strong>评价等级</strong>：优" in content
    assert "<strong>执行率</strong>：90.00%" in content
    assert _computed_scores(content) == ["50.00", "21.50", "10.00"]


def test_missed_target_without_deviation_is_flagged_not_blocked(client, superuser, scored_report):
    client.force_login(superuser)
    url = _report_url(scored_report)
    response = client.get(url)
    data = form_data(response)
    prefix = _prefix(response, Indicator)
    data[f"{prefix}-0-actual_value"] = "8"

    response = client.post(url, data)

    assert response.status_code == 302
    assert Indicator.objects.get(name="完成项目数").actual_value == D("8")
    # The admin flags what evaluations/checks/ finds, in its words (the submission refuses the same).
    assert _warnings(response) == [
        "部门整体的指标“完成项目数”未完成目标（目标 10个，实际 8个），须填写偏差原因分析及改进措施。"
    ]
    content = client.get(url).content.decode()
    assert "未完成目标，缺偏差原因" in content
    assert _computed_scores(content) == ["40.00", "30.00", "10.00"]  # 50 × 8 ÷ 10

    # With a reason given, the flag goes away.
    response = client.get(url)
    data = form_data(response)
    data[f"{prefix}-0-deviation"] = "受疫情影响，两个项目延期至次年。"
    response = client.post(url, data)
    assert not [m for m in _warnings(response) if "偏差原因" in m]
    assert "未完成目标，缺偏差原因" not in client.get(url).content.decode()


def test_weights_that_do_not_add_up_are_flagged(client, superuser, scored_report):
    client.force_login(superuser)
    url = _report_url(scored_report)
    response = client.get(url)
    data = form_data(response)
    prefix = _prefix(response, Indicator)
    data[f"{prefix}-2-weight"] = "5"

    response = client.post(url, data)

    assert response.status_code == 302
    assert "部门整体各指标分值与预算执行率分值合计 95.00，应为 100。" in _warnings(response)
    assert "部门整体各指标分值与预算执行率分值合计 95.00，应为 100。" in client.get(url).content.decode()


def test_continuing_to_edit_flags_the_errors_in_one_line(client, superuser, scored_report):
    """保存并继续编辑 comes back to the page whose checks box lists every error: each was a
    message of its own above it as well (every check twice, the cycle review)."""
    client.force_login(superuser)
    url = _report_url(scored_report)
    response = client.get(url)
    data = form_data(response)
    data[f"{_prefix(response, Indicator)}-2-weight"] = "5"
    response = client.post(url, {**data, "_continue": "1"})
    assert response.status_code == 302
    [warning] = _warnings(response)
    assert warning.startswith("已保存。提交前还需改正 1 处错误：部门整体各指标分值与预算执行率分值合计 95.00")


def test_unweighted_tables_are_not_checked_for_weights(client, superuser, sample_report):
    # Published reports are read-only; entry happens on a draft.
    Report.objects.filter(pk=sample_report.pk).update(status=Report.Status.DRAFT)
    client.force_login(superuser)
    url = _report_url(sample_report)
    response = client.post(url, form_data(client.get(url)))
    assert response.status_code == 302
    assert not [m for m in _warnings(response) if "分值合计" in m]
    assert "未设分值，不计分" in client.get(url).content.decode()


def test_project_page_shows_its_table_and_flags(client, superuser):
    project = ProjectFactory(adjusted_budget=D("100"), expenditure=D("80"))  # 80% → 8.00
    IndicatorFactory(report=project.report, project=project, weight=D("60"),
                     target_value=D("10"), actual_value=D("10"), position=1)
    IndicatorFactory(report=project.report, project=project, weight=D("20"), level1="outcome",
                     level2="economic", target_value=D("100"), actual_value=D("50"), position=2,
                     name="带动投资")
    client.force_login(superuser)
    url = _project_url(project)

    content = client.get(url).content.decode()
    # (60 + 10 + 8) × 100 ÷ 90 = 86.666… → 86.67 → 良; the weights add to 90, not 100.
    assert "<strong>执行率</strong>：80.00%" in content
    assert "<strong>执行率得分</strong>：8.00 / 10.00" in content
    assert "<strong>总分</strong>：86.67" in content
    assert "<strong>评价等级</strong>：良" in content
    findings = [
        f"项目“{project.name}”预算执行率 80.00%（全年执行数 80.00 万元 ÷ 全年预算数 100.00 万元）"
        "低于90%，须填写执行率偏低说明。",
        f"项目“{project.name}”的指标“带动投资”未完成目标（目标 100个，实际 50个），须填写偏差原因分析及改进措施。",
        f"项目“{project.name}”各指标分值与预算执行率分值合计 90.00，应为 100。",
    ]
    assert all(finding in content for finding in findings)
    assert "未完成目标，缺偏差原因" in content

    response = client.post(url, form_data(client.get(url)))
    assert response.status_code == 302
    assert _warnings(response) == findings

    # The report page lists the project's total too, and warns about it on save.
    report_url = _report_url(project.report)
    assert "<strong>86.67</strong>（良）" in client.get(report_url).content.decode()


def test_project_page_rejects_out_of_band_score(client, superuser):
    project = ProjectFactory()
    IndicatorFactory(report=project.report, project=project, weight=D("10"),
                     nature="qualitative", tier="not_achieved", score=D("2"),
                     target_value=None, actual_value=None, position=1)
    client.force_login(superuser)
    url = _project_url(project)
    response = client.get(url)
    data = form_data(response)
    prefix = _prefix(response, Indicator)
    data[f"{prefix}-0-score"] = "7"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "“未达成”档的得分应不低于 0.00、低于 6.00（6.00 属于上一档）。" in response.content.decode()


def test_level2_must_belong_to_level1(client, superuser, scored_report):
    client.force_login(superuser)
    url = _report_url(scored_report)
    response = client.get(url)
    data = form_data(response)
    data[f"{_prefix(response, Indicator)}-0-level2"] = "ecological"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "“生态效益指标”不属于“产出指标”" in response.content.decode()


# --- Query counts --------------------------------------------------------------------------


def _grow(report, project, start: int, count: int) -> None:
    for n in range(start, start + count):
        IndicatorFactory(report=report, weight=D("1"), position=100 + n, deviation="")
        IndicatorFactory(report=report, project=project, weight=D("1"), position=100 + n,
                         nature="qualitative", tier="partial", score=D("0.7"),
                         target_value=None, actual_value=None)


# Session, user, the object, each inline's rows, the choices of each foreign-key select, and
# the rows evaluations/checks/ reads for the 自评表s and findings (budgets, projects, fund rows,
# indicators: four on the report page; fund rows and indicators on the project's).
# Adding indicators must add nothing; a change to the pages themselves may move these.
# The project's page reads its report's fiscal year (a closed year locks the form) for
# everyone but a superuser, whom a closed year does not lock (access.why_locked); the
# report and its year come with the project. The report page's checks also read its findings
# (整改问题, this year's and last year's), which the page lists too, and the narratives the
# section check reads (checks.load). +4 with rule sets: the rule set select's choices, the
# report's rule set, its stored scores (the stale-scores check), the history of the select's
# choices widget. +1: the targets' trail (绩效目标审核记录) in their box on the page.
REPORT_PAGE_QUERIES = 28
PROJECT_PAGE_QUERIES = 15  # +1: the report's rule set, which the checks score under


def test_change_pages_query_count_is_flat(client, superuser, django_assert_num_queries):
    report = ReportFactory()
    BudgetExecutionFactory(report=report)
    project = ProjectFactory(report=report)
    ProjectFundFactory(project=project)
    _grow(report, project, 0, 2)
    client.force_login(superuser)
    report_url, project_url = _report_url(report), _project_url(project)
    # Warm per-process caches (content types, permissions) for both pages: the project
    # page's content type is cached already or not, depending on the tests run before.
    client.get(report_url)
    client.get(project_url)

    for count in (2, 25):
        if count > 2:
            _grow(report, project, 100, count - 2)
        with django_assert_num_queries(REPORT_PAGE_QUERIES):
            content = client.get(report_url).content.decode()
        assert len(_computed_scores(content)) == count
        with django_assert_num_queries(PROJECT_PAGE_QUERIES):
            content = client.get(project_url).content.decode()
        assert _computed_scores(content) == ["0.70"] * count


def test_low_execution_flag_clears_once_explained(client, superuser):
    project = ProjectFactory(adjusted_budget=D("100"), expenditure=D("80"))
    client.force_login(superuser)
    url = _project_url(project)
    flag = "低于90%，须填写执行率偏低说明。"
    assert flag in client.get(url).content.decode()
    project.execution_explanation = "两笔合同款次年初支付。"
    project.save()
    assert flag not in client.get(url).content.decode()


def test_stored_out_of_band_score_is_shown_and_warned(client, superuser, scored_report):
    # As an import could leave them: the form would have refused these scores.
    Indicator.objects.filter(name="社会效益").update(score=D("10"))
    project = ProjectFactory(report=scored_report, name="园区道路")
    IndicatorFactory(report=scored_report, project=project, name="道路通畅", weight=D("10"),
                     nature="qualitative", tier="achieved", score=D("1"), position=1)
    client.force_login(superuser)
    url = _report_url(scored_report)
    response = client.get(url)
    assert _computed_scores(response.content.decode())[1] == (
        '<strong class="indicator-flag">⚠ 超出区间 24.00–30.00</strong>'
    )
    data = form_data(response)
    data[f"{_prefix(response, Indicator)}-1-score"] = "26"  # fixed in the form: accepted

    response = client.post(url, data)

    assert response.status_code == 302
    assert "项目“园区道路”的指标“道路通畅”得分 1.00 不在“达成”档的分数范围 8.00–10.00 内。" in (
        _warnings(response)
    )
