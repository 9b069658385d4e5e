"""The rule set's later parameters (docs/design.md, "Scoring rule sets"): the monitoring lights'
thresholds, the grade → budget recommendation map, the execution weight a table takes unless it
sets its own, and "missed" read under the report's own rules on the stored tables.

Hand-worked figures are in the comments; national-2020 keeps every former constant.
"""

from __future__ import annotations

import dataclasses
import importlib
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from evaluations import checks, lights, monitoring, workflow
from evaluations import datasets as ds
from evaluations.copying import copy_report_forward
from evaluations.exports.streams import stream_csv_bytes
from evaluations.models import Project, Recommendation, Report
from indicators import scoring, tables
from indicators.models import RuleSet
from indicators.vocabulary import suggested_recommendation
from tests.evaluations.public_helpers import page_text, published_report
from tests.evaluations.test_monitoring import new_round, progress, spend, world  # noqa: F401
from tests.factories import (
    BudgetExecutionFactory,
    FiscalYearFactory,
    IndicatorFactory,
    ProjectFactory,
    ReportFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def _variant(code="variant", **changes) -> RuleSet:
    rule_set = RuleSet.national()
    rule_set.pk, rule_set.code, rule_set.name = None, code, "某省（示例）"
    for name, value in changes.items():
        setattr(rule_set, name, value)
    rule_set.full_clean()
    rule_set.save()
    return rule_set


# --- Bad input: each refused with its field named -------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"spending_by_june": D("20")}, "spending_by_june"),  # below April's 25
        ({"spending_by_october": D("59.99")}, "spending_by_october"),  # below August's 60
        ({"spending_by_october": D("100.01")}, "spending_by_october"),
        ({"progress_gap": D("-1")}, "progress_gap"),
        ({"recommend_poor": ""}, "recommend_poor"),  # every grade mapped
        ({"recommend_fair": "abolish"}, "recommend_fair"),  # to a known recommendation
    ],
)
def test_bad_thresholds_and_recommendations_are_refused_with_the_field_named(changes, field):
    rule_set = RuleSet(code="bad", name="坏规则", **changes)
    with pytest.raises(ValidationError) as info:
        rule_set.full_clean()
    assert list(info.value.message_dict) == [field], info.value.message_dict


def test_equal_thresholds_in_a_row_are_in_order():
    RuleSet(code="flat", name="持平", spending_by_june=D("25"), spending_by_august=D("25")).full_clean()


def test_the_admin_refuses_thresholds_out_of_order_and_saves_nothing(client, superuser):
    national = RuleSet.national()
    client.force_login(superuser)
    url = reverse("admin:indicators_ruleset_change", args=[national.pk])
    page = client.get(url)
    for name in ("spending_by_april", "progress_gap", "recommend_excellent", "recommend_poor"):
        assert f'name="{name}"'.encode() in page.content
    form = page.context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()
            if name != "id"}
    data["spending_by_october"] = "50"
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error beside the field
    assert "spending_by_october" in response.context["adminform"].form.errors
    assert "10月末的支出进度预警线 50% 低于8月末的 60.00%" in response.content.decode()
    national.refresh_from_db()
    assert national.spending_by_october == D("80")


def test_national_2020_keeps_the_former_constants():
    national = RuleSet.national()
    assert national.rules == scoring.NATIONAL_2020
    assert lights.Thresholds.of(national.rules) == lights.DEFAULT_THRESHOLDS == lights.Thresholds(
        spending=((4, D(25)), (6, D(40)), (8, D(60)), (10, D(80))), progress_gap=D(10),
    )
    assert dict(national.rules.recommendations) == {
        "excellent": "increase", "good": "keep", "fair": "reduce", "poor": "cancel",
    }
    parameters = dict(national.parameters())
    assert parameters["监控支出进度预警线"] == "4月末 25%，6月末 40%，8月末 60%，10月末 80%"
    assert parameters["结果应用建议"] == "优 → 优先保障（增加），良 → 保持，中 → 压减，差 → 取消"


