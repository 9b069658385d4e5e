"""Writing a read report into a draft: matching what the draft already has, the locks, and
the flags for what the text contradicts (issue 20)."""

from decimal import Decimal

import pytest

from evaluations.models import Department, FiscalYear, Project, Report
from evaluations.past import read_report
from evaluations.past.builder import ReportImportError, import_report
from evaluations.sample import SAMPLE_TEXT, load_sample_report
from tests.evaluations.past_helpers import report_data

pytestmark = pytest.mark.django_db

SEED = SAMPLE_TEXT.read_text(encoding="utf-8")


def test_reimport_over_an_edited_draft_restores_the_text_and_keeps_the_rest():
    report = load_sample_report(publish=False)
    Project.objects.filter(report=report, name="军民融合").update(expenditure=Decimal("9"))
    extra = Project.objects.create(report=report, funding_source=report.projects.first().funding_source,
                                   code="new-one", name="新增项目", position=99)
    report.narratives.filter(position=6).delete()
    outcome = import_report(SEED.encode(), department_code="dongjiaduan")
    assert outcome.counts["projects"] == {"new": 0, "changed": 1, "same": 7}
    assert outcome.counts["narratives"]["new"] == 1
    assert report.projects.get(name="军民融合").expenditure == Decimal("3.34")
    extra.refresh_from_db()
    assert extra.position == 9  # kept, after the text's eight
    assert any(f.code == "projects_kept" and "新增项目" in f.message for f in outcome.flags)


def test_project_order_changes_without_breaking_unique_positions():
    report = load_sample_report(publish=False)
    first, second = SEED.index("1.疫情防控经费支出1.60万元\n"), SEED.index("2.政府雇员经费支出22.00万元\n")
    swapped = (SEED[:first] + "1.政府雇员经费支出22.00万元\n2.疫情防控经费支出1.60万元\n"
               + SEED[second + len("2.政府雇员经费支出22.00万元\n"):])
    import_report(swapped.encode(), department_code="dongjiaduan")
    names = list(report.projects.order_by("position").values_list("name", "code")[:2])
    assert names == [("政府雇员经费", "government-employees"), ("疫情防控经费", "epidemic-control")]


def test_a_closed_year_is_refused_for_a_clerk_and_nothing_is_written(data_entry_user):
    department = Department.objects.create(code="d", name="株洲高新技术产业开发区董家塅片区管理委员会")
    department.staff.add(data_entry_user)
    FiscalYear.objects.create(year=2022, is_open=False)
    with pytest.raises(ReportImportError, match="停止填报"):
        import_report(SEED.encode(), user=data_entry_user)
    assert not Report.objects.exists()


def test_a_clerk_may_not_create_a_year(data_entry_user):
    department = Department.objects.create(code="d", name="株洲高新技术产业开发区董家塅片区管理委员会")
    department.staff.add(data_entry_user)
    with pytest.raises(ReportImportError, match="2022 年度不存在"):
        import_report(SEED.encode(), user=data_entry_user)
    assert not FiscalYear.objects.exists()


def test_a_submitted_draft_is_refused_even_from_the_command_line():
    report = load_sample_report(publish=False)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.SUBMITTED)
    before = report_data(report)
    with pytest.raises(ReportImportError, match="已提交|提交"):
        import_report(SEED.replace("1.60万元", "2.60万元").encode(), department_code="dongjiaduan")
    assert report_data(report) == before


def test_figures_the_text_contradicts_are_kept_as_written_and_flagged():
    text = SEED.replace("5.军民融合支出3.34万元。积极", "5.军民融合支出3.43万元。积极")
    text = text.replace("1、2022年预算资金392.69万元。", "1、2022年预算资金392.69万元，年初预算400.00万元。")
    extraction = read_report(text.encode())
    flags = {f.code: f.message for f in extraction.flags}
    assert "3.34万元" in flags["project_amounts_differ"] and "3.43万元" in flags["project_amounts_differ"]
    assert "392.69万元" in flags["stated_twice"] and "400.00万元" in flags["stated_twice"]
    civil = next(p for p in extraction.projects if p.name == "军民融合")
    assert (civil.expenditure.written, civil.outcome_amount.written) == ("3.34万元", "3.43万元")


def test_yuan_amounts_beyond_four_places_are_stored_rounded_and_say_so():
    text = SEED.replace("1、2022年预算资金392.69万元。", "1、2022年预算资金3,926,912.35元。")
    Department.objects.create(code="d", name="株洲高新技术产业开发区董家塅片区管理委员会")
    outcome = import_report(text.encode())
    budget = outcome.report.budget_executions.get(funding_source__code="general")
    assert budget.initial_budget == Decimal("392.6912")
    assert any(f.code == "rounded" and "3,926,912.35元" in f.message for f in outcome.flags)
    figure = outcome.extraction.budgets["general"].figures["initial_budget"]
    assert figure.value == Decimal("392.691235") and "元" in figure.note


def test_only_basic_spending_stated_is_flagged_not_invented():
    text = SEED.replace("，其中：人员经费266.61万元，公用经费37.38万元", "")
    extraction = read_report(text.encode())
    assert "personnel" not in extraction.budgets["general"].figures
    assert [f.code for f in extraction.flags] == ["basic_unsplit"]

