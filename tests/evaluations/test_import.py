"""Imports: encodings, headers and codes, matching on readable keys, all-or-nothing errors."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from evaluations import datasets as ds
from evaluations.imports.importer import import_file
from evaluations.models import (
    BudgetExecution,
    Department,
    FiscalYear,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
)
from indicators.models import Indicator
from tests.evaluations.import_helpers import PROJECTS_CSV, run, run_failing
from tests.factories import DepartmentFactory, ProjectFactory, ReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def d1():
    return DepartmentFactory(code="d1", name="部门一")


def test_projects_import_with_labels_creates_year_and_report(d1):
    assert "新增 2 行" in run("projects", PROJECTS_CSV)
    assert FiscalYear.objects.filter(year=2024).exists()
    report = Report.objects.get(department=d1, fiscal_year__year=2024)
    assert report.status == "draft"
    p1, p2 = report.projects.order_by("position")
    assert (p1.code, p1.position, p2.position) == ("p1", 1, 2)
    assert p1.funding_source.code == "general" and p2.funding_source.code == "fund"
    assert p1.expenditure == Decimal("1524.91") and p2.expenditure == Decimal("0.125")
    assert p1.adjusted_budget == Decimal("12.5") and p2.adjusted_budget is None
    assert p1.outcome == "=不是公式"  # the inert quote is taken off again
    assert p1.history.count() == 1


def test_reimport_changes_nothing(d1):
    run("projects", PROJECTS_CSV)
    history = Project.history.count()
    assert "新增 0 行，更新 0 行，未变 2 行" in run("projects", PROJECTS_CSV)
    assert Project.history.count() == history
    changed = PROJECTS_CSV.replace("项目二", "项目二（改）")
    assert "更新 1 行" in run("projects", changed)
    assert Project.objects.get(code="p2").name == "项目二（改）"
    assert Project.objects.count() == 2
    change = Project.history.get(history_type="~")
    assert (change.name, change.code, change.history_change_reason) == ("项目二（改）", "p2", "数据导入")
    assert change.history_date is not None
    assert Project.history.filter(history_type="+").count() == 2


def test_gb18030_and_bom_and_forced_encoding(d1):
    run("projects", PROJECTS_CSV, encoding="gb18030")  # as Excel saves CSV on Chinese Windows
    assert Project.objects.get(code="p1").name == "项目一"
    run("projects", "\ufeff" + PROJECTS_CSV.replace("项目一", "项目壹"))
    assert Project.objects.get(code="p1").name == "项目壹"
    run("projects", PROJECTS_CSV.replace("项目一", "项目①"), "--encoding", "gb18030",
        encoding="gb18030")
    assert Project.objects.get(code="p1").name == "项目①"


def test_keys_codes_and_labels_are_interchangeable(d1):
    ReportFactory(department=d1, fiscal_year__year=2024)
    csv_text = (
        "year,department_code,level1,level2,name,nature,weight,tier,applicable,score\r\n"
        "2024,d1,产出指标,数量指标,甲,≥,10,,是,\r\n"
        "2024,d1,output,quality,乙,'=,10,,false,\r\n"
        "2024,d1,满意度指标,服务对象满意度指标,丙,定性,20,部分达成,1,13\r\n"
    )
    run("indicators", csv_text)
    by_name = {i.name: i for i in Indicator.objects.all()}
    assert (by_name["甲"].level1, by_name["甲"].nature, by_name["甲"].applicable) == ("output", "gte", True)
    assert (by_name["乙"].nature, by_name["乙"].applicable) == ("eq", False)
    assert (by_name["丙"].tier, by_name["丙"].score) == ("partial", Decimal("13"))
    assert [i.position for i in Indicator.objects.order_by("position")] == [1, 2, 3]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("2024,nobody,p9,项目,general,,,1,,", "部门编码", "部门“nobody”不存在"),
        ("2024,d1,p9,项目,general,-3.50,,1,,", "年初预算数", "不能为负数"),
        ("2024,d1,p9,项目,general,1.2.3,,1,,", "年初预算数", "不是有效的数字"),
        ("2024,d1,p9,项目,general,0.12345,,1,,", "年初预算数", "最多 4 位小数"),
        ("2024,d1,p9,项目,nowhere,,,1,,", "预算类别", "未知的代码“nowhere”"),
        ("2024,d1,p9,项目,appropriation,,,1,,", "预算类别", "不能用于此列"),
        ("2024,d1,p1,重复,general,,,1,,", "项目编码", "与第 2 行重复"),
        ("2024,d1,p9,,general,,,1,,", "项目名称", "不能为空"),
        ("20x4,d1,p9,项目,general,,,1,,", "年度", "不是有效的整数"),
        ("2024,d1,p 9,项目,general,,,1,,", "项目编码", "编码只能包含"),
        ('2024,d1,p9,项目,general,"1,8,2",,1,,', "年初预算数", "不是有效的数字"),
        ("2024,d1,p9,项目,general,1e3,,1,,", "年初预算数", "不是有效的数字"),
        ("2024,d1,p9,项目,general,1_000,,1,,", "年初预算数", "不是有效的数字"),
        ("2024,d1,p9,项目,general,１２,,1,,", "年初预算数", "含全角字符"),
        ("2.024e3,d1,p9,项目,general,,,1,,", "年度", "不是有效的整数"),
    ],
)
def test_one_bad_row_writes_nothing_and_says_where(d1, row, column, message):
    content = PROJECTS_CSV + row + "\r\n"
    err = run_failing("projects", content)
    assert f"第 4 行，“{column}”列：" in err
    assert message in err
    assert not Project.objects.exists()
    assert not Report.objects.exists()
    assert not FiscalYear.objects.filter(year=2024).exists()


def test_missing_required_and_unknown_columns(d1):
    err = run_failing("projects", "年度,部门编码,项目名称,预算类别,备注\r\n2024,d1,x,general,y\r\n")
    assert "第 1 行，“项目编码”列：缺少必填列" in err
    assert "第 1 行，“备注”列：未知的列" in err


def test_headers_as_clerks_write_them(d1):
    """年初预算数（万元） with its unit, ASCII brackets for full-width ones, a near miss told
    what it may be, a title row above the header said to be one (the trust review: each was
    "未知的列" or "缺少必填列" without a word of why)."""
    header = "年度,部门编码,项目编码,项目名称,预算类别,年初预算数（万元）,全年执行数(万元)\r\n"
    assert import_file(ds.PROJECTS, (header + "2024,d1,p1,项目一,general,10,5\r\n").encode()).ok
    assert Project.objects.get(code="p1").initial_budget == Decimal("10")
    # A unit not the column's own is refused: yuan stored as 万元 would be 10,000 times too much.
    err = run_failing("projects", "年度,部门编码,项目编码,项目名称,预算类别,年初预算数（元）\r\n2024,d1,p4,x,general,100000\r\n")
    assert "第 1 行，“年初预算数（元）”列：此列的单位是万元，表头写的是“元”" in err
    err = run_failing("projects", "年度,部门编码,项目编码,项目名称(个),预算类别\r\n2024,d1,p4,x,general\r\n")
    assert "此列没有单位，表头写的是“个”" in err
    err = run_failing("projects", "年度,部门编码,项目编码,项目名称,预算类别,年初预算\r\n2024,d1,p2,x,general,1\r\n")
    assert "第 1 行，“年初预算”列：未知的列。是否应为“年初预算数”？" in err
    err = run_failing("projects", "2024年度项目支出表\r\n年度,部门编码,项目编码\r\n2024,d1,p3\r\n")
    assert "第 1 行应为表头" in err and "标题" in err


def test_unknown_project_for_funds_and_indicators(d1):
    ReportFactory(department=d1, fiscal_year__year=2024)
    err = run_failing(
        "project_funds", "year,department_code,project_code,funding_source,expenditure\r\n"
        "2024,d1,ghost,appropriation,1\r\n",
    )
    assert "“project_code”列：部门“d1”2024年度没有编码为“ghost”的项目" in err
    err = run_failing(
        "indicators", "year,department_code,project_code,level1,level2,name\r\n"
        "2023,d1,ghost,output,quantity,x\r\n",
    )
    assert "ghost" in err
    err = run_failing(
        "indicators", "year,department_code,level1,level2,name\r\n2024,d1,output,economic,x\r\n"
    )
    assert "“level2”列：二级指标“economic”不属于一级指标“output”" in err
    assert not Indicator.objects.exists()


def test_messages_follow_the_users_language(d1):
    with translation.override("en"):
        result = import_file(ds.PROJECTS, b"year\r\n2024\r\n")
    assert result.errors and not result.ok


def test_dry_run_writes_nothing(d1):
    out = run("projects", PROJECTS_CSV, "--dry-run")
    assert "[dry run]" in out and "新增 2 行" in out
    assert not Project.objects.exists() and not FiscalYear.objects.filter(year=2024).exists()


def test_departments_with_parents_in_any_order():
    csv_text = (
        "部门编码,部门名称,简称,归口管理部门编码\r\n"
        "child,下级,,parent\r\n"
        "parent,上级,上,\r\n"
    )
    run("departments", csv_text)
    assert Department.objects.get(code="child").parent.code == "parent"
    assert "未变 2 行" in run("departments", csv_text)
    err = run_failing("departments", "code,name,parent_code\r\nx,X,missing\r\n")
    assert "“parent_code”列：部门“missing”不存在" in err


def test_xlsx_import(d1):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["年度", "部门编码", "预算类别", "年初预算数", "人员经费", "公用经费", "项目支出"])
    sheet.append([2024, "d1", "一般公共预算", 1524.91, 266.61, 0.125, 3])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_file(ds.BUDGET_EXECUTIONS, buffer.getvalue(), filename="b.xlsx")
    assert result.ok, [str(e) for e in result.errors]
    row = BudgetExecution.objects.get()
    assert (row.initial_budget, row.personnel, row.public, row.project) == (
        Decimal("1524.91"), Decimal("266.61"), Decimal("0.125"), Decimal("3"),
    )


def test_narratives_and_funds_match_on_their_keys(d1):
    report = ReportFactory(department=d1, fiscal_year__year=2024)
    project = ProjectFactory(report=report, code="p1")
    run("narratives", "year,department_code,position,headline,body\r\n2024,d1,2,乙,\r\n2024,d1,1,甲,正文\r\n")
    assert list(OutcomeNarrative.objects.order_by("position").values_list("headline", flat=True)) == ["甲", "乙"]
    funds = "year,department_code,project_code,funding_source,expenditure\r\n2024,d1,p1,上年结转资金,2\r\n"
    run("project_funds", funds)
    assert "未变 1 行" in run("project_funds", funds)
    assert ProjectFund.objects.get().project == project


def test_unreadable_file_is_one_error():
    result = import_file(ds.PROJECTS, b"\xff\xfe\x00bad", encoding="utf-8")
    assert result.errors and result.errors[0].row is None


def test_headers_are_unique_per_dataset():
    for dataset in ds.DATASETS.values():
        keys = [c.key for c in dataset.columns]
        labels = [c.chinese_label for c in dataset.columns]
        assert len(set(keys)) == len(keys) and len(set(labels)) == len(labels), dataset.name


def test_import_queries_stay_flat_as_rows_grow(d1):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ReportFactory(department=d1, fiscal_year__year=2024)
    header = "year,department_code,level1,level2,name,weight\r\n"
    # A first row scores the table, so both imports below change the same stored scores.
    assert import_file(ds.INDICATORS, (header + "2024,d1,output,quantity,warm,1\r\n").encode()).ok
    counts = []
    # Sizes stay under one SQLite batch (999 parameters); PostgreSQL batches 2,000 rows.
    for size, prefix in ((3, "a"), (50, "b")):
        body = "".join(f"2024,d1,output,quantity,{prefix}{i},1\r\n" for i in range(size))
        with CaptureQueriesContext(connection) as ctx:
            assert import_file(ds.INDICATORS, (header + body).encode()).ok
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert Indicator.objects.count() == 54


def test_database_refusal_rolls_everything_back(d1, monkeypatch):
    from django.db import IntegrityError

    def refuse(*args, **kwargs):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(Project.objects, "bulk_create", refuse)
    result = import_file(ds.PROJECTS, PROJECTS_CSV.encode())
    assert "数据库拒绝写入" in str(result.errors[0])
    assert not Report.objects.exists() and not FiscalYear.objects.filter(year=2024).exists()


def test_an_unclosed_quote_is_an_error_not_a_cell_that_swallows_the_next_rows(d1):
    narratives = (
        "年度,部门编码,序号,标题句,正文\r\n"
        '2024,d1,1,第一段,"没有结束的引号\r\n'
        "2024,d1,2,第二段,正文\r\n"
    )
    err = run_failing("narratives", narratives)
    assert "第 2 行：CSV 格式错误，引号不成对" in err
    assert not OutcomeNarrative.objects.exists() and not Report.objects.exists()
    err = run_failing("narratives", '年度,部门编码,序号,标题句\r\n2024,d1,1,"标题"多余\r\n')
    assert "第 2 行：CSV 格式错误" in err


def test_a_cell_without_a_header_is_refused(d1):
    """An unquoted 1,828.90 splits into two cells; keeping the first would store 1."""
    err = run_failing("projects", PROJECTS_CSV + "2024,d1,p3,项目三,general,,,1,828.90,目标,情况\r\n")
    assert "第 4 行：第 11 列有内容，但没有表头" in err
    assert not Project.objects.exists()


def _excel_noise(xlsx: bytes) -> bytes:
    """The workbook as Excel saves a formula's result: 17 digits, 0.1+0.2 = 0.30000000000000004."""
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                assert b"<v>0.3</v>" in data
                data = data.replace(b"<v>0.3</v>", b"<v>0.30000000000000004</v>")
            target.writestr(item, data)
    return out.getvalue()