# --- Monitoring lights read the report's rule set -------------------------------------------


def test_a_rounds_lights_follow_its_reports_rule_set(world):  # noqa: F811
    report = world.report_a
    round_ = new_round(report, 7)
    spend(round_, "20")  # 20 of 70 = 28.57 %: below June's 40 % (national), above a 20 % floor
    assert monitoring.refresh_light(round_).colour == "red"
    lenient = _variant(spending_by_april=D("10"), spending_by_june=D("20"))
    Report.objects.filter(pk=report.pk).update(rule_set=lenient)
    round_.refresh_from_db()
    assert monitoring.refresh_light(round_).colour == "green"
    strict = _variant("strict", spending_by_june=D("30.5"), spending_by_august=D("60"))
    Report.objects.filter(pk=report.pk).update(rule_set=strict)
    light = monitoring.refresh_light(round_)
    assert light.colour == "red" and "低于6月末应达到的30.5%" in light.reason


def test_the_progress_gap_is_the_rule_sets_and_the_export_says_so(world):  # noqa: F811
    report = world.report_a
    project = report.projects.get()
    round_ = new_round(report, 10)
    spend(round_, "60")
    spend(round_, "9", project)  # 90 %
    progress(round_, report.indicators.get(project=project), "5")  # 50 %: 40 points behind
    assert monitoring.refresh_light(round_).colour == "yellow"

    def exported() -> str:
        data = b"".join(stream_csv_bytes(ds.DATASETS["monitoring_progress"], header="keys"))
        return data.decode()

    assert "yellow" in exported() and "超过10个百分点" in exported()
    Report.objects.filter(pk=report.pk).update(rule_set=_variant(progress_gap=D("45")))
    assert monitoring.refresh_light(round_).colour == "green"
    assert "yellow" not in exported()
    Report.objects.filter(pk=report.pk).update(rule_set=_variant("gap-30", progress_gap=D("30")))
    assert "超过30个百分点" in monitoring.refresh_light(round_).reason


# --- Result use: the rule set suggests -------------------------------------------------------


def test_the_report_rule_set_suggests_the_recommendation(client, reviewer):
    keeping = _variant(recommend_fair="keep", recommend_poor="reduce")
    report = published_report(rule_set=keeping)
    project = ProjectFactory(report=report, code="p-1", name="道路维护",
                             adjusted_budget=D("100"), expenditure=D("100"))
    # 70 × 50 % = 35, execution 10 → 45 ÷ 80 × 100 = 56.25: 差 (below 60)
    IndicatorFactory(report=report, project=project, weight=D("70"), target_value=D("10"),
                     actual_value=D("5"), deviation="未完成。")
    project.refresh_from_db()
    assert project.grade == "poor"
    assert suggested_recommendation("poor", keeping.rules) == "reduce"
    assert suggested_recommendation("poor", RuleSet.national().rules) == "cancel"
    client.force_login(reviewer)
    page = client.get(reverse("admin:evaluations_recommendation_year", args=[report.fiscal_year.year]))
    row = next(r for r in page.context["rows"] if r["project"].pk == project.pk)
    assert row["suggested"] == "压减"
    start = client.get(reverse("admin:evaluations_recommendation_add") + f"?project={project.pk}")
    assert start.context["adminform"].form.initial["recommendation"] == "reduce"
    recorded = Recommendation.objects.create(project=project, recommendation="reduce", recorded_by=reviewer)
    change = client.get(reverse("admin:evaluations_recommendation_change", args=[recorded.pk]))
    assert "差 → 压减" in page_text(change.content)


