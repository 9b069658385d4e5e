"""The admin is the data-entry product: a report page with its figures in document order."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import unquote
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.formatting import amount, percent
from evaluations import access, checks, workflow, years
from evaluations.access import restrict
from evaluations.admin import self_evaluation
from evaluations.admin.anchors import link_findings
from evaluations.admin.imports import DataAdminMixin
from evaluations.admin.indicators import (
    ProjectIndicatorInline,
    ProjectScoreInlineMixin,
    ProjectScoringMixin,
    ReportIndicatorInline,
    ReportScoringMixin,
    cached_report_tables,
    findings_context,
)
from evaluations.admin.mixins import ScopedAdminMixin, ScopedInlineMixin
from evaluations.admin.past import PastReportAdminMixin
from evaluations.admin.report_form import ReportForm
from evaluations.admin.result_use import ReportFollowupMixin
from evaluations.admin.targets import TargetsActionsMixin
from evaluations.copying import copy_report_forward
from evaluations.documents import views as documents
from evaluations.exports import audit
from evaluations.exports.delivery import attachment
from evaluations.models import (
    BudgetExecution,
    Department,
    FiscalYear,
    FundingSource,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
    ReportEvent,
)


def scoped_view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" redirect (``/admin/r/…``), for objects the user may see.

    Django's own shortcut redirects for any object of any model, which would tell a
    data-entry user another department's report years and codes.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.contenttypes.views import shortcut

    try:
        model = ContentType.objects.get(pk=content_type_id).model_class()
        model_admin = admin.site._registry.get(model)
        obj = model_admin.get_queryset(request).get(pk=unquote(object_id)) if model_admin else None
    except (ContentType.DoesNotExist, ValueError, ValidationError, ObjectDoesNotExist):
        obj = None
    if obj is None or not model_admin.has_view_permission(request, obj):
        raise Http404
    return shortcut(request, content_type_id, object_id)


admin.site.site_header = _("绩效自评报告管理")
admin.site.site_title = _("绩效自评")
admin.site.index_title = _("填报、审核与公开")


@admin.register(Department)
class DepartmentAdmin(DataAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    data_datasets = ["departments"]
    list_display = ["code", "name", "short_name", "parent"]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "short_name"]
    # A plain select: the autocomplete widget's box has no accessible name (axe-core).
    autocomplete_fields: list[str] = []
    filter_horizontal = ["staff"]

    class Media:
        css = {"all": ["css/admin.css"]}
        js = ["js/admin-a11y.js"]  # the filter widget's icon, given its role


@admin.register(FiscalYear)
class FiscalYearAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["year", "is_open", "rule_set"]
    list_editable = ["is_open"]
    search_fields = ["year"]


@admin.register(FundingSource)
class FundingSourceAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "position"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


class BudgetExecutionInline(ScopedInlineMixin, admin.TabularInline):
    model = BudgetExecution
    extra = 0
    fields = [
        "funding_source", "initial_budget", "adjusted_budget", "income",
        "personnel", "public", "basic_display", "project", "expenditure_display",
        "execution_rate_display",
    ]
    readonly_fields = ["basic_display", "expenditure_display", "execution_rate_display"]

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_queryset(self, request):
        # Rows print their title (report · source), so fetch what it is made of.
        return super().get_queryset(request).select_related(
            "funding_source", "report__department", "report__fiscal_year"
        )

    @admin.display(description=_("基本支出"))
    def basic_display(self, obj: BudgetExecution) -> str:
        return amount(obj.basic) if obj.pk else "—"

    @admin.display(description=_("财政拨款支出"))
    def expenditure_display(self, obj: BudgetExecution) -> str:
        return amount(obj.expenditure) if obj.pk else "—"

    @admin.display(description=_("执行率"))
    def execution_rate_display(self, obj: BudgetExecution) -> str:
        return percent(obj.execution_rate) if obj.pk else "—"


class ProjectInline(ScopedInlineMixin, ProjectScoreInlineMixin, admin.StackedInline):
    model = Project
    extra = 0
    show_change_link = True
    fields = [
        ("position", "code", "name", "funding_source"),
        ("initial_budget", "adjusted_budget", "expenditure", "self_evaluation_total"),
        "goal",
        "outcome",
    ]
    readonly_fields = ["self_evaluation_total"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("funding_source")


class OutcomeNarrativeInline(ScopedInlineMixin, admin.StackedInline):
    model = OutcomeNarrative
    extra = 0
    fields = [("position", "headline"), "body"]


class WorkflowActionForm(ActionForm):
    """The changelist's action bar with a comment for returns, reopenings and revision notes."""

    comment = forms.CharField(
        label=_("意见或说明"), required=False,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": _("退回、撤回或再次公开时必填")}),
    )


