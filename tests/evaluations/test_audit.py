"""Every write path leaves a history record naming the user; auditors export the trail; sign-in locks out."""

import csv
import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import workflow
from evaluations.models import FundingSource, OutcomeNarrative, Report
from indicators.models import Indicator
from tests.evaluations.workflow_setup import build_world, report_form_data
from tests.factories import (
    IndicatorFactory,
    OutcomeNarrativeFactory,
    ProjectFactory,
    ProjectFundFactory,
    ReportFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(data_entry_user):
    return build_world(data_entry_user)


def test_admin_edits_are_recorded_with_the_user(client, world, data_entry_user):
    report = world.report_a
    client.force_login(data_entry_user)
    url = reverse("admin:evaluations_report_change", args=[report.pk])
    client.post(url, report_form_data(report, problems="预算编制不够细化。"))
    record = report.history.latest()
    assert (record.history_type, record.history_user) == ("~", data_entry_user)
    assert record.problems == "预算编制不够细化。"
    delta = record.diff_against(record.prev_record)
    assert delta.changed_fields == ["problems"]

    client.post(
        reverse("admin:evaluations_outcomenarrative_add"),
        {"report": report.pk, "position": 42, "headline": "新增一段。", "body": "正文。"},
    )
    narrative = OutcomeNarrative.objects.get(report=report, position=42)
    created = narrative.history.get()
    assert (created.history_type, created.history_user) == ("+", data_entry_user)

    client.post(
        reverse("admin:evaluations_outcomenarrative_delete", args=[narrative.pk]), {"post": "yes"}
    )
    deleted = OutcomeNarrative.history.filter(id=narrative.pk).latest()
    assert (deleted.history_type, deleted.history_user) == ("-", data_entry_user)


def test_workflow_changes_are_recorded_with_the_user_and_reason(world, data_entry_user, reviewer):
    report = world.report_a
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer, "同意。")
    record = report.history.latest()
    assert record.history_user == reviewer
    assert record.history_change_reason == "审核通过"
    change = record.diff_against(record.prev_record).changes
    assert [(c.field, c.old, c.new) for c in change if c.field == "status"] == [
        ("status", "submitted", "approved")
    ]


def test_acting_as_attributes_writes_outside_a_request(reviewer):
    with workflow.acting_as(reviewer):
        report = ReportFactory()
        ProjectFactory(report=report)
    assert report.history.get().history_user == reviewer
    assert report.projects.get().history.get().history_user == reviewer
    untracked = ReportFactory()
    assert untracked.history.get().history_user is None


def test_load_sample_records_the_user_given(superuser):
    call_command("load_sample", "--user", "root", stdout=io.StringIO())
    report = Report.objects.get()
    for model in (Report, Indicator, OutcomeNarrative):
        users = set(model.history.values_list("history_user__username", flat=True))
        assert users == {"root"}, model
    assert report.history.filter(history_type="+").exists()
    with pytest.raises(CommandError):
        call_command("load_sample", "--user", "nobody", stdout=io.StringIO())


