"""绩效监控: a report's in-year monitoring rounds — spending to date and each target's progress.

A round (one a report and month) holds spending to date per budget and per project and each
approved indicator's progress with an outlook; its warning light is computed from them by
evaluations/lights.py and kept on the round, so the reviewers' list filters on it
(docs/design.md, "Targets and monitoring").
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from evaluations.models.fields import amount_field, non_negative
from evaluations.models.figures import BudgetExecution, Project
from evaluations.models.reference import FundingSource
from evaluations.models.report import Report


class Light(models.TextChoices):
    """预警: green on course, yellow a warning, red behind."""

    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")


class Outlook(models.TextChoices):
    """Whether the department expects to reach the target by the year's end."""

    ON_TRACK = "on_track", _("预计能完成")
    AT_RISK = "at_risk", _("有完不成的风险")
    OFF_TRACK = "off_track", _("预计完不成")


def validate_month(month: int) -> None:
    """A monitoring month is one of the fiscal year's twelve (the form's field and the import)."""
    if month is not None and not 1 <= month <= 12:
        raise ValidationError(_("监控月份须在1至12之间。"), code="month")


class MonitoringRound(models.Model):
    """绩效监控: one report's monitoring as at the end of one month, entered by staff and
    reviewed by a reviewer."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        REVIEWED = "reviewed", _("已审核")

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="monitoring_rounds"
    )
    month = models.PositiveSmallIntegerField(
        _("监控月份"), validators=[validate_month],
        help_text=_("截至该月末的执行情况，1–12。"),
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    measures = models.TextField(_("纠偏措施"), blank=True)
    light = models.CharField(
        _("预警"), max_length=10, choices=Light.choices, default=Light.GREEN, db_index=True
    )
    light_reason = models.TextField(_("预警原因"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    review_comment = models.TextField(_("审核意见"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("绩效监控")
        verbose_name_plural = pgettext_lazy("plural", "绩效监控")
        ordering = ["report", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "month"],
                name="monitoring_round_one_per_month",
                violation_error_message=_("该报告本月已有绩效监控。"),
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12),
                name="monitoring_round_month_1_12",
                violation_error_message=_("监控月份须在1至12之间。"),
            ),
            models.CheckConstraint(
                condition=Q(light__in=["green", "yellow", "red"]),
                name="monitoring_round_light_valid",
                violation_error_message=_("预警状态无效。"),
            ),
        ]

    def __str__(self) -> str:
        return _("%(report)s · %(month)s月") % {"report": self.report, "month": self.month}

    def clean(self) -> None:
        """A round needs approved targets, and a month from 1 to 12 not before the month they
        were approved in (when that was within the fiscal year)."""
        if self.month is None or self.report_id is None or not 1 <= self.month <= 12:
            return  # a month outside the year is the field's own error (validate_month)
        report = self.report
        if report.targets_status != Report.TargetsStatus.APPROVED:
            raise ValidationError({"month": _("绩效目标尚未批复，不能填报绩效监控。")})
        approved = (
            report.targets_events.filter(action="approve").order_by("-created_at")
            .values_list("created_at", flat=True).first()
        )
        if approved is not None:
            approved = timezone.localtime(approved)
            if approved.year == report.fiscal_year.year and self.month < approved.month:
                raise ValidationError({"month": _(
                    "绩效目标于%(month)s月批复，不能填报此前月份的监控。") % {"month": approved.month}})


class MonitoringOverview(MonitoringRound):
    """各部门最新监控: the reviewers' list of every department's latest submitted round."""

    class Meta:
        proxy = True
        verbose_name = _("各部门最新监控")
        verbose_name_plural = pgettext_lazy("plural", "各部门最新监控")


# The proxy reads its round's history (simple_history records the concrete model only).
MonitoringOverview._meta.simple_history_manager_attribute = "history"


class MonitoringSpending(models.Model):
    """支出进度: spending to date of one budget (``project`` empty) or one project."""

    round = models.ForeignKey(
        MonitoringRound, verbose_name=_("绩效监控"), on_delete=models.CASCADE,
        related_name="spending",
    )
    funding_source = models.ForeignKey(
        FundingSource, verbose_name=_("预算类别"), on_delete=models.PROTECT,
        limit_choices_to={"kind": FundingSource.Kind.BUDGET}, related_name="+",
    )
    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", help_text=_("留空为整个预算。"),
    )
    spent_to_date = amount_field(_("累计支出"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("支出进度")
        verbose_name_plural = pgettext_lazy("plural", "支出进度")
        ordering = ["round", "funding_source__position", "project__position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "funding_source"], condition=Q(project__isnull=True),
                name="monitoring_spending_one_per_budget",
                violation_error_message=_("同一轮监控中每类预算只能填写一行。"),
            ),
            models.UniqueConstraint(
                fields=["round", "project"], condition=Q(project__isnull=False),
                name="monitoring_spending_one_per_project",
                violation_error_message=_("同一轮监控中每个项目只能填写一行。"),
            ),
            non_negative("monitoring_spending_non_negative", ["spent_to_date"]),
        ]

    def __str__(self) -> str:
        return str(self.project or self.funding_source)

    def budget(self):
        """The 全年预算数 the spending is measured against: the project's, or the budget's row."""
        if self.project_id:
            return self.project.adjusted_budget
        return (
            BudgetExecution.objects.filter(
                report_id=self.round.report_id, funding_source_id=self.funding_source_id
            ).values_list("adjusted_budget", flat=True).first()
        )

    def clean(self) -> None:
        """Spending of the round's own projects, under their budget, never above 全年预算数."""
        if self.round_id is None or self.funding_source_id is None or self.spent_to_date is None:
            return
        self.check_budget(self.budget())

    def check_budget(self, budget) -> None:
        """``clean`` with the 全年预算数 given (the importer reads a chunk's budgets at once)."""
        if self.project_id:
            if self.project.report_id != self.round.report_id:
                raise ValidationError({"project": _("该项目不属于本报告。")})
            if self.project.funding_source_id != self.funding_source_id:
                raise ValidationError({"funding_source": _("与项目的预算类别不一致。")})
        if budget is None:
            # Approved targets lock the budget: only an adjustment of the targets sets it now.
            raise ValidationError({"spent_to_date": _(
                "没有全年预算数，无法监控支出进度；绩效目标批复后全年预算数已锁定，请通过“绩效目标调整”填写。")})
        if self.spent_to_date > budget:
            raise ValidationError({"spent_to_date": _(
                "累计支出 %(spent)s 万元超过全年预算数 %(budget)s 万元。") % {
                "spent": self.spent_to_date, "budget": budget}})


