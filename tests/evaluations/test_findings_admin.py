"""The findings' admin: scoped by department, open after publication, verified by reviewers only."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from evaluations.models import Finding
from tests.evaluations.cycle_helpers import finding, published_report

pytestmark = pytest.mark.django_db

ADD = reverse("admin:evaluations_finding_add")


def change_url(item: Finding) -> str:
    return reverse("admin:evaluations_finding_change", args=[item.pk])


def post(client, url, **fields):
    data = {"position": "", "source": "self", "description": "问题", "measure": "", "owner": "",
            "due_date": "", "status": "open",
            "attachments-TOTAL_FORMS": 0, "attachments-INITIAL_FORMS": 0}  # the evidence inline
    data.update(fields)
    return client.post(url, data)


@pytest.fixture
def world(data_entry_user):
    mine = published_report(code="mine")
    mine.department.staff.add(data_entry_user)
    theirs = published_report(code="theirs")
    return mine, theirs


def test_staff_add_self_findings_to_a_published_report_of_their_own(client, data_entry_user, world):
    mine, theirs = world
    client.force_login(data_entry_user)
    response = post(client, ADD, report=mine.pk, due_date="2024-06-30")
    assert response.status_code == 302, response.context["adminform"].form.errors
    item = Finding.objects.get()
    assert (item.position, item.source, item.created_by) == (1, "self", data_entry_user)
    response = post(client, ADD, report=mine.pk, source="audit")
    assert "source" in response.context["adminform"].form.errors
    response = post(client, ADD, report=theirs.pk)
    assert "report" in response.context["adminform"].form.errors
    assert Finding.objects.count() == 1


def test_due_date_before_the_year_is_refused_on_the_form(client, data_entry_user, world):
    client.force_login(data_entry_user)
    response = post(client, ADD, report=world[0].pk, due_date="2022-12-31")
    assert "早于" in str(response.context["adminform"].form.errors["due_date"])
    assert not Finding.objects.exists()


def test_lists_and_pages_are_scoped_by_department(client, data_entry_user, world):
    mine, theirs = world
    own, other = finding(mine, description="本部门问题"), finding(theirs, description="他部门问题")
    client.force_login(data_entry_user)
    page = client.get(reverse("admin:evaluations_finding_changelist")).content.decode()
    assert "本部门问题" in page and "他部门问题" not in page
    assert client.get(change_url(other)).status_code == 302  # the admin's "does not exist"
    assert client.get(change_url(own)).status_code == 200
    assert client.get(reverse("admin:evaluations_finding_history", args=[other.pk])).status_code == 404


def test_staff_answer_a_reviewers_finding_and_a_reviewer_verifies_it(client, data_entry_user, reviewer, world):
    item = finding(world[0], description="审核发现的问题")
    client.force_login(data_entry_user)
    response = post(client, change_url(item), measure="已补齐", owner="张三", status="done",
                    description="改写")
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.measure, item.done_by) == ("done", "已补齐", data_entry_user)
    assert item.description == "审核发现的问题"  # the reviewer's words, read-only to staff
    response = post(client, change_url(item), status="verified", measure="已补齐")
    assert "审核人" in str(response.context["adminform"].form.errors["status"])

    client.force_login(reviewer)
    response = post(client, change_url(item), status="verified", measure="已补齐", owner="张三",
                    description="审核发现的问题", source="review", position=1)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "verified" and item.verified_by == reviewer
    # Settled: read-only, even for the reviewer.
    response = post(client, change_url(item), status="open", description="审核发现的问题",
                    source="review", position=1)
    assert response.status_code == 403
    assert Finding.objects.get().status == "verified"


def test_overdue_is_flagged_and_filtered(client, reviewer, world):
    late = finding(world[0], 1, description="逾期的问题", due_date=datetime.date(2024, 1, 31))
    finding(world[0], 2, description="按期的问题", due_date=datetime.date(2999, 1, 31))
    client.force_login(reviewer)
    url = reverse("admin:evaluations_finding_changelist")
    page = client.get(url).content.decode()
    assert page.count('class="finding-overdue"') == 1
    page = client.get(url + "?overdue=yes").content.decode()
    assert "逾期的问题" in page and "按期的问题" not in page
    report_page = client.get(reverse("admin:evaluations_report_change", args=[late.report_id]))
    text = report_page.content.decode()
    assert "逾期的问题" in text and "finding-overdue" in text
    assert "整改期限为 2024-01-31，已逾期" in text  # the checks' warning too
    listed = client.get(reverse("admin:evaluations_finding_changelist") + f"?report__id__exact={late.report_id}")
    assert listed.status_code == 200 and "逾期的问题" in listed.content.decode()


def test_the_status_menu_offers_only_the_steps_the_user_may_take(client, data_entry_user, reviewer, world):
    """A clerk was offered 已验证 and refused it on saving."""
    item = finding(world[0], description="审核发现的问题")
    client.force_login(data_entry_user)
    form = client.get(change_url(item)).context["adminform"].form
    assert [v for v, _l in form.fields["status"].widget.choices] == ["open", "in_progress", "done"]
    item.take_status("done", data_entry_user)
    item.save()
    client.force_login(reviewer)
    form = client.get(change_url(item)).context["adminform"].form
    assert "verified" in [v for v, _l in form.fields["status"].widget.choices]
