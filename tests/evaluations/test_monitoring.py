"""绩效监控: rounds, their bad input, the lights and the reviewers' list of latest rounds."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations import lights, monitoring, workflow
from evaluations.models import (
    Department,
    FiscalYear,
    MonitoringProgress,
    MonitoringRound,
    MonitoringSpending,
    Report,
    TargetsEvent,
)
from tests.evaluations.workflow_setup import build_world
from tests.factories import source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(data_entry_user, reviewer):
    world = build_world(data_entry_user)
    workflow.move_targets(world.report_a, world.clerk_a, "submit")
    workflow.move_targets(world.report_a, reviewer, "approve")
    world.report_a.refresh_from_db()
    return world


def new_round(report, month, **kwargs):
    round_ = MonitoringRound(report=report, month=month, **kwargs)
    round_.full_clean()
    round_.save()
    return round_


def spend(round_, amount, project=None):
    row = MonitoringSpending(round=round_, funding_source=source("general"), project=project,
                             spent_to_date=Decimal(amount))
    row.full_clean()
    row.save()
    return row


def progress(round_, indicator, value=None, outlook="on_track"):
    row = MonitoringProgress(round=round_, indicator=indicator, outlook=outlook,
                             progress_value=None if value is None else Decimal(value))
    row.full_clean()
    row.save()
    return row


def test_thresholds_by_month():
    floor = lights.DEFAULT_THRESHOLDS.floor_for
    assert floor(3) is None and floor(4) == (4, 25) and floor(7) == (6, 40) and floor(12) == (10, 80)
    assert lights.spending_light("一般公共预算", Decimal(24), Decimal(100), 4).colour == "red"
    assert lights.spending_light("一般公共预算", Decimal(25), Decimal(100), 4).colour == "green"
    assert lights.progress_light("x", Decimal("50.01"), "on_track", Decimal(40)).colour == "yellow"
    assert lights.progress_light("x", Decimal(50), "on_track", Decimal(40)).colour == "green"
    assert lights.progress_light("x", None, "off_track", None).colour == "red"


def test_a_round_lights_red_for_lagging_spending_in_words(world):
    report = world.report_a
    round_ = new_round(report, 7)
    spend(round_, "20")  # 20 of 70 = 28.57 % < June's 40 %
    progress(round_, report.indicators.get(project__isnull=True), "3")
    light = monitoring.refresh_light(round_)
    assert light.colour == "red"
    assert "28.57%" in light.reason and "6月末应达到的40%" in light.reason
    assert MonitoringRound.objects.get(pk=round_.pk).light == "red"


def test_a_round_lights_yellow_when_progress_and_spending_differ(world):
    report = world.report_a
    project = report.projects.get()
    round_ = new_round(report, 10)
    spend(round_, "60")  # 85.71 %: on course
    spend(round_, "9", project)  # 90 %
    progress(round_, report.indicators.get(project=project), "5")  # 50 %, 40 points behind
    light = monitoring.refresh_light(round_)
    assert light.colour == "yellow"
    assert "相差40.00个百分点" in light.reason


@pytest.mark.parametrize(("amount", "month", "field"), [("70.0001", 7, "spent_to_date")])
def test_spending_above_the_budget_is_refused(world, amount, month, field):
    round_ = new_round(world.report_a, month)
    with pytest.raises(ValidationError) as excinfo:
        spend(round_, amount)
    assert field in excinfo.value.message_dict and "全年预算数" in excinfo.value.message_dict[field][0]
    assert not MonitoringSpending.objects.exists()


@pytest.mark.parametrize("month", [0, 13])
def test_a_month_outside_the_year_is_refused(world, month):
    with pytest.raises(ValidationError) as excinfo:
        new_round(world.report_a, month)
    # Once, in words: the field's range and the round's own check said it twice (the admin reviewer).
    assert excinfo.value.message_dict["month"] == ["监控月份须在1至12之间。"]
    assert not MonitoringRound.objects.exists()


def test_no_round_before_the_targets_are_approved(world):
    with pytest.raises(ValidationError) as excinfo:
        new_round(world.report_b, 7)  # its targets are a draft
    assert "尚未批复" in excinfo.value.message_dict["month"][0]
    approved = TargetsEvent.objects.get(report=world.report_a, action="approve")
    in_year = datetime(world.report_a.fiscal_year.year, 5, 10, tzinfo=timezone.get_current_timezone())
    TargetsEvent.objects.filter(pk=approved.pk).update(created_at=in_year)
    with pytest.raises(ValidationError) as excinfo:
        new_round(world.report_a, 4)
    assert "5月批复" in excinfo.value.message_dict["month"][0]
    new_round(world.report_a, 5)


def test_progress_only_for_the_approved_targets(world):
    round_ = new_round(world.report_a, 7)
    with pytest.raises(ValidationError) as excinfo:
        progress(round_, world.report_b.indicators.first(), "1")
    assert "indicator" in excinfo.value.message_dict
    assert not MonitoringProgress.objects.exists()


def test_a_clerk_does_not_review_their_own_round(world, reviewer):
    round_ = new_round(world.report_a, 7)
    with pytest.raises(ValidationError):
        monitoring.review_round(round_, reviewer)  # not submitted yet
    round_ = monitoring.submit_round(round_, world.clerk_a)
    with pytest.raises(PermissionDenied):
        monitoring.review_round(round_, world.clerk_a)
    assert monitoring.review_round(round_, reviewer).status == "reviewed"


def test_the_admin_round_form_refuses_overspending_naming_the_field(client, world):
    round_ = new_round(world.report_a, 7)
    client.force_login(world.clerk_a)
    url = reverse("admin:evaluations_monitoringround_change", args=[round_.pk])
    data = {
        "measures": "",
        "spending-TOTAL_FORMS": "1", "spending-INITIAL_FORMS": "0",
        "spending-0-funding_source": source("general").pk, "spending-0-spent_to_date": "80",
        "progress-TOTAL_FORMS": "0", "progress-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "超过全年预算数" in response.content.decode()
    assert not MonitoringSpending.objects.exists()
    data["spending-0-spent_to_date"] = "20"
    assert client.post(url, data).status_code == 302
    assert MonitoringRound.objects.get().light == "red"


def test_the_staff_see_only_their_departments_rounds(client, world, reviewer):
    mine = new_round(world.report_a, 7)
    world.report_b.targets_status = "approved"
    world.report_b.save(update_fields=["targets_status"])
    theirs = new_round(world.report_b, 7)
    client.force_login(world.clerk_a)
    listing = client.get(reverse("admin:evaluations_monitoringround_changelist"))
    assert list(listing.context["cl"].result_list) == [mine]
    other = client.get(reverse("admin:evaluations_monitoringround_change", args=[theirs.pk]))
    assert other.status_code == 302  # Django's "does not exist" redirect, nothing shown
    for round_ in (mine, theirs):
        monitoring.submit_round(round_, world.clerk_a if round_ is mine else world.clerk_b)
    overview = client.get(reverse("admin:evaluations_monitoringoverview_changelist"))
    assert list(overview.context["cl"].result_list) == [mine]
    client.force_login(reviewer)
    overview = client.get(reverse("admin:evaluations_monitoringoverview_changelist"))
    assert set(overview.context["cl"].result_list) == {mine, theirs}


def _departments_with_rounds(first: int, count: int, year: FiscalYear) -> None:
    departments = Department.objects.bulk_create(
        [Department(code=f"m{n:05d}", name=f"监控部门{n}") for n in range(first, first + count)])
    reports = Report.objects.bulk_create(
        [Report(department=d, fiscal_year=year, rule_set_id=year.rule_set_id, targets_status="approved")
         for d in departments])  # bulk_create skips save(), which takes the year's rule set
    rounds = []
    for n, report in enumerate(reports):
        rounds.append(MonitoringRound(report=report, month=7, status="reviewed",
                                      light=("green", "yellow", "red")[n % 3], light_reason="原因"))
        rounds.append(MonitoringRound(report=report, month=10, status="submitted",
                                      light=("red", "green", "yellow")[n % 3], light_reason="原因"))
    MonitoringRound.objects.bulk_create(rounds)


def test_the_reviewers_list_stays_at_a_fixed_number_of_queries(client, reviewer):
    year = FiscalYear.objects.create(year=2025)
    url = reverse("admin:evaluations_monitoringoverview_changelist")
    client.force_login(reviewer)
    _departments_with_rounds(0, 5, year)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url, {"light__exact": "red"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2  # departments 0 and 3, October's light
    _departments_with_rounds(5, 1995, year)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"light__exact": "red"})
    assert response.context["cl"].result_count == 667
    assert all(r.month == 10 for r in response.context["cl"].result_list)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    filtered = client.get(url, {"report__department__id__exact": Department.objects.get(code="m00007").pk})
    assert [r.report.department.code for r in filtered.context["cl"].result_list] == ["m00007"]


def test_every_new_admin_page_renders_with_rows(client, world, reviewer, superuser):
    from evaluations import targets

    round_ = new_round(world.report_a, 7)
    spend(round_, "20")
    progress(round_, world.report_a.indicators.get(project__isnull=True), "3")
    targets.request_adjustment(world.report_a, user=world.clerk_a, field="unit", new_value="件",
                               reason="r", indicator=world.report_a.indicators.first())
    monitoring.submit_round(round_, world.clerk_a)
    client.force_login(superuser)
    for name, pk in (("monitoringround", round_.pk), ("monitoringoverview", round_.pk),
                     ("targetadjustment", 1), ("targetsevent", 1)):
        assert client.get(reverse(f"admin:evaluations_{name}_changelist")).status_code == 200, name
        pk = {"targetadjustment": world.report_a.target_adjustments.get().pk,
              "targetsevent": world.report_a.targets_events.first().pk}.get(name, pk)
        page = client.get(reverse(f"admin:evaluations_{name}_change", args=[pk]))
        assert page.status_code == 200, name
    page = client.get(reverse("admin:evaluations_monitoringround_change", args=[round_.pk])).content.decode()
    assert "红灯" in page and "28.57%" in page
    assert client.get(reverse("admin:evaluations_monitoringround_history", args=[round_.pk])).status_code == 200


def test_round_inlines_offer_only_the_rounds_own_rows(client, world):
    round_ = new_round(world.report_a, 7)
    client.force_login(world.clerk_a)
    page = client.get(reverse("admin:evaluations_monitoringround_change", args=[round_.pk]))
    formsets = {f.formset.prefix: f.formset for f in page.context["inline_admin_formsets"]}
    indicators = list(formsets["progress"].empty_form.fields["indicator"].queryset)
    projects = list(formsets["spending"].empty_form.fields["project"].queryset)
    assert indicators and {i.report_id for i in indicators} == {world.report_a.pk}
    assert projects and {p.report_id for p in projects} == {world.report_a.pk}
    assert "乙部门" not in page.content.decode()


def test_progress_rows_name_each_indicator_with_its_table(client, world):
    """"新引进项目" in the department's table and a project's read alike in the 指标 menu (the
    admin reviewer's round listed 40 names, three of them the same): each is named with its table."""
    from tests.factories import IndicatorFactory, ProjectFactory

    report = world.report_a
    project = ProjectFactory(report=report, name="招商项目", position=99)
    IndicatorFactory(report=report, name="新引进项目", position=90)
    IndicatorFactory(report=report, project=project, name="新引进项目", position=1)
    round_ = new_round(report, 7)
    client.force_login(world.clerk_a)
    page = client.get(reverse("admin:evaluations_monitoringround_change", args=[round_.pk]))
    field = {f.formset.prefix: f.formset for f in page.context["inline_admin_formsets"]}["progress"].empty_form.fields["indicator"]
    labels = [label for _value, label in field.choices]
    assert "部门整体 · 新引进项目" in labels and "招商项目 · 新引进项目" in labels
    assert labels.index("部门整体 · 新引进项目") < labels.index("招商项目 · 新引进项目")


def test_each_step_says_what_it_did(client, world, reviewer):
    """Submitting, approving and returning a round all said "…：已完成。"."""
    round_ = new_round(world.report_a, 7)
    url = reverse("admin:evaluations_monitoringround_changelist")
    steps = [
        (world.clerk_a, "submit_selected", "", "已提交，等待审核人审核。"),
        (reviewer, "return_selected", "请补充支出说明。", "已退回，部门修改后可重新提交。"),
        (world.clerk_a, "submit_selected", "", "已提交，等待审核人审核。"),
        (reviewer, "review_selected", "", "已审核通过。"),
    ]
    for user, action, comment, said in steps:
        client.force_login(user)
        response = client.post(url, {"action": action, "_selected_action": [round_.pk],
                                     "comment": comment}, follow=True)
        assert said in response.content.decode(), action
    round_.refresh_from_db()
    assert round_.status == "reviewed"


def test_a_new_round_is_not_lit_before_it_has_data(client, world):
    """The add page showed 预警 绿灯 before anything was entered (the cycle review)."""
    client.force_login(world.clerk_a)
    page = client.get(reverse("admin:evaluations_monitoringround_add")).content.decode()
    assert "绿灯" not in page and 'class="light light-green"' not in page
