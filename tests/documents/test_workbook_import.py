"""The 自评表 workbook read back: unchanged it changes nothing; edits land in the draft; bad
files and cells are refused with sheet and cell named, and nothing is written."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from evaluations.documents import workbook as layout
from evaluations.documents.generate import build
from evaluations.imports.self_evaluation import WorkbookError, import_workbook
from evaluations.models import Project, ProjectFund, Report
from indicators.models import Indicator
from tests.evaluations.public_helpers import grow_report
from tests.factories import IndicatorFactory, ProjectFactory, ProjectFundFactory, ReportFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def _draft(report: Report) -> Report:
    Report.objects.filter(pk=report.pk).update(status="draft")
    report.refresh_from_db()
    return report


def _snapshot(report: Report):
    return (
        list(Report.objects.filter(pk=report.pk).values()),
        list(Project.objects.filter(report=report).order_by("pk").values()),
        list(ProjectFund.objects.filter(project__report=report).order_by("pk").values()),
        list(Indicator.objects.filter(report=report).order_by("pk").values()),
        Indicator.history.filter(report_id=report.pk).count(),
    )


def _xlsx(report) -> bytes:
    return build(report, ("xlsx",))["xlsx"]


def _edited(content: bytes, edit) -> bytes:
    book = load_workbook(io.BytesIO(content))
    edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_sample_unchanged_changes_nothing(sample_report):
    report = _draft(sample_report)
    before = _snapshot(report)
    result = import_workbook(_xlsx(report))
    assert (result.changed, result.created) == (0, 0)
    assert _snapshot(report) == before


def test_a_generated_report_unchanged_changes_nothing():
    report = ReportFactory()
    grow_report(report, 3)
    project = report.projects.first()
    IndicatorFactory(report=report, project=project, nature="qualitative", tier="achieved",
                     target_value=None, target_text="群众满意", actual_value=None,
                     actual_text="满意", weight=Decimal("10"), position=9, unit="")
    IndicatorFactory(report=report, project=project, applicable=False, position=10)
    before = _snapshot(report)
    result = import_workbook(_xlsx(report))
    assert (result.changed, result.created) == (0, 0)
    assert _snapshot(report) == before


def test_edits_land_in_the_draft():
    report = ReportFactory()
    project = ProjectFactory(report=report, name="政府雇员经费")
    ProjectFundFactory(project=project)
    indicator = IndicatorFactory(report=report, project=project, weight=Decimal("50"), position=1)
    sheet_name = "项目支出绩效自评表-政府雇员经费"
    first = layout.FIRST_INDICATOR_ROW

    def edit(book):
        sheet = book[sheet_name]
        sheet.cell(first, 6).value = 7  # 实际完成值
        sheet.cell(first, 9).value = "受疫情影响。"
        sheet.cell(layout.TOTAL_ROW, 6).value = 9.25  # 全年执行数
        sheet.cell(first + 1, 2).value = "产出指标"
        sheet.cell(first + 1, 3).value = "质量指标"
        sheet.cell(first + 1, 4).value = "新指标"
        sheet.cell(first + 1, 5).value = 100
        sheet.cell(first + 1, 10).value = "≥"
        sheet.cell(first + 1, 11).value = "%"

    def no_total(book):  # the 总分 row makes way for the added indicator
        sheet = book[sheet_name]
        for merged in list(sheet.merged_cells.ranges):
            if merged.min_row > first:
                sheet.unmerge_cells(str(merged))
        for row in range(first + 1, sheet.max_row + 1):
            for column in range(1, layout.COLUMNS + 1):
                sheet.cell(row, column).value = None

    content = _edited(_xlsx(report), lambda b: (no_total(b), edit(b)))
    planned = {(action, str(obj)): changes for action, obj, changes in import_workbook(content, dry_run=True).planned}
    assert planned[("update", indicator.name)]["actual_value"][1] == Decimal("7")
    assert planned[("update", indicator.name)]["deviation"] == (indicator.deviation, "受疫情影响。")
    assert planned[("new", "新指标")]["target_value"] == (None, Decimal("100"))
    result = import_workbook(content)
    indicator.refresh_from_db()
    project.refresh_from_db()
    assert indicator.actual_value == Decimal("7") and indicator.deviation == "受疫情影响。"
    assert indicator.history.latest().history_change_reason == "数据导入"  # as every import says
    assert project.expenditure == Decimal("9.25")
    added = Indicator.objects.get(project=project, name="新指标")
    assert (added.level2, added.target_value, added.unit, added.position) == (
        "quality", Decimal("100"), "%", 2)
    assert result.created == 1


@pytest.mark.parametrize(("cell", "value", "message"), [
    ("F6", "abc", "项目支出绩效自评表-政府雇员经费!F6"),
    ("G13", "=SUM(A1:A2)", "公式"),
    ("J13", "大于", "应为"),
    ("B13", "其他指标", "B13"),
])
def test_bad_cells_are_named_and_nothing_is_written(cell, value, message):
    report = ReportFactory()
    project = ProjectFactory(report=report, name="政府雇员经费")
    IndicatorFactory(report=report, project=project, weight=Decimal("50"), position=1)
    assert layout.FIRST_INDICATOR_ROW == 13  # the cells named above

    def edit(book):
        sheet = book["项目支出绩效自评表-政府雇员经费"]
        sheet[cell].value = value
        sheet["I13"].value = "改过的原因"

    before = _snapshot(report)
    with pytest.raises(WorkbookError) as refused:
        import_workbook(_edited(_xlsx(report), edit))
    assert any(message in e for e in refused.value.errors), refused.value.errors
    assert all("!" in e for e in refused.value.errors)
    assert _snapshot(report) == before


def test_a_negative_value_reads_back_as_the_form_and_the_csv_import_take_it():
    """An indicator's value may be below zero (a growth rate falls): the form and the CSV
    import take -7, so the workbook downloaded with it reads back unchanged, and -2 typed
    into it lands (the admin reviewer's draft was refused at F15)."""
    report = ReportFactory()
    project = ProjectFactory(report=report, name="政府雇员经费")
    indicator = IndicatorFactory(report=report, project=project, weight=Decimal("50"), position=1,
                                 actual_value=Decimal("-7"), actual_text="")
    before = _snapshot(report)
    assert (import_workbook(_xlsx(report)).changed, _snapshot(report)) == (0, before)

    def edit(book):
        book["项目支出绩效自评表-政府雇员经费"]["F13"].value = -2

    import_workbook(_edited(_xlsx(report), edit))
    indicator.refresh_from_db()
    assert indicator.actual_value == Decimal("-2")


def test_a_value_cell_typed_as_text_is_read_as_its_number_or_refused():
    """"260亿元" typed over 250 under the unit 亿元 is 260, not a text beside the old number
    (the page showed 260 while the score read 250); a word in a quantitative indicator's
    cell is refused, naming the cell; a qualitative indicator's cell is its text."""
    report = ReportFactory()
    project = ProjectFactory(report=report, name="政府雇员经费")
    quantitative = IndicatorFactory(report=report, project=project, weight=Decimal("50"), position=1,
                                    unit="亿元", target_value=Decimal("275"), actual_value=Decimal("250"),
                                    target_text="", actual_text="")
    qualitative = IndicatorFactory(report=report, project=project, weight=Decimal("50"), position=2,
                                   level1="satisfaction", level2="satisfaction",
                                   nature="qualitative", tier="achieved", unit="",
                                   target_value=None, target_text="群众满意", actual_value=None,
                                   actual_text="满意")

    def edit(book):
        sheet = book["项目支出绩效自评表-政府雇员经费"]
        sheet["F13"].value = "260亿元"
        sheet["F14"].value = "基本满意"

    import_workbook(_edited(_xlsx(report), edit))
    quantitative.refresh_from_db()
    qualitative.refresh_from_db()
    assert (quantitative.actual_value, quantitative.actual_text) == (Decimal("260"), "")
    assert (qualitative.actual_value, qualitative.actual_text) == (None, "基本满意")
    # A qualitative indicator's text stays its text, even one that reads as a number.
    import_workbook(_edited(_xlsx(report), lambda book: setattr(
        book["项目支出绩效自评表-政府雇员经费"]["F14"], "value", "95%")))
    qualitative.refresh_from_db()
    assert (qualitative.actual_value, qualitative.actual_text) == (None, "95%")

    before = _snapshot(report)
    with pytest.raises(WorkbookError) as refused:
        import_workbook(_edited(_xlsx(report), lambda book: setattr(
            book["项目支出绩效自评表-政府雇员经费"]["E13"], "value", "八")))
    assert any(e.startswith("项目支出绩效自评表-政府雇员经费!E13") and "“八”" in e
               for e in refused.value.errors), refused.value.errors
    assert _snapshot(report) == before


def test_paragraphs_with_blanks_at_their_ends_read_back_unchanged(sample_report):
    """A narrative imported from a CSV keeps a trailing space or line break; the workbook's cell
    is compared without them, so the workbook downloaded unchanged still changes nothing."""
    report = _draft(sample_report)
    first = report.narratives.order_by("position").first()
    type(first).objects.filter(pk=first.pk).update(body=first.body + " \n")
    before = _snapshot(report)
    assert import_workbook(_xlsx(report)).changed == 0
    assert _snapshot(report) == before


def test_the_department_outcome_reads_back_its_summary_and_keeps_its_paragraphs(sample_report):
    """F11 holds 六（一） whole; the summary before the numbered paragraphs is read back, a
    summary typed over the whole cell is the summary, and a changed paragraph is refused
    (paragraphs are edited in the report's 绩效情况)."""
    report = _draft(sample_report)
    narratives = list(report.narratives.values_list("headline", "body"))
    content = _xlsx(report)
    cell = (layout.GOAL_ROW, 6)

    def summary(text):
        def edit(book):
            sheet = book[layout.DEPARTMENT_SHEET]
            lines = sheet.cell(*cell).value.split("\n")
            sheet.cell(*cell).value = "\n".join([text, *lines[1:]])
        return edit

    import_workbook(_edited(content, summary("全年目标任务基本完成。")))
    report.refresh_from_db()
    assert report.overall_summary == "全年目标任务基本完成。"
    assert list(report.narratives.values_list("headline", "body")) == narratives

    def changed_paragraph(book):
        sheet = book[layout.DEPARTMENT_SHEET]
        sheet.cell(*cell).value = sheet.cell(*cell).value.replace("2.着力扬优势", "2.着力强优势")

    before = _snapshot(report)
    with pytest.raises(WorkbookError) as refused:
        import_workbook(_edited(_xlsx(report), changed_paragraph))
    assert any(e.startswith(f"{layout.DEPARTMENT_SHEET}!F{layout.GOAL_ROW}") for e in refused.value.errors)
    assert _snapshot(report) == before


def test_another_year_department_or_a_published_report_is_refused(sample_report):
    content = _xlsx(sample_report)
    with pytest.raises(WorkbookError, match="只能导入草稿"):
        import_workbook(content)
    _draft(sample_report)
    with pytest.raises(WorkbookError, match="2022年度"):
        import_workbook(content, year=2023)
    with pytest.raises(WorkbookError, match="dongjiaduan"):
        import_workbook(content, department="other")
    assert import_workbook(content, year=2022, department="dongjiaduan").changed == 0


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"year,department\n2022,x\n", "自评表.xlsx", "不是 Excel 工作簿"),
    (b"PK\x03\x04" + b"\0" * (11 * 1024 * 1024), "big.xlsx", "超过 10 MB"),
    ("bomb", "bomb.xlsx", "解压后"),
    (_zip({"[Content_Types].xml": b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"}),
     "macro.xlsx", "宏"),
    (b"PK\x03\x04", "macro.xlsm", "宏"),
])
def test_bad_files_are_refused_and_nothing_is_written(
    sample_report, settings, content, filename, message
):
    if content == "bomb":  # 8 MB of zeros, a few KB zipped, against a 1 MB limit
        settings.IMPORT_MAX_XLSX_BYTES = 1024 * 1024
        content = _zip({"xl/huge.xml": b"\0" * (8 * 1024 * 1024)})
    _draft(sample_report)
    before = _snapshot(sample_report)
    with pytest.raises(WorkbookError, match=message):
        import_workbook(content, filename=filename)
    assert _snapshot(sample_report) == before


