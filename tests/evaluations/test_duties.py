"""Separation of duties: whoever submitted a report does not approve or publish it, even when
they hold both roles (issue 15, item 16)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from evaluations import workflow
from evaluations.models import Report
from tests.evaluations.workflow_setup import build_world, user_in

pytestmark = pytest.mark.django_db

Action = workflow.Action


@pytest.fixture
def both_roles(data_entry_user):
    """A clerk of department A who is a reviewer as well."""
    data_entry_user.groups.add(*user_in("reviewer", "a-reviewer").groups.all())
    return data_entry_user


def test_the_submitter_cannot_approve_their_own_report(both_roles):
    report = build_world(both_roles).report_a
    workflow.submit_report(report, both_roles)
    assert workflow.available_actions(report, both_roles) == [Action.RETURN]
    with pytest.raises(PermissionDenied, match="这份报告是您提交的"):
        workflow.approve_report(report, both_roles)
    assert Report.objects.get(pk=report.pk).status == Report.Status.SUBMITTED


def test_nor_publish_it_once_someone_else_approved_it(both_roles, reviewer):
    report = build_world(both_roles).report_a
    workflow.submit_report(report, both_roles)
    workflow.approve_report(report, reviewer)
    assert Action.PUBLISH not in workflow.available_actions(report, both_roles)
    with pytest.raises(PermissionDenied):
        workflow.publish_report(report, both_roles)
    workflow.publish_report(report, reviewer)
    assert Report.objects.get(pk=report.pk).status == Report.Status.PUBLISHED


def test_the_latest_submission_is_the_one_that_counts(both_roles, reviewer):
    """Returned and submitted again by someone else: the first submitter may now approve."""
    world = build_world(both_roles)
    report = world.report_b
    report.department.staff.add(both_roles)
    workflow.submit_report(report, both_roles)
    workflow.return_report(report, reviewer, "请补充。")
    workflow.submit_report(report, world.clerk_b)
    assert Action.APPROVE in workflow.available_actions(report, both_roles)
    workflow.approve_report(report, both_roles)


def test_the_admin_says_why_the_buttons_are_missing(client, both_roles):
    report = build_world(both_roles).report_a
    workflow.submit_report(report, both_roles)
    client.force_login(both_roles)
    page = client.get(reverse("admin:evaluations_report_change", args=[report.pk])).content.decode()
    assert 'id="withheld-as-submitter"' in page and "审核通过须由其他审核人完成" in page
    assert 'value="approve"' not in page and 'value="return"' in page
    # The changelist action refuses it too, saying why.
    response = client.post(
        reverse("admin:evaluations_report_changelist"),
        {"action": "approve_selected", "_selected_action": [report.pk]},
        follow=True,
    )
    assert "这份报告是您提交的" in response.content.decode()
    assert Report.objects.get(pk=report.pk).status == Report.Status.SUBMITTED
