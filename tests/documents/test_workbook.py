"""self-evaluation.xlsx read back with openpyxl: the national layout, merged 一级 cells,
numbers as numbers, print set-up; scores as the report page shows them."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from evaluations.documents import workbook
from evaluations.documents.generate import build
from tests.evaluations.public_helpers import published_report
from tests.factories import IndicatorFactory, ProjectFactory, ProjectFundFactory

pytestmark = pytest.mark.django_db


def _book(report):
    return load_workbook(io.BytesIO(build(report, ("xlsx",))["xlsx"]))


def test_sample_sheets_headers_and_unscored_note(sample_report):
    book = _book(sample_report)
    projects = list(sample_report.projects.order_by("position"))
    assert book.sheetnames == [workbook.DEPARTMENT_SHEET] + [
        f"项目支出绩效自评表-{p.name}" for p in projects
    ]
    sheet = book[workbook.DEPARTMENT_SHEET]
    assert sheet["A1"].value == "部门整体支出绩效自评表" and sheet["A2"].value == "（2022年度）"
    header = [c.value for c in sheet[workbook.INDICATOR_HEADER_ROW]][1:9]
    assert header == ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                      "偏差原因分析及改进措施"]
    funds = [c.value for c in sheet[workbook.FUNDS_HEADER_ROW]][3:9]
    assert funds == ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    assert [sheet.cell(workbook.TOTAL_ROW + i, 2).value for i in range(4)] == [
        "年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"]
    # The seed's targets are listed, and the sheet says they are not scored, as the page does.
    names = [sheet.cell(r, 4).value for r in range(workbook.FIRST_INDICATOR_ROW, sheet.max_row)]
    assert "技工贸总收入" in names and "动态储备土地" in names
    assert sheet.cell(sheet.max_row, 1).value == "本表只列示绩效目标，未设分值，不计算得分。"
    # Numbers are numbers with their formats; 一级 and 二级 cells merged down their runs.
    first = workbook.FIRST_INDICATOR_ROW
    assert sheet.cell(first, 5).value == 275 and sheet.cell(first, 11).value == "亿元"
    # 年初预算数 of the whole: only the general budget states one (392.69), so no total beside
    # the expenditure of every budget (issue 14.11: like with like); 全年执行数 is all budgets'.
    assert sheet.cell(workbook.TOTAL_ROW, 4).value is None
    assert sheet.cell(workbook.TOTAL_ROW, 6).value == pytest.approx(3727.61)
    assert sheet.cell(workbook.TOTAL_ROW, 6).number_format == "#,##0.00##"
    # 实际完成情况 is 六（一） whole: the summary, then its six numbered 绩效情况 paragraphs.
    outcome = sheet.cell(workbook.GOAL_ROW, 6).value.split("\n")
    assert outcome[0] == sample_report.overall_summary
    # Not 90 points (six lines shown): as tall as Excel allows, the type smaller to fit.
    assert sheet.row_dimensions[workbook.GOAL_ROW].height <= workbook.ROW_MAX_HEIGHT
    assert sheet.row_dimensions[workbook.GOAL_ROW].height > 300
    assert 7 <= sheet.cell(workbook.GOAL_ROW, 6).font.sz < 11
    assert sheet.cell(workbook.GOAL_ROW, 6).alignment.vertical == "top"
    assert [line[:9] for line in outcome[1:]] == [
        "1.着力稳增长、育", "2.着力扬优势、铸", "3.着力培主体、扩", "4.着力抓创新、强", "5.着力抓改革、激",
        "6.着力优服务、解"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert f"B{first}:B{first + 4}" in merged and f"C{first}:C{first + 4}" in merged
    # Print set-up: A4 landscape, fit to width, the header row repeated on every page.
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == f"${workbook.INDICATOR_HEADER_ROW}:${workbook.INDICATOR_HEADER_ROW}"
    # Not frozen here: rows 1–12 are 574 points tall with 六（一） whole, more than a laptop's
    # screen, and the indicators under them could not be scrolled to (the offline review).
    assert sheet.freeze_panes is None
    # The department's funds, not a project's, broken before the unit (")" wrapped alone).
    assert sheet.cell(workbook.FUNDS_HEADER_ROW, 1).value == "部门资金\n（万元）"
    assert sheet.cell(workbook.NAME_ROW, 2).border.left.style == "thin"


def test_scored_project_sheet_reads_the_page_scores():
    report = published_report()
    project = ProjectFactory(report=report, name="政府雇员经费", adjusted_budget=Decimal("20"),
                             expenditure=Decimal("19"))
    ProjectFundFactory(project=project, adjusted_budget=Decimal("20"), expenditure=Decimal("19"))
    IndicatorFactory(report=report, project=project, weight=Decimal("50"), position=1,
                     target_value=Decimal("10"), actual_value=Decimal("8"))
    IndicatorFactory(report=report, project=project, weight=Decimal("40"), position=2,
                     level1="outcome", level2="social")
    sheet = _book(report)["项目支出绩效自评表-政府雇员经费"]
    # A project sheet of a few lines keeps its header frozen.
    assert sheet.freeze_panes == f"A{workbook.FIRST_INDICATOR_ROW}"
    assert sheet.cell(workbook.FUNDS_HEADER_ROW, 1).value == "项目资金\n（万元）"
    first = workbook.FIRST_INDICATOR_ROW
    assert sheet.cell(workbook.NAME_ROW, 2).value == "政府雇员经费"
    assert sheet.cell(workbook.TOTAL_ROW, 8).value == pytest.approx(0.95)  # 执行率 95%
    assert sheet.cell(workbook.TOTAL_ROW, 8).number_format == "0.00%"
    assert sheet.cell(workbook.TOTAL_ROW, 9).value == pytest.approx(9.5)  # execution score
    assert sheet.cell(workbook.TOTAL_ROW + 1, 6).value == pytest.approx(19)  # 当年财政拨款
    assert sheet.cell(first, 8).value == pytest.approx(40)  # 50 × 8/10
    total_row = first + 2
    assert sheet.cell(total_row, 1).value == "总分"
    assert sheet.cell(total_row, 8).value == pytest.approx(89.5)
    assert sheet.cell(total_row, 9).value == "等级：良"


def test_sheet_names_are_short_unique_and_legal():
    taken = {workbook.DEPARTMENT_SHEET}
    first = workbook.sheet_name("很长的项目名称：含[方括号]与/斜杠*问号?" * 3, taken)
    second = workbook.sheet_name("很长的项目名称：含[方括号]与/斜杠*问号?" * 3, taken)
    for name in (first, second):
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
    assert first != second


def test_the_outcome_cell_gives_back_the_summary_as_written():
    """The summary before the numbered paragraphs comes back with its own lines (a blank line
    between two paragraphs of it stays), the paragraphs compared without end blanks."""
    from types import SimpleNamespace

    narratives = [SimpleNamespace(headline="着力稳增长。", body="正文 "), SimpleNamespace(headline="其二。", body="")]
    cell = workbook.department_outcome("概述一。\n\n概述二。", narratives)
    assert workbook.outcome_summary(cell, narratives) == "概述一。\n\n概述二。"
    assert workbook.outcome_summary(cell + "\n  ", narratives) == "概述一。\n\n概述二。"
    assert workbook.outcome_summary("新的概述。", narratives) == "新的概述。"
    assert workbook.outcome_summary(cell.replace("其二", "其三"), narratives) is None
