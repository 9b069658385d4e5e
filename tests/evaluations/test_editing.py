"""Writes to a report's rows: the report row locked and its lock rechecked (workflow.editing),
the status fields owned by the workflow, and two tabs on one report (issue 15, 1/3/14)."""

import importlib
import re
import threading

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.urls import reverse

from evaluations import access, workflow
from evaluations.admin.reports import ReportAdmin
from evaluations.models import FundingSource, Project, Report
from tests.evaluations.workflow_setup import build_world, report_form_data
from tests.factories import IndicatorFactory, ProjectFactory, ReportFactory

Status = Report.Status


def change_url(report):
    return reverse("admin:evaluations_report_change", args=[report.pk])


def token_of(page: str) -> str:
    return re.search(r'name="edit_token" value="([^"]*)"', page).group(1)


# --- The workflow owns status, revision and published_at ----------------------------------------


@pytest.mark.django_db
def test_a_form_loaded_before_a_submission_cannot_take_it_back_to_draft(rf, data_entry_user, admin_site):
    """On PostgreSQL, saving the report form while it was being submitted undid the
    submission (10 of 10 tries): the form's instance, read before, wrote status=draft back."""
    report = build_world(data_entry_user).report_a
    stale = Report.objects.get(pk=report.pk)  # what the form read
    workflow.submit_report(report, data_entry_user)  # committed meanwhile

    request = rf.post("/")
    request.user = data_entry_user
    model_admin = admin_site._registry[Report]
    form_class = model_admin.get_form(request, stale, change=True)
    form = form_class(report_form_data(stale, problems="表单里的修改。"), instance=stale)
    assert form.is_valid(), form.errors
    form.save()

    stored = Report.objects.get(pk=report.pk)
    assert stored.status == Status.SUBMITTED and stored.problems == "表单里的修改。"
    assert report.events.get().action == "submit"


@pytest.mark.django_db
def test_a_status_changed_outside_the_workflow_is_refused_not_saved():
    report = ReportFactory()
    report.status = Status.PUBLISHED
    with pytest.raises(ValueError, match="evaluations.workflow"):
        report.save()
    assert Report.objects.get(pk=report.pk).status == Status.DRAFT
    report.refresh_from_db()
    report.problems = "其他字段照常保存。"
    report.save()
    assert Report.objects.get(pk=report.pk).problems == "其他字段照常保存。"


@pytest.mark.django_db
def test_the_report_form_posts_no_workflow_field(client, data_entry_user):
    report = build_world(data_entry_user).report_a
    client.force_login(data_entry_user)
    data = report_form_data(report, status="published", revision="9", published_at="2024-01-01 00:00")
    assert client.post(change_url(report), data).status_code == 302
    stored = Report.objects.get(pk=report.pk)
    assert (stored.status, stored.revision, stored.published_at) == (Status.DRAFT, 1, None)


# --- editing(): the one way into a report's rows ----------------------------------------------


@pytest.mark.django_db
def test_editing_rechecks_the_lock_on_the_row_as_it_is_now(data_entry_user):
    report = build_world(data_entry_user).report_a
    stale_token = Report.objects.get(pk=report.pk).updated_at
    with workflow.editing(report.pk, data_entry_user) as locked:
        assert locked.pk == report.pk and locked.fiscal_year.is_open
        Project.objects.filter(report=locked).update(name="块内修改")
    assert Report.objects.get(pk=report.pk).updated_at > stale_token  # the version moved

    Report.objects.filter(pk=report.pk).update(status=Status.SUBMITTED)
    with pytest.raises(workflow.ReportLocked) as refused, workflow.editing(report.pk, data_entry_user):
        Project.objects.filter(report=report).update(name="不应写入")
    assert refused.value.lock == access.Lock.STATUS
    assert not Project.objects.filter(name="不应写入").exists()
    with workflow.editing(report.pk, None):  # the command line, restoring an export
        pass


# --- The race itself, on PostgreSQL: two connections -----------------------------------------


