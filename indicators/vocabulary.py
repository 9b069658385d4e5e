"""The codes of the 自评表 and their labels (一级/二级指标, 指标性质, 完成档次, 评价等级), written once.

Models, datasets, imports, exports, the admin and the public pages all read them from here.
It lives in the lower layer (indicators imports nothing from evaluations) so both apps can;
the stored values are the codes of docs/design.md ("Domain model"), and ``indicators.scoring``
spells the same codes in its rules (a test keeps the two equal).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from indicators import scoring


class Level1(models.TextChoices):
    OUTPUT = "output", _("产出指标")
    OUTCOME = "outcome", _("效益指标")
    SATISFACTION = "satisfaction", _("满意度指标")
    # 财预〔2021〕101号: only under a rule set with cost_level1 (indicators.rule_sets).
    COST = "cost", _("成本指标")


class Level2(models.TextChoices):
    QUANTITY = "quantity", _("数量指标")
    QUALITY = "quality", _("质量指标")
    TIMELINESS = "timeliness", _("时效指标")
    COST = "cost", _("成本指标")
    ECONOMIC = "economic", _("经济效益指标")
    SOCIAL = "social", _("社会效益指标")
    ECOLOGICAL = "ecological", _("生态效益指标")
    SUSTAINABILITY = "sustainability", _("可持续影响指标")
    SATISFACTION = "satisfaction", _("服务对象满意度指标")
    ECONOMIC_COST = "economic_cost", _("经济成本指标")
    SOCIAL_COST = "social_cost", _("社会成本指标")
    ECOLOGICAL_COST = "ecological_cost", _("生态环境成本指标")


# Which level-2 headings belong under each level-1 heading of the national form.
LEVEL2_BY_LEVEL1 = {
    Level1.OUTPUT: {Level2.QUANTITY, Level2.QUALITY, Level2.TIMELINESS, Level2.COST},
    Level1.OUTCOME: {
        Level2.ECONOMIC, Level2.SOCIAL, Level2.ECOLOGICAL, Level2.SUSTAINABILITY,
    },
    Level1.SATISFACTION: {Level2.SATISFACTION},
    Level1.COST: {Level2.ECONOMIC_COST, Level2.SOCIAL_COST, Level2.ECOLOGICAL_COST},
}

# Cost indicators (成本指标, under 产出 or as a 一级 of their own) are ≤ by default: spending
# less than planned meets the target. A cost indicator set as ≥ is flagged (evaluations/checks/).
COST_LEVEL2 = frozenset({
    Level2.COST, Level2.ECONOMIC_COST, Level2.SOCIAL_COST, Level2.ECOLOGICAL_COST,
})


def is_cost(level1: str, level2: str) -> bool:
    """Whether an indicator with these headings is a cost indicator (成本指标)."""
    return level1 == Level1.COST or level2 in COST_LEVEL2


def default_nature(level1: str, level2: str) -> str:
    """The nature an indicator takes when none is given: ≤ for cost indicators, else ≥."""
    return Nature.LTE if is_cost(level1, level2) else Nature.GTE


class Nature(models.TextChoices):
    GTE = "gte", "≥"
    LTE = "lte", "≤"
    EQ = "eq", "="
    QUALITATIVE = "qualitative", _("定性")


# What staff type for ≥, ≤ and = on a keyboard (ASCII, full-width, the JIS forms), read as
# the labels in imports of either kind (CSV cells, the 自评表 workbook).
TYPED_FORMS = {
    ">=": Nature.GTE, "=>": Nature.GTE, "＞＝": Nature.GTE, "≧": Nature.GTE,
    "<=": Nature.LTE, "=<": Nature.LTE, "＜＝": Nature.LTE, "≦": Nature.LTE,
    "＝": Nature.EQ, "==": Nature.EQ,
}


def typed_forms(codes) -> dict[str, str]:
    """The keyboard forms (TYPED_FORMS) of those of ``codes`` that have any."""
    wanted = set(codes)
    return {typed: str(code) for typed, code in TYPED_FORMS.items() if code in wanted}


class Tier(models.TextChoices):
    ACHIEVED = "achieved", _("达成")
    PARTIAL = "partial", _("部分达成")
    NOT_ACHIEVED = "not_achieved", _("未达成")


class Grade(models.TextChoices):
    """评价等级 of a scored table; the codes are those of scoring.grade()."""

    EXCELLENT = "excellent", _("优")
    GOOD = "good", _("良")
    FAIR = "fair", _("中")
    POOR = "poor", _("差")


# Code → label, for callers that want a mapping (labels translate when read).
GRADE_LABELS: dict[str, str] = dict(Grade.choices)


def grade_label(code: str | None, empty: str = "") -> str:
    """The grade's label (优/良/中/差) in the active language; ``empty`` when there is no grade."""
    return str(Grade(code).label) if code else empty


class BudgetRecommendation(models.TextChoices):
    """结果应用: what a project's result suggests for next year's budget (增加、保持、压减、取消)."""

    INCREASE = "increase", _("优先保障（增加）")
    KEEP = "keep", _("保持")
    REDUCE = "reduce", _("压减")
    CANCEL = "cancel", _("取消")


def suggested_recommendation(grade: str | None, rules: scoring.Rules) -> str | None:
    """The budget recommendation a grade suggests under the report's rule set (docs/design.md,
    "Result use and re-check"): national-2020 maps 优 increase, 良 keep, 中 reduce, 差 cancel
    (scoring.NATIONAL_2020.recommendations); None for a table without a grade."""
    return rules.recommendation(grade)
