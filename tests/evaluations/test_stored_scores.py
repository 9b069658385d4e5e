"""Scores stored on indicators, projects and reports (evaluations/scores.py): kept current for
drafts on every write, frozen at publication; ``manage.py rescore``; rule sets as data."""

from __future__ import annotations

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import ProtectedError
from django.urls import reverse

from evaluations import checks, scores, workflow
from evaluations import datasets as ds
from evaluations.exports.streams import stream_csv_bytes
from evaluations.models import Project, Report
from indicators.models import Indicator, RuleSet
from tests.evaluations.public_helpers import page_text, published_report
from tests.factories import (
    BudgetExecutionFactory,
    FiscalYearFactory,
    IndicatorFactory,
    ProjectFactory,
    ReportFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def _table(report: Report):
    """A project whose ≤ indicator scores 16.67 under national-2020 and 16.00 under deduction."""
    BudgetExecutionFactory(report=report)
    project = ProjectFactory(
        report=report, code="roads", name="道路维护", adjusted_budget=D("100"), expenditure=D("95"),
        outcome="完成。",
    )
    IndicatorFactory(report=report, project=project, name="维护成本", weight=D("20"), nature="lte",
                     target_value=D("100"), actual_value=D("120"), position=1, deviation="超支。")
    IndicatorFactory(report=report, project=project, name="维护里程", weight=D("70"),
                     target_value=D("10"), actual_value=D("10"), position=2)
    return project


def _variant(**changes) -> RuleSet:
    national = RuleSet.national()
    national.pk, national.code, national.name = None, "hunan-2023", "湖南省（示例）"
    for name, value in changes.items():
        setattr(national, name, value)
    national.full_clean()
    national.save()
    return national


def _stored(project):
    project.refresh_from_db()
    return (
        list(project.indicators.order_by("position").values_list("final_score", flat=True)),
        project.total_score, project.grade,
    )


def test_every_write_of_a_draft_stores_its_scores():
    report = ReportFactory()
    project = _table(report)
    # 20 × 100/120 = 16.67; 70; execution 10 × 95 % = 9.5 → 96.17, 优
    assert _stored(project) == ([D("16.67"), D("70.00")], D("96.17"), "excellent")
    assert project.execution_rate == D("95.00") and project.execution_score == D("9.50")
    ind = project.indicators.get(position=2)
    ind.actual_value = D("5")
    ind.save()
    assert _stored(project) == ([D("16.67"), D("35.00")], D("61.17"), "fair")


def test_a_new_report_takes_its_years_rule_set_and_copy_forward_the_next_years():
    variant = _variant(lte_formula="deduction")
    year = FiscalYearFactory(year=2031, rule_set=variant)
    report = ReportFactory(fiscal_year=year)
    assert report.rule_set == variant
    project = _table(report)
    assert _stored(project)[0] == [D("16.00"), D("70.00")]  # 20 × (1 − 20/100)
    FiscalYearFactory(year=2032)  # national-2020 by default
    from evaluations.copying import copy_report_forward

    copied = copy_report_forward(report, 2032, user=None)
    assert copied.rule_set == RuleSet.national()


def test_rule_set_change_reaches_drafts_after_rescore_and_never_a_published_report(client):
    variant = _variant()
    draft = ReportFactory(rule_set=variant)
    draft_project = _table(draft)
    published = published_report(rule_set=variant)
    published_project = _table(published)
    before_page = client.get(published.get_absolute_url()).content
    before_csv = {
        name: b"".join(stream_csv_bytes(ds.DATASETS[name], header="keys"))
        for name in ("indicators", "projects", "reports")
    }
    assert _stored(draft_project)[0][0] == D("16.67")

    variant.lte_formula = RuleSet.LteFormula.DEDUCTION
    variant.save()
    # Nothing moves until the command runs (a check says the draft is stale).
    assert _stored(draft_project)[0][0] == D("16.67")
    stale = [f for f in checks.check_report(draft) if f.code == checks.STORED_SCORES_STALE]
    assert stale and stale[0].figures["count"] == 2  # the indicator's score and the total

    out = StringIO()
    call_command("rescore", "--dry-run", stdout=out)
    assert "16.67 → 16.00" in out.getvalue()
    assert _stored(draft_project)[0][0] == D("16.67")  # a dry run writes nothing

    out = StringIO()
    call_command("rescore", stdout=out)
    printed = out.getvalue()
    assert f"{draft.fiscal_year.year} {draft.department.code} · roads · 维护成本 · final_score: 16.67 → 16.00" in printed
    assert "total_score: 96.17 → 95.50" in printed
    assert published.department.code not in printed
    assert _stored(draft_project) == ([D("16.00"), D("70.00")], D("95.50"), "excellent")
    assert not [f for f in checks.check_report(draft) if f.code == checks.STORED_SCORES_STALE]

    # The published report: stored scores, page and exports as they were.
    assert _stored(published_project) == ([D("16.67"), D("70.00")], D("96.17"), "excellent")
    _forget_rendered_pages()
    after_page = client.get(published.get_absolute_url()).content
    assert re.findall(rb"16\.67|96\.17", after_page) == re.findall(rb"16\.67|96\.17", before_page)
    assert b"16.00" not in after_page
    exported = {
        name: b"".join(stream_csv_bytes(ds.DATASETS[name], header="keys")) for name in before_csv
    }
    for name, data in exported.items():
        published_lines = [line for line in data.split(b"\n") if published.department.code.encode() in line]
        assert published_lines == [
            line for line in before_csv[name].split(b"\n") if published.department.code.encode() in line
        ], name


def _forget_rendered_pages() -> None:
    """Render again from the database, not from a page cached before the change."""
    from django.core.cache import cache

    from evaluations.public import page_cache, year_index

    cache.clear()
    page_cache._local.clear()
    year_index._tables.clear()


def test_publication_scores_the_report_once_more_then_freezes_it(reviewer):
    variant = _variant()
    report = ReportFactory(rule_set=variant, status=Report.Status.APPROVED)
    project = _table(report)
    Report.objects.filter(pk=report.pk).update(execution_explanation="")
    variant.lte_formula = RuleSet.LteFormula.DEDUCTION
    variant.save()
    workflow.publish_report(report, reviewer)
    assert _stored(project)[0][0] == D("16.00")  # scored under the rules as they were at publication
    variant.lte_formula = RuleSet.LteFormula.RATIO
    variant.save()
    call_command("rescore", stdout=StringIO())
    assert _stored(project)[0][0] == D("16.00")


def test_recompute_is_a_handful_of_queries_however_large(django_assert_max_num_queries):
    report = ReportFactory()
    project = ProjectFactory(report=report, adjusted_budget=D("10"), expenditure=D("9"))
    Indicator.objects.bulk_create([
        Indicator(report=report, project=project if i % 2 else None, level1="output",
                  level2="quantity", name=f"指标{i}", weight=D("0.05"), target_value=D("3"),
                  actual_value=D(i % 5), position=i)
        for i in range(2000)
    ])
    Indicator.objects.update(final_score=None)
    with django_assert_max_num_queries(12):
        changes = scores.recompute([report.pk])
    assert len([c for c in changes if c.field == "final_score"]) == 2000


def test_deleting_a_rule_set_that_scored_a_report_is_refused(client, superuser):
    variant = _variant()
    FiscalYearFactory(year=2040)
    ReportFactory(rule_set=variant)
    with pytest.raises(ProtectedError):
        variant.delete()
    client.force_login(superuser)
    url = reverse("admin:indicators_ruleset_delete", args=[variant.pk])
    response = client.post(url, {"post": "yes"})
    assert RuleSet.objects.filter(pk=variant.pk).exists()
    assert "受保护" in response.content.decode() or "protected" in response.content.decode().lower()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"partial_max": D("85")}, "partial_max"),  # overlaps 达成 80–100
        ({"partial_max": D("75")}, "partial_max"),  # leaves 75–80 to no tier
        ({"not_achieved_max": D("50")}, "not_achieved_max"),
        ({"output_weight": D("-5")}, "output_weight"),
        ({"good_from": D("95")}, "excellent_from"),
        ({"fair_from": D("85")}, "good_from"),
        ({"cost_weight": D("5"), "output_weight": D("45")}, "cost_weight"),
        ({"over_target": "deduct", "over_target_beyond": D("0")}, "over_target_beyond"),
    ],
)
def test_a_bad_rule_set_is_refused_with_the_field_named(changes, field):
    rule_set = RuleSet(code="bad", name="坏规则", **changes)
    with pytest.raises(ValidationError) as info:
        rule_set.full_clean()
    assert field in info.value.message_dict, info.value.message_dict