def test_xlsx_numbers_typed_as_numbers_or_as_text(d1):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["年度", "部门编码", "预算类别", "年初预算数", "人员经费", "公用经费", "项目支出"])
    sheet.append(["2024", "d1", "一般公共预算", "1,828.90", 0.0001, "-0", 99999999.9999])
    sheet.append([2024.0, "d1", "fund", 1828.9, "0.0001", 1e-05, 3])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_file(ds.BUDGET_EXECUTIONS, buffer.getvalue(), filename="b.xlsx")
    # 1e-05 typed as a number is 0.00001: too many decimals, said as such, never rounded.
    assert [str(e) for e in result.errors] == ["第 3 行，“公用经费”列：最多 4 位小数（0.00001）。"]
    sheet.cell(row=3, column=6, value=0.3)
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_file(ds.BUDGET_EXECUTIONS, _excel_noise(buffer.getvalue()), filename="b.xlsx")
    assert result.ok, [str(e) for e in result.errors]
    rows = list(BudgetExecution.objects.order_by("funding_source__position").values_list(
        "initial_budget", "personnel", "public", "project"))
    assert rows == [
        (Decimal("1828.9"), Decimal("0.0001"), Decimal("0"), Decimal("99999999.9999")),
        (Decimal("1828.9"), Decimal("0.0001"), Decimal("0.3"), Decimal("3")),
    ]
    assert str(rows[0][2]) == "0.0000"  # -0 stored as 0