class MonitoringProgress(models.Model):
    """指标进度: one approved indicator's progress to date and the department's outlook."""

    round = models.ForeignKey(
        MonitoringRound, verbose_name=_("绩效监控"), on_delete=models.CASCADE,
        related_name="progress",
    )
    indicator = models.ForeignKey(
        "indicators.Indicator", verbose_name=_("三级指标"), on_delete=models.CASCADE,
        related_name="monitoring_progress",
    )
    progress_value = models.DecimalField(
        _("累计完成值"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    progress_text = models.CharField(_("完成情况（文字）"), max_length=300, blank=True)
    outlook = models.CharField(
        _("全年预计"), max_length=20, choices=Outlook.choices, default=Outlook.ON_TRACK
    )
    measures = models.TextField(_("偏差原因及纠偏措施"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("指标进度")
        verbose_name_plural = pgettext_lazy("plural", "指标进度")
        ordering = ["round", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "indicator"],
                name="monitoring_progress_one_per_indicator",
                violation_error_message=_("同一轮监控中每个指标只能填写一行。"),
            ),
            models.CheckConstraint(
                condition=Q(outlook__in=["on_track", "at_risk", "off_track"]),
                name="monitoring_progress_outlook_valid",
                violation_error_message=_("全年预计无效。"),
            ),
        ]

    def __str__(self) -> str:
        return str(self.indicator)

    def clean(self) -> None:
        """Progress only of the report's approved targets (its indicators once approved)."""
        if self.round_id is None or self.indicator_id is None:
            return
        if self.indicator.report_id != self.round.report_id:
            raise ValidationError({"indicator": _("该指标不在本报告批复的绩效目标中。")})
