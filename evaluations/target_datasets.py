"""The datasets of the year's targets and monitoring (docs/design.md, "Targets, monitoring,
findings"): target adjustments, monitoring spending and progress, with the keys the design
fixes. Part of the registry in datasets.py (which imports this module once its Column
helpers exist).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evaluations.dataset_columns import (
    CHOICE,
    CODE,
    INTEGER,
    RATE,
    TEXT,
    VALUE,
    Column,
    Dataset,
    _amount,
    _budget_source,
    _choices,
    _department_code,
    _year,
)
from evaluations.models import (
    Light,
    MonitoringProgress,
    MonitoringSpending,
    Outlook,
    TargetAdjustment,
)


def _project_code(meaning) -> Column:
    return Column("project_code", _("项目编码"), CODE, meaning)


def _indicator(meaning, *, required=False) -> Column:
    return Column("indicator", _("三级指标"), TEXT, meaning, required=required)


def _month() -> Column:
    return Column("month", _("监控月份"), INTEGER, _("截至该月末的执行情况，1至12。"), required=True)


def _light_columns() -> tuple[Column, ...]:
    return (
        Column("light", _("预警"), CHOICE, _("绿灯、黄灯或红灯，按报告评分规则中的监控预警线计算。"),
               choices=_choices(Light.choices), derived=True),
        Column("light_reason", _("预警原因"), TEXT, _("亮黄灯、红灯的原因；绿灯为空。"), derived=True),
    )


TARGET_ADJUSTMENTS = Dataset(
    name="target_adjustments",
    label=_("绩效目标调整"),
    description=_("批复后的绩效目标调整：调整的指标或项目、内容、原目标、调整后目标、理由和审核状态。"),
    key=("year", "department_code", "project_code", "indicator", "field", "new_value"),
    model=TargetAdjustment,
    columns=(
        _year(),
        _department_code(),
        _project_code(_("所属项目的编码；部门整体指标留空。")),
        _indicator(_("调整的三级指标名称；调整项目的年度总体目标或预算时留空。")),
        Column("field", _("调整内容"), CHOICE, _("须是绩效目标的内容。"), required=True,
               choices=_choices(TargetAdjustment.Field.choices)),
        Column("old_value", _("原目标"), TEXT, _("调整前的目标；导入申请时按当前目标记录。")),
        Column("new_value", _("调整后目标"), TEXT, "", required=True, field="new_value"),
        Column("reason", _("调整理由"), TEXT, "", required=True, field="reason"),
        Column("status", _("状态"), CHOICE, _("导入的调整为待审核，由审核人批准后生效。"),
               choices=_choices(TargetAdjustment.Status.choices)),
    ),
)

MONITORING_SPENDING = Dataset(
    name="monitoring_spending",
    label=_("绩效监控：支出进度"),
    description=_("各月绩效监控中每类预算和每个项目的累计支出，及其支出进度和预警。"),
    key=("year", "department_code", "month", "funding_source", "project_code"),
    model=MonitoringSpending,
    columns=(
        _year(),
        _department_code(),
        _month(),
        _budget_source(_("预算类别代码；项目的须与项目的预算类别一致。")),
        _project_code(_("项目编码；整个预算的支出留空。")),
        _amount("spent_to_date", _("累计支出"), _("截至该月末的累计支出，不超过全年预算数。")),
        Column("rate", _("支出进度"), RATE, _("累计支出 ÷ 全年预算数。"), unit="%", derived=True),
        *_light_columns(),
    ),
)

MONITORING_PROGRESS = Dataset(
    name="monitoring_progress",
    label=_("绩效监控：指标进度"),
    description=_("各月绩效监控中每个批复指标的累计完成情况、全年预计和纠偏措施，及其预警。"),
    key=("year", "department_code", "month", "project_code", "indicator"),
    model=MonitoringProgress,
    columns=(
        _year(),
        _department_code(),
        _month(),
        _project_code(_("所属项目的编码；部门整体指标留空。")),
        _indicator(_("批复的三级指标名称。"), required=True),
        Column("progress_value", _("累计完成值"), VALUE, _("定量指标截至该月末的完成值。"),
               field="progress_value"),
        Column("progress_text", _("完成情况（文字）"), TEXT, "", field="progress_text"),
        Column("outlook", _("全年预计"), CHOICE, _("留空为预计能完成。"), choices=_choices(Outlook.choices)),
        Column("measures", _("偏差原因及纠偏措施"), TEXT, "", field="measures"),
        *_light_columns(),
    ),
)