def test_the_recheck_list_shows_the_stored_self_score_of_the_reports_rule_set(reviewer):
    from evaluations.admin.result_use import RecheckAdmin
    from evaluations.models import Recheck, RecheckSample

    report = published_report(rule_set=_variant(lte_formula="deduction"))
    project = ProjectFactory(report=report, adjusted_budget=D("100"), expenditure=D("100"))
    # ≤ 20 × (1 − (120 − 100) ÷ 100) = 16.00 (national-2020's ratio would say 16.67)
    indicator = IndicatorFactory(report=report, project=project, weight=D("20"), nature="lte",
                                 target_value=D("100"), actual_value=D("120"), deviation="超支。")
    RecheckSample.objects.get_or_create(report=report)
    recheck = Recheck.objects.create(indicator=indicator, recheck_score=D("15"), recorded_by=reviewer)
    recheck = Recheck.objects.select_related("indicator").get(pk=recheck.pk)
    assert RecheckAdmin.self_score(None, recheck) == "16.00"


# --- The execution weight: the rule set's unless a table sets its own -----------------------


def _project_table(report, **project):
    BudgetExecutionFactory(report=report)
    project = ProjectFactory(report=report, code="roads", name="道路维护", adjusted_budget=D("100"),
                             expenditure=D("95"), outcome="完成。", **project)
    IndicatorFactory(report=report, project=project, name="里程", level1="output", weight=D("40"),
                     target_value=D("10"), actual_value=D("10"), position=1)
    IndicatorFactory(report=report, project=project, name="成本", level1="outcome", weight=D("30"),
                     nature="lte", target_value=D("100"), actual_value=D("120"), position=2,
                     deviation="超支。")
    IndicatorFactory(report=report, project=project, name="满意度", level1="satisfaction",
                     weight=D("10"), target_value=D("90"), actual_value=D("90"), position=3)
    project.refresh_from_db()
    return project


def _weighted(execution="20") -> RuleSet:
    return _variant("exec-20", execution_weight=D(execution), output_weight=D("40"))


def test_a_table_without_its_own_weight_scores_with_the_rule_sets():
    report = ReportFactory(rule_set=_weighted())
    project = _project_table(report)
    # 40 + 30 × 100/120 = 25 + 10, execution 20 × 95 % = 19 → 94 of 100: 优
    assert (project.execution_weight, project.execution_score) == (D("20.00"), D("19.00"))
    assert (project.total_score, project.grade) == (D("94.00"), "excellent")
    table = tables.project_table(project, list(project.indicators.order_by("position")), report.rules)
    assert table.execution_weight == D("20.00") and table.total == D("94.00")
    # The weights add up under the rule set: 80 + 20.
    assert not [f for f in checks.check_report(report) if f.code == checks.WEIGHTS_MISMATCH]


def test_a_table_that_sets_its_own_weight_keeps_it():
    report = ReportFactory(rule_set=_weighted())
    project = _project_table(report, execution_weight_override=D("10"))
    # 75 + execution 10 × 95 % = 9.5 → 84.5 ÷ 90 × 100 = 93.89
    assert (project.execution_weight, project.execution_score) == (D("10.00"), D("9.50"))
    assert project.total_score == D("93.89")
    found = [f for f in checks.check_report(report) if f.code == checks.WEIGHTS_MISMATCH]
    assert [f.figures["entered_total"] for f in found] == [D("90.00")]
    # The department's own table follows the same rule: its own weight, or the rule set's.
    report.refresh_from_db()
    assert report.execution_weight == D("20.00")
    report.execution_weight_override = D("15")
    report.save()
    report.refresh_from_db()
    assert report.execution_weight == D("15.00")


