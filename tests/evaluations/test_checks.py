"""Each consistency check fires on a crafted report, names its figures, and is quiet on the seed."""

from decimal import Decimal

import pytest

from evaluations import checks, scores
from evaluations.models import BudgetExecution, Project, ProjectFund
from tests.factories import (
    BudgetExecutionFactory,
    IndicatorFactory,
    ProjectFactory,
    ProjectFundFactory,
    ReportFactory,
    source,
)

pytestmark = pytest.mark.django_db

# Checking a draft: budgets, projects, fund rows, indicators, narratives, findings (this year's
# and last year's), the report's rule set, its stored scores (a draft: stored_scores_stale).
DRAFT_CHECK_QUERIES = 8


def codes(findings, severity=None):
    return [f.code for f in findings if severity is None or f.severity == severity]


@pytest.fixture
def clean_report():
    """A small report that passes every check: 55 of project spending in two listed projects."""
    report = ReportFactory()
    BudgetExecutionFactory(report=report, adjusted_budget=Decimal("80"), project=Decimal("19.0000"))
    ProjectFactory(report=report, expenditure=Decimal("9.5"), adjusted_budget=Decimal("10"))
    ProjectFactory(report=report, expenditure=Decimal("9.5"), adjusted_budget=Decimal("10"))
    return report


def test_seed_has_no_errors_and_only_flags_the_unlisted_fund_projects(sample_report):
    findings = checks.check_report(sample_report)
    assert checks.errors(findings) == []
    [warning] = checks.warnings(findings)
    assert warning.code == checks.PROJECTS_NOT_LISTED
    assert warning.figures == {"budget_project": Decimal("1898.71")}
    assert "政府性基金预算" in warning.message and "1,898.71" in warning.message


def test_clean_report_is_quiet(clean_report):
    assert checks.check_report(clean_report) == []


def test_projects_must_add_up_to_the_budget_project_spending(clean_report):
    ProjectFactory(report=clean_report, expenditure=Decimal("1.25"), adjusted_budget=None)
    [finding] = checks.check_report(clean_report)
    assert (finding.code, finding.severity) == (checks.PROJECTS_SUM, checks.ERROR)
    assert finding.figures == {
        "budget_project": Decimal("19"), "projects_total": Decimal("20.25"),
        "difference": Decimal("1.25"),
    }
    assert "20.25" in finding.message and "19.00" in finding.message
    assert "一般公共预算" in finding.message


def test_projects_under_a_budget_with_no_row_do_not_add_up(clean_report):
    ProjectFactory(
        report=clean_report, funding_source=source("fund"), expenditure=Decimal("3"),
        adjusted_budget=Decimal("3"),
    )
    findings = checks.check_report(clean_report)
    assert codes(findings) == [checks.PROJECTS_SUM]
    assert findings[0].figures["budget_project"] == 0
    assert findings[0].subject == "政府性基金预算"


def test_missed_target_needs_a_deviation_reason(clean_report):
    indicator = IndicatorFactory(
        report=clean_report, target_value=Decimal("15"), actual_value=Decimal("12")
    )
    [finding] = checks.check_report(clean_report)
    assert finding.code == checks.DEVIATION_MISSING and finding.is_error
    assert finding.figures["target"] == Decimal("15") and finding.figures["actual"] == Decimal("12")
    assert indicator.name in finding.message and "15个" in finding.message
    indicator.deviation = "受疫情影响，部分项目延期开工。"
    indicator.save()
    assert checks.check_report(clean_report) == []


def test_missed_qualitative_target_of_a_project_needs_a_deviation_reason(clean_report):
    project = clean_report.projects.first()
    IndicatorFactory(
        report=clean_report, project=project, nature="qualitative", target_value=None,
        actual_value=None, tier="partial",
    )
    [finding] = checks.check_report(clean_report)
    assert finding.code == checks.DEVIATION_MISSING
    assert project.name in finding.message and "部分达成" in finding.message