def test_the_command(sample_report, tmp_path):
    path = tmp_path / "自评表.xlsx"
    path.write_bytes(_xlsx(sample_report))
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_data", "self_evaluation", str(path))
    _draft(sample_report)
    out = io.StringIO()
    call_command("import_data", "self_evaluation", str(path), "--year", "2022",
                 "--department", "dongjiaduan", stdout=out)
    assert "修改 0 行" in out.getvalue()


def test_the_admin_upload_on_the_report_page(client, sample_report, data_entry_user):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    report = _draft(sample_report)
    report.department.staff.add(data_entry_user)
    client.force_login(data_entry_user)
    change = reverse("admin:evaluations_report_change", args=[report.pk])
    url = reverse("admin:evaluations_report_self_evaluation", args=[report.pk])
    assert url in client.get(change).content.decode()

    def edit(book):
        book[layout.DEPARTMENT_SHEET].cell(layout.GOAL_ROW, 6).value = "新的完成情况。"

    upload = SimpleUploadedFile("自评表.xlsx", _edited(_xlsx(report), edit))
    response = client.post(url, {"workbook": upload}, follow=True)
    assert "修改 1 行" in response.content.decode()
    report.refresh_from_db()
    assert report.overall_summary == "新的完成情况。"

    bad = SimpleUploadedFile("自评表.xlsx", b"not,a,workbook\n")
    response = client.post(url, {"workbook": bad}, follow=True)
    assert "没有写入任何数据" in response.content.decode()
    assert "不是 Excel 工作簿" in response.content.decode()


