"""绩效目标: which fields of a report are its targets, the targets' trail, and adjustments.

A report's targets (docs/design.md, "Targets and monitoring") are the indicators' names,
headings, nature, unit, target value or text and weight, and the projects' 年度总体目标 and
budgets. Their status is ``Report.targets_status``; once approved they change only through
an approved ``TargetAdjustment`` (evaluations/targets.py applies it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from evaluations.models.figures import Project
from evaluations.models.report import Report

# The target fields of each model that has them, by model label: the one list the lock
# (access.target_refusal), the adjustments and copy-forward read.
TARGET_FIELDS: dict[str, tuple[str, ...]] = {
    "indicators.indicator": (
        "level1", "level2", "name", "nature", "unit", "target_value", "target_text", "weight",
    ),
    "evaluations.project": ("goal", "initial_budget", "adjusted_budget"),
}


def target_fields(model) -> tuple[str, ...]:
    """The target fields of ``model`` (a class or instance): () when it has none."""
    return TARGET_FIELDS.get(model._meta.label_lower, ())


class TargetsEvent(models.Model):
    """绩效目标审核记录: one step of a report's targets — submitted, returned or approved."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("提交绩效目标")
        RETURN = "return", _("退回绩效目标")
        APPROVE = "approve", _("批复绩效目标")

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="targets_events"
    )
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("意见或说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("绩效目标审核记录")
        verbose_name_plural = pgettext_lazy("plural", "绩效目标审核记录")
        ordering = ["report", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.report_id}"


class TargetAdjustment(models.Model):
    """绩效目标调整: a request to change one approved target, applied when a reviewer approves it.

    ``indicator`` names an indicator's field; without one, ``project`` names a project's.
    ``old_value`` is the target as it stood when the request was made (and when applied).
    """

    class Field(models.TextChoices):
        LEVEL1 = "level1", _("一级指标")
        LEVEL2 = "level2", _("二级指标")
        NAME = "name", _("三级指标")
        NATURE = "nature", _("指标性质")
        UNIT = "unit", _("计量单位")
        TARGET_VALUE = "target_value", _("年度指标值")
        TARGET_TEXT = "target_text", _("年度指标值（文字）")
        WEIGHT = "weight", _("分值")
        GOAL = "goal", _("年度总体目标")
        INITIAL_BUDGET = "initial_budget", _("年初预算数")
        ADJUSTED_BUDGET = "adjusted_budget", _("全年预算数")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="target_adjustments"
    )
    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="target_adjustments",
    )
    indicator = models.ForeignKey(
        "indicators.Indicator", verbose_name=_("三级指标"), on_delete=models.CASCADE,
        null=True, blank=True, related_name="target_adjustments",
        help_text=_("留空为项目的年度总体目标或预算。"),
    )
    field = models.CharField(_("调整内容"), max_length=30, choices=Field.choices)
    old_value = models.TextField(_("原目标"), blank=True)
    new_value = models.TextField(_("调整后目标"), blank=True)
    reason = models.TextField(_("调整理由"))
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_comment = models.TextField(
        _("审核意见"), blank=True, help_text=_("审核人批准或不批准时的意见；不批准时必填，部门可见。"),
    )
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("绩效目标调整")
        verbose_name_plural = pgettext_lazy("plural", "绩效目标调整")
        ordering = ["report", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(indicator__isnull=False) | Q(project__isnull=False),
                name="target_adjustment_names_a_target",
                violation_error_message=_("请选择要调整的指标或项目。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected"]),
                name="target_adjustment_status_valid",
                violation_error_message=_("调整状态无效。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_label} · {self.get_field_display()}"

    @property
    def target(self):
        """The row whose field changes: the indicator, or else the project."""
        return self.indicator if self.indicator_id else self.project

    def _readable(self, value: str) -> str:
        """A recorded value as read: a choice's label (≥, 产出指标) rather than its code."""
        model = type(self.target) if self.target is not None else None
        if model is None or not value:
            return value
        choices = dict(model._meta.get_field(self.field).flatchoices)
        return str(choices.get(value, value))

    @property
    def old_display(self) -> str:
        return self._readable(self.old_value)

    @property
    def new_display(self) -> str:
        return self._readable(self.new_value)

    @property
    def target_label(self) -> str:
        if self.indicator_id:
            return self.indicator.name
        return self.project.name if self.project_id else ""
