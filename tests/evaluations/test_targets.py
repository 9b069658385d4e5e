"""绩效目标: the targets' own workflow, the lock on approved targets everywhere, adjustments."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from evaluations import datasets as ds
from evaluations import targets, workflow
from evaluations.imports.importer import import_file
from evaluations.models import Project, Report, TargetAdjustment, TargetsEvent
from indicators.models import Indicator
from tests.evaluations.workflow_setup import build_world, user_in

pytestmark = pytest.mark.django_db
TS = Report.TargetsStatus


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(data_entry_user):
    return build_world(data_entry_user)


def approve(report, clerk, reviewer):
    workflow.move_targets(report, clerk, "submit")
    workflow.move_targets(report, reviewer, "approve")
    report.refresh_from_db()
    return report


def test_targets_move_through_their_own_workflow(world, reviewer):
    report = world.report_a
    assert report.targets_status == TS.DRAFT
    workflow.move_targets(report, world.clerk_a, "submit")
    assert report.targets_status == TS.SUBMITTED
    with pytest.raises(ValidationError, match="必须填写意见"):
        workflow.move_targets(report, reviewer, "return")
    workflow.move_targets(report, reviewer, "return", "指标值偏低")
    assert Report.objects.get(pk=report.pk).targets_status == TS.DRAFT
    assert report.status == Report.Status.DRAFT  # the report's own status is apart
    workflow.move_targets(report, world.clerk_a, "submit")
    workflow.move_targets(report, reviewer, "approve")
    assert Report.objects.get(pk=report.pk).targets_status == TS.APPROVED
    assert [e.action for e in TargetsEvent.objects.filter(report=report)] == [
        "submit", "return", "submit", "approve"]
    assert report.history.first().targets_status == TS.APPROVED


def test_a_clerk_does_not_approve_targets_they_submitted(world):
    both = user_in("data_entry", "both")
    both.groups.add(*user_in("reviewer", "r2").groups.all())
    world.report_a.department.staff.add(both)
    workflow.move_targets(world.report_a, both, "submit")
    with pytest.raises(PermissionDenied, match="提交与批复须由不同的人"):
        workflow.move_targets(world.report_a, both, "approve")
    with pytest.raises(PermissionDenied):  # a clerk holds no review permission at all
        workflow.move_targets(world.report_a, world.clerk_a, "approve")
    with pytest.raises(PermissionDenied):  # nor acts on another department's targets
        workflow.move_targets(world.report_b, world.clerk_a, "submit")


def test_approved_targets_are_read_only_in_the_admin(client, world, reviewer):
    report = approve(world.report_a, world.clerk_a, reviewer)
    indicator = report.indicators.filter(project__isnull=True).first()
    client.force_login(world.clerk_a)
    page = client.get(reverse("admin:indicators_indicator_change", args=[indicator.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "target_value" not in form.fields and "name" not in form.fields
    assert "actual_value" in form.fields  # actuals are still entered
    report_page = client.get(reverse("admin:evaluations_report_change", args=[report.pk]))
    inline = next(f for f in report_page.context["inline_admin_formsets"]
                  if f.formset.prefix == "indicators")
    assert not inline.has_add_permission and not inline.has_delete_permission
    assert "target_value" not in inline.formset.forms[0].fields
    project = report.projects.first()
    project_page = client.get(reverse("admin:evaluations_project_change", args=[project.pk]))
    assert "goal" not in project_page.context["adminform"].form.fields
    assert "outcome" in project_page.context["adminform"].form.fields


def test_approved_targets_refuse_a_new_row_through_the_admin_add_form(client, world, reviewer):
    report = approve(world.report_a, world.clerk_a, reviewer)
    client.force_login(world.clerk_a)
    response = client.post(reverse("admin:indicators_indicator_add"), {
        "report": report.pk, "level1": "output", "level2": "quantity", "name": "新指标",
        "nature": "gte", "position": 99, "applicable": "on",
    })
    assert response.status_code == 302
    assert not Indicator.objects.filter(name="新指标").exists()


def test_approved_targets_refuse_an_import_naming_the_column(world, reviewer):
    report = approve(world.report_a, world.clerk_a, reviewer)
    name = report.indicators.filter(project__isnull=True).first().name
    base = "year,department_code,project_code,level1,level2,name,target_value,actual_value\n"
    changed = base + f"{report.fiscal_year.year},dept-a,,output,quantity,{name},99,8\n"
    result = import_file(ds.INDICATORS, changed.encode(), user=world.clerk_a)
    assert not result.ok
    assert result.errors[0].column == "target_value" and "已批复" in result.errors[0].message
    assert report.indicators.get(name=name).target_value != Decimal("99")
    actual_only = base + f"{report.fiscal_year.year},dept-a,,output,quantity,{name},10,8\n"
    assert import_file(ds.INDICATORS, actual_only.encode(), user=world.clerk_a).ok
    assert report.indicators.get(name=name).actual_value == Decimal("8")
    new_row = base + f"{report.fiscal_year.year},dept-a,,output,quantity,新指标,1,\n"
    assert not import_file(ds.INDICATORS, new_row.encode(), user=None).ok  # nor the command line
    goal = ("year,department_code,code,name,funding_source,goal\n"
            f"{report.fiscal_year.year},dept-a,{report.projects.first().code},"
            f"{report.projects.first().name},general,新目标\n")
    result = import_file(ds.PROJECTS, goal.encode(), user=world.clerk_a)
    assert [e.column for e in result.errors] == ["goal"]


def test_an_approved_adjustment_is_the_only_way_to_change_a_target(world, reviewer):
    report = approve(world.report_a, world.clerk_a, reviewer)
    indicator = report.indicators.filter(project__isnull=True).first()
    adjustment = targets.request_adjustment(
        report, user=world.clerk_a, indicator=indicator, field="target_value",
        new_value="12.5", reason="任务增加",
    )
    assert adjustment.old_value == "10" and adjustment.status == "pending"
    indicator.refresh_from_db()
    assert indicator.target_value == Decimal("10")  # nothing until approved
    with pytest.raises(PermissionDenied):  # the requester does not approve their own
        targets.approve_adjustment(adjustment, world.clerk_a)
    targets.approve_adjustment(adjustment, reviewer)
    indicator.refresh_from_db()
    assert indicator.target_value == Decimal("12.5")
    latest = indicator.history.first()
    assert latest.history_user == reviewer and "任务增加" in latest.history_change_reason
    assert TargetAdjustment.objects.get().status == "approved"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"field": "actual_value", "new_value": "1"}, "field"),
    ({"field": "target_value", "new_value": "很多"}, "new_value"),
    ({"field": "target_value", "new_value": "1", "reason": ""}, "reason"),
    ({"field": "nature", "new_value": "bigger"}, "new_value"),
])
def test_bad_adjustments_are_refused_naming_the_field(world, reviewer, kwargs, field):
    report = approve(world.report_a, world.clerk_a, reviewer)
    indicator = report.indicators.first()
    kwargs = {"reason": "理由", **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        targets.request_adjustment(report, user=world.clerk_a, indicator=indicator, **kwargs)
    assert field in excinfo.value.message_dict
    assert not TargetAdjustment.objects.exists()


def test_an_adjustment_before_approval_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        targets.request_adjustment(world.report_a, user=world.clerk_a,
                                   indicator=world.report_a.indicators.first(),
                                   field="target_value", new_value="1", reason="r")
    assert "field" in excinfo.value.message_dict


def test_a_project_goal_adjustment(world, reviewer):
    report = approve(world.report_a, world.clerk_a, reviewer)
    project = report.projects.first()
    adjustment = targets.request_adjustment(report, user=world.clerk_a, project=project,
                                            field="goal", new_value="新的年度目标", reason="调整")
    targets.approve_adjustment(adjustment, reviewer)
    assert Project.objects.get(pk=project.pk).goal == "新的年度目标"


def test_checks_refuse_a_self_evaluation_while_targets_are_in_review(world, reviewer):
    from evaluations import checks

    workflow.move_targets(world.report_a, world.clerk_a, "submit")
    codes = [f.code for f in checks.errors(checks.check_report(world.report_a))]
    assert codes == [checks.TARGETS_IN_REVIEW]
    with pytest.raises(ValidationError, match="绩效目标尚在审核中"):
        workflow.submit_report(world.report_a, world.clerk_a)
    workflow.move_targets(world.report_a, reviewer, "approve")
    assert not checks.errors(checks.check_report(world.report_a))
    targets.request_adjustment(world.report_a, user=world.clerk_a, field="unit", new_value="件",
                               reason="r", indicator=world.report_a.indicators.first())
    warning = [f for f in checks.check_report(world.report_a) if f.code == checks.ADJUSTMENTS_PENDING]
    assert warning and warning[0].figures == {"count": 1}
    assert not checks.errors(checks.check_report(world.report_b))  # draft targets: as before


def test_a_choice_adjustment_reads_as_labels(world, reviewer):
    report = approve(world.report_a, world.clerk_a, reviewer)
    indicator = report.indicators.filter(project__isnull=True).first()
    adjustment = targets.request_adjustment(report, user=world.clerk_a, indicator=indicator,
                                            field="nature", new_value="≤", reason="口径调整")
    assert (adjustment.old_value, adjustment.new_value) == ("gte", "lte")
    targets.approve_adjustment(adjustment, reviewer)
    assert Indicator.objects.get(pk=indicator.pk).nature == "lte"
    assert (adjustment.old_display, adjustment.new_display) == ("≥", "≤")


def test_targets_are_not_submitted_while_a_project_has_no_budget(world):
    """Approval locks 全年预算数 and monitoring measures spending against it: targets approved
    without it left a round that could not be filled and a field that could not be changed
    (the admin reviewer's 第1商务局 2023). Submission names the projects that lack it."""
    report = world.report_a
    project = report.projects.first()
    Project.objects.filter(pk=project.pk).update(adjusted_budget=None)
    with pytest.raises(ValidationError) as refused:
        workflow.move_targets(report, world.clerk_a, "submit")
    assert f"项目“{project.name}”没有全年预算数" in refused.value.messages[0]
    report.refresh_from_db()
    assert report.targets_status == Report.TargetsStatus.DRAFT
    Project.objects.filter(pk=project.pk).update(adjusted_budget=Decimal("10"))
    workflow.move_targets(report, world.clerk_a, "submit")
    report.refresh_from_db()
    assert report.targets_status == Report.TargetsStatus.SUBMITTED


def test_declining_an_adjustment_says_why_to_the_department(client, world, reviewer):
    """不批准 carried no reason (the list had no 意见 box; the history said "不批准调整"): it
    needs one, kept on the request, and the message says what happened (it said "已审核。")."""
    report = approve(world.report_a, world.clerk_a, reviewer)
    indicator = report.indicators.filter(project__isnull=True).first()
    adjustment = targets.request_adjustment(
        report, user=world.clerk_a, indicator=indicator, field="target_value",
        new_value="12.5", reason="任务增加",
    )
    with pytest.raises(ValidationError) as refused:
        targets.reject_adjustment(adjustment, reviewer, "  ")
    assert "decision_comment" in refused.value.message_dict
    client.force_login(reviewer)
    url = reverse("admin:evaluations_targetadjustment_changelist")
    assert 'name="comment"' in client.get(url).content.decode()
    response = client.post(url, {"action": "reject_selected", "_selected_action": [adjustment.pk],
                                 "comment": "依据不足，请补充任务变化的文件。"}, follow=True)
    text = response.content.decode()
    assert "未批准，绩效目标保持不变" in text
    adjustment.refresh_from_db()
    assert (adjustment.status, adjustment.decision_comment) == ("rejected", "依据不足，请补充任务变化的文件。")
    client.force_login(world.clerk_a)
    page = client.get(reverse("admin:evaluations_targetadjustment_change", args=[adjustment.pk]))
    assert "依据不足，请补充任务变化的文件。" in page.content.decode()
    indicator.refresh_from_db()
    assert indicator.target_value == Decimal("10")


def test_targets_whose_weights_do_not_add_up_are_not_submitted(world):
    """Weights 50 + 50 + the execution's 10 were approved, and then blocked the year-end
    submission with 分值 read-only and nothing saying how out (the cycle review): the same
    check now refuses the targets' submission, in the words the report page shows."""
    from evaluations import checks

    report = world.report_a
    department = list(report.indicators.filter(project__isnull=True))
    Indicator.objects.filter(pk=department[0].pk).update(weight=Decimal("95"))
    expected = [f.message for f in checks.errors(checks.check_report(report))
                if f.code == checks.WEIGHTS_MISMATCH]
    assert expected
    with pytest.raises(ValidationError) as refused:
        workflow.move_targets(report, world.clerk_a, "submit")
    assert any(expected[0] in message for message in refused.value.messages)
    report.refresh_from_db()
    assert report.targets_status == Report.TargetsStatus.DRAFT


def test_the_report_page_carries_the_targets_steps_and_the_return_comment(client, world, reviewer):
    """The targets' steps were only in the list's action menu, and a return's comment only in
    绩效目标审核记录 (the cycle review): the report's page has their box."""
    report = world.report_a
    change = reverse("admin:evaluations_report_change", args=[report.pk])
    steps = reverse("admin:evaluations_report_targets", args=[report.pk])
    client.force_login(world.clerk_a)
    page = client.get(change).content.decode()
    assert 'id="targets-workflow"' in page and f'action="{steps}"' in page
    assert 'value="submit"' in page and 'value="approve"' not in page
    client.post(steps, {"action": "submit"})
    report.refresh_from_db()
    assert report.targets_status == TS.SUBMITTED

    client.force_login(reviewer)
    assert client.post(steps, {"action": "return", "comment": ""}).status_code == 302
    report.refresh_from_db()
    assert report.targets_status == TS.SUBMITTED  # a return needs a comment
    client.post(steps, {"action": "return", "comment": "满意度目标值偏低，请调高。"})
    client.force_login(world.clerk_a)
    page = client.get(change).content.decode()
    assert 'id="targets-return-comment"' in page and "满意度目标值偏低，请调高。" in page
    client.post(steps, {"action": "submit"})
    client.force_login(reviewer)
    client.post(steps, {"action": "approve"})
    report.refresh_from_db()
    assert report.targets_status == TS.APPROVED
    page = client.get(change).content.decode()
    assert reverse("admin:evaluations_targetadjustment_add") + f"?report={report.pk}" in page
    assert client.post(steps, {"action": "bogus"}).status_code == 404