def test_the_admin_import_screen_takes_the_workbook(client, sample_report, data_entry_user):
    """``self_evaluation`` beside the row datasets: preview (a dry run), confirm, all or nothing."""
    import re

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from evaluations.models import PendingImport

    report = _draft(sample_report)
    report.department.staff.add(data_entry_user)
    client.force_login(data_entry_user)
    url = reverse("admin:evaluations_report_import")
    assert 'value="self_evaluation"' in client.get(url).content.decode()

    def edit(book):
        book[layout.DEPARTMENT_SHEET].cell(layout.GOAL_ROW, 6).value = "屏幕导入的完成情况。"

    upload = SimpleUploadedFile("自评表.xlsx", _edited(_xlsx(report), edit))
    preview = client.post(url, {"dataset": "self_evaluation", "import_file": upload}).content.decode()
    assert "process_import" in preview and "修改 <strong>1</strong>" in preview
    # What will change, as the data import's preview lists a file's rows: the row and the
    # field, its stored and its new value.
    assert "部门整体支出绩效自评表</strong>" in preview
    before_text = report.overall_summary
    assert f"<li>部门整体支出绩效情况：{before_text[:20]}" in preview
    assert "→ 屏幕导入的完成情况。</li>" in preview
    report.refresh_from_db()
    assert report.overall_summary != "屏幕导入的完成情况。"  # the preview writes nothing
    token = dict(re.findall(r'name="(token)" value="([^"]*)"', preview))
    done = client.post(reverse("admin:evaluations_report_process_import"), token, follow=True)
    assert "修改 1 行" in done.content.decode()
    report.refresh_from_db()
    assert report.overall_summary == "屏幕导入的完成情况。"
    assert not PendingImport.objects.exists()

    def bad(book):
        book[layout.DEPARTMENT_SHEET]["J13"].value = "很多"  # 指标性质

    before = _snapshot(report)
    upload = SimpleUploadedFile("自评表.xlsx", _edited(_xlsx(report), bad))
    refused = client.post(url, {"dataset": "self_evaluation", "import_file": upload}).content.decode()
    assert "process_import" not in refused
    # The error table's 行 and 列 name the cell (they read "—" for a workbook).
    assert '<td class="row-number">13</td>' in refused
    assert '<td class="column">部门整体支出绩效自评表 的 J 列</td>' in refused
    assert _snapshot(report) == before and not PendingImport.objects.exists()