def test_a_change_of_the_rule_sets_weight_reaches_drafts_after_rescore_never_published(client):
    rule_set = _variant("exec-10")  # national's weights: execution 10
    draft = ReportFactory(rule_set=rule_set)
    draft_project = _project_table(draft)
    published = published_report(rule_set=rule_set)
    published_project = _project_table(published)
    page = page_text(client.get(published.get_absolute_url()).content)
    assert draft_project.total_score == published_project.total_score == D("93.89")

    rule_set.execution_weight, rule_set.output_weight = D("20"), D("40")
    rule_set.save()
    out = StringIO()
    call_command("rescore", stdout=out)
    assert "roads · execution_weight: 10.00 → 20.00" in out.getvalue()
    assert "total_score: 93.89 → 94.00" in out.getvalue()
    draft_project.refresh_from_db()
    assert (draft_project.execution_weight, draft_project.total_score) == (D("20.00"), D("94.00"))
    published_project.refresh_from_db()
    assert (published_project.execution_weight, published_project.execution_score,
            published_project.total_score) == (D("10.00"), D("9.50"), D("93.89"))
    from tests.evaluations.test_stored_scores import _forget_rendered_pages

    _forget_rendered_pages()
    assert page_text(client.get(published.get_absolute_url()).content) == page


def test_a_report_is_published_with_the_rule_sets_weight_as_it_then_is(reviewer):
    rule_set = _weighted()
    report = ReportFactory(rule_set=rule_set, status=Report.Status.APPROVED)
    project = _project_table(report)
    rule_set.execution_weight, rule_set.output_weight = D("10"), D("50")
    rule_set.save()
    Report.objects.filter(pk=report.pk).update(execution_explanation="")
    workflow.publish_report(report, reviewer)
    project.refresh_from_db()
    assert (project.execution_weight, project.total_score) == (D("10.00"), D("93.89"))


def test_copy_forward_carries_a_tables_own_weight_and_leaves_the_rest_to_the_new_rules():
    report = ReportFactory()  # national-2020: execution 10
    _project_table(report, execution_weight_override=D("12"))
    ProjectFactory(report=report, code="free")
    FiscalYearFactory(year=report.fiscal_year.year + 1, rule_set=_weighted())  # execution 20
    copied = copy_report_forward(report, report.fiscal_year.year + 1, user=None)
    weights = dict(Project.objects.filter(report=copied).values_list(
        "code", "execution_weight_override"))
    assert weights == {"roads": D("12.00"), "free": None}
    stored = dict(Project.objects.filter(report=copied).values_list("code", "execution_weight"))
    assert stored == {"roads": D("12.00"), "free": D("20.00")}


def test_the_migration_keeps_only_weights_that_differ_from_the_rule_sets():
    migration = importlib.import_module("evaluations.migrations.0013_execution_weight_override")
    report = ReportFactory()
    own = ProjectFactory(report=report, code="own")
    same = ProjectFactory(report=report, code="same")
    Project.objects.filter(pk=own.pk).update(execution_weight=D("15"), execution_weight_override=None)
    Report.objects.filter(pk=report.pk).update(execution_weight=D("10"), execution_weight_override=None)
    migration.keep_own_weights(apps, None)
    assert Project.objects.get(pk=own.pk).execution_weight_override == D("15")
    assert Project.objects.get(pk=same.pk).execution_weight_override is None
    assert Report.objects.get(pk=report.pk).execution_weight_override is None


# --- "Missed" on the stored tables reads the report's rules ----------------------------------


def test_a_published_tables_missed_targets_follow_its_rule_set(client):
    deducting = _variant(over_target="deduct", over_target_beyond=D("50"))
    report = published_report(rule_set=deducting)
    project = ProjectFactory(report=report, code="p-1", name="道路维护",
                             adjusted_budget=D("100"), expenditure=D("100"))
    # 200 against a target of 100: beyond 150 %, so 10 × 150/200 = 7.5, and a missed target
    IndicatorFactory(report=report, project=project, name="新建里程", weight=D("10"),
                     target_value=D("100"), actual_value=D("200"), deviation="目标定得偏低。")
    rows = list(project.indicators.all())
    project.refresh_from_db()
    assert [r.final_score for r in rows] == [D("7.50")]
    assert [s.missed for s in tables.project_table(project, rows, report.rules).indicators] == [True]
    assert [s.missed for s in tables.project_table(project, rows, scoring.NATIONAL_2020).indicators] == [False]
    page = client.get(report.get_absolute_url()).content
    assert b'class="missed-mark"' in page  # 未完成, beside the actual value


