"""Imports: encodings, headers and codes, matching on readable keys, all-or-nothing errors."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

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
from tests.factories import DepartmentFactory, ProjectFactory, ReportFactory, UserFactory

pytestmark = pytest.mark.django_db

PROJECTS_CSV = (
    "年度,部门编码,项目编码,项目名称,预算类别,年初预算数,全年预算数,全年执行数,年度总体目标,专项资金支出绩效情况\r\n"
    "2024,d1,p1,项目一,一般公共预算,10,12.5,1524.91,目标,'=不是公式\r\n"
    "2024,d1,p2,项目二,fund,,,0.125,,\r\n"
)


def run(dataset: str, content: str | bytes, *args: str, encoding: str = "utf-8") -> str:
    data = content.encode(encoding) if isinstance(content, str) else content
    path = io.BytesIO(data)
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
        handle.write(path.getvalue())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_data", dataset, handle.name, *args, stdout=out, stderr=err)
    return out.getvalue()


def run_failing(dataset: str, content: str) -> str:
    err = io.StringIO()
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
        handle.write(content.encode("utf-8"))
    with pytest.raises(CommandError) as excinfo:
        call_command("import_data", dataset, handle.name, stderr=err)
    assert excinfo.value.returncode == 1
    return err.getvalue()


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
        ("2024,d1,p9,项目,general,１２,,1,,", "年初预算数", "不是有效的数字"),
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


def test_staff_import_only_their_departments_checked_per_row(d1):
    other = DepartmentFactory(code="d2")
    user = UserFactory(username="clerk2")
    user.groups.add(Group.objects.get(name="data_entry"))
    d1.staff.add(user)
    FiscalYear.objects.create(year=2024)  # a clerk may not create years (access.why_not_create_year)
    mixed = PROJECTS_CSV + "2024,d2,p3,别人的,general,,,1,,\r\n"
    result = import_file(ds.PROJECTS, mixed.encode(), user=user)
    assert [str(e) for e in result.errors] == [
        "第 4 行，“部门编码”列：无权导入部门“d2”的数据。"
    ]
    assert not Project.objects.exists()
    assert import_file(ds.PROJECTS, PROJECTS_CSV.encode(), user=user).ok
    assert Project.objects.count() == 2
    assert not other.reports.exists()
    result = import_file(ds.DEPARTMENTS, "code,name\r\nd9,新部门\r\n".encode(), user=user)
    assert "无权新增部门" in str(result.errors[0])


def test_staff_cannot_change_status_or_edit_submitted_reports(d1):
    user = UserFactory(username="clerk3")
    user.groups.add(Group.objects.get(name="data_entry"))
    d1.staff.add(user)
    report = ReportFactory(department=d1, fiscal_year__year=2024, status="submitted")
    result = import_file(
        ds.NARRATIVES, "年度,部门编码,序号,标题句\r\n2024,d1,1,新段落\r\n".encode(), user=user
    )
    assert "不能通过导入修改" in str(result.errors[0])
    result = import_file(
        ds.REPORTS, b"year,department_code,status\r\n2024,d1,published\r\n", user=user
    )
    assert "无权通过导入更改报告状态" in str(result.errors[0])
    report.refresh_from_db()
    assert report.status == "submitted" and not report.narratives.exists()


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


def test_imports_need_the_model_permissions_of_what_they_write(d1, data_entry_user, auditor):
    """Import rights are not change rights: a clerk only views departments, an auditor reads."""
    d1.staff.add(data_entry_user)
    result = import_file(ds.DEPARTMENTS, "code,name\r\nd1,改名\r\n".encode(), user=data_entry_user)
    assert [str(e) for e in result.errors] == ["第 2 行：无权修改“部门”。"]
    result = import_file(ds.DEPARTMENTS, b"code,parent_code\r\nd1,d2\r\nd2,\r\n", user=data_entry_user)
    assert not result.ok and not Department.objects.filter(code="d2").exists()
    d1.staff.add(auditor)
    history = Department.history.count()
    result = import_file(ds.PROJECTS, PROJECTS_CSV.encode(), user=auditor)
    assert [str(e) for e in result.errors] == ["无权导入数据。"]
    assert Department.objects.get().name == "部门一"
    assert not Project.objects.exists() and not Report.objects.exists()
    assert Department.history.count() == history and not Project.history.exists()


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


def test_reviewers_publish_through_the_workflow_not_through_an_import(d1, reviewer):
    """An import setting status would skip the consistency checks, the events and revisions."""
    report = ReportFactory(department=d1, fiscal_year__year=2024)
    result = import_file(
        ds.REPORTS, b"year,department_code,status\r\n2024,d1,published\r\n", user=reviewer
    )
    assert [str(e) for e in result.errors] == ["第 2 行，“status”列：无权通过导入更改报告状态。"]
    report.refresh_from_db()
    assert report.status == "draft" and report.published_at is None
    assert not report.events.exists()


def test_import_data_as_a_user_applies_their_rights_and_records_them(d1, data_entry_user):
    d1.staff.add(data_entry_user)
    FiscalYear.objects.create(year=2024)  # a clerk may not create years (access.why_not_create_year)
    DepartmentFactory(code="d2")
    out = run("projects", PROJECTS_CSV, "--user", data_entry_user.username)
    assert "新增 2 行" in out
    assert {h.history_user for h in Project.history.all()} == {data_entry_user}
    assert Report.history.get().history_user == data_entry_user
    with pytest.raises(CommandError):
        run("projects", PROJECTS_CSV.replace(",d1,", ",d2,"), "--user", data_entry_user.username)
    assert Project.objects.count() == 2 and not Report.objects.filter(department__code="d2").exists()
    with pytest.raises(CommandError, match="No user"):
        run("projects", PROJECTS_CSV, "--user", "nobody")


def test_staff_cannot_open_a_report_in_a_closed_year_by_import(d1, data_entry_user):
    """The admin offers only open years for a new report; the import holds the same rule."""
    d1.staff.add(data_entry_user)
    FiscalYear.objects.create(year=2024, is_open=False)
    result = import_file(ds.PROJECTS, PROJECTS_CSV.encode(), user=data_entry_user)
    assert [str(e) for e in result.errors][0] == "第 2 行，“年度”列：2024 年度已停止填报，不能新建报告。"
    assert not Report.objects.exists() and not Project.objects.exists()
    assert import_file(ds.PROJECTS, PROJECTS_CSV.encode()).ok  # the command line may


def test_an_import_creates_no_year_beyond_next_year(d1):
    """A mistyped year (2204 for 2024) is refused, row and column named, and nothing written;
    next year may be created, and a year an administrator set up takes reports."""
    latest = timezone.localdate().year + 1
    typo = PROJECTS_CSV.replace("\r\n2024,d1,p2,", f"\r\n{latest + 1},d1,p2,")
    result = import_file(ds.PROJECTS, typo.encode())
    assert [str(e) for e in result.errors] == [
        f"第 3 行，“年度”列：{latest + 1} 年度尚未设立，且晚于{latest} 年度；"
        "请核对年度，或先在“预算年度”中新增。"
    ]
    assert not FiscalYear.objects.exists() and not Report.objects.exists()
    assert not Project.objects.exists()

    assert import_file(ds.PROJECTS, PROJECTS_CSV.replace("2024,", f"{latest},").encode()).ok
    FiscalYear.objects.create(year=latest + 1)
    assert import_file(ds.PROJECTS, typo.encode()).ok
    assert set(Report.objects.values_list("fiscal_year__year", flat=True)) == {2024, latest, latest + 1}


def test_a_year_beyond_next_year_is_named_once_and_staff_are_sent_to_a_reviewer(d1, data_entry_user):
    d1.staff.add(data_entry_user)
    year = timezone.localdate().year + 2
    rows = "".join(f"{year},d1,p{n},项目{n},一般公共预算,,,1,,\r\n" for n in range(30))
    result = import_file(ds.PROJECTS, (PROJECTS_CSV.splitlines(True)[0] + rows).encode(), user=data_entry_user)
    assert [str(e) for e in result.errors] == [
        f"第 2 行，“年度”列：{year} 年度尚未设立，且晚于{year - 1} 年度；请核对年度，或请审核人先新增该年度。"
    ]
    assert not FiscalYear.objects.exists() and not Project.objects.exists()


def test_staff_import_keeps_a_qualitative_score_within_its_tier(d1, data_entry_user):
    """The indicator form refuses a 部分达成 score above its band; so does the import."""
    d1.staff.add(data_entry_user)
    FiscalYear.objects.create(year=2024)  # a clerk may not create years (access.why_not_create_year)
    header = "year,department_code,level1,level2,name,nature,weight,tier,score\r\n"
    inflated = header + "2024,d1,satisfaction,satisfaction,满意度,qualitative,20,partial,20\r\n"
    result = import_file(ds.INDICATORS, inflated.encode(), user=data_entry_user)
    assert len(result.errors) == 1 and result.errors[0].row == 2
    assert str(result.errors[0]) == (
        "第 2 行，“score”列：“部分达成”档的得分应不低于 12.00、低于 16.00（16.00 属于上一档）。"
    )
    assert not Indicator.objects.exists() and not Report.objects.exists()
    fair = inflated.replace("partial,20", "partial,15")
    assert import_file(ds.INDICATORS, fair.encode(), user=data_entry_user).ok


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


def test_history_names_the_user_whoever_calls_the_importer(d1, data_entry_user):
    """No request, no --user: code that calls import_file with a user still gets it recorded."""
    d1.staff.add(data_entry_user)
    # The year too, created by a clerk who may create years (access.ADD_FISCAL_YEAR).
    data_entry_user.user_permissions.add(Permission.objects.get(codename="add_fiscalyear"))
    assert import_file(ds.PROJECTS, PROJECTS_CSV.encode(), user=data_entry_user).ok
    for model in (FiscalYear, Report, Project):
        assert {h.history_user for h in model.history.all()} == {data_entry_user}, model


def test_staff_cannot_change_a_draft_of_a_closed_year_by_import(d1, data_entry_user, superuser):
    """Closing a year stops entry into its drafts too; the admin and the import agree."""
    d1.staff.add(data_entry_user)
    FiscalYear.objects.create(year=2024)  # a clerk may not create years (access.why_not_create_year)
    assert import_file(ds.PROJECTS, PROJECTS_CSV.encode(), user=data_entry_user).ok
    FiscalYear.objects.filter(year=2024).update(is_open=False)
    renamed = PROJECTS_CSV.replace("项目一", "改名的项目一")
    result = import_file(ds.PROJECTS, renamed.encode(), user=data_entry_user)
    assert [str(e) for e in result.errors] == [
        "第 2 行，“年度”列：2024 年度已停止填报，不能修改该年度的报告。"
    ]
    assert not Project.objects.filter(name="改名的项目一").exists()
    assert import_file(ds.PROJECTS, renamed.encode(), user=superuser).ok
    assert Project.objects.filter(name="改名的项目一").exists()


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