def _changed_everywhere(projects: int):
    """A draft of ``projects`` projects, each with a fund and a ≥ indicator, and its workbook
    with every indicator turned ≤ and 不适用 and every fund's spending changed."""
    report = ReportFactory()
    for n in range(projects):
        project = ProjectFactory(report=report, name=f"项目{n}", code=f"p{n}")
        ProjectFundFactory(project=project)
        IndicatorFactory(report=report, project=project, name=f"指标{n}", nature="gte",
                         weight=Decimal("50"), position=1)

    def edit(book):
        for sheet in book.worksheets[1:]:
            sheet.cell(layout.FIRST_INDICATOR_ROW, 10).value = "≤"
            sheet.cell(layout.FIRST_INDICATOR_ROW, 8).value = "不适用"
            sheet.cell(layout.TOTAL_ROW + 1, 6).value = 1.5

    return _edited(_xlsx(report), edit)


def test_the_workbook_preview_names_codes_by_their_labels_in_a_flat_number_of_queries():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evaluations.admin.workbook_import import _change_rows

    counted = []
    for projects in (2, 6):
        planned = import_workbook(_changed_everywhere(projects), dry_run=True).planned
        with CaptureQueriesContext(connection) as queries:
            rows = _change_rows(planned, 100)["changes"]
        counted.append(len(queries))
        Report.objects.all().delete()
    assert counted[0] == counted[1]
    changes = [change for row in rows for change in row["changes"]]
    assert ("指标性质", "≥", "≤") in changes and ("适用", "是", "否") in changes
    assert not any(value in ("gte", "lte", "True", "False") for _n, *values in changes for value in values)


