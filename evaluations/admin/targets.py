"""绩效目标 in the admin: the targets' actions on the report list, and adjustments.

The moves are evaluations.workflow's (``move_targets``) and evaluations.targets'; this module
only offers them to the people the rules let take them (docs/design.md, "Targets and
monitoring").
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from evaluations import access, targets, workflow
from evaluations.admin.actions import WorkflowActionForm, act_on_each, posted_comment
from evaluations.admin.imports import DataAdminMixin
from evaluations.admin.mixins import ReadOnlyAdminMixin, ScopedAdminMixin
from evaluations.models import Report, TargetAdjustment, TargetsEvent


class TargetsActionsMixin:
    """The targets' steps on the report list (submit, return with a comment, approve) and in
    their own box on the report's page (``targets_view``, ``<id>/targets/``): its status, what
    the reviewer said on returning them, the steps the user may take, their trail."""

    def get_urls(self):
        return [
            path("<path:object_id>/targets/", self.admin_site.admin_view(self.targets_view),
                 name="evaluations_report_targets"),
            *super().get_urls(),
        ]

    def targets_view(self, request, object_id):
        """POST target of the targets box's buttons: one step with the comment typed."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = self.get_object(request, unquote(object_id))
        if report is None:
            raise Http404
        self._targets(request, Report.objects.filter(pk=report.pk), request.POST.get("action", ""),
                      prefixed=False)
        return redirect(reverse("admin:evaluations_report_change", args=[report.pk]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["targets_box"] = self._targets_context(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _targets_context(self, request, report: Report) -> dict:
        events = list(report.targets_events.select_related("actor"))
        Status = Report.TargetsStatus
        returned = workflow.latest_return(events)  # the same rule as the report's own trail
        return {
            "url": reverse("admin:evaluations_report_targets", args=[report.pk]),
            "events": events,
            "returned": returned if report.targets_status == Status.DRAFT else None,
            "actions": [(a, TargetsEvent.Action(a).label)
                        for a in workflow.available_targets_actions(report, request.user)],
            "adjust_url": (reverse("admin:evaluations_targetadjustment_add") + f"?report={report.pk}"
                           if report.targets_status == Status.APPROVED else ""),
        }

    def _targets(self, request, queryset, action: str, *, prefixed: bool = True) -> None:
        if action not in TargetsEvent.Action.values:
            raise Http404
        comment = posted_comment(request)
        act_on_each(
            self, request, queryset.select_related("department", "fiscal_year"),
            lambda report: workflow.move_targets(report, request.user, action, comment),
            lambda report, _result: gettext("绩效目标状态现为“%(status)s”。")
            % {"status": report.get_targets_status_display()},
            prefixed=prefixed,
        )

    @admin.action(description=_("提交所选报告的绩效目标"), permissions=["submit"])
    def submit_targets(self, request, queryset):
        self._targets(request, queryset, TargetsEvent.Action.SUBMIT)

    @admin.action(description=_("退回所选报告的绩效目标（须填写意见）"), permissions=["review"])
    def return_targets(self, request, queryset):
        self._targets(request, queryset, TargetsEvent.Action.RETURN)

    @admin.action(description=_("批复所选报告的绩效目标"), permissions=["review"])
    def approve_targets(self, request, queryset):
        self._targets(request, queryset, TargetsEvent.Action.APPROVE)


class TargetAdjustmentForm(forms.ModelForm):
    """A request: the row, the target field, the new value and why; checked by the one rule
    (evaluations.targets.check_adjustment), the old value recorded on save."""

    class Meta:
        model = TargetAdjustment
        fields = ["report", "indicator", "project", "field", "new_value", "reason"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and not self.errors:
            for name in ("report", "indicator", "project", "field", "new_value", "reason"):
                setattr(self.instance, name, cleaned.get(name))
            if self.instance.indicator is not None and self.instance.project is None:
                self.instance.project = self.instance.indicator.project
            targets.check_adjustment(self.instance)
        return cleaned


@admin.register(TargetAdjustment)
class TargetAdjustmentAdmin(DataAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    form = TargetAdjustmentForm
    data_datasets = ["target_adjustments"]
    export_filters = {
        "report__fiscal_year__id__exact": ("year", None),
        "report__department__id__exact": ("department", None),
    }
    list_display = ["report", "target_display", "field", "old_value", "new_value", "status",
                    "requested_by", "decided_by"]
    list_filter = ["status", "report__fiscal_year", ("report__department", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["report__department", "report__fiscal_year", "indicator", "project",
                           "requested_by", "decided_by"]
    search_fields = ["report__department__name", "indicator__name", "project__name", "reason"]
    autocomplete_fields = ["report", "indicator", "project"]
    readonly_fields = ["old_value", "status", "requested_by", "decided_by", "decided_at",
                       "decision_comment"]
    actions = ["approve_selected", "reject_selected"]
    action_form = WorkflowActionForm  # the reviewer's 意见, required to decline

    @admin.display(description=_("调整对象"))
    def target_display(self, obj: TargetAdjustment) -> str:
        return obj.target_label

    def has_change_permission(self, request, obj=None):
        # A request is evidence once made: it is decided, not edited.
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_review_permission(self, request):
        return access.has_permission(request.user, access.REVIEW_REPORT)

    def save_model(self, request, obj, form, change):
        obj.old_value = targets.value_text(getattr(obj.target, obj.field))
        obj.requested_by = request.user
        super().save_model(request, obj, form, change)

    def _decide(self, request, queryset, decide) -> None:
        comment = posted_comment(request)
        act_on_each(
            self, request, queryset.select_related("report", "indicator", "project"),
            lambda adjustment: decide(adjustment, request.user, comment),
            lambda _adjustment, result: (
                gettext("已批准，新目标已写入绩效目标。")
                if result.status == TargetAdjustment.Status.APPROVED
                else gettext("未批准，绩效目标保持不变；意见已告知部门。")
            ),
        )

    @admin.action(description=_("批准所选调整（写入绩效目标）"), permissions=["review"])
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, targets.approve_adjustment)

    @admin.action(description=_("不批准所选调整"), permissions=["review"])
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, targets.reject_adjustment)


@admin.register(TargetsEvent)
class TargetsEventAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["report", "action", "actor", "comment", "created_at"]
    list_filter = ["action", "report__fiscal_year"]
    search_fields = ["report__department__name", "report__department__code", "comment"]
    list_select_related = ["report__department", "report__fiscal_year", "actor"]
