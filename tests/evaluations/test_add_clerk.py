"""Issue 14.10: setting up a clerk took three pages, and forgetting 工作人员状态 left them with
"请输入一个正确的工作人员账户…". One page now; the login page says what is missing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-passphrase-42"  # noqa: S105


def test_one_page_adds_a_clerk_who_can_sign_in(client, superuser):
    first, second = DepartmentFactory(), DepartmentFactory()
    client.force_login(superuser)
    page = client.get(reverse("admin:auth_user_add")).content.decode()
    assert 'name="role"' in page and 'name="departments"' in page
    response = client.post(reverse("admin:auth_user_add"), {
        "username": "clerk1", "password1": PASSWORD, "password2": PASSWORD,
        "role": "data_entry", "departments": [first.pk, second.pk],
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    clerk = User.objects.get(username="clerk1")
    assert clerk.is_staff and not clerk.is_superuser
    assert [g.name for g in clerk.groups.all()] == ["data_entry"]
    assert set(first.staff.all()) == {clerk} and set(second.staff.all()) == {clerk}
    client.logout()
    response = client.post(reverse("admin:login"), {"username": "clerk1", "password": PASSWORD})
    assert response.status_code == 302


def test_a_clerk_needs_a_department(client, superuser):
    client.force_login(superuser)
    response = client.post(reverse("admin:auth_user_add"), {
        "username": "clerk2", "password1": PASSWORD, "password2": PASSWORD, "role": "data_entry",
    })
    assert response.status_code == 200 and "填报人至少要有一个填报部门" in response.content.decode()
    assert not User.objects.filter(username="clerk2").exists()


def test_the_login_page_says_an_account_lacks_admin_access_only_after_its_password(client):
    UserFactory(username="nostaff", password=PASSWORD, is_staff=False)
    right = client.post(reverse("admin:login"), {"username": "nostaff", "password": PASSWORD})
    assert "存在，但没有管理后台的权限" in right.content.decode()
    wrong = client.post(reverse("admin:login"), {"username": "nostaff", "password": "wrong-one"})
    assert "存在" not in wrong.content.decode()
    assert "没有管理后台的权限" not in wrong.content.decode()


def test_the_project_code_says_what_it_is(client, superuser):
    from tests.factories import ReportFactory

    report = ReportFactory()
    client.force_login(superuser)
    page = client.get(reverse("admin:evaluations_report_change", args=[report.pk])).content.decode()
    assert "用于导入导出时对应同一项目" in page


def test_the_users_list_and_page_show_each_ones_role_and_departments(client, superuser):
    """A clerk's role and departments were set on the add page and shown nowhere after (the
    admin reviewer could not check whom a department's staff were)."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first, second = DepartmentFactory(name="第1商务局"), DepartmentFactory(name="第2教育局")

    def clerks(start, count):
        for n in range(start, start + count):
            clerk = UserFactory(username=f"clerk{n}", is_staff=True)
            clerk.groups.add(Group.objects.get(name="data_entry"))
            first.staff.add(clerk)
            second.staff.add(clerk)
        return clerk

    def listed():
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("admin:auth_user_changelist")).content.decode()
        return page, len(queries)

    clerk = clerks(0, 3)
    client.force_login(superuser)
    listing, few = listed()
    assert listing.count("第1商务局、第2教育局") == 3 and listing.count("填报人") >= 3
    clerks(3, 5)
    listing, more = listed()
    assert listing.count("第1商务局、第2教育局") == 8 and more == few  # prefetched, not a query a user
    page = client.get(reverse("admin:auth_user_change", args=[clerk.pk])).content.decode()
    assert "角色与填报部门" in page and "第1商务局、第2教育局" in page
