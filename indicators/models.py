"""绩效指标: the performance indicators of a report (部门整体) or of one of its projects."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from common.formatting import join_names
from indicators import scoring
from indicators.rule_sets import RuleSet, default_rule_set
from indicators.signals import indicators_written
from indicators.vocabulary import LEVEL2_BY_LEVEL1, Level1, Level2, Nature, Tier

__all__ = ["Indicator", "IndicatorQuerySet", "RuleSet", "default_rule_set"]

VALUE = {"max_digits": 20, "decimal_places": 4, "null": True, "blank": True}


class IndicatorQuerySet(models.QuerySet):
    """Bulk writes keep the rule ``Indicator.save`` keeps: a project's indicators belong to
    the project's report (importer, copy-forward and the data generator write in bulk)."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        Indicator.take_reports_from_projects(objs)
        created = super().bulk_create(objs, *args, **kwargs)
        _written(self.model, objs, self.db)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if {"project", "project_id", "report", "report_id"} & set(fields):
            Indicator.take_reports_from_projects(objs)
            fields = [*fields, "report"]
        updated = super().bulk_update(objs, fields, *args, **kwargs)
        if set(fields) - Indicator.SCORE_FIELDS:  # writing the stored scores changes no data
            _written(self.model, objs, self.db)
        return updated


def _written(model, objs, using) -> None:
    """Tell the layer above which reports' indicators were written in bulk (it rescores them)."""
    report_ids = {obj.report_id for obj in objs} - {None}
    if report_ids:
        indicators_written.send(sender=model, report_ids=report_ids, using=using)


