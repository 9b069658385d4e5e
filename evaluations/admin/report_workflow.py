"""The report workflow in the admin: the buttons on a report's page, the list's actions, and
the trail (审核记录). The steps and who may take them are evaluations.workflow's; this module
offers them, asks for a confirmation where the public's page changes, and reports each
outcome through the one action helper (evaluations/admin/actions.py)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluations import access, checks, workflow
from evaluations.admin.actions import act_on_each, confirmation_needed, posted_comment
from evaluations.admin.anchors import link_findings
from evaluations.admin.indicators import cached_report_tables, findings_context
from evaluations.admin.mixins import ReadOnlyAdminMixin, ScopedAdminMixin
from evaluations.models import Report, ReportEvent

# Steps that change what the public reads ask for a confirmation first (workflow_view).
CONFIRMED_ACTIONS = {
    ReportEvent.Action.PUBLISH: _("公开后，报告将在公开网站上对所有人可见。"),
    ReportEvent.Action.REOPEN: _("撤回修订后，报告回到草稿，公开网站上的这份报告将不再显示，直到再次公开。"),
}


def _run_transitions(model_admin, request, reports, action: str, comment: str, *, prefixed=True) -> int:
    """Run one workflow step on each report and tell the user how each went."""
    return act_on_each(
        model_admin, request, reports,
        lambda report: workflow.perform(action, report, request.user, comment),
        lambda report, event: gettext("已%(action)s，报告状态现为“%(status)s”。")
        % {"action": event.get_action_display(), "status": report.get_status_display()},
        prefixed=prefixed,
    )


def _comment_help(report: Report) -> str:
    Status = Report.Status
    if report.status == Status.APPROVED and workflow.needs_comment(report, ReportEvent.Action.PUBLISH):
        return gettext("再次公开时必须填写修订说明，它将显示在公开页面的修订记录中。")
    if report.status == Status.APPROVED:
        return gettext("公开时填写的说明将显示在公开页面的修订记录中。")
    if report.status == Status.SUBMITTED:
        return gettext("退回时必须填写意见，填报部门将在报告页面看到。")
    if report.status == Status.PUBLISHED:
        return gettext("撤回修订时必须说明原因。")
    if report.status == Status.DRAFT:
        # The buttons post their own form: edits typed on the page are not sent with them.
        return gettext("提交前请先点击页面底部的“保存并继续编辑”；未保存的修改不会随报告提交。")
    return ""


def _confirm_context(model_admin, request, action: str, comment: str) -> dict:
    label = ReportEvent.Action(action).label
    return {
        **model_admin.admin_site.each_context(request),
        "title": gettext("确认%(action)s") % {"action": label},
        "opts": model_admin.opts, "comment": comment, "action_label": label,
        "consequence": CONFIRMED_ACTIONS[action],
    }


class ReportWorkflowMixin:
    """ReportAdmin's workflow: ``workflow_view`` (the page's buttons; its URL is
    ``<id>/workflow/``), the changelist actions and the workflow box on the change form."""

    # -- Buttons on the report page ---------------------------------------------------

    def workflow_view(self, request, object_id):
        """POST target of the workflow buttons: one transition with the comment typed."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = self.get_object(request, unquote(object_id))
        if report is None:
            raise Http404
        action, comment = request.POST.get("action", ""), posted_comment(request)
        if (
            confirmation_needed(request, action, CONFIRMED_ACTIONS)
            and action in workflow.available_actions(report, request.user, list(report.events.all()))
        ):
            return self._confirm_transition(request, report, action, comment)
        _run_transitions(self, request, [report], action, comment, prefixed=False)
        return redirect(reverse("admin:evaluations_report_change", args=[report.pk]))

    def _confirm_transition(self, request, report: Report, action: str, comment: str):
        """Publishing and reopening change what the public reads: a page says so, then the
        same POST with ``confirmed=1`` does it (no JavaScript; issue 14.12)."""
        context = {
            **_confirm_context(self, request, action, comment),
            "original": report, "action": action,
            # Typed here too: a republication's 修订说明 or a reopen's reason, if the page's
            # box was left empty, is asked for where the step is confirmed.
            "comment_required": workflow.needs_comment(report, action),
            "comment_help": _comment_help(report),
            "url": reverse("admin:evaluations_report_workflow", args=[report.pk]),
            "cancel_url": reverse("admin:evaluations_report_change", args=[report.pk]),
        }
        return TemplateResponse(request, "admin/evaluations/report/confirm_workflow.html", context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["workflow"] = self._workflow_context(request, obj)
            linked = link_findings(
                cached_report_tables(obj).findings, context.get("inline_admin_formsets")
            )
            context["workflow"].update(findings_context(linked))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _workflow_context(self, request, report: Report) -> dict:
        findings = cached_report_tables(report).findings  # loaded once with the page's tables
        events = list(report.events.select_related("actor"))
        withheld = workflow.withheld_as_submitter(report, request.user, events)
        return {
            "url": reverse("admin:evaluations_report_workflow", args=[report.pk]),
            "errors": checks.errors(findings),
            "warnings": checks.warnings(findings),
            "events": events,
            "pending_return": workflow.latest_return(events)
            if report.status == Report.Status.DRAFT else None,
            "actions": [
                (action, ReportEvent.Action(action).label)
                for action in workflow.available_actions(report, request.user, events)
            ],
            # Shown, so a reviewer who submitted the report knows why the buttons are missing.
            "withheld_as_submitter": [ReportEvent.Action(a).label for a in withheld],
            "blocked_by_errors": workflow.BLOCKED_BY_ERRORS,
            "comment_help": _comment_help(report),
            "year_closed": report.status == Report.Status.DRAFT and not report.fiscal_year.is_open,
        }

    # -- Changelist actions (the comment box sits next to the action menu) -------------

    def has_submit_permission(self, request):
        return access.has_permission(request.user, access.SUBMIT_REPORT)

    def has_review_permission(self, request):
        return access.has_permission(request.user, access.REVIEW_REPORT)

    def has_publish_permission(self, request):
        return access.has_permission(request.user, access.PUBLISH_REPORT)

    def _bulk(self, request, queryset, action):
        comment = posted_comment(request)
        reports = list(queryset.select_related("department", "fiscal_year"))
        if confirmation_needed(request, action, CONFIRMED_ACTIONS):
            # The list's actions confirm too: the same POST again, with confirmed=1.
            return TemplateResponse(request, "admin/evaluations/report/confirm_bulk.html", {
                **_confirm_context(self, request, action, comment),
                "reports": reports, "action_name": request.POST.get("action", ""),
            })
        _run_transitions(self, request, reports, action, comment)
        return None

    @admin.action(description=_("提交所选报告"), permissions=["submit"])
    def submit_selected(self, request, queryset):
        self._bulk(request, queryset, ReportEvent.Action.SUBMIT)

    @admin.action(description=_("退回所选报告（须填写意见）"), permissions=["review"])
    def return_selected(self, request, queryset):
        self._bulk(request, queryset, ReportEvent.Action.RETURN)

    @admin.action(description=_("审核通过所选报告"), permissions=["review"])
    def approve_selected(self, request, queryset):
        self._bulk(request, queryset, ReportEvent.Action.APPROVE)

    @admin.action(description=_("公开所选报告"), permissions=["publish"])
    def publish_selected(self, request, queryset):
        return self._bulk(request, queryset, ReportEvent.Action.PUBLISH)

    @admin.action(description=_("撤回所选已公开报告以修订（须填写意见）"), permissions=["publish"])
    def reopen_selected(self, request, queryset):
        return self._bulk(request, queryset, ReportEvent.Action.REOPEN)


@admin.register(ReportEvent)
class ReportEventAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """The workflow trail (审核记录): read-only, scoped like the reports."""

    list_display = ["created_at", "report", "action", "from_status", "to_status", "revision", "actor", "comment"]
    list_filter = ["action", "report__fiscal_year"]
    list_select_related = ["report__department", "report__fiscal_year", "actor"]
    search_fields = ["report__department__name", "comment", "actor__username"]
    date_hierarchy = "created_at"
