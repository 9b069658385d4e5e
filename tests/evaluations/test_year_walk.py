"""One department through one year: targets entered, returned, approved and published; an
adjustment; monitoring in July (red) and October (yellow); the year-end report starting from
the approved targets. The seed year is untouched throughout."""

from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations import monitoring, targets, workflow
from evaluations.copying import copy_report_forward
from evaluations.models import (
    BudgetExecution,
    FiscalYear,
    MonitoringProgress,
    MonitoringRound,
    MonitoringSpending,
    Report,
)
from indicators.models import Indicator
from tests.factories import ProjectFactory, ReportFactory, source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _seed_snapshot(report: Report) -> tuple:
    return (
        report.status, report.targets_status, report.revision,
        list(report.indicators.values_list("name", "target_value", "actual_value", "weight")),
        list(report.projects.values_list("code", "goal", "adjusted_budget")),
        report.history.count(),
    )


def _round(report, month, user, spending, progress):
    round_ = MonitoringRound(report=report, month=month)
    round_.full_clean()
    round_.save()
    for source_code, project, spent in spending:
        row = MonitoringSpending(round=round_, funding_source=source(source_code), project=project,
                                 spent_to_date=Decimal(spent))
        row.full_clean()
        row.save()
    for indicator, value, outlook in progress:
        row = MonitoringProgress(round=round_, indicator=indicator, progress_value=Decimal(value),
                                 outlook=outlook)
        row.full_clean()
        row.save()
    return monitoring.submit_round(round_, user)


def test_a_department_through_one_year(client, sample_report, data_entry_user, reviewer):
    seed_before = _seed_snapshot(sample_report)
    department = sample_report.department
    department.staff.add(data_entry_user)
    year = FiscalYear.objects.create(year=sample_report.fiscal_year.year + 2, is_open=True)

    # Targets entered with the budget.
    report = ReportFactory(department=department, fiscal_year=year, goals="全年目标。")
    BudgetExecution.objects.create(report=report, funding_source=source("general"),
                                   adjusted_budget=Decimal("100"))
    project = ProjectFactory(report=report, code="roads", name="道路养护", adjusted_budget=Decimal("40"),
                             expenditure=Decimal("0"), goal="养护道路<script>x</script>")
    dept_indicator = Indicator.objects.create(report=report, level1="output", level2="quantity",
                                              name="新引进项目", unit="个", target_value=Decimal("15"),
                                              weight=Decimal("90"), position=1)
    road_indicator = Indicator.objects.create(report=report, project=project, level1="output",
                                              level2="quantity", name="养护里程", unit="公里",
                                              target_value=Decimal("100"), weight=Decimal("90"), position=1)

    # Submitted (each table's weights with the execution's 10 add up to 100, which approval
    # locks), returned with a comment, corrected, approved by someone else.
    workflow.move_targets(report, data_entry_user, "submit")
    workflow.move_targets(report, reviewer, "return", "新引进项目目标偏低")
    dept_indicator.target_value = Decimal("18")
    dept_indicator.save()
    workflow.move_targets(report, data_entry_user, "submit")
    workflow.move_targets(report, reviewer, "approve")
    report.refresh_from_db()
    assert report.targets_status == "approved"

    # Published: the 绩效目标表 is public before the year-end report is.
    url = reverse("evaluations:targets", args=[year.year, department.code])
    page = client.get(url).content.decode()
    assert "新引进项目" in page and "≥18个" in page and "养护里程" in page
    assert "<script>x" not in page and "&lt;script&gt;" in page
    assert client.get(reverse("evaluations:report", args=[year.year, department.code])).status_code == 404

    # An adjustment, approved by a reviewer, is the one change to an approved target.
    adjustment = targets.request_adjustment(report, user=data_entry_user, indicator=road_indicator,
                                            field="target_value", new_value="80", reason="汛期缩短工期")
    targets.approve_adjustment(adjustment, reviewer)
    road_indicator.refresh_from_db()
    assert road_indicator.target_value == Decimal("80")
    page = client.get(url).content.decode()
    assert "汛期缩短工期" in page and "≥80公里" in page

    # July: spending 30 of 100 (30 %) below June's 40 % → red.
    july = _round(report, 7, data_entry_user, [("general", None, "30"), ("general", project, "15")],
                  [(dept_indicator, "6", "on_track"), (road_indicator, "30", "on_track")])
    assert july.light == "red" and "低于6月末应达到的40%" in july.light_reason
    monitoring.review_round(july, reviewer)
    # October: spending on course (85 %), but roads 20 of 80 km (25 %) against 87.5 % spent → yellow.
    october = _round(report, 10, data_entry_user, [("general", None, "85"), ("general", project, "35")],
                     [(dept_indicator, "16", "on_track"), (road_indicator, "20", "on_track")])
    assert october.light == "yellow" and "养护里程" in october.light_reason
    assert "超过10个百分点" in october.light_reason

    # Year end: the self-evaluation starts from the approved targets; staff enter actuals.
    client.force_login(data_entry_user)
    change = client.get(reverse("admin:evaluations_project_change", args=[project.pk]))
    inline = next(f for f in change.context["inline_admin_formsets"] if f.formset.prefix == "indicators")
    form = inline.formset.forms[0]
    assert "target_value" not in form.fields and "actual_value" in form.fields
    assert "20公里" in change.content.decode()  # the last monitoring progress beside the row
    assert "10月" in change.content.decode()
    next_year = copy_report_forward(report, year.year + 1, user=reviewer)
    assert next_year.targets_status == "draft"
    assert list(next_year.indicators.order_by("name").values_list("name", "target_value")) == [
        ("养护里程", Decimal("80")), ("新引进项目", Decimal("18"))]

    # The seed year is as it was.
    sample_report.refresh_from_db()
    assert _seed_snapshot(sample_report) == seed_before
    seed_page = client.get(reverse("evaluations:report", args=[sample_report.fiscal_year.year,
                                                               department.code]))
    assert seed_page.status_code == 200 and "批复的绩效目标表" not in seed_page.content.decode()


