"""The open datasets: one registry of columns shared by imports, exports and the dictionary.

Each column has its key (docs/design.md, "Interfaces", fixed), a Chinese label (the default CSV header), a type
that decides how a cell is parsed and written, a unit, a meaning, and, for coded columns, the
codes with their labels. Imports, exports, the template download, `/data/` and
`docs/data-dictionary.md` all read this module, so they cannot drift apart.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# The formula guard, here too because every cell's text is written and read through this module.
from common.formula_guard import looks_like_number, make_inert, strip_inert  # noqa: F401
from evaluations.dataset_columns import (  # noqa: F401  (re-exported: ds.Column, ds.TEXT, …)
    AMOUNT,
    BOOLEAN,
    BOOLEAN_CHOICES,
    CHOICE,
    CODE,
    DATE,
    FUNDING_SOURCE,
    INTEGER,
    POINTS,
    POINTS_UNIT,
    RATE,
    TEXT,
    TYPE_LABELS,
    VALUE,
    WAN_YUAN,
    YEAR,
    Column,
    Dataset,
    _amount,
    _budget_source,
    _choices,
    _department_code,
    _grade_floors,
    _grade_meaning,
    _rate,
    _score_columns,
    _year,
)
from evaluations.models import (
    BudgetExecution,
    Department,
    FundingSource,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
)
from indicators.models import Indicator
from indicators.vocabulary import Level1, Level2, Nature, Tier

DEPARTMENTS = Dataset(
    name="departments",
    label=_("部门"),
    description=_("发布绩效自评报告的部门（单位）。"),
    key=("code",),
    model=Department,
    columns=(
        Column("code", _("部门编码"), CODE, _("部门的唯一编码，用于网址和数据文件。"), required=True,
               field="code"),
        Column("name", _("部门名称"), TEXT, _("部门全称。"), required=True, field="name"),
        Column("short_name", _("简称"), TEXT, _("部门简称。"), field="short_name"),
        Column("parent_code", _("归口管理部门编码"), CODE, _("归口管理部门的编码，可为空。")),
    ),
)

REPORTS = Dataset(
    name="reports",
    label=_("自评报告"),
    description=_("每个部门每年一份的整体支出绩效自评报告及其文字部分。"),
    key=("year", "department_code"),
    columns=(
        _year(),
        _department_code(),
        Column("status", _("状态"), CHOICE, _("报告的审核状态。"), choices=_choices(Report.Status.choices)),
        Column("profile", _("部门基本情况"), TEXT, _("一、部门基本情况。"), field="profile"),
        Column("goals", _("年度整体支出绩效目标"), TEXT, _("部门年度整体支出绩效目标的说明。"),
               field="goals"),
        Column("overall_summary", _("部门整体支出绩效情况"), TEXT,
               _("绩效情况编号段落前的导语。"), field="overall_summary"),
        Column("problems", _("存在的问题及原因分析"), TEXT, "", field="problems"),
        Column("improvements", _("下一步改进措施"), TEXT, "", field="improvements"),
        Column("result_application", _("绩效自评结果拟应用和公开情况"), TEXT, "",
               field="result_application"),
        Column("other_matters", _("其他需要说明的情况"), TEXT, "", field="other_matters"),
        Column("rule_set", _("评分规则"), CODE,
               _("报告评分所依据的评分规则的编码（见下文“评分规则”）；留空：新报告取该年度的默认规则，已有报告不变。")),
        Column("targets_status", _("绩效目标状态"), CHOICE,
               _("绩效目标的审核状态，只随审核流程改变：导入时须与系统中的一致（新报告为草稿）。"),
               choices=_choices(Report.TargetsStatus.choices)),
        _rate(_("各类预算支出合计 ÷ 全年预算数合计，百分数，保留2位小数。")),
        *_score_columns(_("部门整体支出绩效")),
    ),
)

BUDGET_EXECUTIONS = Dataset(
    name="budget_executions",
    label=_("预算支出情况"),
    description=_("各类预算的收入和支出，每个报告每类预算一行。"),
    key=("year", "department_code", "funding_source"),
    model=BudgetExecution,
    columns=(
        _year(),
        _department_code(),
        _budget_source(_("一般公共预算、政府性基金预算、国有资本经营预算或社会保险基金预算。")),
        _amount("initial_budget", _("年初预算数"), _("年初批复的预算数。")),
        _amount("adjusted_budget", _("全年预算数"), _("调整后的全年预算数。")),
        _amount("income", _("财政拨款收入"), _("本年财政拨款收入。")),
        _amount("personnel", _("人员经费"), _("基本支出中的人员经费。")),
        _amount("public", _("公用经费"), _("基本支出中的公用经费。")),
        _amount("project", _("项目支出"), _("项目支出合计。")),
        _amount("basic", _("基本支出"), _("人员经费 + 公用经费。"), derived=True),
        _amount("expenditure", _("财政拨款支出"), _("基本支出 + 项目支出。"), derived=True),
        _rate(_("财政拨款支出 ÷ 全年预算数，百分数，保留2位小数；无全年预算数时为空。")),
    ),
)

PROJECTS = Dataset(
    name="projects",
    label=_("项目支出"),
    description=_("报告中的项目（专项资金），每个项目有自己的自评表。"),
    key=("year", "department_code", "code"),
    model=Project,
    columns=(
        _year(),
        _department_code(),
        Column("code", _("项目编码"), CODE, _("项目在本报告中的唯一编码。"), required=True,
               field="code"),
        Column("name", _("项目名称"), TEXT, "", required=True, field="name"),
        _budget_source(_("项目资金所属的预算类别。")),
        _amount("initial_budget", _("年初预算数"), _("项目年初预算数。")),
        _amount("adjusted_budget", _("全年预算数"), _("项目调整后的全年预算数。")),
        _amount("expenditure", _("全年执行数"), _("项目全年实际支出。")),
        Column("goal", _("年度总体目标"), TEXT, "", field="goal"),
        Column("outcome", _("专项资金支出绩效情况"), TEXT, _("全年实际完成情况与绩效。"),
               field="outcome"),
        _rate(_("全年执行数 ÷ 全年预算数，百分数，保留2位小数。")),
        *_score_columns(_("项目支出绩效")),
    ),
)

PROJECT_FUNDS = Dataset(
    name="project_funds",
    label=_("项目资金来源"),
    description=_("项目自评表中“其中”各行：当年财政拨款、上年结转资金、其他资金。"),
    key=("year", "department_code", "project_code", "funding_source"),
    model=ProjectFund,
    columns=(
        _year(),
        _department_code(),
        Column("project_code", _("项目编码"), CODE, _("所属项目的编码。"), required=True),
        Column(
            "funding_source", _("资金来源"), FUNDING_SOURCE,
            _("当年财政拨款、上年结转资金或其他资金。"), required=True,
            source_kind=FundingSource.Kind.PROJECT_FUND,
        ),
        _amount("initial_budget", _("年初预算数"), ""),
        _amount("adjusted_budget", _("全年预算数"), ""),
        _amount("expenditure", _("全年执行数"), ""),
    ),
)

NARRATIVES = Dataset(
    name="narratives",
    label=_("绩效情况"),
    description=_("部门整体支出绩效情况的编号段落：标题句和正文。"),
    key=("year", "department_code", "position"),
    model=OutcomeNarrative,
    columns=(
        _year(),
        _department_code(),
        Column("position", _("序号"), INTEGER, _("段落序号，从1开始。"), required=True),
        Column("headline", _("标题句"), TEXT, "", required=True, field="headline"),
        Column("body", _("正文"), TEXT, "", field="body"),
    ),
)

INDICATORS = Dataset(
    name="indicators",
    label=_("绩效指标"),
    description=_("部门整体或项目的绩效指标：目标、实际完成、分值和得分。"),
    key=("year", "department_code", "project_code", "name"),
    model=Indicator,
    columns=(
        _year(),
        _department_code(),
        Column("project_code", _("项目编码"), CODE, _("所属项目的编码；部门整体指标留空。")),
        Column("level1", _("一级指标"), CHOICE, "", required=True, choices=_choices(Level1.choices)),
        Column("level2", _("二级指标"), CHOICE, _("须属于所填一级指标。"), required=True,
               choices=_choices(Level2.choices)),
        Column("name", _("三级指标"), TEXT, _("指标名称，在同一自评表中唯一。"), required=True,
               field="name"),
        Column("nature", _("指标性质"), CHOICE, _("≥、≤、= 或定性；留空为 ≥。"),
               choices=_choices(Nature.choices)),
        Column("unit", _("计量单位"), TEXT, "", field="unit"),
        Column("target_value", _("年度指标值"), VALUE, _("定量指标的目标值。"), field="target_value"),
        Column("target_text", _("年度指标值（文字）"), TEXT, _("定性指标或无法量化时填写。"),
               field="target_text"),
        Column("actual_value", _("实际完成值"), VALUE, _("定量指标的实际完成值。"),
               field="actual_value"),
        Column("actual_text", _("实际完成值（文字）"), TEXT, "", field="actual_text"),
        Column("weight", _("分值"), POINTS, _("留空表示只列示目标、不计分。"), unit=POINTS_UNIT,
               field="weight"),
        Column("tier", _("完成档次"), CHOICE, _("定性指标：达成、部分达成或未达成。"),
               choices=_choices(Tier.choices)),
        Column("applicable", _("适用"), BOOLEAN, _("不适用的指标不计分，总分按适用项折算；留空为是。"),
               choices=BOOLEAN_CHOICES),
        Column("score", _("得分（定性指标填写）"), POINTS, _("定性指标填写的得分。"),
               unit=POINTS_UNIT, field="score"),
        Column("deviation", _("偏差原因分析及改进措施"), TEXT, "", field="deviation"),
        Column("final_score", _("得分"), POINTS,
               _("按评分规则计算的得分，与公开页面一致；不计分时为空。"), unit=POINTS_UNIT,
               derived=True),
    ),
)

# After the year: findings, recommendations, re-checks (declared beside their models' codes).
from evaluations.cycle_datasets import (  # noqa: E402, F401  (builds on Column above; re-exported)
    CYCLE_DATASETS,
    FINDINGS,
    RECHECKS,
    RECOMMENDATIONS,
)

# Before and during the year: target adjustments and monitoring (declared with their models' codes).
from evaluations.target_datasets import (  # noqa: E402, F401  (builds on Column above; re-exported)
    MONITORING_PROGRESS,
    MONITORING_SPENDING,
    TARGET_ADJUSTMENTS,
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        DEPARTMENTS, REPORTS, BUDGET_EXECUTIONS, PROJECTS, PROJECT_FUNDS, NARRATIVES, INDICATORS,
        *CYCLE_DATASETS,
        TARGET_ADJUSTMENTS, MONITORING_SPENDING, MONITORING_PROGRESS,
    )
}


# What /data/<year>/ serves and its data package describes: every dataset but reviewers' notes.
OPEN_DATA: tuple[Dataset, ...] = tuple(d for d in DATASETS.values() if d.public)


@functools.cache
def field_column(model, field: str) -> Column | None:
    """The column of ``model``'s dataset that writes ``field`` (the 自评表 workbook reads the
    same fields, under the same rules: self_evaluation.py)."""
    for dataset in DATASETS.values():
        if dataset.model is model:
            for column in dataset.columns:
                if column.field == field:
                    return column
    return None


def get_dataset(name: str) -> Dataset:
    """The dataset called ``name``; KeyError when there is none."""
    return DATASETS[name]


# --- Canonical cell text ------------------------------------------------------------


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def format_decimal(column_type: str, value: Decimal) -> str:
    """The one written form of a number: exact, no separators, no exponent."""
    if column_type == VALUE:
        return _plain(value)
    if column_type == RATE:
        return f"{value:.2f}"
    # Amounts and points: at least 2 decimals, more only when entered (0.125 stays 0.125).
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{value:.{places}f}"


def choice_label(column: Column, code: str) -> str:
    for value, label in column.choices:
        if value == code:
            return str(label)
    return code