def test_low_execution_rate_needs_an_explanation(clean_report):
    project = clean_report.projects.first()
    project.adjusted_budget = Decimal("12")
    project.save()
    [finding] = checks.check_report(clean_report)
    assert finding.code == checks.EXECUTION_EXPLANATION_MISSING
    assert finding.figures == {
        "execution_rate": Decimal("79.17"), "expenditure": Decimal("9.5"),
        "adjusted_budget": Decimal("12"),
    }
    assert "79.17%" in finding.message
    project.execution_explanation = "部分资金年底下达。"
    project.save()
    assert checks.check_report(clean_report) == []


def test_low_department_execution_rate_needs_an_explanation(clean_report):
    # 50 + 10 + 19 = 79 spent of an adjusted budget of 120: 65.83%.
    BudgetExecution.objects.filter(report=clean_report).update(adjusted_budget=Decimal("120"))
    scores.recompute([clean_report.pk])  # update() bypasses the writes that rescore
    [finding] = checks.check_report(clean_report)
    assert finding.code == checks.EXECUTION_EXPLANATION_MISSING
    assert finding.figures["execution_rate"] == Decimal("65.83")
    assert "部门整体" in finding.message
    clean_report.execution_explanation = "人员调出，经费结余。"
    clean_report.save()
    assert checks.check_report(clean_report) == []


def test_every_project_needs_an_outcome_narrative(clean_report):
    project = clean_report.projects.first()
    project.outcome = "  \n"
    project.save()
    [finding] = checks.check_report(clean_report)
    assert finding.code == checks.OUTCOME_MISSING
    assert project.name in finding.message


def test_weights_of_a_scored_table_add_up_to_100(clean_report):
    project = clean_report.projects.first()
    for level1, weight in (("output", "50"), ("outcome", "30"), ("satisfaction", "5")):
        IndicatorFactory(report=clean_report, project=project, level1=level1, weight=Decimal(weight))
    [finding] = checks.check_report(clean_report)
    assert finding.code == checks.WEIGHTS_MISMATCH
    assert finding.figures["entered_total"] == Decimal("95")
    assert finding.figures["difference"] == Decimal("-5")
    assert finding.figures["satisfaction"] == Decimal("5")
    assert "95.00" in finding.message
    IndicatorFactory(report=clean_report, project=project, level1="satisfaction", weight=Decimal("5"))
    assert checks.check_report(clean_report) == []


def test_unweighted_tables_are_not_checked_for_weights(clean_report):
    # Like the sample's economic targets: listed, not scored.
    IndicatorFactory(report=clean_report, weight=None)
    assert checks.check_report(clean_report) == []


def test_qualitative_score_outside_its_band(clean_report):
    project = clean_report.projects.first()
    IndicatorFactory(report=clean_report, project=project, weight=Decimal("90"))
    IndicatorFactory(
        report=clean_report, project=project, nature="qualitative", level1="satisfaction",
        weight=Decimal("0"), tier="achieved", score=Decimal("0"), deviation="",
    )
    assert checks.check_report(clean_report) == []  # 0 of 0 lies in the band
    bad = IndicatorFactory(
        report=clean_report, project=project, nature="qualitative", level1="satisfaction",
        weight=Decimal("10"), tier="achieved", score=Decimal("5"),
    )
    found = checks.check_report(clean_report)
    assert checks.SCORE_OUT_OF_BAND in codes(found)
    assert bad.name in next(f.message for f in found if f.code == checks.SCORE_OUT_OF_BAND)


def test_project_funds_that_do_not_add_up_are_a_warning(clean_report):
    project = clean_report.projects.first()
    ProjectFundFactory(project=project, expenditure=Decimal("9"))
    [finding] = checks.check_report(clean_report)
    assert (finding.code, finding.severity) == (checks.PROJECT_FUNDS_SUM, checks.WARNING)
    assert finding.figures == {"funds_total": Decimal("9"), "expenditure": Decimal("9.5")}