class Indicator(models.Model):
    """绩效指标: a target and what was achieved, scored by the rules of indicators.scoring."""

    report = models.ForeignKey(
        "evaluations.Report", verbose_name=_("报告"), on_delete=models.CASCADE,
        related_name="indicators",
    )
    project = models.ForeignKey(
        "evaluations.Project", verbose_name=_("项目"), on_delete=models.CASCADE,
        null=True, blank=True, related_name="indicators",
        help_text=_("留空为部门整体支出指标。"),
    )
    level1 = models.CharField(_("一级指标"), max_length=20, choices=Level1.choices)
    level2 = models.CharField(_("二级指标"), max_length=20, choices=Level2.choices)
    name = models.CharField(_("三级指标"), max_length=200)
    nature = models.CharField(
        _("指标性质"), max_length=20, choices=Nature.choices, default=Nature.GTE
    )
    unit = models.CharField(_("计量单位"), max_length=30, blank=True)
    target_value = models.DecimalField(_("年度指标值"), **VALUE)
    target_text = models.CharField(
        _("年度指标值（文字）"), max_length=300, blank=True,
        help_text=_("定性指标或无法量化时填写。"),
    )
    actual_value = models.DecimalField(_("实际完成值"), **VALUE)
    actual_text = models.CharField(_("实际完成值（文字）"), max_length=300, blank=True)
    weight = models.DecimalField(
        _("分值"), max_digits=6, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("留空表示只列示目标、不计分。"),
    )
    tier = models.CharField(
        _("完成档次"), max_length=20, choices=Tier.choices, blank=True,
        help_text=_("定性指标：达成、部分达成或未达成。"),
    )
    applicable = models.BooleanField(_("适用"), default=True)
    score = models.DecimalField(
        _("得分（定性指标填写）"), max_digits=6, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    deviation = models.TextField(_("偏差原因分析及改进措施"), blank=True)
    position = models.PositiveIntegerField(_("顺序"), default=0)
    # Computed under the report's rule set whenever a draft changes, frozen at publication
    # (evaluations/scores.py; docs/design.md, "Scoring rule sets"). Never entered.
    final_score = models.DecimalField(
        _("得分"), max_digits=6, decimal_places=2, null=True, blank=True, editable=False
    )

    SCORE_FIELDS = frozenset({"final_score"})

    history = HistoricalRecords()

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("绩效指标")
        verbose_name_plural = pgettext_lazy("plural", "绩效指标")
        ordering = ["report", "project", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "position"],
                condition=Q(project__isnull=True),
                name="indicator_unique_position_per_report",
                violation_error_message=_("部门整体指标的顺序不能重复。"),
            ),
            models.UniqueConstraint(
                fields=["project", "position"],
                condition=Q(project__isnull=False),
                name="indicator_unique_position_per_project",
                violation_error_message=_("同一项目的指标顺序不能重复。"),
            ),
            models.CheckConstraint(
                condition=Q(weight__isnull=True) | Q(weight__gte=0),
                name="indicator_weight_non_negative",
                violation_error_message=_("分值不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0),
                name="indicator_score_non_negative",
                violation_error_message=_("得分不能为负数。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Saved with its project's report when it belongs to a project, whoever saves it
        (a form, the importer, a shell); a save that touches neither field skips the look-up."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"project", "report"} & set(update_fields):
            Indicator.take_reports_from_projects([self])
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "report"}
        super().save(*args, **kwargs)

    @classmethod
    def take_reports_from_projects(cls, indicators: Iterable[Indicator]) -> None:
        """Give each project indicator its project's report (docs/design.md, "Domain model").

        Projects already loaded on the indicators are read as they are; the others' reports
        are fetched in one query.
        """
        pending: list[Indicator] = []
        for indicator in indicators:
            project = indicator._state.fields_cache.get("project")  # loaded, or None
            if project is not None and project.report_id is not None:
                if indicator.report_id != project.report_id:  # (as a rule, it is already)
                    indicator.report_id = project.report_id
            elif indicator.project_id is not None:
                pending.append(indicator)
        if not pending:
            return
        project_model = cls._meta.get_field("project").related_model
        reports = dict(
            project_model._default_manager.filter(pk__in={i.project_id for i in pending})
            .values_list("pk", "report_id")
        )
        for indicator in pending:
            # An unknown project is left for the foreign key to refuse.
            indicator.report_id = reports.get(indicator.project_id, indicator.report_id)

    def clean(self) -> None:
        """Reject what the paper form cannot hold: a heading pair the national form does not
        have, and a qualitative score outside its tier's band or missing where one is needed.

        A missed target without a deviation reason is not an error here: it may be saved
        while the report is drafted and blocks only submission.
        """
        errors: dict[str, str] = {}
        rules = self.rules
        if self.level1 == Level1.COST and not rules.cost_level1:
            errors["level1"] = _("本报告的评分规则不设“成本指标”一级指标，请将成本指标填在“产出指标”下。")
        allowed = LEVEL2_BY_LEVEL1.get(self.level1)
        if allowed is not None and self.level2 in Level2.values and self.level2 not in allowed:
            errors["level2"] = _("“%(level2)s”不属于“%(level1)s”，请选择%(choices)s。") % {
                "level2": Level2(self.level2).label,
                "level1": Level1(self.level1).label,
                "choices": join_names(
                    f"“{choice.label}”" for choice in Level2 if choice in allowed
                ),
            }
        score_error = self._qualitative_score_error(rules)
        if score_error:
            errors["score"] = score_error
        if errors:
            raise ValidationError(errors)

    @property
    def rules(self) -> scoring.Rules:
        """Its report's rules (``Report.rules``: frozen once published); national-2020 before
        the report is known."""
        report = self.report if Indicator.report.is_cached(self) or self.report_id else None
        return scoring.NATIONAL_2020 if report is None else report.rules

    def _qualitative_score_error(self, rules: scoring.Rules | None = None) -> str | None:
        rules = rules or self.rules
        if (
            self.nature != Nature.QUALITATIVE
            or self.weight is None
            or self.weight < 0
            or self.tier not in Tier.values
        ):
            return None
        tier_label = Tier(self.tier).label
        low, high = scoring.qualitative_band(self.tier, self.weight, rules)
        if self.score is None:
            # Only "achieved" has a default (the full weight); the other tiers need a judgement.
            if self.applicable and self.tier != Tier.ACHIEVED:
                return _("“%(tier)s”档须填写得分（%(low)s 至 %(high)s 之间）。") % {
                    "tier": tier_label, "low": low, "high": high,
                }
            return None
        if not scoring.in_band(self.tier, self.weight, self.score, rules):
            if self.tier == rules.bands[0][0] or low == high:
                return _("“%(tier)s”档的得分应在 %(low)s 至 %(high)s 之间。") % {
                    "tier": tier_label, "low": low, "high": high,
                }
            return _("“%(tier)s”档的得分应不低于 %(low)s、低于 %(high)s（%(high)s 属于上一档）。") % {
                "tier": tier_label, "low": low, "high": high,
            }
        return None

    def fresh_score(self, rules: scoring.Rules = scoring.NATIONAL_2020) -> Decimal | None:
        """The score this indicator counts for under ``rules``, or None when unweighted or not
        scorable; ``final_score`` is the stored one."""
        try:
            return scoring.indicator_score(
                nature=self.nature, weight=self.weight, target=self.target_value,
                actual=self.actual_value, tier=self.tier, entered=self.score,
                applicable=self.applicable, rules=rules,
            )
        except ValueError:
            return None

    @property
    def table_and_name(self) -> str:
        """The indicator named with its table (部门整体 or its project's name), where names
        recur across a report's tables: "新引进项目" may be in three projects."""
        table = self.project.name if self.project_id else _("部门整体")
        return f"{table} · {self.name}"

    @property
    def target_display(self) -> str:
        return self.target_text or _format_value(self.target_value, self.unit)

    @property
    def actual_display(self) -> str:
        return self.actual_text or _format_value(self.actual_value, self.unit)

    @property
    def reported(self) -> bool:
        """Whether the report states a result: a value, a text or a qualitative tier. One
        without is neither met nor missed (the public pages say 未填报, never 完成)."""
        return self.actual_value is not None or bool(self.actual_text) or bool(self.tier)


def _format_value(value: Decimal | None, unit: str) -> str:
    if value is None:
        return ""
    # 275.0000 reads as 275 and 4.9600 as 4.96, as the figures were written.
    return f"{format(value.normalize(), 'f')}{unit}"