def test_a_cost_level1_rule_set_is_accepted():
    rule_set = RuleSet(code="mof-2021", name="成本一级", cost_level1=True,
                       output_weight=D("40"), cost_weight=D("10"))
    rule_set.full_clean()
    assert rule_set.rules.level1_codes == ("output", "outcome", "satisfaction", "cost")


def test_national_2020_is_seeded_with_the_engines_value():
    from indicators.scoring import NATIONAL_2020

    assert RuleSet.objects.get(code="national-2020").rules == NATIONAL_2020


def test_reviewers_read_rule_sets_and_only_administrators_change_them(client, reviewer, superuser):
    national = RuleSet.national()
    change = reverse("admin:indicators_ruleset_change", args=[national.pk])
    client.force_login(reviewer)
    page = client.get(change)
    assert page.status_code == 200
    assert b'name="lte_formula"' not in page.content  # read-only
    assert client.post(change, {"code": "x"}).status_code == 403
    client.force_login(superuser)
    assert b'name="lte_formula"' in client.get(change).content


def test_the_public_page_names_the_rule_set_and_its_basis(client):
    report = published_report()
    text = page_text(client.get(report.get_absolute_url()).content)
    assert "评分规则" in text and "财预〔2020〕10号" in text


def test_checks_flag_a_cost_indicator_set_as_gte():
    report = ReportFactory()
    IndicatorFactory(report=report, level1="output", level2="cost", nature="gte", name="单位成本")
    found = [f for f in checks.check_report(report) if f.code == checks.COST_NOT_LTE]
    assert len(found) == 1 and "单位成本" in found[0].message