# Steps that change what the public reads ask for a confirmation first (workflow_view).
CONFIRMED_ACTIONS = {
    ReportEvent.Action.PUBLISH: _("公开后，报告将在公开网站上对所有人可见。"),
    ReportEvent.Action.REOPEN: _("撤回修订后，报告回到草稿，公开网站上的这份报告将不再显示，直到再次公开。"),
}


def _run_transition(model_admin, request, report: Report, action: str, comment: str, prefix: str = "") -> bool:
    """Run one workflow step and tell the user how it went; False when it was refused."""
    try:
        event = workflow.perform(action, report, request.user, comment)
    except PermissionDenied as exc:
        model_admin.message_user(request, prefix + str(exc), messages.ERROR)
        return False
    except ValidationError as exc:
        for message in exc.messages:
            model_admin.message_user(request, prefix + message, messages.ERROR)
        return False
    model_admin.message_user(
        request,
        prefix + gettext("已%(action)s，报告状态现为“%(status)s”。")
        % {"action": event.get_action_display(), "status": report.get_status_display()},
        messages.SUCCESS,
    )
    return True


def _comment_help(report: Report) -> str:
    Status = Report.Status
    if report.status == Status.APPROVED and workflow.is_republication(report):
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


@admin.register(Report)
class ReportAdmin(
    TargetsActionsMixin, ReportFollowupMixin, ReportScoringMixin, PastReportAdminMixin,
    DataAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin,
):
    data_datasets = [
        "reports", "budget_executions", "projects", "project_funds", "narratives", "indicators",
    ]
    data_workbook = True  # the 自评表 workbook too (import_data self_evaluation)
    export_filters = {
        "fiscal_year__id__exact": ("year", None), "status__exact": ("status", None),
        "department__id__exact": ("department", None),
    }
    # Extends the import and export buttons' change list with the audit log's.
    change_list_template = "admin/evaluations/report/change_list.html"
    list_display = [
        "department", "fiscal_year", "status", "targets_status", "revision", "project_count",
        "published_at",
    ]
    list_filter = ["fiscal_year", "status", "targets_status", ("department", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["department", "fiscal_year"]
    search_fields = ["department__name", "department__code", "title", "projects__name"]
    autocomplete_fields = ["department"]
    # Grouped by fiscal year (the list filter), not by publication date (issue 14.12).
    form = ReportForm
    # The workflow's fields (Report.WORKFLOW_FIELDS) are shown, never posted.
    readonly_fields = [*Report.WORKFLOW_FIELDS, "totals", "self_evaluation", "recheck_summary",
                       "findings_summary", "rule_set_basis"]
    fieldsets = [
        (None, {"fields": [
            ("department", "fiscal_year"), "title", ("status", "revision", "published_at"),
            "targets_status", ("rule_set", "rule_set_basis"), "edit_token",
        ]}),
        (_("发布信息"), {"fields": [("publisher", "index_number", "document_number")]}),
        (_("一、基本情况"), {"fields": ["profile", "goals"]}),
        (_("二至五、预算支出情况（合计）"), {"fields": ["totals"]}),
        (_("六、资金使用及绩效情况"), {"fields": ["overall_summary", "execution_weight", "execution_explanation", "self_evaluation", "recheck_summary"]}),
        (_("七至十"), {"fields": ["problems", "improvements", "result_application", "other_matters"]}),
        (_("整改情况"), {"fields": ["findings_summary"]}),
    ]
    inlines = [BudgetExecutionInline, ProjectInline, OutcomeNarrativeInline, ReportIndicatorInline]
    action_form = WorkflowActionForm
    object_history_template = "admin/evaluations/report/object_history.html"
    actions = [
        "submit_selected", "return_selected", "approve_selected", "publish_selected",
        "reopen_selected", "copy_to_next_year", "submit_targets", "return_targets", "approve_targets",
    ]

    def get_queryset(self, request):
        # The aggregate drops the model's default ordering, which pagination needs.
        return (
            super().get_queryset(request)
            .annotate(project_total=Count("projects", distinct=True))
            .order_by(*Report._meta.ordering, "pk")
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not access.may_choose_rule_set(request.user):
            fields.append("rule_set")  # departments do not pick the rules they are scored by
        return fields

    @admin.display(description=_("文件依据"))
    def rule_set_basis(self, obj: Report) -> str:
        """The basis of the rule set the report is scored under (frozen once published)."""
        return obj.rule_set.basis if obj.pk and obj.rule_set_id else "—"

    def view_on_site(self, obj: Report) -> str | None:
        # Only a published report has a public page; for the rest the button led to a 404.
        return obj.get_absolute_url() if obj.status == Report.Status.PUBLISHED else None

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("fiscal_year")
        if field is not None:
            # New reports only in years that take them (access.takes_new_reports); a report
            # already in a closed year keeps its year.
            keep = obj.fiscal_year_id if obj is not None else None
            field.queryset = field.queryset.filter(
                Q(**access.new_report_year_lookups(request.user)) | Q(pk=keep)
            )
            # The options were fetched once for the request (ScopedAdminMixin._share_choices)
            # before this filter: narrow them the same way, or closed years stay listed and
            # are refused on save without saying why (issue 14.1).
            field.choices = [
                (value, label) for value, label in field.choices
                if value == "" or value.value == keep
                or access.takes_new_reports(value.instance, request.user)
            ]
            if hasattr(field.widget, "widget"):
                field.widget.widget.choices = field.choices
            if obj is None and not years.may_open(request.user):
                field.help_text = years.ASK_A_REVIEWER  # whom to ask for a year not listed
                field.error_messages = {**field.error_messages, "invalid_choice": years.NOT_OPEN}
        return form

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "open_years": years.open_years()}
        extra_context["audit_log_url"] = (
            reverse("admin:evaluations_report_audit_log")
            if access.may_read_audit_log(request.user) else None
        )
        if years.may_open(request.user):
            extra_context["year_to_open"] = years.next_to_open()
        else:
            extra_context["ask_a_reviewer"] = years.ASK_A_REVIEWER
        return super().changelist_view(request, extra_context)

    def open_year_view(self, request):
        """POST target of the reports list's "open next year" button (evaluations/years.py)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            year = years.open_for_entry(int(request.POST.get("year", "")), request.user)
        except ValueError:
            raise Http404 from None
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(
                request, gettext("%(year)s年度已开放填报。") % {"year": year.year}, messages.SUCCESS
            )
        return redirect(reverse("admin:evaluations_report_changelist"))

    def history_view(self, request, object_id, extra_context=None):
        # Budget and project-fund rows have no page of their own: their history is here.
        self._check_history_access(request, object_id)
        extra_context = {**(extra_context or {}), "row_history": audit.row_history(unquote(object_id))}
        return super().history_view(request, object_id, extra_context)

    # -- Workflow: buttons on the report page ----------------------------------------

    def get_urls(self):
        app, model = self.opts.app_label, self.opts.model_name
        return [
            path(
                "open-year/",
                self.admin_site.admin_view(self.open_year_view),
                name=f"{app}_{model}_open_year",
            ),
            path(
                "<path:object_id>/workflow/",
                self.admin_site.admin_view(self.workflow_view),
                name=f"{app}_{model}_workflow",
            ),
            path(
                "<path:object_id>/documents/<str:filename>",
                self.admin_site.admin_view(documents.admin_document),
                name=f"{app}_{model}_document",
            ),
            path(
                "<path:object_id>/self-evaluation/",
                self.admin_site.admin_view(lambda request, object_id: self_evaluation.import_view(
                    self, request, object_id)),
                name=f"{app}_{model}_self_evaluation",
            ),
            path(
                "audit-log.csv",
                self.admin_site.admin_view(self.audit_log_view),
                name=f"{app}_{model}_audit_log",
            ),
        ] + super().get_urls()

    def workflow_view(self, request, object_id):
        """POST target of the workflow buttons: one transition with the comment typed."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = self.get_object(request, unquote(object_id))
        if report is None:
            raise Http404
        action = request.POST.get("action", "")
        comment = request.POST.get("comment", "")
        if (
            action in CONFIRMED_ACTIONS and request.POST.get("confirmed") != "1"
            and action in workflow.available_actions(report, request.user, list(report.events.all()))
        ):
            return self._confirm_transition(request, report, action, comment)
        _run_transition(self, request, report, action, comment)
        return redirect(reverse("admin:evaluations_report_change", args=[report.pk]))

    def _confirm_transition(self, request, report: Report, action: str, comment: str):
        """Publishing and reopening change what the public reads: a page says so, then the
        same POST with ``confirmed=1`` does it (no JavaScript; issue 14.12)."""
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("确认%(action)s") % {"action": ReportEvent.Action(action).label},
            "opts": self.opts, "original": report, "action": action,
            "action_label": ReportEvent.Action(action).label, "comment": comment,
            "consequence": CONFIRMED_ACTIONS[action],
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

    # -- Workflow: changelist actions (the comment box sits next to the action menu) ---

    def has_submit_permission(self, request):
        return access.has_permission(request.user, access.SUBMIT_REPORT)

    def has_review_permission(self, request):
        return access.has_permission(request.user, access.REVIEW_REPORT)

    def has_publish_permission(self, request):
        return access.has_permission(request.user, access.PUBLISH_REPORT)

    def _bulk(self, request, queryset, action):
        comment = request.POST.get("comment", "")
        reports = list(queryset.select_related("department", "fiscal_year"))
        if action in CONFIRMED_ACTIONS and request.POST.get("confirmed") != "1":
            # The list's actions confirm too: the same POST again, with confirmed=1.
            return TemplateResponse(request, "admin/evaluations/report/confirm_bulk.html", {
                **self.admin_site.each_context(request),
                "title": gettext("确认%(action)s") % {"action": ReportEvent.Action(action).label},
                "opts": self.opts, "reports": reports, "comment": comment,
                "action_name": request.POST.get("action", ""),
                "action_label": ReportEvent.Action(action).label,
                "consequence": CONFIRMED_ACTIONS[action],
            })
        for report in reports:
            _run_transition(self, request, report, action, comment, prefix=f"{report}：")
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

    # -- Audit trail export --------------------------------------------------------------

    def audit_log_view(self, request):
        """Every history record as CSV, for auditors (export permission, all departments)."""
        if not access.may_read_audit_log(request.user):
            raise PermissionDenied
        response = StreamingHttpResponse(audit.csv_lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = attachment("audit-log.csv", gettext("审计日志.csv"))
        return response

    @admin.display(description=_("项目数"), ordering="project_total")
    def project_count(self, obj: Report) -> int:
        return getattr(obj, "project_total", 0)

    @admin.display(description=_("合计"))
    def totals(self, obj: Report) -> str:
        if not obj.pk:
            return "—"
        # The page's 自评表 already loaded these rows; reading them again would cost two queries.
        tables = cached_report_tables(obj)
        rows = tables.budget_executions
        project_sum = sum((p.expenditure for p, _table in tables.projects), Decimal("0"))
        lines = [
            (
                str(row.funding_source),
                _("基本支出 %(basic)s ＋ 项目支出 %(project)s ＝ 支出 %(total)s 万元")
                % {"basic": amount(row.basic), "project": amount(row.project), "total": amount(row.expenditure)},
            )
            for row in rows
        ]
        lines.append((_("项目合计"), _("%(total)s 万元") % {"total": amount(project_sum)}))
        return format_html_join("", "<div><strong>{}</strong>：{}</div>", lines)

    @admin.action(description=_("复制到下一年度"), permissions=["add"])
    def copy_to_next_year(self, request, queryset):
        # Only departments the user enters data for, even if the list were not scoped.
        allowed = restrict(Report.objects.all(), request.user).values("pk")
        for report in queryset.filter(pk__in=allowed).select_related("department", "fiscal_year"):
            try:
                copy = copy_report_forward(report, report.fiscal_year.year + 1, user=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("已创建 %(report)s（草稿），项目和指标目标已复制，实际完成值已清空。")
                    % {"report": copy},
                    messages.SUCCESS,
                )


class ProjectFundInline(ScopedInlineMixin, admin.TabularInline):
    model = ProjectFund
    extra = 0
    fields = ["funding_source", "initial_budget", "adjusted_budget", "expenditure"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("funding_source", "project")


@admin.register(Project)
class ProjectAdmin(ProjectScoringMixin, DataAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    data_datasets = ["projects", "project_funds", "indicators"]
    export_filters = {
        "report__fiscal_year__id__exact": ("year", None),
        "report__department__id__exact": ("department", None),
        "funding_source__id__exact": ("funding_source", {"projects"}),  # the project's own source
    }
    list_display = ["name", "code", "report", "funding_source", "expenditure", "execution_rate_display"]
    list_filter = [
        "report__fiscal_year", "funding_source",
        ("report__department", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["report__department", "report__fiscal_year", "funding_source"]
    search_fields = ["name", "code", "report__department__name"]
    autocomplete_fields = ["report"]
    fields = [
        "report", ("position", "code", "name", "funding_source"),
        ("initial_budget", "adjusted_budget", "expenditure"),
        ("execution_weight", "execution_explanation"),
        "goal", "outcome", "self_evaluation",
    ]
    readonly_fields = ["self_evaluation"]
    inlines = [ProjectFundInline, ProjectIndicatorInline]

    @admin.display(description=_("执行率"))
    def execution_rate_display(self, obj: Project) -> str:
        return percent(obj.execution_rate)

    def save_formset(self, request, form, formset, change):
        # Deleted rows go first, so that a new row may take the position a deleted one held.
        # (Project indicators take the project's report in Indicator.save; a moved project
        # takes its indicators along in Project.save.)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for instance in instances:
            instance.save()
        formset.save_m2m()


@admin.register(OutcomeNarrative)
class OutcomeNarrativeAdmin(DataAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    data_datasets = ["narratives"]
    list_display = ["headline", "position", "report"]
    list_select_related = ["report__department", "report__fiscal_year"]
    search_fields = ["headline", "body"]
    autocomplete_fields = ["report"]


@admin.register(ReportEvent)
class ReportEventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The workflow trail (审核记录): read-only, scoped like the reports."""

    list_display = ["created_at", "report", "action", "from_status", "to_status", "revision", "actor", "comment"]
    list_filter = ["action", "report__fiscal_year"]
    list_select_related = ["report__department", "report__fiscal_year", "actor"]
    search_fields = ["report__department__name", "comment", "actor__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
