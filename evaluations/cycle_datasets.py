"""The datasets of the year after (docs/design.md, "Targets, monitoring, findings"): findings,
recommendations and re-checks, with the keys the design fixes. Part of the registry in
datasets.py (which imports this module once its Column helpers exist).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evaluations import dataset_columns as ds
from evaluations.models import Finding, Recheck, Recommendation
from indicators.vocabulary import BudgetRecommendation

FINDINGS = ds.Dataset(
    name="findings",
    label=_("整改问题"),
    description=_("自评、审核、抽查复核、审计或第三方评价发现的问题及其整改情况。"),
    key=("year", "department_code", "position"),
    model=Finding,
    columns=(
        ds._year(),
        ds._department_code(),
        ds.Column("position", _("序号"), ds.INTEGER, _("问题在本报告中的序号，从1开始。"),
                  required=True),
        ds.Column("source", _("问题来源"), ds.CHOICE, _("填报部门只能填写“自评发现”；新问题留空为自评发现，已有问题留空则不变。"),
                  choices=ds._choices(Finding.Source.choices)),
        ds.Column("description", _("问题描述"), ds.TEXT, "", required=True, field="description"),
        ds.Column("measure", _("整改措施"), ds.TEXT, "", field="measure"),
        ds.Column("owner", _("责任人（单位）"), ds.TEXT, "", field="owner"),
        ds.Column("due_date", _("整改期限"), ds.DATE, _("不早于报告所属年度的1月1日。"),
                  field="due_date"),
        ds.Column("status", _("整改状态"), ds.CHOICE,
                  _("未整改、整改中、已整改或已验证（只有审核人可以验证）；新问题留空为未整改，已有问题留空则不变。"),
                  choices=ds._choices(Finding.Status.choices)),
    ),
)

RECOMMENDATIONS = ds.Dataset(
    name="recommendations",
    label=_("结果应用建议"),
    description=_("审核人根据项目自评结果提出的下一年度预算安排建议；不作为公开数据。"),
    key=("year", "department_code", "project_code"),
    model=Recommendation,
    public=False,
    columns=(
        ds._year(),
        ds._department_code(),
        ds.Column("project_code", _("项目编码"), ds.CODE, _("所属项目的编码。"), required=True),
        ds.Column("recommendation", _("预算安排建议"), ds.CHOICE,
                  _("按报告评分规则由评价等级建议（全国通用：优 优先保障，良 保持，中 压减，差 取消）。"), required=True,
                  choices=ds._choices(BudgetRecommendation.choices)),
        ds.Column("note", _("说明"), ds.TEXT, "", field="note"),
    ),
)

RECHECKS = ds.Dataset(
    name="rechecks",
    label=_("复核得分"),
    description=_("抽查复核的报告中各指标的复核得分，与自评得分并列。"),
    key=("year", "department_code", "project_code", "indicator"),
    model=Recheck,
    columns=(
        ds._year(),
        ds._department_code(),
        ds.Column("project_code", _("项目编码"), ds.CODE, _("所属项目的编码；部门整体指标留空。")),
        ds.Column("indicator", _("三级指标"), ds.TEXT, _("被复核指标的名称。"), required=True),
        ds.Column("recheck_score", _("复核得分"), ds.POINTS, _("0 至该指标分值之间。"),
                  unit=ds.POINTS_UNIT, required=True, field="recheck_score"),
        ds.Column("note", _("复核说明"), ds.TEXT, "", field="note"),
    ),
)

CYCLE_DATASETS = (FINDINGS, RECOMMENDATIONS, RECHECKS)