def test_a_long_code_a_spreadsheet_made_a_number_is_refused(d1):
    """430200220230001001 opened from a CSV in a spreadsheet and saved reads back as
    430200220230001024: imported, it made a new copy of the project (the trust review)."""
    from openpyxl import Workbook

    run("projects", PROJECTS_CSV)
    book = Workbook()
    sheet = book.active
    sheet.append(["年度", "部门编码", "项目编码", "项目名称", "预算类别", "全年执行数"])
    sheet.append([2024, "d1", 430200220230001001, "长编码项目", "一般公共预算", 1])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_file(ds.PROJECTS, buffer.getvalue(), filename="p.xlsx")
    assert [(e.row, e.column) for e in result.errors] == [(2, "项目编码")]
    assert "18 位的数字" in result.errors[0].message and "文本格式" in result.errors[0].message
    assert Project.objects.count() == 2
    sheet.cell(row=2, column=3, value="430200220230001001")  # typed as text, it reads
    buffer = io.BytesIO()
    book.save(buffer)
    assert import_file(ds.PROJECTS, buffer.getvalue(), filename="p.xlsx").ok


def test_an_empty_file_is_an_error(d1):
    assert "第 1 行：文件是空的" in run_failing("projects", "")
    assert "第 1 行：文件是空的" in run_failing("projects", "\ufeff\r\n")


