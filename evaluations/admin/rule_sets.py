"""评分规则 in the admin: administrators add and change rule sets, reviewers and auditors read
them (the groups' ``indicators.view_ruleset``; access.py's permission names). A rule set that
scored a report, or is a year's default, cannot be deleted: the admin lists what protects it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.forms import CodeField
from evaluations import access
from evaluations.models import Report
from indicators.models import RuleSet


def _check_id(object_id) -> None:
    """A malformed id in the address is a page that does not exist, not an error."""
    try:
        RuleSet._meta.pk.to_python(unquote(object_id))
    except (ValueError, ValidationError) as exc:
        raise Http404 from exc


@admin.register(RuleSet)
class RuleSetAdmin(SimpleHistoryAdmin):
    # Its code refused as every code is (common/codes.py), not by Django's slug message.
    formfield_overrides = {models.SlugField: {"form_class": CodeField}}
    list_display = ["code", "name", "basis", "lte_formula", "over_target", "cost_level1", "report_count"]
    search_fields = ["code", "name", "basis"]
    fieldsets = [
        (None, {"fields": ["code", "name", "basis"]}),
        (_("定性指标档次（占分值的百分比；边界属于较高一档）"), {"fields": [
            "achieved_min", ("partial_min", "partial_max"), "not_achieved_max",
        ]}),
        (_("定量指标"), {"fields": ["lte_formula", ("over_target", "over_target_beyond")]}),
        (_("预算执行率"), {"fields": [("execution_weight", "explanation_below")]}),
        (_("一级指标默认分值"), {"fields": [
            ("output_weight", "outcome_weight", "satisfaction_weight", "cost_weight"), "cost_level1",
        ]}),
        (_("评价等级"), {"fields": [("excellent_from", "good_from", "fair_from")]}),
        (_("绩效监控预警（占全年预算数的百分比，逐月不降）"), {"fields": [
            ("spending_by_april", "spending_by_june", "spending_by_august", "spending_by_october"),
            "progress_gap",
        ]}),
        (_("结果应用：各等级的预算建议"), {"fields": [
            ("recommend_excellent", "recommend_good", "recommend_fair", "recommend_poor"),
        ]}),
    ]

    def history_view(self, request, object_id, extra_context=None):
        _check_id(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _check_id(object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            draft_count=Count("reports", filter=Q(reports__status=Report.Status.DRAFT)),
            all_count=Count("reports"),
        )

    @admin.display(description=_("报告数（草稿）"))
    def report_count(self, obj: RuleSet) -> str:
        return f"{obj.all_count}（{obj.draft_count}）"

    # Administrators change rule sets; the roles' groups only read them (docs/design.md).
    def has_add_permission(self, request) -> bool:
        return access.is_unrestricted(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return access.is_unrestricted(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return access.is_unrestricted(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return access.has_permission(request.user, access.VIEW_RULE_SET)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        drafts = obj.reports.filter(status=Report.Status.DRAFT).count() if change else 0
        if drafts:
            # Stored scores change only when recomputed: published reports never, drafts on
            # their next edit or by the command (evaluations/scores.py).
            messages.warning(request, gettext(
                "已保存。%(count)s 份草稿报告采用此规则，其得分将在下次修改或运行 "
                "manage.py rescore 后按新规则重算；已公开的报告得分不变。"
            ) % {"count": drafts})
