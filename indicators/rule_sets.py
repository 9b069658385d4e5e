"""评分规则: the rule sets a report may be scored under (docs/design.md, "Scoring rule sets").

A rule set stores the parameters of ``indicators.scoring.Rules`` (scoring, the monitoring
lights' thresholds, the grade → budget recommendation map) and builds that plain value
(``RuleSet.rules``); the engine never reads the model. ``national-2020`` (财预〔2020〕10号) is
seeded by a migration; administrators add regional variants, reviewers read them. A rule set
that scored a report, or is a year's default, cannot be deleted (PROTECT on both keys).
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from indicators import scoring
from indicators.vocabulary import BudgetRecommendation, Grade

NATIONAL_CODE = "national-2020"
HUNDRED = Decimal("100")
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(HUNDRED)]
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


def _percent(label, default, help_text=""):
    return models.DecimalField(
        label, max_digits=5, decimal_places=2, default=Decimal(default), validators=PERCENT,
        help_text=help_text,
    )


def _points(label, default, help_text=""):
    return models.DecimalField(
        label, max_digits=6, decimal_places=2, default=Decimal(default), validators=NON_NEGATIVE,
        help_text=help_text,
    )


def _recommendation(label, default):
    return models.CharField(
        label, max_length=20, choices=BudgetRecommendation.choices, default=default,
    )


# The months of the spending thresholds, with their fields (RuleSet.spending_floors).
SPENDING_MONTHS = (
    (4, "spending_by_april"), (6, "spending_by_june"), (8, "spending_by_august"),
    (10, "spending_by_october"),
)
# Each grade with the field of the recommendation it suggests.
RECOMMENDATION_FIELDS = (
    (Grade.EXCELLENT, "recommend_excellent"), (Grade.GOOD, "recommend_good"),
    (Grade.FAIR, "recommend_fair"), (Grade.POOR, "recommend_poor"),
)


class RuleSet(models.Model):
    """评分规则: how indicators, execution and totals score; one per reading of the rules."""

    class LteFormula(models.TextChoices):
        RATIO = "ratio", _("比值法：分值 × 目标值 ÷ 实际值")
        DEDUCTION = "deduction", _("扣减法：分值 × (1 − (实际值 − 目标值) ÷ 目标值)，两倍目标值为零分")

    class OverTarget(models.TextChoices):
        FULL = "full", _("得满分")
        DEDUCT = "deduct", _("超出设定比例后按比例扣分")

    code = models.SlugField(_("规则编码"), max_length=40, unique=True)
    name = models.CharField(_("规则名称"), max_length=100)
    basis = models.CharField(_("文件依据"), max_length=300, blank=True)

    achieved_min = _percent(_("达成档下限（%）"), "80", _("得分不低于分值的此比例为“达成”，上限为 100%。"))
    partial_max = _percent(_("部分达成档上限（%）"), "80", _("不含本数：正好等于它的得分属于“达成”。"))
    partial_min = _percent(_("部分达成档下限（%）"), "60")
    not_achieved_max = _percent(_("未达成档上限（%）"), "60", _("不含本数，下限为 0。"))

    lte_formula = models.CharField(
        _("反向指标（≤）计分方法"), max_length=20, choices=LteFormula.choices,
        default=LteFormula.RATIO,
    )
    over_target = models.CharField(
        _("正向指标（≥）远超目标值"), max_length=20, choices=OverTarget.choices,
        default=OverTarget.FULL,
        help_text=_("目标设置过低时，实际值超出目标值设定比例以上的部分可扣分。"),
    )
    over_target_beyond = models.DecimalField(
        _("超出目标值比例（%）"), max_digits=7, decimal_places=2, default=Decimal("50"),
        validators=NON_NEGATIVE,
        help_text=_("实际值超过目标值 ×（1 + 本比例）时，得分为分值 × 该界限 ÷ 实际值。"),
    )

    execution_weight = _points(_("预算执行率分值"), "10", _("自评表未填写本表分值时按此分值计分；填写了的按其所填。"))
    explanation_below = _percent(_("执行率须说明的界限（%）"), "90", _("预算执行率低于此值须说明原因。"))

    output_weight = _points(_("产出指标默认分值"), "50")
    outcome_weight = _points(_("效益指标默认分值"), "30")
    satisfaction_weight = _points(_("满意度指标默认分值"), "10")
    cost_weight = _points(_("成本指标默认分值"), "0", _("仅在成本指标为一级指标时可大于 0。"))

    excellent_from = _percent(_("“优”的最低总分"), "90")
    good_from = _percent(_("“良”的最低总分"), "80")
    fair_from = _percent(_("“中”的最低总分"), "60")

    cost_level1 = models.BooleanField(
        _("成本指标为一级指标"), default=False,
        help_text=_("财预〔2021〕101号：一级指标“成本指标”，二级指标经济成本、社会成本、生态环境成本。"),
    )

    # 绩效监控预警 (docs/design.md, "Targets and monitoring"): the share of the 全年预算数 spent by
    # the end of each month below which a round's light is red, and the largest gap between an
    # indicator's progress and the spending rate before it is yellow.
    spending_by_april = _percent(_("4月末支出进度预警线（%）"), "25")
    spending_by_june = _percent(_("6月末支出进度预警线（%）"), "40", _("7月按6月的预警线。"))
    spending_by_august = _percent(_("8月末支出进度预警线（%）"), "60")
    spending_by_october = _percent(_("10月末支出进度预警线（%）"), "80", _("其后各月按10月的预警线。"))
    progress_gap = _percent(
        _("完成进度与支出进度允许相差（百分点）"), "10",
        _("指标完成进度与支出进度相差超过此数时亮黄灯。"),
    )

    # 结果应用: the budget recommendation each grade suggests (reviewers record their own).
    recommend_excellent = _recommendation(_("“优”的预算建议"), BudgetRecommendation.INCREASE)
    recommend_good = _recommendation(_("“良”的预算建议"), BudgetRecommendation.KEEP)
    recommend_fair = _recommendation(_("“中”的预算建议"), BudgetRecommendation.REDUCE)
    recommend_poor = _recommendation(_("“差”的预算建议"), BudgetRecommendation.CANCEL)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("评分规则")
        verbose_name_plural = pgettext_lazy("plural", "评分规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def national(cls) -> RuleSet:
        """The seeded national-2020 rule set (created with its defaults if someone removed every
        row, as a test database flushed between tests does)."""
        rule_set, _created = cls.objects.get_or_create(
            code=NATIONAL_CODE,
            defaults={"name": "全国通用（财预〔2020〕10号）", "basis": "财预〔2020〕10号"},
        )
        return rule_set

    @property
    def rules(self) -> scoring.Rules:
        """The parameters as the engine reads them (indicators.scoring.Rules)."""
        def share(percent: Decimal) -> Fraction:
            return Fraction(percent) / 100

        return scoring.Rules(
            bands=(
                ("achieved", share(self.achieved_min), Fraction(1)),
                ("partial", share(self.partial_min), share(self.partial_max)),
                ("not_achieved", Fraction(0), share(self.not_achieved_max)),
            ),
            lte_formula=self.lte_formula,
            over_target=self.over_target,
            over_target_beyond=share(self.over_target_beyond),
            execution_weight=self.execution_weight,
            explanation_below=self.explanation_below,
            level1_weights=tuple(
                (code, getattr(self, f"{code}_weight")) for code in scoring.LEVEL1_CODES
                if code != scoring.COST_LEVEL1 or self.cost_level1
            ),
            grade_floors=(
                ("excellent", self.excellent_from), ("good", self.good_from),
                ("fair", self.fair_from),
            ),
            cost_level1=self.cost_level1,
            spending_floors=tuple((month, getattr(self, name)) for month, name in SPENDING_MONTHS),
            progress_gap=self.progress_gap,
            recommendations=tuple(
                (grade.value, getattr(self, name)) for grade, name in RECOMMENDATION_FIELDS
            ),
        )

    # What names a rule set rather than scores with it: left out of a snapshot.
    NAMING_FIELDS = frozenset({"id", "code", "name", "basis"})

    @classmethod
    def parameter_fields(cls) -> list:
        return [f for f in cls._meta.concrete_fields if f.name not in cls.NAMING_FIELDS]

    def snapshot(self) -> dict:
        """The parameters as JSON values, as a published report keeps them (Report.rule_snapshot)."""
        return {f.name: f.value_to_string(self) for f in self.parameter_fields()}

    @classmethod
    def from_snapshot(cls, values: dict) -> RuleSet:
        """An unsaved rule set with a snapshot's parameters; one the snapshot predates takes its
        default."""
        return cls(**{
            f.attname: f.to_python(values[f.name]) if f.name in values else f.get_default()
            for f in cls.parameter_fields()
        })

    def parameters(self) -> list[tuple[str, str]]:
        """Each parameter as (label, value) in words, for the data dictionary and pages."""
        def pct(value: Decimal) -> str:
            return f"{value.normalize():f}%"

        def pts(value: Decimal) -> str:
            return f"{value.normalize():f}"

        over = self.get_over_target_display()
        if self.over_target == self.OverTarget.DEDUCT:
            over = f"{over}（{pct(self.over_target_beyond)}）"
        return [
            (str(_("达成")), f"{pct(self.achieved_min)}–100%"),
            (str(_("部分达成")), f"{pct(self.partial_min)}–<{pct(self.partial_max)}"),
            (str(_("未达成")), f"0–<{pct(self.not_achieved_max)}"),
            (str(self._meta.get_field("lte_formula").verbose_name), self.get_lte_formula_display()),
            (str(self._meta.get_field("over_target").verbose_name), str(over)),
            (str(self._meta.get_field("execution_weight").verbose_name), pts(self.execution_weight)),
            (str(self._meta.get_field("explanation_below").verbose_name), pct(self.explanation_below)),
            (str(_("一级指标默认分值")), "，".join(
                f"{label} {pts(weight)}" for label, weight in (
                    (_("产出"), self.output_weight), (_("效益"), self.outcome_weight),
                    (_("满意度"), self.satisfaction_weight),
                    *([(_("成本"), self.cost_weight)] if self.cost_level1 else []),
                )
            )),
            (str(_("评价等级")), f"{_('优')} ≥{pts(self.excellent_from)}，{_('良')} ≥{pts(self.good_from)}，"
                                f"{_('中')} ≥{pts(self.fair_from)}，{_('其余为差')}"),
            (str(self._meta.get_field("cost_level1").verbose_name), str(_("是") if self.cost_level1 else _("否"))),
            (str(_("监控支出进度预警线")), "，".join(
                _("%(month)s月末 %(share)s") % {"month": month, "share": pct(getattr(self, name))}
                for month, name in SPENDING_MONTHS
            )),
            (str(self._meta.get_field("progress_gap").verbose_name), pts(self.progress_gap)),
            (str(_("结果应用建议")), "，".join(
                f"{grade.label} → {BudgetRecommendation(getattr(self, name)).label}"
                for grade, name in RECOMMENDATION_FIELDS
            )),
        ]

    def clean(self) -> None:
        """Refuse bands that overlap or leave gaps, weights that do not add up or are set for a
        heading the rules lack, and grade thresholds out of order; each error names its field."""
        super().clean()
        errors: dict[str, str] = {}
        values = {f.name: getattr(self, f.name) for f in self._meta.concrete_fields}
        if any(v is None for k, v in values.items() if k not in ("id", "basis")):
            return  # the field's own "required" message says it
        self._clean_bands(errors)
        self._clean_weights(errors)
        self._clean_grades(errors)
        self._clean_spending(errors)
        if self.over_target == self.OverTarget.DEDUCT and self.over_target_beyond <= 0:
            errors["over_target_beyond"] = _("按比例扣分时，超出比例须大于 0。")
        if errors:
            raise ValidationError(errors)

    def _clean_bands(self, errors: dict) -> None:
        edges = [
            ("partial_max", self.partial_max, self.achieved_min, _("部分达成"), _("达成")),
            ("not_achieved_max", self.not_achieved_max, self.partial_min, _("未达成"), _("部分达成")),
        ]
        for field, top, above_low, tier, above in edges:
            if top > above_low:
                errors[field] = _("“%(tier)s”档上限 %(top)s%% 高于“%(above)s”档下限 %(low)s%%，两档重叠。") % {
                    "tier": tier, "top": top, "above": above, "low": above_low,
                }
            elif top < above_low:
                errors[field] = _("“%(tier)s”档上限 %(top)s%% 低于“%(above)s”档下限 %(low)s%%，两档之间有空隙。") % {
                    "tier": tier, "top": top, "above": above, "low": above_low,
                }
        for field, low, high, tier in (
            ("achieved_min", self.achieved_min, HUNDRED, _("达成")),
            ("partial_min", self.partial_min, self.partial_max, _("部分达成")),
            ("not_achieved_max", Decimal(0), self.not_achieved_max, _("未达成")),
        ):
            if low >= high and field not in errors:
                errors[field] = _("“%(tier)s”档的下限须低于上限（%(low)s%% 至 %(high)s%%）。") % {
                    "tier": tier, "low": low, "high": high,
                }

    def _clean_weights(self, errors: dict) -> None:
        if self.cost_weight > 0 and not self.cost_level1:
            errors["cost_weight"] = _("成本指标不是一级指标时，其默认分值须为 0。")
            return
        total = (
            self.output_weight + self.outcome_weight + self.satisfaction_weight
            + self.cost_weight + self.execution_weight
        )
        if total != HUNDRED:
            errors["output_weight"] = _("各一级指标默认分值与预算执行率分值合计为 %(total)s，应为 100。") % {
                "total": total,
            }

    def _clean_grades(self, errors: dict) -> None:
        if not self.good_from < self.excellent_from:
            errors["excellent_from"] = _("“优”的最低总分须高于“良”的（%(good)s）。") % {"good": self.good_from}
        if not self.fair_from < self.good_from:
            errors["good_from"] = _("“良”的最低总分须高于“中”的（%(fair)s）。") % {"fair": self.fair_from}
        if self.fair_from <= 0:
            errors["fair_from"] = _("“中”的最低总分须大于 0。")

    def _clean_spending(self, errors: dict) -> None:
        # A later month's share of the budget spent may not be below an earlier one's.
        for (month, field), (later, later_field) in itertools.pairwise(SPENDING_MONTHS):
            low, value = getattr(self, field), getattr(self, later_field)
            if value < low:
                errors[later_field] = _(
                    "%(later)s月末的支出进度预警线 %(value)s%% 低于%(month)s月末的 %(low)s%%，"
                    "预警线须逐月不降。"
                ) % {"later": later, "value": value, "month": month, "low": low}


def default_rule_set() -> int:
    """The default of FiscalYear.rule_set: national-2020's id."""
    return RuleSet.national().pk
