"""The report workflow, as the people who use it: services, admin buttons and admin actions."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import revisions, workflow
from evaluations.models import Project, Report, ReportEvent
from tests.evaluations.workflow_setup import build_world, report_form_data
from tests.factories import IndicatorFactory, OutcomeNarrativeFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

Status = Report.Status


@pytest.fixture
def world(data_entry_user):
    return build_world(data_entry_user)


@pytest.fixture
def report(world):
    return world.report_a


def change_url(report):
    return reverse("admin:evaluations_report_change", args=[report.pk])


def workflow_url(report):
    return reverse("admin:evaluations_report_workflow", args=[report.pk])


def status_of(report) -> str:
    return Report.objects.values_list("status", flat=True).get(pk=report.pk)


# --- Services -----------------------------------------------------------------------


def test_full_cycle_records_who_when_and_why(report, data_entry_user, reviewer):
    workflow.submit_report(report, data_entry_user)
    workflow.return_report(report, reviewer, "请补充项目绩效。")
    workflow.submit_report(report, data_entry_user, "已补充。")
    workflow.approve_report(report, reviewer)
    first = workflow.publish_report(report, reviewer)
    assert (report.status, report.revision) == (Status.PUBLISHED, 1)
    assert report.published_at == first.created_at

    workflow.reopen_report(report, reviewer, "更正项目支出。")
    assert status_of(report) == Status.DRAFT
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    workflow.publish_report(report, reviewer, "更正了项目支出金额。")
    report.refresh_from_db()
    assert (report.status, report.revision) == (Status.PUBLISHED, 2)

    trail = list(report.events.values_list("action", "from_status", "to_status", "actor__username", "revision"))
    assert trail == [
        ("submit", "draft", "submitted", "clerk", 1),
        ("return", "submitted", "draft", "reviewer", 1),
        ("submit", "draft", "submitted", "clerk", 1),
        ("approve", "submitted", "approved", "reviewer", 1),
        ("publish", "approved", "published", "reviewer", 1),
        ("reopen", "published", "draft", "reviewer", 1),
        ("submit", "draft", "submitted", "clerk", 1),
        ("approve", "submitted", "approved", "reviewer", 1),
        ("publish", "approved", "published", "reviewer", 2),
    ]
    assert report.events.get(action="return").comment == "请补充项目绩效。"
    published = revisions.published_revisions(report)
    assert [(r.revision, r.note) for r in published] == [(1, ""), (2, "更正了项目支出金额。")]


def _approved_again(report, clerk, reviewer) -> None:
    """Published, reopened, submitted and approved again: the next publication is a revision."""
    workflow.submit_report(report, clerk)
    workflow.approve_report(report, reviewer)
    workflow.publish_report(report, reviewer)
    workflow.reopen_report(report, reviewer, "更正。")
    workflow.submit_report(report, clerk)
    workflow.approve_report(report, reviewer)


def test_republishing_requires_a_revision_note(report, data_entry_user, reviewer):
    _approved_again(report, data_entry_user, reviewer)
    with pytest.raises(ValidationError) as excinfo:
        workflow.publish_report(report, reviewer, "   ")
    assert "修订说明" in str(excinfo.value)
    report.refresh_from_db()
    assert (report.status, report.revision) == (Status.APPROVED, 1)


def test_submission_is_blocked_by_check_errors(report, data_entry_user):
    Project.objects.filter(report=report).update(outcome="")
    with pytest.raises(ValidationError) as excinfo:
        workflow.submit_report(report, data_entry_user)
    assert "未填写专项资金支出绩效情况" in " ".join(excinfo.value.messages)
    assert status_of(report) == Status.DRAFT
    assert not report.events.exists()


def test_a_report_with_its_text_sections_blank_cannot_be_submitted(report, data_entry_user):
    """Issue 14.2: budgets and indicators only, every text section blank, was published."""
    Report.objects.filter(pk=report.pk).update(
        profile="", overall_summary="", problems="", improvements="", result_application=""
    )
    report.narratives.all().delete()
    with pytest.raises(ValidationError) as excinfo:
        workflow.submit_report(report, data_entry_user)
    messages = " ".join(excinfo.value.messages)
    for section in ("一（一）", "六（一）", "七、", "八、", "九、"):
        assert section in messages
    assert status_of(report) == Status.DRAFT


@pytest.mark.parametrize("action", ["approve", "publish", "return", "reopen"])
def test_data_entry_cannot_review_or_publish(report, data_entry_user, reviewer, action):
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    if action == "reopen":
        workflow.publish_report(report, reviewer)
    before = status_of(report)
    with pytest.raises(PermissionDenied):
        workflow.perform(action, report, data_entry_user, "我自己来。")
    assert status_of(report) == before


def test_other_departments_staff_and_auditors_cannot_submit(world, auditor):
    for user in (world.clerk_b, auditor):
        with pytest.raises(PermissionDenied) as excinfo:
            workflow.submit_report(world.report_a, user)
        assert "没有权限" in str(excinfo.value)
    assert status_of(world.report_a) == Status.DRAFT


def test_reviewer_cannot_submit_on_behalf_of_a_department(report, reviewer):
    with pytest.raises(PermissionDenied):
        workflow.submit_report(report, reviewer)


def test_transitions_only_from_their_statuses(report, data_entry_user, reviewer):
    with pytest.raises(ValidationError, match="草稿"):
        workflow.approve_report(report, reviewer)
    with pytest.raises(ValidationError):
        workflow.publish_report(report, reviewer)
    workflow.submit_report(report, data_entry_user)
    with pytest.raises(ValidationError):
        workflow.submit_report(report, data_entry_user)
    with pytest.raises(ValidationError, match="意见"):
        workflow.return_report(report, reviewer, "")
    assert status_of(report) == Status.SUBMITTED


def test_events_are_immutable(report, data_entry_user):
    event = workflow.submit_report(report, data_entry_user)
    event.comment = "改写历史"
    with pytest.raises(ValueError, match="immutable"):
        event.save()
    with pytest.raises(ValueError, match="immutable"):
        event.delete()


def test_revision_history_partial(report, data_entry_user, reviewer):
    assert render_to_string("evaluations/_revision_history.html", {"revisions": []}).strip() == ""
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    workflow.publish_report(report, reviewer)
    workflow.reopen_report(report, reviewer, "更正。")
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    workflow.publish_report(report, reviewer, "更正<b>金额</b>。")
    html = render_to_string(
        "evaluations/_revision_history.html",
        {"revisions": revisions.published_revisions(report)},
    )
    assert "修订记录" in html and "第 2 版" in html and "首次公开" in html
    assert "更正&lt;b&gt;金额&lt;/b&gt;。" in html


def test_revisions_of_the_sample_published_by_the_loader(sample_report, reviewer, superuser):
    # The seed states no publication date, and the loader invents none (issue 14.11).
    assert sample_report.published_at is None
    first = revisions.published_revisions(sample_report)
    assert [(r.revision, r.date, r.note) for r in first] == [(1, None, "")]
    workflow.reopen_report(sample_report, reviewer, "更正。")
    assert revisions.published_revisions(sample_report) == first  # nothing new is public
    workflow.submit_report(sample_report, superuser)
    workflow.approve_report(sample_report, reviewer)
    with pytest.raises(ValidationError):  # it was public: republishing needs a revision note
        workflow.publish_report(sample_report, reviewer, "")
    workflow.publish_report(sample_report, reviewer, "补充了项目明细。")
    assert [(r.revision, r.note) for r in revisions.published_revisions(sample_report)] == [
        (1, ""), (2, "补充了项目明细。"),
    ]


def test_drafts_have_no_revisions(report):
    assert revisions.published_revisions(report) == []


# --- Admin: buttons on the report page ----------------------------------------------


def _workflow_box(page: str) -> str:
    """The report's own steps (the targets' box above it has a 提交 of its own)."""
    return page[page.index('<div class="module aligned" id="workflow">'):]


def test_clerk_submits_with_the_button_and_the_page_turns_read_only(client, report, data_entry_user):
    client.force_login(data_entry_user)
    page = _workflow_box(client.get(change_url(report)).content.decode())
    assert 'value="submit"' in page and 'value="approve"' not in page
    response = client.post(workflow_url(report), {"action": "submit", "comment": ""}, follow=True)
    assert "已提交" in response.content.decode()
    assert status_of(report) == Status.SUBMITTED
    page = client.get(change_url(report)).content.decode()
    assert 'value="submit"' not in _workflow_box(page)
    assert 'name="_save"' not in page  # no save buttons on a read-only report


def test_reviewers_return_comment_reaches_the_department(client, report, data_entry_user, reviewer):
    workflow.submit_report(report, data_entry_user)
    client.force_login(reviewer)
    page = client.get(change_url(report)).content.decode()
    assert 'value="return"' in page and 'value="approve"' in page
    client.post(workflow_url(report), {"action": "return", "comment": "项目支出合计有误，请核对。"})
    assert status_of(report) == Status.DRAFT

    client.force_login(data_entry_user)
    page = client.get(change_url(report)).content.decode()
    assert 'id="return-comment"' in page
    assert "项目支出合计有误，请核对。" in page and "reviewer" in page


def test_clerk_cannot_publish_through_the_button(client, report, data_entry_user, reviewer):
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    client.force_login(data_entry_user)
    response = client.post(workflow_url(report), {"action": "publish"}, follow=True)
    assert "没有权限" in response.content.decode()
    assert status_of(report) == Status.APPROVED
    assert client.get(workflow_url(report)).status_code == 405


def test_check_errors_are_listed_and_block_the_submit_button(client, report, data_entry_user):
    Project.objects.filter(report=report).update(outcome="")
    client.force_login(data_entry_user)
    page = client.get(change_url(report)).content.decode()
    assert 'id="check-errors"' in page and 'data-code="outcome_missing"' in page
    # The red box holds the findings' list, not only its heading.
    box = re.search(r'<div id="check-errors" class="errornote">(.*?)</div>', page, re.S)
    assert box and 'data-code="outcome_missing"' in box.group(1)
    assert 'value="submit" class="button" disabled' in page
    response = client.post(workflow_url(report), {"action": "submit"}, follow=True)
    assert "未填写专项资金支出绩效情况" in response.content.decode()
    assert status_of(report) == Status.DRAFT


def test_reviewer_sees_warnings(client, sample_report, reviewer):
    Report.objects.filter(pk=sample_report.pk).update(status=Status.SUBMITTED)
    client.force_login(reviewer)
    page = client.get(change_url(sample_report)).content.decode()
    assert 'id="check-errors"' not in page
    assert 'data-code="projects_not_listed"' in page and "未列出项目明细" in page


# --- Admin: read-only unless draft ---------------------------------------------------


def test_clerk_cannot_edit_a_submitted_report(client, report, data_entry_user):
    client.force_login(data_entry_user)
    page = client.get(change_url(report)).content.decode()
    assert 'name="projects-0-name"' in page and "projects-__prefix__" in page
    # While a draft the clerk can save it ...
    response = client.post(change_url(report), report_form_data(report, profile="草稿时修改。"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.profile == "草稿时修改。"
    workflow.submit_report(report, data_entry_user)
    # ... once submitted nothing changes, not the report nor its inline rows.
    response = client.post(change_url(report), report_form_data(report, profile="提交后偷偷修改。"))
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.profile == "草稿时修改。"
    project = report.projects.get()
    response = client.post(
        reverse("admin:evaluations_project_change", args=[project.pk]),
        {"name": "改名", "report": report.pk},
    )
    assert response.status_code == 403
    page = client.get(change_url(report)).content.decode()
    assert 'name="projects-0-name"' not in page  # inlines render read-only ...
    assert "__prefix__" not in page  # ... and offer no row to add


def test_clerk_cannot_attach_new_rows_to_a_submitted_report(client, report, data_entry_user):
    workflow.submit_report(report, data_entry_user)
    client.force_login(data_entry_user)
    response = client.post(
        reverse("admin:evaluations_outcomenarrative_add"),
        {"report": report.pk, "position": 99, "headline": "偷加一段。", "body": ""},
    )
    assert response.status_code == 200  # the form comes back with an error
    # By its text: factory sequences can reach position 99 in a long run.
    assert not report.narratives.filter(headline="偷加一段。").exists()


def test_reviewer_cannot_delete_a_published_report(client, report, data_entry_user, reviewer):
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    workflow.publish_report(report, reviewer)
    client.force_login(reviewer)
    delete_url = reverse("admin:evaluations_report_delete", args=[report.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    client.post(
        reverse("admin:evaluations_report_changelist"),
        {"action": "delete_selected", "_selected_action": [report.pk], "post": "yes"},
    )
    assert Report.objects.filter(pk=report.pk).exists()


def test_clerk_may_delete_a_draft(client, report, data_entry_user):
    client.force_login(data_entry_user)
    delete_url = reverse("admin:evaluations_report_delete", args=[report.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Report.objects.filter(pk=report.pk).exists()


def test_auditor_reads_but_changes_nothing(client, report, auditor):
    client.force_login(auditor)
    page = client.get(change_url(report))
    assert page.status_code == 200
    assert 'id="workflow-form"' not in page.content.decode()
    response = client.post(change_url(report), report_form_data(report, profile="审计改的。"))
    assert response.status_code == 403
    response = client.post(workflow_url(report), {"action": "submit"}, follow=True)
    assert "没有权限" in response.content.decode()
    assert status_of(report) == Status.DRAFT


def test_history_revert_is_refused(client, report, auditor, reviewer):
    version = report.history.earliest()
    url = reverse(
        "admin:evaluations_report_simple_history", args=[report.pk, version.history_id]
    )
    for user in (auditor, reviewer):
        client.force_login(user)
        assert client.post(url, report_form_data(report, profile="回滚")).status_code == 403
    report.refresh_from_db()
    assert report.profile != "回滚"


# --- Admin: changelist actions ------------------------------------------------------


def test_actions_on_the_changelist(client, world, data_entry_user, reviewer):
    changelist = reverse("admin:evaluations_report_changelist")
    client.force_login(data_entry_user)
    client.post(changelist, {"action": "submit_selected", "_selected_action": [world.report_a.pk]})
    assert status_of(world.report_a) == Status.SUBMITTED

    client.force_login(reviewer)
    both = [world.report_a.pk, world.report_b.pk]
    response = client.post(
        changelist, {"action": "return_selected", "_selected_action": both, "comment": ""},
        follow=True,
    )
    assert "必须填写意见" in response.content.decode()
    assert status_of(world.report_a) == Status.SUBMITTED
    client.post(changelist, {"action": "approve_selected", "_selected_action": both})
    assert status_of(world.report_a) == Status.APPROVED
    assert status_of(world.report_b) == Status.DRAFT  # a draft cannot be approved
    # Publishing and reopening ask first (issue 14.12); confirmed=1 is the confirmation's POST.
    asked = client.post(changelist, {"action": "publish_selected", "_selected_action": both})
    assert "确认公开" in asked.content.decode()
    assert status_of(world.report_a) == Status.APPROVED
    client.post(changelist, {"action": "publish_selected", "_selected_action": both, "confirmed": "1"})
    assert status_of(world.report_a) == Status.PUBLISHED
    client.post(
        changelist,
        {"action": "reopen_selected", "_selected_action": both, "comment": "更正错字。",
         "confirmed": "1"},
    )
    assert status_of(world.report_a) == Status.DRAFT
    assert ReportEvent.objects.filter(report=world.report_a, action="reopen", comment="更正错字。").exists()


def test_clerk_is_not_offered_review_actions(client, data_entry_user, world):
    client.force_login(data_entry_user)
    page = client.get(reverse("admin:evaluations_report_changelist")).content.decode()
    assert "submit_selected" in page
    assert "approve_selected" not in page and "publish_selected" not in page
    client.post(
        reverse("admin:evaluations_report_changelist"),
        {"action": "approve_selected", "_selected_action": [world.report_a.pk]},
    )
    assert status_of(world.report_a) == Status.DRAFT


# --- Query count of the report page ----------------------------------------------------


def _grow(report, n):
    for _ in range(n):
        project = ProjectFactory(report=report, expenditure=Decimal("0"), adjusted_budget=None)
        IndicatorFactory(report=report, project=project)
        IndicatorFactory(report=report)
        OutcomeNarrativeFactory(report=report)


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED])
def test_report_page_query_count_stays_flat(
    client, report, data_entry_user, django_assert_num_queries, status
):
    Report.objects.filter(pk=report.pk).update(status=status)
    client.force_login(data_entry_user)
    url = change_url(report)
    _grow(report, 1)
    _count(client, url)  # the process's first page fills its caches (content types, …)
    baseline = _count(client, url)
    _grow(report, 6)
    with django_assert_num_queries(baseline):
        client.get(url)


def test_a_report_with_a_workflow_trail_cannot_be_deleted_in_the_admin(
    client, report, data_entry_user, reviewer
):
    workflow.submit_report(report, data_entry_user)
    workflow.return_report(report, reviewer, "请修改。")
    client.force_login(data_entry_user)
    delete_url = reverse("admin:evaluations_report_delete", args=[report.pk])
    assert "审核记录" in client.get(delete_url).content.decode()  # named as what blocks it
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Report.objects.filter(pk=report.pk).exists()


def test_closing_the_year_stops_entry_into_its_drafts(client, report, data_entry_user, superuser):
    """FiscalYear.is_open is "entry allowed": a draft of a closed year turns read-only for its
    clerk, rows can no longer be attached to it, and the page says why; a superuser may still
    correct it."""
    report.fiscal_year.is_open = False
    report.fiscal_year.save()
    client.force_login(data_entry_user)
    page = client.get(change_url(report)).content.decode()
    assert 'id="year-closed"' in page
    assert 'name="projects-0-name"' not in page and "__prefix__" not in page
    response = client.post(change_url(report), report_form_data(report, profile="关账后修改。"))
    assert response.status_code == 403
    project = report.projects.get()
    response = client.post(
        reverse("admin:evaluations_project_change", args=[project.pk]),
        {"name": "改名", "report": report.pk},
    )
    assert response.status_code == 403
    client.post(
        reverse("admin:evaluations_outcomenarrative_add"),
        {"report": report.pk, "position": 98, "headline": "关账后加一段。", "body": ""},
    )
    assert not report.narratives.filter(headline="关账后加一段。").exists()
    report.refresh_from_db()
    assert report.profile != "关账后修改。" and project.name != "改名"
    client.force_login(superuser)
    assert "您是超级管理员，仍可更正" in client.get(change_url(report)).content.decode()
    response = client.post(change_url(report), report_form_data(report, profile="管理员更正。"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.profile == "管理员更正。"
    # Handing the draft in is not entry: the clerk may still submit it for review.
    workflow.submit_report(report, data_entry_user)
    assert status_of(report) == Status.SUBMITTED


def test_publishing_and_reopening_from_the_report_page_ask_first(client, report, data_entry_user, reviewer):
    """Issue 14.12: publishing had no confirmation; the first POST shows what will happen."""
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    client.force_login(reviewer)
    asked = client.post(workflow_url(report), {"action": "publish", "comment": "首次公开。"})
    page = asked.content.decode()
    assert asked.status_code == 200 and "确认公开" in page and "对所有人可见" in page
    assert 'name="confirmed" value="1"' in page and ">首次公开。</textarea>" in page
    assert status_of(report) == Status.APPROVED
    client.post(workflow_url(report), {"action": "publish", "comment": "首次公开。", "confirmed": "1"})
    assert status_of(report) == Status.PUBLISHED
    asked = client.post(workflow_url(report), {"action": "reopen", "comment": "更正。"})
    assert "确认撤回修订" in asked.content.decode() and status_of(report) == Status.PUBLISHED
    client.post(workflow_url(report), {"action": "reopen", "comment": "更正。", "confirmed": "1"})
    assert status_of(report) == Status.DRAFT


def test_a_republication_asks_for_its_note_where_it_is_confirmed(client, report, data_entry_user, reviewer):
    """公开 clicked with the box empty after a reopen: the confirmation page asks for the
    修订说明 it needs (required, with its help) instead of taking the click and refusing."""
    _approved_again(report, data_entry_user, reviewer)
    client.force_login(reviewer)
    page = client.post(workflow_url(report), {"action": "publish", "comment": ""}).content.decode()
    assert re.search(r'<textarea[^>]*name="comment"[^>]*required', page)
    assert "再次公开时必须填写修订说明" in page
    client.post(workflow_url(report), {"action": "publish", "comment": "更正了第三部分的数字。",
                                       "confirmed": "1"})
    report.refresh_from_db()
    assert (report.status, report.revision) == (Status.PUBLISHED, 2)
    assert report.events.latest("pk").comment == "更正了第三部分的数字。"


def test_the_reports_list_shows_a_publication_time_only_while_published(client, report, data_entry_user, reviewer):
    """A report reopened to draft kept its 发布时间 in the list, which read as published."""
    from django.urls import reverse

    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    workflow.publish_report(report, reviewer)
    client.force_login(reviewer)
    changelist = reverse("admin:evaluations_report_changelist")

    def shown():
        page = client.get(changelist)
        return [row for row in page.context["results"]][0][-1]

    assert "—" not in shown()
    workflow.reopen_report(report, reviewer, "更正。")
    assert ">—<" in shown()