@pytest.mark.parametrize("tail", ["", "\r\n", "\r\n,,,\r\n"])
def test_a_header_only_file_imports_as_zero_rows(d1, tail):
    """Issue 14.13: an empty dataset exports as its header, which must import back."""
    out = run("projects", PROJECTS_CSV.splitlines()[0] + tail)
    assert "0 行" in out
    result = import_file(ds.PROJECTS, (PROJECTS_CSV.splitlines()[0] + tail).encode())
    assert result.ok and result.errors == []
    assert not Report.objects.exists() and not FiscalYear.objects.exists()


def test_a_nul_character_is_named_by_row_and_column(d1):
    """PostgreSQL refuses NUL in text; SQLite stored it. Either way it is the file's error."""
    err = run_failing("projects", PROJECTS_CSV + "2024,d1,p3,项目\x00三,general,,,1,,\r\n")
    assert "第 4 行，“项目名称”列：含有不允许的空字符" in err
    assert not Project.objects.exists()


@pytest.mark.postgresql
def test_the_largest_amount_is_exact_or_refused_never_rounded(d1):
    """PostgreSQL stores 99999999999999.9999; SQLite (REAL) cannot, so it is refused there."""
    from django.db import connection

    content = "年度,部门编码,预算类别,年初预算数\r\n2024,d1,general,99999999999999.9999\r\n"
    result = import_file(ds.BUDGET_EXECUTIONS, content.encode())
    if connection.vendor == "postgresql":
        assert result.ok
        assert BudgetExecution.objects.get().initial_budget == Decimal("99999999999999.9999")
    else:
        assert [str(e) for e in result.errors] == [
            "第 2 行，“年初预算数”列：SQLite 数据库只能精确保存 15 位有效数字（99999999999999.9999）。"
        ]
        assert not BudgetExecution.objects.exists()
    assert import_file(ds.BUDGET_EXECUTIONS, content.replace("99999999999999.9999", "99999999999.9999").encode()).ok


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_file_cut_off_says_so(d1, bom):
    data = bom + PROJECTS_CSV.encode()
    cut_in_a_character = data[: data.rindex("项目二".encode()) + 4]  # 项 and one byte of 目
    result = import_file(ds.PROJECTS, cut_in_a_character)
    assert [str(e) for e in result.errors] == [
        "第 3 行：文件在此行中途结束（最后一个字符不完整），可能没有保存或上传完整。"
    ]
    cut_in_a_row = data[: data.rindex(b",0.125")]
    result = import_file(ds.PROJECTS, cut_in_a_row)
    assert "第 3 行：只有 7 个单元格（表头有 10 列）" in str(result.errors[0])
    assert not Project.objects.exists() and not Report.objects.exists()
    # A GB18030 file is still read as such, and a complete file without a final line break too.
    assert import_file(ds.PROJECTS, PROJECTS_CSV.rstrip("\r\n").encode("gb18030")).ok


