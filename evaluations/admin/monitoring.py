"""绩效监控 in the admin: rounds with their spending and progress rows and lights, and the
reviewers' list of every department's latest round (docs/design.md, "Targets and monitoring")."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import F, OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.formatting import percent
from evaluations import access, monitoring
from evaluations.admin.actions import WorkflowActionForm, act_on_each, posted_comment
from evaluations.admin.imports import DataAdminMixin
from evaluations.admin.mixins import ReadOnlyAdminMixin, ScopedAdminMixin, ScopedInlineMixin
from evaluations.models import (
    Light,
    MonitoringOverview,
    MonitoringProgress,
    MonitoringRound,
    MonitoringSpending,
    Project,
)
from indicators.models import Indicator


def light_badge(colour: str, label) -> str:
    """The light as a word in a coloured badge (the word carries it without colour)."""
    return format_html('<span class="light light-{}">{}</span>', colour, label)


def _round_editable(round_) -> bool:
    return round_ is None or round_.status == MonitoringRound.Status.DRAFT


class _RoundRowInline(ScopedInlineMixin, admin.TabularInline):
    """A round's rows: choices from its own report only; read-only once submitted."""

    extra = 0
    parent = None

    def get_formset(self, request, obj=None, **kwargs):
        self.parent = obj
        self.lights = monitoring.evaluate_round(obj) if obj is not None else None
        return super().get_formset(request, obj, **kwargs)

    def has_add_permission(self, request, obj=None):
        return _round_editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _round_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _round_editable(obj) and super().has_delete_permission(request, obj)

    def _row_light(self, rows, obj) -> str:
        if self.lights is None or obj.pk not in rows:
            return ""
        rate, light = rows[obj.pk]
        return format_html("{} {}<br>{}", percent(rate), light_badge(light.colour, Light(light.colour).label),
                           light.reason)