def test_negative_amounts_are_errors(clean_report):
    # The database refuses negative amounts, so craft the rows in memory as an import would.
    data = checks.load(clean_report)
    data.budget_executions[0].income = Decimal("-1")
    project = data.projects[0]
    project.expenditure = Decimal("-9.5")
    data.project_funds = [ProjectFund(project=project, funding_source=source("other"), expenditure=Decimal("-2"))]
    found = [f for f in checks.run_checks(data) if f.code == checks.NEGATIVE_AMOUNT]
    assert [f.figures for f in found] == [
        {"field": "income", "value": Decimal("-1")},
        {"field": "expenditure", "value": Decimal("-9.5")},
        {"field": "expenditure", "value": Decimal("-2")},
    ]
    assert "财政拨款收入" in found[0].message and "-1.00" in found[0].message
    assert all(f.is_error for f in found)


def test_checks_read_a_report_in_a_fixed_number_of_queries(clean_report, django_assert_num_queries):
    with django_assert_num_queries(DRAFT_CHECK_QUERIES):
        checks.check_report(clean_report)
    for _ in range(5):
        project = ProjectFactory(report=clean_report, expenditure=Decimal("0"), adjusted_budget=None)
        ProjectFundFactory(project=project, expenditure=Decimal("0"))
        IndicatorFactory(report=clean_report, project=project)
        IndicatorFactory(report=clean_report)
    with django_assert_num_queries(7):  # its rule set is loaded on the report now
        assert checks.check_report(clean_report) == []
    assert Project.objects.filter(report=clean_report).count() == 7


@pytest.mark.parametrize("blank", ["", "  \n ", "无。", "—"])
@pytest.mark.parametrize(("field", "section"), [
    ("profile", "一（一）部门基本情况"),
    ("overall_summary", "六（一）部门整体支出绩效情况"),
    ("problems", "七、存在的问题及原因分析"),
    ("improvements", "八、下一步改进措施"),
    ("result_application", "九、绩效自评结果拟应用和公开情况"),
])
def test_each_section_the_outline_requires_needs_a_sentence(clean_report, field, section, blank):
    setattr(clean_report, field, blank)
    clean_report.save()
    [finding] = checks.check_report(clean_report)
    assert (finding.code, finding.severity) == (checks.SECTION_MISSING, checks.ERROR)
    assert section in finding.message
    assert finding.figures == {"field": field}


def test_numbered_narratives_write_section_six_one(clean_report):
    from tests.factories import OutcomeNarrativeFactory

    clean_report.overall_summary = ""
    clean_report.save()
    OutcomeNarrativeFactory(report=clean_report, headline="园区经济稳步增长", body="")
    assert checks.check_report(clean_report) == []


def test_other_matters_is_optional(clean_report):
    clean_report.other_matters = ""
    clean_report.save()
    assert checks.check_report(clean_report) == []


def test_a_weighted_indicator_without_a_result_blocks_submission(clean_report):
    """A copied report's actuals are cleared; in a scored table a result left blank counts as
    0, so it blocks submission, naming the indicator (the admin reviewer published one with
    most actuals blank). A target-only table (the seed's) and a not applicable row need none."""
    from indicators.models import Indicator

    IndicatorFactory(report=clean_report, name="完成率", weight=Decimal("90"), target_value=Decimal("10"),
                     actual_value=None, actual_text="", tier="", position=1)
    IndicatorFactory(report=clean_report, name="不适用的", weight=Decimal("10"), target_value=Decimal("10"),
                     actual_value=None, actual_text="", applicable=False, position=2)
    IndicatorFactory(report=clean_report, name="目标", weight=None, target_value=Decimal("10"),
                     actual_value=None, actual_text="", position=3)
    found = [f for f in checks.check_report(clean_report) if f.code == checks.RESULT_MISSING]
    assert [(f.severity, f.indicator_id) for f in found] == [
        (checks.ERROR, Indicator.objects.get(name="完成率").pk)]
    assert "“完成率”设有分值 90.00，尚未填写实际完成值" in found[0].message
    Indicator.objects.filter(name="完成率").update(actual_text="基本完成")
    assert not [f for f in checks.check_report(clean_report) if f.code == checks.RESULT_MISSING]
