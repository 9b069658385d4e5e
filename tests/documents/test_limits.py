"""A large report renders in all three files, and hostile text stays text in each."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from evaluations.documents.generate import build
from evaluations.models import Project, Report
from indicators.models import Indicator
from tests.documents.helpers import docx_text, needs_poppler, pdf_body, pdf_pages
from tests.evaluations.public_helpers import published_report
from tests.factories import BudgetExecutionFactory, source

pytestmark = pytest.mark.django_db
HOSTILE = "A<b>&amp;</b> <script>x</script> 😀 \x07bell ="


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content))
    return "\n".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        if cell is not None
    )


@needs_poppler
def test_hostile_text_is_text_in_all_three(tmp_path):
    report = published_report(problems=HOSTILE)
    # Written around the forms (which strip control characters), as old rows might be.
    Report.objects.filter(pk=report.pk).update(problems=HOSTILE)
    project = Project.objects.create(
        report=report, funding_source=source("general"), code="p1", name="项目<&>😀", position=1,
        expenditure=Decimal("1"), goal=HOSTILE,
    )
    Indicator.objects.create(report=report, project=project, level1="output", level2="quantity",
                             name="=1+1", nature="gte", unit="个", target_value=Decimal("1"),
                             position=1, deviation=HOSTILE)
    files = build(report)
    visible = "A<b>&amp;</b> <script>x</script> 😀 bell ="
    assert visible in docx_text(files["docx"])
    pdf = pdf_body(pdf_pages(files["pdf"], tmp_path)).replace("\n", "")
    assert "A<b>&amp;</b> <script>x</script>" in pdf
    workbook = _xlsx_text(files["xlsx"])
    assert visible in workbook and "项目<&>😀" in workbook
    sheet = load_workbook(io.BytesIO(files["xlsx"]))["项目支出绩效自评表-项目<&>😀"]
    assert any(c.value == "=1+1" and c.data_type == "s" for row in sheet.iter_rows() for c in row)


def test_200_projects_and_2000_indicators_render():
    report = published_report()
    BudgetExecutionFactory(report=report)
    general = source("general")
    projects = Project.objects.bulk_create(
        Project(report=report, funding_source=general, code=f"p{i:03d}", name=f"项目{i:03d}",
                position=i + 1, adjusted_budget=Decimal("10"), expenditure=Decimal("9"),
                goal="目标。", outcome="完成。")
        for i in range(200)
    )
    Indicator.objects.bulk_create(
        Indicator(report=report, project=p, level1="output", level2="quantity", name=f"指标{j}",
                  nature="gte", unit="个", target_value=Decimal("10"), actual_value=Decimal("9"),
                  weight=Decimal("9"), position=j + 1)
        for p in projects for j in range(10)
    )
    files = build(report)
    assert docx_text(files["docx"]).count("项目支出绩效自评表：") == 200
    book = load_workbook(io.BytesIO(files["xlsx"]), read_only=True)
    assert len(book.sheetnames) == 201
    assert files["pdf"].startswith(b"%PDF") and len(files["pdf"]) > 100_000