def _reseed_roles_and_sources():
    """A transactional test may follow another that flushed the migrations' rows."""
    roles = importlib.import_module("evaluations.migrations.0003_role_groups").ROLES
    for name, codes in roles.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(
            [Permission.objects.get(content_type__app_label=a, codename=c) for a, c in codes]
        )
    sources = importlib.import_module("evaluations.migrations.0002_seed_funding_sources").SOURCES
    for code, name, kind, position in sources:
        FundingSource.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "position": position}
        )


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_submission_during_a_form_save_waits_for_it_and_is_kept(monkeypatch):
    """The form's POST reads the report, a submission commits from another connection, the
    POST saves. Before the lock the save wrote status=draft back; now the POST holds the
    report row from before it reads it, so the submission waits and follows the save."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes the write lock at BEGIN (IMMEDIATE): no interleaving")
    from tests.evaluations.workflow_setup import user_in

    _reseed_roles_and_sources()
    clerk = user_in("data_entry", "clerk-race")
    report = build_world(clerk).report_a
    loaded, release = threading.Event(), threading.Event()
    get_object = ReportAdmin.get_object

    def pausing_get_object(self, request, object_id, from_field=None):
        obj = get_object(self, request, object_id, from_field)
        if threading.current_thread().name == "form":
            loaded.set()
            release.wait(10)
        return obj

    monkeypatch.setattr(ReportAdmin, "get_object", pausing_get_object)
    outcome = {}

    def save_form():
        try:
            client = Client()
            client.force_login(clerk)
            outcome["form"] = client.post(change_url(report), report_form_data(report, problems="表单保存。"))
        finally:
            connection.close()

    def submit():
        try:
            outcome["event"] = workflow.submit_report(Report.objects.get(pk=report.pk), clerk)
        finally:
            connection.close()

    form = threading.Thread(target=save_form, name="form")
    form.start()
    assert loaded.wait(10)
    submitter = threading.Thread(target=submit, name="submit")
    submitter.start()
    submitter.join(1)  # before the lock this committed now; with it, it waits for the form
    release.set()
    form.join(10)
    submitter.join(10)

    assert outcome["form"].status_code == 302 and outcome["event"].action == "submit"
    stored = Report.objects.get(pk=report.pk)
    assert stored.status == Status.SUBMITTED and stored.problems == "表单保存。"


# --- Two tabs: the version token ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_second_of_two_tabs_is_refused_and_told_what_changed(client, data_entry_user):
    """The last save silently won; now the stale tab is refused, shown the fields, who and
    when, and keeps its input; saving it again overwrites knowingly."""
    report = build_world(data_entry_user).report_a
    client.force_login(data_entry_user)
    first = token_of(client.get(change_url(report)).content.decode())
    second = token_of(client.get(change_url(report)).content.decode())
    assert first == second

    data = report_form_data(report, problems="第一个标签页。", edit_token=first)
    assert client.post(change_url(report), data).status_code == 302
    stale = report_form_data(report, improvements="第二个标签页。", edit_token=second)
    response = client.post(change_url(report), stale)
    page = response.content.decode()
    assert response.status_code == 200
    assert "本页打开后，这份报告已被修改，您的修改未保存" in page
    assert "存在的问题及原因分析" in page and "clerk" in page  # the field, by whom
    assert "第二个标签页。" in page  # the input is kept
    stored = Report.objects.get(pk=report.pk)
    assert stored.problems == "第一个标签页。" and stored.improvements != "第二个标签页。"

    again = report_form_data(report, improvements="第二个标签页。", edit_token=token_of(page))
    assert client.post(change_url(report), again).status_code == 302
    assert Report.objects.get(pk=report.pk).improvements == "第二个标签页。"


@pytest.mark.django_db
def test_the_token_is_a_hidden_input_only_where_the_report_takes_changes(
    client, data_entry_user, reviewer, sample_report
):
    """A draft's page carries the token hidden, labelled in Chinese; a published report's
    page and the add page carry none (it showed as a read-only "Edit token: None")."""
    report = build_world(data_entry_user).report_a
    client.force_login(data_entry_user)
    page = client.get(change_url(report)).content.decode()
    assert re.search(r'<input type="hidden" name="edit_token" value="[^"]+"', page)
    assert "版本标记" in page and "Edit token" not in page
    add_page = client.get(reverse("admin:evaluations_report_add")).content.decode()
    assert "edit_token" not in add_page and "Edit token" not in add_page
    client.force_login(reviewer)
    locked = client.get(change_url(sample_report)).content.decode()
    assert "edit_token" not in locked and "Edit token" not in locked and "版本标记" not in locked


@pytest.mark.django_db
def test_a_change_to_the_reports_rows_elsewhere_makes_the_page_stale(client, data_entry_user):
    report = build_world(data_entry_user).report_a
    project = report.projects.get()
    client.force_login(data_entry_user)
    token = token_of(client.get(change_url(report)).content.decode())
    # Another tab saves the project's own page.
    project_page = client.get(reverse("admin:evaluations_project_change", args=[project.pk]))
    assert project_page.status_code == 200
    form = project_page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"name": "另一个标签页改名", "report": report.pk})
    for prefix in ("funds", "indicators"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(reverse("admin:evaluations_project_change", args=[project.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]

    response = client.post(change_url(report), report_form_data(report, problems="旧页面。", edit_token=token))
    page = response.content.decode()
    assert response.status_code == 200 and "您的修改未保存" in page and "项目 1 处" in page
    assert Report.objects.get(pk=report.pk).problems != "旧页面。"


@pytest.mark.django_db
def test_an_indicator_moved_to_another_reports_project_locks_both_reports():
    """Indicator.save() takes the report from the project: the admin holds that report too."""
    from evaluations.admin.mixins import reports_written

    indicator = IndicatorFactory()
    other = ProjectFactory()
    indicator.project = other
    assert reports_written(indicator) == {indicator.report_id, other.report_id}