def test_history_page_shows_who_changed_what(client, world, data_entry_user, reviewer):
    report = world.report_a
    workflow.submit_report(report, data_entry_user)
    workflow.return_report(report, reviewer, "请补充。")
    client.force_login(data_entry_user)
    page = client.get(reverse("admin:evaluations_report_history", args=[report.pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert "reviewer" in content and "clerk" in content
    assert "退回" in content  # the change reason


def _audit_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_auditor_exports_the_history_as_csv(client, world, data_entry_user, reviewer, auditor):
    report = world.report_a
    workflow.submit_report(report, data_entry_user)
    OutcomeNarrativeFactory(report=world.report_b, headline="=HYPERLINK(\"x\")")
    client.force_login(auditor)
    changelist = client.get(reverse("admin:evaluations_report_changelist")).content.decode()
    assert reverse("admin:evaluations_report_audit_log") in changelist
    response = client.get(reverse("admin:evaluations_report_audit_log"))
    assert response["Content-Type"].startswith("text/csv")
    rows = _audit_rows(response)
    assert rows[0] == ["时间", "用户", "操作", "对象类型", "对象编号", "所属报告编号", "修改原因", "修改内容"]
    submitted = [r for r in rows if r[1] == "clerk" and r[3] == "自评报告" and r[2] == "修改"]
    assert submitted and "状态: draft → submitted" in submitted[-1][7]
    assert submitted[-1][6] == "提交" and submitted[-1][4] == str(report.pk)
    [event] = [r for r in rows if r[3] == "审核记录"]
    assert event[1:3] == ["clerk", "新增"] and event[6] == "提交"
    assert event[7] == "状态: draft → submitted"
    created = [r for r in rows if r[2] == "新增" and r[3] == "绩效情况"]
    assert any("标题句: =HYPERLINK" in r[7] for r in created)
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_the_audit_csv_shows_a_rename_not_its_bookkeeping(client, world, auditor):
    department = world.report_a.department
    department.name = "更名后的部门"
    department.save()
    client.force_login(auditor)
    rows = _audit_rows(client.get(reverse("admin:evaluations_report_audit_log")))
    [renamed] = [r for r in rows if r[3] == "部门" and "→ 更名后的部门" in r[7]]
    assert renamed[2] == "修改"
    assert "公开信息更新时间" not in "".join(cell for r in rows for cell in r)


def test_audit_export_query_count_stays_flat(client, world, auditor, django_assert_num_queries):
    client.force_login(auditor)
    url = reverse("admin:evaluations_report_audit_log")
    with CaptureQueriesContext(connection) as queries:
        _audit_rows(client.get(url))
    baseline = len(queries)
    for _ in range(10):
        OutcomeNarrativeFactory(report=world.report_a)
        ProjectFactory(report=world.report_b)
    with django_assert_num_queries(baseline):
        _audit_rows(client.get(url))


def test_admin_sign_in_locks_out_after_five_failures(client, data_entry_user, reviewer):
    login = reverse("admin:login")

    def sign_in(username, password):
        return client.post(login, {"username": username, "password": password, "next": "/admin/"})

    assert sign_in("clerk", PASSWORD).status_code == 302  # works, and resets the counter
    client.logout()
    for _ in range(5):
        assert sign_in("clerk", "guess").status_code in (200, 429)
    locked = sign_in("clerk", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    page = locked.content.decode()
    assert page.count("<h1>暂时无法登录</h1>") == 1 and "绩效自评报告管理" in page  # the admin's page
    assert 'id="nav-sidebar"' not in page  # laid out as the sign-in page, no navigation
    assert "连续 5 次登录失败" in page and "请在 15 分钟后再试。" in page
    # Another account from the same address is not locked.
    assert sign_in("reviewer", PASSWORD).status_code == 302


def _queries(client, url) -> int:
    client.get(url)  # the first request after sign-in also touches the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_history_page_query_count_stays_flat(client, world, data_entry_user, django_assert_num_queries):
    report = world.report_a
    client.force_login(data_entry_user)
    url = reverse("admin:evaluations_report_history", args=[report.pk])
    report.problems = "一改。"
    report.save()
    baseline = _queries(client, url)
    for n in range(8):
        report.problems = f"第{n}次修改。"
        report.goals = f"目标{n}"
        report.save()
    with django_assert_num_queries(baseline):
        client.get(url)


def test_project_page_query_count_stays_flat(client, world, data_entry_user, django_assert_num_queries):
    project = world.report_a.projects.get()
    client.force_login(data_entry_user)
    url = reverse("admin:evaluations_project_change", args=[project.pk])
    baseline = _queries(client, url)
    for source in ("carryover", "other"):
        ProjectFundFactory(project=project, funding_source=FundingSource.objects.get(code=source))
    for _ in range(6):
        IndicatorFactory(report=world.report_a, project=project)
    with django_assert_num_queries(baseline):
        client.get(url)


def test_client_login_still_works_in_tests(client, data_entry_user):
    assert client.login(username="clerk", password=PASSWORD)
    assert client.get(reverse("admin:index")).status_code == 200
    client.logout()
    assert not client.login(username="clerk", password="wrong")


def test_lockout_reaches_the_model_backend_only_through_requests(client, data_entry_user):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "clerk", "password": "guess"})
    # Locked out at the door, whatever password is tried ...
    response = client.post(reverse("admin:login"), {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 429
    # ... while code that authenticates with no request (the shell, tests) is not a door.
    assert client.login(username="clerk", password=PASSWORD)


def test_behind_a_proxy_lockouts_go_by_the_forwarded_client_address(client, data_entry_user, settings):
    settings.AXES_CLIENT_IP_CALLABLE = "evaluations.auth.forwarded_client_ip"
    login = reverse("admin:login")
    attacker = {"HTTP_X_FORWARDED_FOR": "10.0.0.9, 203.0.113.7"}  # first hop is forgeable
    for n in range(5):
        client.post(login, {"username": "clerk", "password": "guess"},
                    HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.7")
    assert client.post(login, {"username": "clerk", "password": PASSWORD}, **attacker).status_code == 429
    colleague = {"HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    assert client.post(login, {"username": "clerk", "password": PASSWORD}, **colleague).status_code == 302


def test_the_lockout_page_speaks_the_visitors_language(client, data_entry_user):
    login = reverse("admin:login")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(6):
        response = client.post(login, {"username": "clerk", "password": "guess"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "5 failed sign-ins in a row" in page and "Try again in 15 minutes." in page
    assert "暂时" not in page


def test_the_lockout_records_are_labelled_in_chinese_in_the_admin(client, superuser):
    """django-axes ships no Chinese; locale/zh_Hans holds its labels."""
    client.force_login(superuser)
    index = client.get(reverse("admin:index")).content.decode()
    assert "访问尝试" in index and "登录日志" in index
    assert "Access attempts" not in index
    changelist = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "尝试时间" in changelist and "Attempt Time" not in changelist


def test_a_script_locked_out_gets_json(client, data_entry_user):
    login = reverse("admin:login")
    for _ in range(6):
        response = client.post(
            login, {"username": "clerk", "password": "guess"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
        )
    assert response.status_code == 429
    assert response.json() == {"failure_limit": 5, "cooloff_time": "PT15M"}


def test_the_audit_csv_names_linked_objects_by_their_label(world):
    """Issue 14.9: "报告: 1" told an auditor nothing; the row names the report itself."""
    from evaluations.exports import audit

    # A position no factory sequence reaches (the fixture's narratives take theirs from a shared counter).
    OutcomeNarrative.objects.create(report=world.report_a, position=10_000, headline="新的绩效情况")
    rows = [row for row in csv.reader(io.StringIO("".join(audit.csv_lines())))]
    [created] = [r for r in rows if "新的绩效情况" in r[-1]]
    assert f"报告: {world.report_a.display_title}" in created[-1]
    assert f"报告: {world.report_a.pk};" not in created[-1]
