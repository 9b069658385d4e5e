"""Whole 自评表 worked by hand and typed in as data, scored through the models and tables.

Each table below was computed on paper, one row at a time, rounding every score to 2
places (half up) before adding, as the published forms do. The comments give the working.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from indicators.models import Indicator
from indicators.tables import department_table, project_table
from tests.factories import BudgetExecutionFactory, IndicatorFactory, ProjectFactory, source

pytestmark = pytest.mark.django_db

D = Decimal

# 项目支出绩效自评表: 全年预算数 200, 全年执行数 187.35.
# 执行率 187.35 ÷ 200 = 93.675% → 93.68% (rounds up at .005); 得分 10 × 93.68% = 9.368 → 9.37.
PROJECT_TABLE = {
    "adjusted_budget": "200", "expenditure": "187.35", "execution_weight": "10",
    "execution_rate": "93.68", "execution_score": "9.37",
    "indicators": [
        # level1, level2, name, nature, target, actual, weight, tier, entered, applicable → score
        ("output", "quantity", "培训人次", "gte", "100", "120", "20", "", None, True, "20.00"),  # capped at w
        ("output", "quality", "培训合格率", "gte", "100", "95", "10", "", None, True, "9.50"),
        ("output", "timeliness", "办结天数", "lte", "30", "36", "10", "", None, True, "8.33"),  # 10×30/36
        ("output", "cost", "人均成本", "lte", "50", "48.5", "10", "", None, True, "10.00"),  # under the cap
        ("outcome", "social", "覆盖社区数", "eq", "8", "7", "15", "", None, True, "13.13"),  # 13.125 ↑
        ("outcome", "sustainability", "长效机制", "qualitative", None, None, "15", "achieved", None, True, "15.00"),
        ("satisfaction", "satisfaction", "学员满意度", "gte", "90", "87.3", "10", "", None, True, "9.70"),
    ],
    # 20 + 9.50 + 8.33 + 10 + 13.13 + 15 + 9.70 + 9.37 = 95.03 of 100.
    "total": "95.03", "grade": "excellent",
}

# 部门整体支出绩效自评表: two budgets, 全年预算数 1000 + 200, 支出 850 + 120 = 970.
# 执行率 970 ÷ 1200 = 80.833…% → 80.83%; 得分 10 × 80.83% = 8.083 → 8.08.
DEPARTMENT_TABLE = {
    "budgets": [
        ("general", {"adjusted_budget": "1000", "personnel": "600", "public": "100", "project": "150"}),
        ("fund", {"adjusted_budget": "200", "personnel": "0", "public": "0", "project": "120"}),
    ],
    "execution_weight": "10", "execution_rate": "80.83", "execution_score": "8.08",
    "indicators": [
        ("output", "quantity", "完成重点项目", "gte", "12", "9", "20", "", None, True, "15.00"),
        ("output", "quality", "项目验收质量", "qualitative", None, None, "10", "partial", "7.5", True, "7.50"),
        ("output", "timeliness", "按期完成月数", "eq", "12", "12", "10", "", None, True, "10.00"),
        ("output", "cost", "运行成本", "lte", "1000", "1080", "10", "", None, True, "9.26"),  # 9.259…
        ("outcome", "economic", "技工贸总收入", "gte", "275", "264", "10", "", None, True, "9.60"),
        ("outcome", "social", "营商环境评价", "qualitative", None, None, "10", "not_achieved", "3", True, "3.00"),
        # Not applicable this year: drops out, and the total is rescaled over 90.
        ("outcome", "ecological", "绿地面积", "gte", "5", "0", "10", None, None, False, None),
        ("satisfaction", "satisfaction", "企业满意度", "gte", "95", "91.2", "10", "", None, True, "9.60"),
    ],
    # (15 + 7.50 + 10 + 9.26 + 9.60 + 3 + 9.60 + 8.08) × 100 ÷ 90 = 72.04 × 100 ÷ 90 = 80.044… → 80.04.
    # Without the rescaling it would read 72.04 (中); with it the grade is 良.
    "total": "80.04", "grade": "good",
}


def _indicators(report, project, rows) -> list[Indicator]:
    created = []
    for position, row in enumerate(rows, start=1):
        level1, level2, name, nature, target, actual, weight, tier, entered, applicable, _ = row
        indicator = IndicatorFactory.build(
            report=report, project=project, level1=level1, level2=level2, name=name,
            nature=nature, unit="", position=position,
            target_value=None if target is None else D(target),
            actual_value=None if actual is None else D(actual),
            weight=D(weight), tier=tier or "", score=None if entered is None else D(entered),
            applicable=applicable,
        )
        # Everything typed in passes the model's own checks, as the admin would require.
        indicator.full_clean()
        indicator.save()
        created.append(indicator)
    return created


def _expected_scores(rows) -> list[Decimal | None]:
    return [None if row[-1] is None else D(row[-1]) for row in rows]


def test_hand_worked_project_table():
    data = PROJECT_TABLE
    project = ProjectFactory(
        adjusted_budget=D(data["adjusted_budget"]), expenditure=D(data["expenditure"]),
        execution_weight_override=D(data["execution_weight"]),
    )
    _indicators(project.report, project, data["indicators"])

    project.refresh_from_db()  # the scores stored as its indicators were written
    table = project_table(project, list(project.indicators.order_by("position")), project.report.rules)

    assert table.execution_rate == D(data["execution_rate"])
    assert table.execution_score == D(data["execution_score"])
    assert [s.score for s in table.indicators] == _expected_scores(data["indicators"])
    assert table.total == D(data["total"])
    assert table.grade == data["grade"]
    # Rows under (gte), over (lte) or off (eq) their targets miss them; capped rows do not.
    assert [s.indicator.name for s in table.indicators if s.missed] == ["培训合格率", "办结天数", "覆盖社区数", "学员满意度"]


def test_hand_worked_department_table():
    data = DEPARTMENT_TABLE
    project = ProjectFactory()  # a project's own indicators must not leak into the department's
    report = project.report
    report.execution_weight_override = D(data["execution_weight"])
    report.save()
    for code, amounts in data["budgets"]:
        BudgetExecutionFactory(
            report=report, funding_source=source(code), **{k: D(v) for k, v in amounts.items()}
        )
    _indicators(report, None, data["indicators"])
    IndicatorFactory(report=report, project=project, weight=D("50"), actual_value=D("1"))

    report.refresh_from_db()  # the scores stored as its rows were written
    table = department_table(
        report, list(report.budget_executions.all()),
        list(report.indicators.filter(project__isnull=True).order_by("position")), report.rules,
    )

    assert table.adjusted_budget == D("1200")
    assert table.expenditure == D("970")
    assert table.execution_rate == D(data["execution_rate"])
    assert table.execution_score == D(data["execution_score"])
    assert [s.score for s in table.indicators] == _expected_scores(data["indicators"])
    assert table.total == D(data["total"])
    assert table.grade == data["grade"]


def test_final_score_on_the_model_matches_the_table():
    project = ProjectFactory()
    rows = _indicators(project.report, project, PROJECT_TABLE["indicators"])
    stored = [type(r).objects.get(pk=r.pk).final_score for r in rows]
    assert stored == [r.fresh_score() for r in rows] == _expected_scores(PROJECT_TABLE["indicators"])


def test_seed_targets_stay_unscored(sample_report):
    indicators = list(sample_report.indicators.all())
    assert len(indicators) == 10
    assert all(i.weight is None and i.final_score is None for i in indicators)
    for indicator in indicators:
        indicator.full_clean()  # the seed's headings are ones the national form has
    table = department_table(
        sample_report, list(sample_report.budget_executions.all()),
        [i for i in indicators if i.project_id is None], sample_report.rules,
    )
    assert not table.is_scored and table.grade is None
    for project in sample_report.projects.all():
        assert not project_table(project, [], sample_report.rules).is_scored


# --- Indicator.clean -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "score", "message"),
    [
        ("achieved", "7.99", "“达成”档的得分应在 8.00 至 10.00 之间。"),
        ("partial", "8.01", "“部分达成”档的得分应不低于 6.00、低于 8.00（8.00 属于上一档）。"),
        ("partial", "5.99", "“部分达成”档的得分应不低于 6.00、低于 8.00（8.00 属于上一档）。"),
        # A boundary belongs to the higher tier (national-2020 as deployed).
        ("partial", "8", "“部分达成”档的得分应不低于 6.00、低于 8.00（8.00 属于上一档）。"),
        ("not_achieved", "6", "“未达成”档的得分应不低于 0.00、低于 6.00（6.00 属于上一档）。"),
        ("not_achieved", "6.01", "“未达成”档的得分应不低于 0.00、低于 6.00（6.00 属于上一档）。"),
    ],
)
def test_clean_rejects_a_score_outside_its_band(tier, score, message):
    indicator = IndicatorFactory.build(
        nature="qualitative", tier=tier, weight=D("10"), score=D(score),
        target_value=None, actual_value=None,
    )
    with pytest.raises(ValidationError) as exc:
        indicator.clean()
    assert exc.value.message_dict == {"score": [message]}


@pytest.mark.parametrize(
    ("tier", "score"),
    [("achieved", "8"), ("achieved", "10"), ("achieved", None), ("partial", "6"),
     ("partial", "7.99"), ("not_achieved", "0"), ("not_achieved", "5.99")],
)
def test_clean_accepts_band_edges(tier, score):
    indicator = IndicatorFactory.build(
        nature="qualitative", tier=tier, weight=D("10"),
        score=None if score is None else D(score),
    )
    indicator.clean()


def test_clean_asks_for_a_score_below_achieved():
    indicator = IndicatorFactory.build(nature="qualitative", tier="partial", weight=D("20"), score=None)
    with pytest.raises(ValidationError) as exc:
        indicator.clean()
    assert exc.value.message_dict == {"score": ["“部分达成”档须填写得分（12.00 至 16.00 之间）。"]}
    # Not applicable, or unweighted: nothing to score, nothing to ask for.
    IndicatorFactory.build(nature="qualitative", tier="partial", weight=D("20"), applicable=False).clean()
    IndicatorFactory.build(nature="qualitative", tier="partial", weight=None).clean()


def test_clean_requires_level2_under_its_level1():
    indicator = IndicatorFactory.build(level1="output", level2="social")
    with pytest.raises(ValidationError) as exc:
        indicator.clean()
    assert list(exc.value.message_dict) == ["level2"]
    assert "“社会效益指标”不属于“产出指标”" in exc.value.message_dict["level2"][0]
    IndicatorFactory.build(level1="outcome", level2="social").clean()


def test_listed_names_follow_the_language():
    from django.utils import translation

    indicator = IndicatorFactory.build(level1="output", level2="social")
    with pytest.raises(ValidationError) as exc:
        indicator.clean()
    assert "请选择“数量指标”、“质量指标”、“时效指标”、“成本指标”。" in exc.value.message_dict["level2"][0]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        indicator.clean()
    message = exc.value.message_dict["level2"][0]
    assert "、" not in message and "”, “" in message, message


def test_a_name_with_its_reason_follows_the_language():
    from django.utils import translation

    from common.formatting import join_names, with_reason

    names = [with_reason("满意度", "超出档次"), "覆盖率"]
    assert join_names(names) == "满意度（超出档次）、覆盖率"
    with translation.override("en"):
        assert join_names([with_reason("Satisfaction", "out of band"), "Coverage"]) == (
            "Satisfaction (out of band), Coverage"
        )