def test_a_short_row_is_refused_naming_its_first_missing_column(d1):
    """A CSV row with fewer cells than the header that leaves off an amount (a line break
    typed into an unquoted cell, a row cut by hand) is refused, not read as blank amounts;
    one that leaves off only free text at its end reads it as blank, as empty cells do."""
    run("projects", PROJECTS_CSV)
    short = PROJECTS_CSV.replace(",12.5,1524.91,目标,'=不是公式\r\n", "\r\n")
    result = import_file(ds.PROJECTS, short.encode())
    assert [(e.row, e.column) for e in result.errors] == [(2, "全年预算数")]
    assert "此行只有 6 个单元格，表头有 10 列" in result.errors[0].message
    assert Project.objects.get(code="p1").adjusted_budget == Decimal("12.5")  # unchanged
    blank_tail = PROJECTS_CSV.replace(",目标,'=不是公式\r\n", ",,\r\n")
    text_left_off = PROJECTS_CSV.replace(",目标,'=不是公式\r\n", "\r\n")
    assert import_file(ds.PROJECTS, blank_tail.encode(), dry_run=True).ok
    assert import_file(ds.PROJECTS, text_left_off.encode()).ok
    assert Project.objects.get(code="p1").goal == ""


def test_a_row_shifted_by_an_unquoted_comma_is_refused_even_with_a_blank_last_cell(d1):
    """"1,828.90" unquoted makes two cells and moves the rest of the row a column right; with
    the row's last cell blank the extra cell was blank too and went unseen, so each amount
    went into the column beside its own (the trust review: 全年预算数 1,900 read as 1.00)."""
    shifted = PROJECTS_CSV + "2024,d1,p3,项目三,fund,1,000,,0.125,,\r\n"
    result = import_file(ds.PROJECTS, shifted.encode())
    assert [(e.row, e.column) for e in result.errors] == [(4, "")]
    assert "此行有 11 个单元格，表头只有 10 列" in result.errors[0].message
    assert not Project.objects.exists()
    # The same row quoted reads; a header padded as wide as its rows (Excel's) too.
    quoted = PROJECTS_CSV + '2024,d1,p3,项目三,fund,"1,000",,0.125,,\r\n'
    assert import_file(ds.PROJECTS, quoted.encode(), dry_run=True).ok
    padded = PROJECTS_CSV.replace("\r\n", ",\r\n") + "2024,d1,p3,项目三,fund,1000,,0.125,,,\r\n"
    assert import_file(ds.PROJECTS, padded.encode(), dry_run=True).ok