def test_a_published_report_keeps_its_rule_sets_parameters_as_they_were(client, reviewer):
    from tests.evaluations.test_stored_scores import _forget_rendered_pages

    deducting = _variant(over_target="deduct", over_target_beyond=D("50"))
    report = published_report(rule_set=deducting)
    draft = ReportFactory(rule_set=deducting)
    for each in (report, draft):
        project = ProjectFactory(report=each, code="p-1", name="道路维护",
                                 adjusted_budget=D("100"), expenditure=D("100"))
        IndicatorFactory(report=each, project=project, name="新建里程", weight=D("10"),
                         target_value=D("100"), actual_value=D("200"), deviation="目标定得偏低。")
    assert client.get(report.get_absolute_url()).content.count(b'class="missed-mark"') == 1

    deducting.over_target = RuleSet.OverTarget.FULL  # 200 against 100 is no longer missed
    deducting.save()

    published, draft = Report.objects.get(pk=report.pk), Report.objects.get(pk=draft.pk)
    assert published.rules.over_target == "deduct" and draft.rules.over_target == "full"
    assert published.projects.get().indicators.get().rules.over_target == "deduct"
    _forget_rendered_pages()
    assert client.get(report.get_absolute_url()).content.count(b'class="missed-mark"') == 1
    # Reopened it is a draft under the rule set as it now is, and published again with it.
    workflow.reopen_report(published, reviewer, "更正")
    assert Report.objects.get(pk=report.pk).rule_snapshot is None
    Report.objects.filter(pk=report.pk).update(status=Report.Status.APPROVED)
    workflow.publish_report(Report.objects.get(pk=report.pk), reviewer, "按新规则重新公开")
    deducting.refresh_from_db()
    assert Report.objects.get(pk=report.pk).rule_snapshot == deducting.snapshot()
    _forget_rendered_pages()
    assert b'class="missed-mark"' not in client.get(report.get_absolute_url()).content


def test_the_migration_freezes_the_reports_already_published():
    migration = importlib.import_module("evaluations.migrations.0014_report_rule_snapshot")
    variant = _variant(lte_formula="deduction")
    published, draft = published_report(rule_set=variant), ReportFactory(rule_set=variant)
    Report.objects.update(rule_snapshot=None)  # as before the migration
    migration.freeze_published(apps, None)
    assert Report.objects.get(pk=published.pk).rule_snapshot == variant.snapshot()
    assert Report.objects.get(pk=draft.pk).rule_snapshot is None


def test_a_snapshot_reads_back_as_the_rule_sets_rules():
    variant = _variant(lte_formula="deduction", over_target="deduct", cost_level1=True,
                       over_target_beyond=D("25.5"), recommend_good="reduce")
    assert RuleSet.from_snapshot(variant.snapshot()).rules == variant.rules
    # A parameter added after a report was published takes its default.
    partial = {k: v for k, v in variant.snapshot().items() if k != "progress_gap"}
    assert RuleSet.from_snapshot(partial).rules.progress_gap == D("10")


# --- Properties: the engine's new parameters ----------------------------------------------


rates = st.decimals(min_value=0, max_value=150, places=2, allow_nan=False)
shares = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


@given(floors=st.lists(shares, min_size=4, max_size=4).map(sorted), month=st.integers(1, 12),
       spent=st.decimals(min_value=0, max_value=100, places=2, allow_nan=False))
def test_prop_a_spending_light_is_red_below_the_rules_floor_for_the_month(floors, month, spent):
    rules = dataclasses.replace(scoring.NATIONAL_2020, spending_floors=tuple(zip(
        (4, 6, 8, 10), floors, strict=True)))
    due = [share for m, share in zip((4, 6, 8, 10), floors, strict=True) if m <= month]
    light = lights.spending_light("一般公共预算", spent, D(100), month, lights.Thresholds.of(rules))
    assert light.colour == (lights.RED if due and spent < due[-1] else lights.GREEN)