class SpendingInline(_RoundRowInline):
    model = MonitoringSpending
    fields = ["funding_source", "project", "spent_to_date", "light_display"]
    readonly_fields = ["light_display"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project" and self.parent is not None:
            kwargs["queryset"] = Project.objects.filter(report_id=self.parent.report_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("支出进度及预警"))
    def light_display(self, obj) -> str:
        return self._row_light(self.lights.spending if self.lights else {}, obj)


class IndicatorChoiceField(forms.ModelChoiceField):
    """Names recur from table to table ("新引进项目" in three projects): each is named with its table."""

    def label_from_instance(self, obj) -> str:
        return obj.table_and_name


class ProgressInline(_RoundRowInline):
    model = MonitoringProgress
    fields = ["indicator", "progress_value", "progress_text", "outlook", "measures", "light_display"]
    readonly_fields = ["light_display"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "indicator" and self.parent is not None:
            kwargs["queryset"] = Indicator.objects.filter(report_id=self.parent.report_id).select_related(
                "project").order_by(F("project__position").asc(nulls_first=True), "position", "pk")
            kwargs["form_class"] = IndicatorChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("完成进度及预警"))
    def light_display(self, obj) -> str:
        return self._row_light(self.lights.progress if self.lights else {}, obj)


@admin.register(MonitoringRound)
class MonitoringRoundAdmin(DataAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    data_datasets = ["monitoring_spending", "monitoring_progress"]
    export_filters = {
        "report__fiscal_year__id__exact": ("year", None),
        "report__department__id__exact": ("department", None),
    }
    class Media:
        css = {"all": ["css/admin.css"]}

    list_display = ["year_and_department", "month", "status", "light_display"]
    list_filter = ["status", "light", "month", "report__fiscal_year",
                   ("report__department", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["report__department", "report__fiscal_year"]
    search_fields = ["report__department__name", "report__department__code"]
    autocomplete_fields = ["report"]
    fields = ["report", "month", "measures", "status", "light_display", "light_reason",
              "submitted_by", "reviewed_by", "review_comment"]
    readonly_fields = ["status", "light_display", "light_reason", "submitted_by", "reviewed_by",
                       "review_comment"]
    inlines = [SpendingInline, ProgressInline]
    action_form = WorkflowActionForm
    actions = ["submit_selected", "review_selected", "return_selected"]

    @admin.display(description=_("预警"), ordering="light")
    def light_display(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "—"  # lit once its spending and progress are in (a new round read 绿灯)
        return light_badge(obj.light, obj.get_light_display())

    @admin.display(description=_("报告"), ordering="report__fiscal_year__year")
    def year_and_department(self, obj) -> str:
        # Not the report's title: on a phone it pushed status and light off the screen.
        return obj.report.short_label

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["report", "month"] if obj is not None else fields

    def has_change_permission(self, request, obj=None):
        return _round_editable(obj) and super().has_change_permission(request, obj)

    def has_submit_permission(self, request):
        return access.has_permission(request.user, access.SUBMIT_REPORT)

    def has_review_permission(self, request):
        return access.has_permission(request.user, access.REVIEW_REPORT)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        monitoring.refresh_light(form.instance)

    def _act(self, request, queryset, act) -> None:
        comment = posted_comment(request)
        act_on_each(
            self, request, queryset.select_related("report__department", "report__fiscal_year"),
            lambda round_: act(round_, request.user, comment),
            lambda _round, result: _round_outcome(result),
        )

    @admin.action(description=_("提交所选监控"), permissions=["submit"])
    def submit_selected(self, request, queryset):
        self._act(request, queryset, lambda r, u, c: monitoring.submit_round(r, u))

    @admin.action(description=_("审核通过所选监控"), permissions=["review"])
    def review_selected(self, request, queryset):
        self._act(request, queryset, monitoring.review_round)

    @admin.action(description=_("退回所选监控（须填写意见）"), permissions=["review"])
    def return_selected(self, request, queryset):
        self._act(request, queryset, lambda r, u, c: monitoring.review_round(r, u, c, accept=False))


def _round_outcome(round_: MonitoringRound) -> str:
    """What a step did, in words (every step said "已完成。")."""
    Status = MonitoringRound.Status
    return {
        Status.SUBMITTED: gettext("已提交，等待审核人审核。"),
        Status.REVIEWED: gettext("已审核通过。"),
        Status.DRAFT: gettext("已退回，部门修改后可重新提交。"),
    }[round_.status]


def latest_rounds(queryset):
    """Each report's latest submitted or reviewed round (one subquery, however many)."""
    latest = (
        MonitoringRound.objects.filter(report=OuterRef("report"))
        .exclude(status=MonitoringRound.Status.DRAFT).order_by("-month").values("pk")[:1]
    )
    return queryset.exclude(status=MonitoringRound.Status.DRAFT).filter(pk=Subquery(latest))


@admin.register(MonitoringOverview)
class MonitoringOverviewAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """各部门最新监控: one row a department and year, its latest round's light and why."""

    class Media:
        css = {"all": ["css/admin.css"]}

    list_display = ["department", "period_link", "status", "light_with_reason"]
    list_filter = ["report__fiscal_year", "light", ("report__department", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["report__department", "report__fiscal_year"]
    search_fields = ["report__department__name", "report__department__code"]
    ordering = ["report__department__code", "-report__fiscal_year__year"]
    list_per_page = 100

    def get_queryset(self, request):
        return latest_rounds(super().get_queryset(request))

    @admin.display(description=_("部门"), ordering="report__department__code")
    def department(self, obj) -> str:
        return obj.report.department.name

    @admin.display(description=_("监控月份"), ordering="report__fiscal_year__year")
    def period_link(self, obj) -> str:
        url = reverse("admin:evaluations_monitoringround_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("%(year)s年%(month)s月") % {
            "year": obj.report.fiscal_year.year, "month": obj.month})

    @admin.display(description=_("预警"), ordering="light")
    def light_with_reason(self, obj) -> str:
        # The reason in the light's cell: on a phone the list has no room for another column.
        return format_html('{}<div class="light-reason">{}</div>',
                           light_badge(obj.light, obj.get_light_display()), obj.light_reason)