def test_cost_level1_only_under_a_rule_set_that_has_it():
    report = ReportFactory()
    ind = Indicator(report=report, level1="cost", level2="economic_cost", name="经济成本", nature="lte")
    with pytest.raises(ValidationError) as info:
        ind.full_clean()
    assert "level1" in info.value.message_dict
    report.rule_set = _variant(cost_level1=True, output_weight=D("40"), cost_weight=D("10"))
    report.save()
    ind = Indicator(report=report, level1="cost", level2="economic_cost", name="经济成本", nature="lte")
    ind.full_clean(exclude=["position"])


def test_importing_an_unknown_rule_set_names_row_and_column_and_writes_nothing():
    from evaluations.imports.importer import import_file
    from tests.factories import DepartmentFactory

    DepartmentFactory(code="d1")
    FiscalYearFactory(year=2024)
    variant = _variant()
    rows = "year,department_code,profile,rule_set\r\n2024,d1,甲,hunan-2023\r\n2025,d1,乙,nowhere\r\n"
    FiscalYearFactory(year=2025)
    result = import_file(ds.REPORTS, rows.encode(), user=None)
    assert [str(e) for e in result.errors] == ["第 3 行，“rule_set”列：评分规则“nowhere”不存在。"]
    assert not Report.objects.exists()
    result = import_file(ds.REPORTS, rows.replace("nowhere", "").encode(), user=None)
    assert result.ok, result.errors
    by_year = {r.fiscal_year.year: r.rule_set for r in Report.objects.all()}
    assert by_year == {2024: variant, 2025: RuleSet.national()}  # empty: the year's default


def test_importing_cost_indicators_defaults_them_to_lte_and_refuses_cost_level1_under_national():
    from evaluations.imports.importer import import_file
    from tests.factories import DepartmentFactory

    DepartmentFactory(code="d1")
    FiscalYearFactory(year=2024)
    header = "year,department_code,project_code,level1,level2,name,nature\r\n"
    result = import_file(ds.INDICATORS, (header + "2024,d1,,output,cost,单位成本,\r\n").encode(), user=None)
    assert result.ok, result.errors
    assert Indicator.objects.get(name="单位成本").nature == "lte"
    result = import_file(
        ds.INDICATORS, (header + "2024,d1,,cost,economic_cost,经济成本,\r\n").encode(), user=None
    )
    assert [str(e) for e in result.errors] == [
        "第 2 行，“level1”列：该报告的评分规则不设“成本指标”一级指标，请填在“产出指标”下。"
    ]
    assert not Indicator.objects.filter(name="经济成本").exists()


