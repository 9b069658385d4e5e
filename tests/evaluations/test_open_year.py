"""Issue 14.1: a clerk could not start next year's report and nothing said so.

Reviewers open a year for entry in one step from the reports list; the clerk's form lists
the open years and says whom to ask for another (evaluations/years.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations import access
from evaluations.models import FiscalYear

pytestmark = pytest.mark.django_db
LIST = "admin:evaluations_report_changelist"


def test_a_reviewer_opens_next_year_in_one_step(client, reviewer):
    next_year = access.latest_new_year()
    client.force_login(reviewer)
    page = client.get(reverse(LIST)).content.decode()
    assert f'name="year" id="id_open_year" value="{next_year}"' in page
    response = client.post(reverse("admin:evaluations_report_open_year"), {"year": next_year})
    assert response.status_code == 302
    assert FiscalYear.objects.get(year=next_year).is_open
    page = client.get(reverse(LIST)).content.decode()
    assert f"{next_year}年度已开放填报" in page


def test_a_reviewer_opens_an_earlier_year_from_the_same_box(client, reviewer):
    """A department copying 2022 forward needs 2023 open; the box offered only next year,
    and the reviewer had to find the 预算年度 page (the admin reviewer)."""
    earlier = access.latest_new_year() - 3
    FiscalYear.objects.create(year=access.latest_new_year(), is_open=True)
    client.force_login(reviewer)
    page = client.get(reverse(LIST)).content.decode()
    assert 'id="id_open_year"' in page and f'max="{access.latest_new_year()}"' in page
    client.post(reverse("admin:evaluations_report_open_year"), {"year": earlier})
    assert FiscalYear.objects.get(year=earlier).is_open


def test_a_year_mistyped_in_the_box_is_refused_in_words(client, reviewer):
    """The box takes any number: "202" opened a year 202 in every menu, and -1 was a 500."""
    client.force_login(reviewer)
    for typed in (202, -1):
        response = client.post(reverse("admin:evaluations_report_open_year"), {"year": typed}, follow=True)
        assert response.status_code == 200 and f"{typed}不是有效的年度。" in response.content.decode()
    assert not FiscalYear.objects.filter(year__lt=2000).exists()


def test_an_auditor_is_not_told_to_ask_a_reviewer(client, db):
    from tests.evaluations.workflow_setup import user_in

    client.force_login(user_in("auditor", "aud-1"))
    page = client.get(reverse(LIST)).content.decode()
    assert "请联系审核人" not in page and 'id="id_open_year"' not in page


def test_a_closed_year_is_reopened_and_a_far_year_refused(client, reviewer):
    next_year = access.latest_new_year()
    FiscalYear.objects.create(year=next_year, is_open=False)
    client.force_login(reviewer)
    client.post(reverse("admin:evaluations_report_open_year"), {"year": next_year})
    assert FiscalYear.objects.get(year=next_year).is_open
    client.post(reverse("admin:evaluations_report_open_year"), {"year": next_year + 5})
    assert not FiscalYear.objects.filter(year=next_year + 5).exists()


def test_a_clerk_is_told_whom_to_ask_and_cannot_open_a_year(client, data_entry_user):
    FiscalYear.objects.create(year=2023, is_open=True)
    FiscalYear.objects.create(year=2022, is_open=False)
    client.force_login(data_entry_user)
    page = client.get(reverse(LIST)).content.decode()
    assert "开放填报的年度：2023。" in page and "请联系审核人" in page
    assert "/open-year/" not in page
    form = client.get(reverse("admin:evaluations_report_add")).content.decode()
    assert "请联系审核人" in form
    assert '<option value="' in form and ">2022<" not in form
    response = client.post(
        reverse("admin:evaluations_report_open_year"), {"year": access.latest_new_year()}
    )
    assert response.status_code == 403
    assert not FiscalYear.objects.filter(year=access.latest_new_year()).exists()


def test_a_clerk_posting_a_closed_year_is_told_whom_to_ask(client, data_entry_user):
    from tests.factories import DepartmentFactory

    department = DepartmentFactory()
    department.staff.add(data_entry_user)
    closed = FiscalYear.objects.create(year=2022, is_open=False)
    client.force_login(data_entry_user)
    response = client.post(reverse("admin:evaluations_report_add"), {
        "department": department.pk, "fiscal_year": closed.pk,
    })
    assert response.status_code == 200
    assert "该年度未开放填报。请联系审核人" in response.content.decode()