def test_departments_import_refuses_a_loop_of_parents():
    """归口管理 links that lead back to their start, within the file or through stored rows."""
    run("departments", "code,name,parent_code\r\na,甲,\r\nb,乙,a\r\n")
    err = run_failing("departments", "code,name,parent_code\r\na,甲,b\r\n")
    assert "第 2 行，“parent_code”列：归口管理关系形成循环：a → b → a。" in err
    err = run_failing("departments", "code,name,parent_code\r\nx,X,y\r\ny,Y,z\r\nz,Z,x\r\n")
    assert "第 2 行，“parent_code”列：归口管理关系形成循环：x → y → z → x。" in err
    assert "第 4 行" in err
    assert Department.objects.get(code="a").parent is None
    assert not Department.objects.filter(code__in=["x", "y", "z"]).exists()
    run("departments", "code,name,parent_code\r\nc,丙,b\r\n")  # a chain is fine
    assert Department.objects.get(code="c").parent.code == "b"


def test_an_import_from_a_file_lets_go_of_each_rows_text_once_read(d1):
    """import_file owns the table it read: its text cells are not held through planning
    (they were a third of a 100,000-row import's memory). A caller that shows the rows
    afterwards, the admin's preview, keeps them."""
    from evaluations.imports.importer import import_table, read_table

    kept = read_table(PROJECTS_CSV.encode())
    assert import_table(ds.PROJECTS, kept, dry_run=True).ok
    assert [number for number, _cells in kept.rows] == [2, 3]

    released = read_table(PROJECTS_CSV.encode())
    result = import_table(ds.PROJECTS, released, dry_run=True, keep_rows=False)
    assert result.ok and [r.row for r in result.rows] == [2, 3]
    assert released.rows == []


def test_the_samples_empty_project_funds_export_imports_back(sample_report, tmp_path):
    """The sample has no 其中 rows: its project_funds export is a header, and imports as 0 rows."""
    target = tmp_path / "project_funds.csv"
    call_command("export_data", "project_funds", "--output", str(target), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_data", "project_funds", str(target), stdout=out, stderr=io.StringIO())
    assert "0 行" in out.getvalue()


@pytest.mark.parametrize("name", ["budget.xlsm", "budget.xlsx"])
def test_the_data_import_refuses_a_macro_enabled_workbook(d1, name):
    """The data import refuses what the 自评表 import refuses: a workbook with macros, by its
    name or by its content, however its rows read."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["年度", "部门编码", "项目编码", "项目名称"])
    book.active.append([2024, "d1", "p1", "项目一"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if name.endswith(".xlsx"):  # macro-enabled by content, renamed
        import zipfile

        source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for item in source.namelist():
                body = source.read(item)
                if item == "[Content_Types].xml":
                    body = body.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
                target.writestr(item, body)
        data = out.getvalue()
    result = import_file(ds.PROJECTS, data, filename=name)
    assert [e.message for e in result.errors] and "不接受含宏的工作簿" in result.errors[0].message
    assert not Project.objects.exists()


def test_a_renamed_csv_is_refused_in_chinese(d1):
    """A CSV renamed .xlsx: one sentence saying what the file is not, no library's English."""
    result = import_file(ds.PROJECTS, PROJECTS_CSV.encode(), filename="projects.xlsx")
    [error] = result.errors
    assert "不是有效的 .xlsx 工作簿" in error.message and "zip" not in error.message