@given(gap=shares, progress_rate=rates, spent_rate=rates)
def test_prop_a_progress_light_is_yellow_beyond_the_rules_gap(gap, progress_rate, spent_rate):
    rules = dataclasses.replace(scoring.NATIONAL_2020, progress_gap=gap)
    light = lights.progress_light("x", progress_rate, "on_track", spent_rate, lights.Thresholds.of(rules))
    assert light.colour == (lights.YELLOW if abs(progress_rate - spent_rate) > gap else lights.GREEN)


def test_an_import_into_a_published_report_scores_under_the_rules_it_was_published_with():
    """The importer's scores and the closing recompute read Report.rules (the snapshot of a
    published report), not its rule set as edited since: a command-line import into a
    published report that no reviewer saw (restored from an export) keeps both in step."""
    from evaluations.imports import import_file

    deducting = _variant(over_target="deduct", over_target_beyond=D("50"))
    report = published_report(rule_set=deducting)
    project = ProjectFactory(report=report, code="p-1", name="道路维护",
                             adjusted_budget=D("100"), expenditure=D("100"))
    deducting.over_target = RuleSet.OverTarget.FULL  # edited after publication
    deducting.save()
    data = (
        "year,department_code,project_code,level1,level2,name,nature,unit,target_value,"
        "actual_value,weight,deviation\n"
        f"{report.fiscal_year.year},{report.department.code},p-1,output,quantity,新建里程,gte,公里,"
        "100,200,10,目标定得偏低。\n"
    ).encode()
    result = import_file(ds.INDICATORS, data, filename="i.csv")
    assert result.ok, result.errors
    indicator = project.indicators.get()
    # 200 against 100, beyond 150 %: 10 × 150/200 = 7.5 under the snapshot; 10 as edited
    assert indicator.final_score == D("7.50")
    assert Report.objects.get(pk=report.pk).rule_snapshot["over_target"] == "deduct"
    project.refresh_from_db()
    assert project.total_score is not None
    from evaluations import scores

    assert scores.stale(Report.objects.get(pk=report.pk)) == []


def test_a_projects_checks_read_its_published_reports_rules_as_they_were():
    from evaluations.checks.rows import load_project

    deducting = _variant(over_target="deduct", over_target_beyond=D("50"))
    report = published_report(rule_set=deducting)
    ProjectFactory(report=report, code="p-1")
    deducting.over_target = RuleSet.OverTarget.FULL
    deducting.save()
    project = Project.objects.get(report=report)  # its report not loaded
    assert load_project(project).rules.over_target == "deduct"


def test_a_published_reports_round_keeps_the_thresholds_it_was_published_with(world):  # noqa: F811
    """Lights of a stored round read Report.rules: the rule set edited after publication
    leaves a published report's lights as they were; a draft's follow the edit."""
    report = world.report_a
    round_ = new_round(report, 7)
    spend(round_, "20")  # 20 of 70 = 28.57 %: above a 20 % June floor, below 30.5 %
    lenient = _variant(spending_by_april=D("10"), spending_by_june=D("20"))
    Report.objects.filter(pk=report.pk).update(rule_set=lenient)
    published = Report.objects.get(pk=report.pk)
    published.status = Report.Status.PUBLISHED
    published.save(update_fields=["status"])  # its rules frozen with it
    lenient.spending_by_june = D("30.5")
    lenient.save()
    round_.refresh_from_db()
    assert monitoring.refresh_light(round_).colour == "green"
    Report.objects.filter(pk=report.pk).update(rule_snapshot=None)  # as a draft's: as edited
    round_.refresh_from_db()
    assert monitoring.refresh_light(round_).colour == "red"