def test_the_targets_page_query_count_is_flat(client, data_entry_user, reviewer, django_assert_num_queries):
    report = ReportFactory()
    report.department.staff.add(data_entry_user)
    Indicator.objects.create(report=report, level1="output", level2="quantity", name="一", position=1)
    workflow.move_targets(report, data_entry_user, "submit")
    workflow.move_targets(report, reviewer, "approve")
    url = reverse("evaluations:targets", args=[report.fiscal_year.year, report.department.code])
    with django_assert_num_queries(4):  # report, projects, indicators, adjustments
        assert client.get(url).status_code == 200
    for n in range(5):
        project = ProjectFactory(report=report)
        Indicator.objects.create(report=report, project=project, level1="output",
                                 level2="quantity", name=f"项目指标{n}", position=1)
        Indicator.objects.create(report=report, level1="output", level2="quantity",
                                 name=f"部门指标{n}", position=n + 2)
        adjustment = targets.request_adjustment(report, user=data_entry_user, project=project,
                                                field="goal", new_value=f"目标{n}", reason="r")
        targets.approve_adjustment(adjustment, reviewer)
    with django_assert_num_queries(4):
        page = client.get(url)
    assert page.content.decode().count("<tr>") > 15


def test_the_targets_page_waits_for_approval(client, data_entry_user):
    report = ReportFactory()
    url = reverse("evaluations:targets", args=[report.fiscal_year.year, report.department.code])
    assert client.get(url).status_code == 404
    Report.objects.filter(pk=report.pk).update(targets_status="submitted")
    assert client.get(url).status_code == 404


def test_the_published_report_lists_approved_adjustments(client, data_entry_user, reviewer):
    report = ReportFactory(goals="目标。")
    report.department.staff.add(data_entry_user)
    indicator = Indicator.objects.create(report=report, level1="output", level2="quantity",
                                         name="培训人次", unit="人次", target_value=Decimal("100"),
                                         position=1)
    workflow.move_targets(report, data_entry_user, "submit")
    workflow.move_targets(report, reviewer, "approve")
    adjustment = targets.request_adjustment(report, user=data_entry_user, indicator=indicator,
                                            field="target_value", new_value="60",
                                            reason="<b>疫情</b>停课")
    targets.approve_adjustment(adjustment, reviewer)
    BudgetExecution.objects.create(report=report, funding_source=source("general"),
                                   adjusted_budget=Decimal("10"))
    _round(report, 10, data_entry_user, [("general", None, "9")], [(indicator, "45", "at_risk")])
    Report.objects.filter(pk=report.pk).update(status=Report.Status.PUBLISHED)
    page = client.get(reverse("evaluations:report", args=[report.fiscal_year.year,
                                                          report.department.code]))
    content = page.content.decode()
    assert page.status_code == 200
    assert "&lt;b&gt;疫情&lt;/b&gt;停课" in content and "<b>疫情" not in content
    assert "最近监控进度" in content and "45人次（10月）" in content  # beside target and actual
    assert reverse("evaluations:targets", args=[report.fiscal_year.year, report.department.code]) in content