def _one_indicator_report(**indicator):
    report = ReportFactory()
    project = ProjectFactory(report=report, name="政府雇员经费")
    values = {"weight": Decimal("50"), "position": 1, **indicator}
    return report, IndicatorFactory(report=report, project=project, **values)


SHEET = "项目支出绩效自评表-政府雇员经费"


def test_a_value_shown_as_a_percentage_is_read_as_shown():
    """Excel keeps "5.2%" typed into a cell as 0.052 with a percentage format: under the unit
    "%" it is 5.2 (it was read as 0.052, a hundredth, and scored so); in an amount or under
    another unit it is refused, naming the cell, as the typed text "5.2%" is."""
    report, indicator = _one_indicator_report(unit="%", target_value=Decimal("5"),
                                              actual_value=Decimal("4.96"), actual_text="")

    def percent(cell, value):
        def edit(book):
            book[SHEET][cell].value = value
            book[SHEET][cell].number_format = "0.0%"
        return edit

    import_workbook(_edited(_xlsx(report), percent("F13", 0.052)))
    indicator.refresh_from_db()
    assert (indicator.actual_value, indicator.actual_text) == (Decimal("5.2"), "")
    # A % written as text in the format shows the number itself: 95 is 95, not 9500.
    for literal in ('0.00"%"', '0.00\\%'):
        def typed(book, literal=literal):
            book[SHEET]["F13"].value = 95
            book[SHEET]["F13"].number_format = literal
        import_workbook(_edited(_xlsx(report), typed))
        indicator.refresh_from_db()
        assert indicator.actual_value == Decimal("95"), literal

    before = _snapshot(report)
    with pytest.raises(WorkbookError) as refused:
        import_workbook(_edited(_xlsx(report), percent("F6", 0.5)))
    assert any(e.startswith(f"{SHEET}!F6") and "50%" in e for e in refused.value.errors), refused.value.errors
    assert _snapshot(report) == before
    Indicator.objects.filter(pk=indicator.pk).update(unit="人")
    before = _snapshot(report)
    with pytest.raises(WorkbookError) as refused:
        import_workbook(_edited(_xlsx(Report.objects.get(pk=report.pk)), percent("F13", 0.9)))
    assert any(e.startswith(f"{SHEET}!F13") and "“90%”" in e for e in refused.value.errors), refused.value.errors
    assert _snapshot(report) == before


def test_a_cell_of_spaces_is_empty():
    """A space typed to clear a cell under the table is no row (it was refused as a new
    indicator with three empty required cells the staff member never touched)."""
    report, _indicator = _one_indicator_report()
    result = import_workbook(_edited(_xlsx(report), lambda book: setattr(book[SHEET]["I23"], "value", "  ")))
    assert (result.changed, result.created) == (0, 0)


def test_a_bad_heading_or_nature_is_one_message_naming_its_field():
    """An emptied merged 一级指标 was ten messages (one bare "不能为空。" and one model error a
    row); a refused heading is one message naming the field, the rows under it are not
    checked against the heading before it; a nature typed ">=" is ≥."""
    report, indicator = _one_indicator_report(nature="eq")
    IndicatorFactory(report=report, project=indicator.project, level1=indicator.level1,
                     level2=indicator.level2, weight=Decimal("50"), position=2)

    def edit(book):
        sheet = book[SHEET]
        sheet.unmerge_cells("B13:B14") if "B13:B14" in sheet.merged_cells else None
        sheet["B13"].value = None
        sheet["B14"].value = None
    with pytest.raises(WorkbookError) as refused:
        import_workbook(_edited(_xlsx(report), edit))
    assert refused.value.errors == [f"{SHEET}!B13: 应填一级指标，不能为空。"]

    with pytest.raises(WorkbookError) as refused:
        import_workbook(_edited(_xlsx(report), lambda book: setattr(book[SHEET]["B13"], "value", "产出")))
    assert [e.split(":")[0] for e in refused.value.errors] == [f"{SHEET}!B13"], refused.value.errors

    import_workbook(_edited(_xlsx(report), lambda book: setattr(book[SHEET]["J13"], "value", ">=")))
    indicator.refresh_from_db()
    assert indicator.nature == "gte"


