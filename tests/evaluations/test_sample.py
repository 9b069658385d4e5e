"""The sample report loads exactly, idempotently, and keeps every paragraph and figure."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from evaluations.models import BudgetExecution, Department, OutcomeNarrative, Project, Report
from evaluations.sample import SAMPLE_TEXT
from indicators.models import Indicator

pytestmark = pytest.mark.django_db


def _seed_lines() -> list[str]:
    text = SAMPLE_TEXT.read_text(encoding="utf-8").replace("[bookmark: _GoBack]", "")
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_projects_and_basic_spending_add_up_exactly(sample_report):
    projects = list(sample_report.projects.order_by("position"))
    assert len(projects) == 8
    assert sum(p.expenditure for p in projects) == Decimal("1524.91")
    general = sample_report.budget_executions.get(funding_source__code="general")
    assert general.basic == Decimal("303.99") == general.personnel + general.public
    assert (general.personnel, general.public) == (Decimal("266.61"), Decimal("37.38"))
    assert general.expenditure == Decimal("1828.90") == general.income
    assert general.initial_budget == Decimal("392.69")
    fund = sample_report.budget_executions.get(funding_source__code="fund")
    assert fund.expenditure == fund.project == Decimal("1898.71")
    assert not sample_report.budget_executions.filter(
        funding_source__code__in=["state_capital", "social_insurance"]
    ).exists()


def test_loading_twice_creates_no_duplicates(db):
    call_command("load_sample", stdout=None)
    counts = [
        m.objects.count()
        for m in (Department, Report, BudgetExecution, Project, OutcomeNarrative, Indicator)
    ]
    call_command("load_sample", stdout=None)
    assert counts == [
        m.objects.count()
        for m in (Department, Report, BudgetExecution, Project, OutcomeNarrative, Indicator)
    ]
    assert counts == [2, 1, 2, 8, 6, 10]
    # Its three official files written once, as a publication writes them: the page lists
    # them with size and SHA-256 from the start (it listed none until a first download).
    from evaluations.models import ReportDocument

    assert sorted(ReportDocument.objects.values_list("kind", flat=True)) == ["docx", "pdf", "xlsx"]


def test_reload_does_not_reset_a_report_moved_on_in_the_workflow(sample_report):
    Report.objects.filter(pk=sample_report.pk).update(status=Report.Status.DRAFT)
    call_command("load_sample", stdout=None)
    assert Report.objects.get(pk=sample_report.pk).status == Report.Status.DRAFT


def test_every_paragraph_of_the_seed_is_stored(sample_report):
    stored = [
        sample_report.profile, sample_report.goals, sample_report.overall_summary,
        sample_report.problems, sample_report.improvements, sample_report.result_application,
    ]
    stored += [f"{n.headline}{n.body}" for n in sample_report.narratives.all()]
    stored += [p.outcome for p in sample_report.projects.all()]
    corpus = "\n".join(stored)
    # Sentences about 财政拨款 are generated from the budget rows (checked figure by figure).
    paragraphs = [line for line in _seed_lines() if len(line) > 40 and "财政拨款" not in line]
    assert len(paragraphs) >= 15
    for line in paragraphs:
        # Drop the list numbering ("3." / "1、") and, for project lines, the generated lead.
        body = re.sub(r"^\d+[.、]", "", line)
        body = re.sub(r"^[^。]*?支出[\d,.]+万元。", "", body)
        assert body in corpus, line[:40]
    assert "[bookmark" not in corpus


def test_every_figure_of_the_seed_is_stored(sample_report):
    amounts = set()
    for row in sample_report.budget_executions.all():
        amounts |= {row.initial_budget, row.income, row.personnel, row.public, row.project,
                    row.basic, row.expenditure}
    amounts |= {p.expenditure for p in sample_report.projects.all()}
    amounts |= {i.target_value for i in sample_report.indicators.all()}
    # Sections 二 to 五 are figures, not prose: each must be a stored amount.
    lines = _seed_lines()
    start = lines.index("二、一般公共预算支出情况")
    end = lines.index("六、资金使用及绩效情况")
    money = re.findall(r"([\d,]+\.\d+|\d+)万元", "\n".join(lines[start:end]))
    assert len(money) >= 16
    for figure in money:
        assert Decimal(figure.replace(",", "")) in amounts, figure
    for figure in ["275", "4.96", "180", "8", "86.8", "15", "18", "16", "16.16", "206.6"]:
        assert Decimal(figure) in amounts, figure


def test_seed_targets_are_unweighted_indicators(sample_report):
    indicators = list(sample_report.indicators.order_by("position"))
    assert [i.name for i in indicators[:2]] == ["技工贸总收入", "技工贸总收入增长率"]
    assert all(i.weight is None and i.final_score is None for i in indicators)
    assert indicators[0].target_display == "275亿元"
    assert indicators[-1].target_display == "206.6亩"