def test_the_fast_export_holds_no_rule():
    """exports/sql.py formats cells; no scoring rule, constant or band is written in it."""
    import inspect

    from evaluations.exports import pg, sql

    for module in (sql, pg):
        source = inspect.getsource(module)
        assert "indicators.scoring" not in source and "import scoring" not in source
        for word in ("QUALITATIVE_BANDS", "QUANTITATIVE", "FULL_BY_DEFAULT", "tier", "weight"):
            assert word not in source, (module.__name__, word)


@pytest.mark.postgresql
def test_both_export_paths_print_the_stored_score_under_a_variant():
    """Under a variant rule set, the fast COPY path and the Python path write the same bytes,
    and both print what is stored (a value the rules could never give shows up as stored)."""
    from django.db import connection

    variant = _variant(lte_formula="deduction", over_target="deduct")
    report = ReportFactory(rule_set=variant)
    project = _table(report)
    IndicatorFactory(report=report, project=project, name="超额", weight=D("10"),
                     target_value=D("10"), actual_value=D("40"), position=3)
    assert _stored(project)[0] == [D("16.00"), D("70.00"), D("3.75")]  # 10 × 15 ÷ 40
    Indicator.objects.filter(name="维护里程").update(final_score=D("12.34"))
    slow = b"".join(stream_csv_bytes(ds.INDICATORS, header="keys", fast=False))
    assert b",12.34\n" in slow and b",16.00\n" in slow and b",3.75\n" in slow
    if connection.vendor == "postgresql":
        assert b"".join(stream_csv_bytes(ds.INDICATORS, header="keys", fast=True)) == slow


def test_only_reviewers_choose_a_reports_rule_set(client, data_entry_user, reviewer):
    from evaluations.imports.importer import import_file

    variant = _variant()
    report = ReportFactory(department__code="d1", fiscal_year__year=2024)
    report.department.staff.add(data_entry_user)
    rows = b"year,department_code,rule_set\r\n2024,d1,hunan-2023\r\n"
    result = import_file(ds.REPORTS, rows, user=data_entry_user)
    assert [str(e) for e in result.errors] == ["第 2 行，“rule_set”列：无权更改报告的评分规则。"]
    assert import_file(ds.REPORTS, rows, user=reviewer).ok
    report.refresh_from_db()
    assert report.rule_set == variant
    client.force_login(data_entry_user)
    page = client.get(reverse("admin:evaluations_report_change", args=[report.pk])).content
    assert b'name="rule_set"' not in page and "湖南省（示例）".encode() in page


def test_tables_scored_as_written_are_totalled_from_fewer_columns(django_assert_max_num_queries):
    """``recompute(scored=…)`` totals those reports' tables from their stored scores, reading
    neither targets nor results; beside them in the same round a report scored in full still
    has every column read and every indicator rescored."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    written, other = ReportFactory(), ReportFactory()
    tables_of = {report.pk: _table(report) for report in (written, other)}
    expected = {pk: _stored(project) for pk, project in tables_of.items()}
    Report.objects.update(total_score=None, grade="")
    Project.objects.update(total_score=None, grade="")
    Indicator.objects.filter(report=other).update(final_score=None)
    with CaptureQueriesContext(connection) as queries:
        changes = scores.recompute([written.pk, other.pk], scored=[written.pk])
    reads = [q["sql"] for q in queries if 'FROM "indicators_indicator"' in q["sql"]]
    assert len(reads) == 2
    light, full = reads
    assert '"target_value"' not in light and '"actual_value"' not in light and str(written.pk) in light
    assert '"target_value"' in full and '"actual_value"' in full
    assert {pk: _stored(project) for pk, project in tables_of.items()} == expected
    assert not [c for c in changes if c.report_id == written.pk and c.field == "final_score"]
    assert len([c for c in changes if c.report_id == other.pk and c.field == "final_score"]) == 2