def test_the_project_name_is_checked_as_the_form_checks_it():
    report, indicator = _one_indicator_report()
    before = _snapshot(report)
    for name, message in ((None, "不能为空"), ("项" * 240, "200")):
        with pytest.raises(WorkbookError) as refused:
            import_workbook(_edited(_xlsx(report), lambda book, name=name: setattr(
                book[SHEET][f"B{layout.NAME_ROW}"], "value", name)))
        assert any(e.startswith(f"{SHEET}!B{layout.NAME_ROW}") and message in e
                   for e in refused.value.errors), refused.value.errors
    assert _snapshot(report) == before


def test_a_clerk_of_another_department_is_refused_before_anything_is_read(
        sample_report, data_entry_user):
    """The preview listed another department's stored draft values (old → new) and refused
    only on confirm, without naming a cell."""
    report = _draft(sample_report)
    with pytest.raises(WorkbookError) as refused:
        import_workbook(_xlsx(report), user=data_entry_user, dry_run=True)
    assert refused.value.errors == [f"{layout.DEPARTMENT_SHEET}!H3: 无权导入部门“dongjiaduan”的数据。"]
    report.department.staff.add(data_entry_user)
    assert import_workbook(_xlsx(report), user=data_entry_user, dry_run=True).changed == 0


def test_cells_changed_that_are_not_read_are_said(client, data_entry_user):
    """A changed 部门名称, a project sheet's year, or a 得分 typed over a quantitative
    indicator's computed one went unnoticed ("修改 0 行", the offline review)."""
    report, indicator = _one_indicator_report()
    report.department.staff.add(data_entry_user)

    def edit(book):
        book[layout.DEPARTMENT_SHEET]["B3"].value = "改了名的部门"
        book[SHEET]["A2"].value = "（1999年度）"
        book[SHEET][f"H{layout.FIRST_INDICATOR_ROW}"].value = 99

    content = _edited(_xlsx(report), edit)
    before = _snapshot(report)
    result = import_workbook(content, dry_run=True)
    assert [n.split(":")[0] for n in result.notes] == [
        f"{layout.DEPARTMENT_SHEET}!B3", f"{SHEET}!A2", f"{SHEET}!H{layout.FIRST_INDICATOR_ROW}"]
    assert "部门名称在“部门”中修改" in result.notes[0] and "“99”" in result.notes[2]
    assert _snapshot(report) == before
    assert import_workbook(_xlsx(report), dry_run=True).notes == []  # unchanged: nothing said
    client.force_login(data_entry_user)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    page = client.post(reverse("admin:evaluations_report_import"), {
        "dataset": "self_evaluation", "import_file": SimpleUploadedFile("自评表.xlsx", content)}).content.decode()
    assert 'id="import-notes"' in page and "改了名的部门" in page


def test_a_text_longer_than_a_cell_holds_reads_back_whole(sample_report):
    """A cell holds 32,767 characters: a longer outcome (or 六（一） with its paragraphs) was
    written cut and read back as changed, cutting the stored text, or refused as a changed
    paragraph (the trust review). Unchanged, it stays whole."""
    report = _draft(sample_report)
    project = report.projects.first()
    long = "完成情况。" * 9_000  # 45,000 characters
    Project.objects.filter(pk=project.pk).update(outcome=long)
    narrative = report.narratives.first()
    type(narrative).objects.filter(pk=narrative.pk).update(body=long)
    before = _snapshot(report)
    result = import_workbook(_xlsx(Report.objects.get(pk=report.pk)))
    assert (result.changed, result.created) == (0, 0)
    assert _snapshot(report) == before
    assert Project.objects.get(pk=project.pk).outcome == long
