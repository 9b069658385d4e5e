"""The admin is the data-entry product: a report page with its figures in document order.

The report's own page and list are here; its workflow (buttons, list actions, the trail) is
report_workflow.py, its targets' actions targets.py, its projects' pages projects.py, and the
reference data reference.py.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.formatting import amount, percent
from evaluations import access, years
from evaluations.access import restrict
from evaluations.admin import self_evaluation
from evaluations.admin.actions import WorkflowActionForm
from evaluations.admin.imports import DataAdminMixin
from evaluations.admin.indicators import (
    ProjectScoreInlineMixin,
    ReportIndicatorInline,
    ReportScoringMixin,
    cached_report_tables,
)
from evaluations.admin.mixins import ScopedAdminMixin, ScopedInlineMixin
from evaluations.admin.past import PastReportAdminMixin
from evaluations.admin.progress import ReportProgressMixin
from evaluations.admin.report_form import ReportForm
from evaluations.admin.report_workflow import ReportWorkflowMixin
from evaluations.admin.result_use import ReportFollowupMixin
from evaluations.admin.targets import TargetsActionsMixin
from evaluations.copying import copy_report_forward
from evaluations.documents import views as documents
from evaluations.exports import audit
from evaluations.exports.delivery import attachment
from evaluations.models import BudgetExecution, OutcomeNarrative, Project, Report


def _without(fields, name: str) -> list:
    """A fieldset's fields (names, or tuples of names on one line) without ``name``."""
    kept = []
    for field in fields:
        if isinstance(field, (list, tuple)):
            line = [f for f in field if f != name]
            if line:
                kept.append(tuple(line))
        elif field != name:
            kept.append(field)
    return kept


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
        # Asked for by a check when the execution rate is low: fixed here, beside the figures
        # (it was on the project's own page only, which the check's message did not lead to).
        "execution_explanation",
    ]
    readonly_fields = ["self_evaluation_total"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("funding_source")


class OutcomeNarrativeInline(ScopedInlineMixin, admin.StackedInline):
    model = OutcomeNarrative
    extra = 0
    fields = [("position", "headline"), "body"]


@admin.register(Report)
class ReportAdmin(
    ReportWorkflowMixin, TargetsActionsMixin, ReportProgressMixin, ReportFollowupMixin, ReportScoringMixin,
    PastReportAdminMixin, DataAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin,
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
        "published_display",
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
        (_("六、资金使用及绩效情况"), {"fields": ["overall_summary", "execution_weight_override", "execution_explanation", "self_evaluation", "recheck_summary"]}),
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

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            return fieldsets
        # The version token (report_form.py) guards a save: a new report has none to guard,
        # and a report the user may not change would show it as a read-only "None".
        return [
            (name, {**options, "fields": _without(options["fields"], "edit_token")})
            for name, options in fieldsets
        ]

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
            # Any year up to next year: a department copying 2022 forward needs 2023 open.
            extra_context["may_open_years"] = True
            extra_context["year_to_open"] = years.next_to_open() or access.latest_new_year()
            extra_context["latest_year"] = access.latest_new_year()
            extra_context["earliest_year"] = years.EARLIEST_YEAR
        elif self.has_add_permission(request):  # those who enter reports; not an auditor
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

    # -- Audit trail export --------------------------------------------------------------

    def audit_log_view(self, request):
        """Every history record as CSV, for auditors (export permission, all departments)."""
        if not access.may_read_audit_log(request.user):
            raise PermissionDenied
        response = StreamingHttpResponse(audit.csv_lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = attachment("audit-log.csv", gettext("审计日志.csv"))
        return response

    @admin.display(description=_("发布时间"), ordering="published_at")
    def published_display(self, obj: Report):
        """When it was published, while it is: a report reopened to draft keeps the time for
        its next revision, but a list showing it read as published (the admin reviewer)."""
        if obj.status != Report.Status.PUBLISHED or obj.published_at is None:
            return "—"
        return formats.localize(timezone.localtime(obj.published_at))

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
