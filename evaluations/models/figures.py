"""A report's figures: budget execution per budget, projects with their fund rows, numbered narratives.

Amounts are stored in 万元 with four decimal places; figures that can be derived (basic
spending, total expenditure, execution rate) are computed, never stored."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from evaluations.models.fields import ZERO, amount_field, non_negative
from evaluations.models.reference import FundingSource
from evaluations.models.report import Report
from indicators import scoring
from indicators.vocabulary import Grade


def _or_zero(value):
    return ZERO if value is None else value


class BudgetExecution(models.Model):
    """预算支出情况: one budget's income and spending in a report (basic = personnel + public)."""

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="budget_executions"
    )
    funding_source = models.ForeignKey(
        FundingSource, verbose_name=_("预算类别"), on_delete=models.PROTECT,
        limit_choices_to={"kind": FundingSource.Kind.BUDGET}, related_name="+",
    )
    initial_budget = amount_field(_("年初预算数"), null=True, blank=True)
    adjusted_budget = amount_field(_("全年预算数"), null=True, blank=True)
    income = amount_field(_("财政拨款收入"), null=True, blank=True)
    personnel = amount_field(_("人员经费"), default=ZERO)
    public = amount_field(_("公用经费"), default=ZERO)
    project = amount_field(_("项目支出"), default=ZERO)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("预算支出情况")
        verbose_name_plural = pgettext_lazy("plural", "预算支出情况")
        ordering = ["funding_source__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "funding_source"],
                name="budget_execution_one_per_budget",
                violation_error_message=_("同一报告中每类预算只能填写一行。"),
            ),
            non_negative(
                "budget_execution_amounts_non_negative",
                ["initial_budget", "adjusted_budget", "income", "personnel", "public", "project"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} · {self.funding_source}"

    @staticmethod
    def basic_of(personnel, public):
        """基本支出 = 人员经费 + 公用经费, the one statement of it: of amounts (a missing one
        counts as 0), or of F() expressions, which makes it the same rule in SQL."""
        return _or_zero(personnel) + _or_zero(public)

    @staticmethod
    def expenditure_of(personnel, public, project):
        """财政拨款支出 = 基本支出 + 项目支出 (amounts or F() expressions, as basic_of)."""
        return BudgetExecution.basic_of(personnel, public) + _or_zero(project)

    @property
    def basic(self) -> Decimal:
        """基本支出 = 人员经费 + 公用经费."""
        return self.basic_of(self.personnel, self.public)

    @property
    def expenditure(self) -> Decimal:
        """财政拨款支出 = 基本支出 + 项目支出."""
        return self.expenditure_of(self.personnel, self.public, self.project)

    @property
    def execution_rate(self) -> Decimal | None:
        """执行率 in percent, against the adjusted budget."""
        return scoring.execution_rate(self.expenditure, self.adjusted_budget)


class Project(models.Model):
    """项目支出 / 专项资金: a project of a report, with its own 自评表."""

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="projects"
    )
    funding_source = models.ForeignKey(
        FundingSource, verbose_name=_("预算类别"), on_delete=models.PROTECT,
        limit_choices_to={"kind": FundingSource.Kind.BUDGET}, related_name="+",
    )
    code = models.SlugField(_("项目编码"), max_length=40)
    name = models.CharField(_("项目名称"), max_length=200)
    initial_budget = amount_field(_("年初预算数"), null=True, blank=True)
    adjusted_budget = amount_field(_("全年预算数"), null=True, blank=True)
    expenditure = amount_field(_("全年执行数"), default=ZERO)
    goal = models.TextField(_("年度总体目标"), blank=True)
    outcome = models.TextField(
        _("专项资金支出绩效情况"), blank=True, help_text=_("全年实际完成情况与绩效。")
    )
    # The table's own execution weight, if it sets one; blank takes the rule set's
    # (docs/design.md, "Scoring rule sets"). ``execution_weight`` is the weight it was scored
    # with, stored with the scores (evaluations/scores.py) and frozen with them.
    execution_weight_override = models.DecimalField(
        _("本表预算执行率分值"), max_digits=6, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("留空则按评分规则的预算执行率分值计分；填写则本表按所填分值计分。"),
    )
    execution_weight = models.DecimalField(
        _("预算执行率分值"), max_digits=6, decimal_places=2, default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0"))], editable=False,
    )
    execution_explanation = models.TextField(_("执行率偏低说明"), blank=True)
    position = models.PositiveIntegerField(_("顺序"), default=0)

    # The stored scores of the project's 自评表 (evaluations/scores.py), as on Report.
    execution_rate = models.DecimalField(
        _("预算执行率"), max_digits=30, decimal_places=2, null=True, editable=False
    )
    execution_score = models.DecimalField(
        _("预算执行率得分"), max_digits=6, decimal_places=2, null=True, editable=False
    )
    total_score = models.DecimalField(
        _("总分"), max_digits=5, decimal_places=2, null=True, editable=False
    )
    grade = models.CharField(
        _("评价等级"), max_length=20, choices=Grade.choices, blank=True, editable=False,
        default="", db_default="",  # rows written by COPY (bench/synthetic.py) name no grade
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = pgettext_lazy("plural", "项目")
        ordering = ["report", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "code"],
                name="project_unique_code_per_report",
                violation_error_message=_("同一报告中项目编码不能重复。"),
            ),
            models.UniqueConstraint(
                fields=["report", "position"],
                name="project_unique_position_per_report",
                violation_error_message=_("同一报告中项目顺序不能重复。"),
            ),
            non_negative(
                "project_amounts_non_negative",
                ["initial_budget", "adjusted_budget", "expenditure"],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if not adding and (update_fields is None or "report" in update_fields):
            # A project moved to another report takes its indicators along, one by one so
            # each move is in their history (Indicator.save takes the report from here).
            for indicator in self.indicators.exclude(report_id=self.report_id):
                indicator.save(update_fields=["report"])



class ProjectFund(models.Model):
    """项目资金来源: the 其中 rows of a project's table (当年财政拨款, 上年结转资金, 其他资金)."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="funds"
    )
    funding_source = models.ForeignKey(
        FundingSource, verbose_name=_("资金来源"), on_delete=models.PROTECT,
        limit_choices_to={"kind": FundingSource.Kind.PROJECT_FUND}, related_name="+",
    )
    initial_budget = amount_field(_("年初预算数"), null=True, blank=True)
    adjusted_budget = amount_field(_("全年预算数"), null=True, blank=True)
    expenditure = amount_field(_("全年执行数"), default=ZERO)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("项目资金来源")
        verbose_name_plural = pgettext_lazy("plural", "项目资金来源")
        ordering = ["project", "funding_source__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "funding_source"],
                name="project_fund_one_per_source",
                violation_error_message=_("同一项目中每种资金来源只能填写一行。"),
            ),
            non_negative(
                "project_fund_amounts_non_negative",
                ["initial_budget", "adjusted_budget", "expenditure"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.funding_source}"

    @property
    def execution_rate(self) -> Decimal | None:
        return scoring.execution_rate(self.expenditure, self.adjusted_budget)


class OutcomeNarrative(models.Model):
    """绩效情况: a numbered paragraph of 部门整体支出绩效情况 (headline, then body)."""

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="narratives"
    )
    position = models.PositiveIntegerField(_("序号"))
    headline = models.CharField(_("标题句"), max_length=300)
    body = models.TextField(_("正文"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("绩效情况")
        verbose_name_plural = pgettext_lazy("plural", "绩效情况")
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "position"],
                name="narrative_unique_position_per_report",
                violation_error_message=_("同一报告中绩效情况序号不能重复。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.headline}"
