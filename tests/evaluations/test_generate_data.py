"""manage.py generate_data: deterministic, consistent synthetic reports through bulk paths."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench import synthetic
from evaluations.models import (
    BudgetExecution,
    Department,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
)
from indicators.models import Indicator
from indicators.tables import department_table, project_table

pytestmark = pytest.mark.django_db

SMALL = synthetic.Plan(departments=3, years=2, projects=2, indicators=4, seed=7)

# Every stored column of every generated row, with foreign keys replaced by natural keys,
# so two runs compare equal whatever ids the database handed out.
SNAPSHOT = {
    Department: ["code", "name", "short_name", "parent__code"],
    Report: [
        "department__code", "fiscal_year__year", "status", "revision", "published_at", "title",
        "profile", "goals", "overall_summary", "problems", "improvements",
        "result_application", "other_matters", "execution_weight", "execution_explanation",
        "index_number", "publisher", "document_number",
    ],
    BudgetExecution: [
        "report__department__code", "report__fiscal_year__year", "funding_source__code",
        "initial_budget", "adjusted_budget", "income", "personnel", "public", "project",
    ],
    Project: [
        "report__department__code", "report__fiscal_year__year", "code", "funding_source__code",
        "name", "initial_budget", "adjusted_budget", "expenditure", "goal", "outcome",
        "execution_weight", "execution_explanation", "position",
    ],
    ProjectFund: [
        "project__report__department__code", "project__report__fiscal_year__year",
        "project__code", "funding_source__code", "initial_budget", "adjusted_budget",
        "expenditure",
    ],
    OutcomeNarrative: [
        "report__department__code", "report__fiscal_year__year", "position", "headline", "body",
    ],
    Indicator: [
        "report__department__code", "report__fiscal_year__year", "project__code", "position",
        "level1", "level2", "name", "nature", "unit", "target_value", "target_text",
        "actual_value", "actual_text", "weight", "tier", "applicable", "score", "deviation",
    ],
}


def snapshot() -> dict:
    return {
        model.__name__: sorted(
            model.objects.values_list(*fields), key=lambda row: tuple(str(v) for v in row)
        )
        for model, fields in SNAPSHOT.items()
    }


def generate_and_roll_back(plan: synthetic.Plan) -> dict:
    with transaction.atomic():
        synthetic.generate(plan)
        rows = snapshot()
        transaction.set_rollback(True)
    return rows


def test_counts_follow_the_plan():
    counts = synthetic.generate(SMALL)
    assert counts["departments"] == Department.objects.count() == 3
    assert counts["reports"] == Report.objects.count() == 6
    assert counts["projects"] == Project.objects.count() == 12
    assert counts["narratives"] == OutcomeNarrative.objects.count() == 18
    # 6 reports × (1 department table + 2 project tables) × 4 indicators
    assert counts["indicators"] == Indicator.objects.count() == SMALL.total_indicators == 72
    assert Indicator.objects.filter(project=None).count() == 24
    assert counts["project_funds"] == ProjectFund.objects.count()
    assert 12 <= counts["project_funds"] <= 24
    assert counts["budget_executions"] == BudgetExecution.objects.count()
    assert 6 <= counts["budget_executions"] <= 12
    assert set(Report.objects.values_list("status", flat=True)) == {"published"}
    assert sorted(Report.objects.order_by().values_list("fiscal_year__year", flat=True).distinct()) == [2020, 2021]
    assert Department.objects.get(code="syn-00002").parent.code == "syn-00001"


def test_same_seed_gives_the_same_rows():
    first = generate_and_roll_back(SMALL)
    assert Department.objects.count() == 0
    second = generate_and_roll_back(SMALL)
    assert first == second
    assert len(first["Indicator"]) == 72


def test_rows_do_not_depend_on_the_batch_size(monkeypatch):
    whole = generate_and_roll_back(SMALL)
    monkeypatch.setattr(synthetic, "REPORT_BATCH", 1)
    monkeypatch.setattr(synthetic, "BATCH_SIZE", 5)
    assert generate_and_roll_back(SMALL) == whole


def test_another_seed_gives_other_rows():
    first = generate_and_roll_back(SMALL)
    other = generate_and_roll_back(synthetic.Plan(departments=3, years=2, projects=2, indicators=4, seed=8))
    assert first["Indicator"] != other["Indicator"]
    assert len(first["Indicator"]) == len(other["Indicator"])


def test_generated_reports_are_consistent_and_scored():
    synthetic.generate(synthetic.Plan(departments=4, years=1, projects=3, indicators=7, seed=1))
    reports = Report.objects.prefetch_related(
        "budget_executions", "projects__funds", "indicators"
    )
    for report in reports:
        indicators = list(report.indicators.all())
        projects = list(report.projects.all())
        table = department_table(report, list(report.budget_executions.all()), [
            i for i in indicators if i.project_id is None
        ], report.rules)
        tables = [table] + [
            project_table(p, [i for i in indicators if i.project_id == p.pk], report.rules)
            for p in projects
        ]
        for t in tables:
            assert t.total is not None and t.grade is not None
            assert sum(s.indicator.weight for s in t.indicators) + t.execution_weight == 100
            for scored in t.indicators:
                assert not scored.error
                assert not scored.missed or scored.indicator.deviation
        for budget in report.budget_executions.all():
            assert budget.project == sum(
                p.expenditure for p in projects if p.funding_source_id == budget.funding_source_id
            )
        for project in projects:
            funds = list(project.funds.all())
            assert sum(f.expenditure for f in funds) == project.expenditure
            assert sum(f.adjusted_budget for f in funds) == project.adjusted_budget


@pytest.mark.postgresql
def test_queries_stay_flat_as_the_plan_grows():
    """Bulk paths: more rows, not more statements."""
    def statements(plan):
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            synthetic.generate(plan)
            transaction.set_rollback(True)
        return len(ctx.captured_queries)

    small = statements(synthetic.Plan(departments=2, years=1, projects=1, indicators=3))
    large_plan = synthetic.Plan(departments=20, years=1, projects=6, indicators=12)
    large = statements(large_plan)
    if connection.vendor == "postgresql":
        assert small == large  # COPY: one statement per table and round
    else:
        # bulk_create: one INSERT per batch, which SQLite's variable limit keeps small.
        assert large < large_plan.total_indicators / 20


def test_command_prints_a_summary_and_refuses_to_run_twice():
    out = StringIO()
    args = ["--departments", "2", "--years", "1", "--projects", "1", "--indicators", "3"]
    call_command("generate_data", *args, stdout=out)
    assert "2 departments × 1 years = 2 reports, 2 projects, 12 indicators (seed 0)" in out.getvalue()
    assert "Created 2 departments" in out.getvalue()
    with pytest.raises(CommandError, match="fresh database"):
        call_command("generate_data", *args, stdout=StringIO())


def test_dry_run_writes_nothing():
    out = StringIO()
    call_command(
        "generate_data", "--departments", "5", "--years", "2", "--projects", "9",
        "--indicators", "10", "--dry-run", stdout=out,
    )
    assert "1000 indicators" in out.getvalue()
    assert not Department.objects.exists()


def test_invalid_plan_is_a_command_error():
    with pytest.raises(CommandError):
        call_command(
            "generate_data", "--departments", "0", "--years", "1", "--projects", "1",
            "--indicators", "1", stdout=StringIO(),
        )


def test_indicator_names_are_unique_within_each_table():
    """Imports identify an indicator by its table and name, so a table never repeats one."""
    synthetic.generate(synthetic.Plan(departments=3, years=1, projects=3, indicators=30, seed=3))
    keys = list(Indicator.objects.values_list("report_id", "project_id", "name"))
    assert len(keys) == len(set(keys)) == 3 * 4 * 30


def test_generates_into_a_database_without_rule_sets():
    """A flushed database has no rule set: the first new year makes the default, and the
    reports are scored under it (the rule sets were read before the years, a KeyError)."""
    from indicators.models import RuleSet

    Report.objects.all().delete()
    RuleSet.objects.all().delete()
    synthetic.generate(SMALL)
    assert RuleSet.objects.count() == 1
    report = Report.objects.filter(department__code__startswith=synthetic.CODE_PREFIX).first()
    assert report.rule_set_id == RuleSet.objects.get().pk and report.total_score is not None
