"""import_data and who may import what: staff's departments, closed years, the workflow's
fields, history (the file formats: test_import.py)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError
from django.utils import timezone

from evaluations import datasets as ds
from evaluations.imports.importer import import_file
from evaluations.models import (
    Department,
    FiscalYear,
    Project,
    Report,
)
from indicators.models import Indicator
from tests.evaluations.import_helpers import PROJECTS_CSV, run
from tests.factories import DepartmentFactory, ReportFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def d1():
    return DepartmentFactory(code="d1", name="部门一")


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
        f"第 2 行，“年度”列：{year} 年度尚未设立，且晚于{year - 1} 年度；请核对年度，或请审核人先在“自评报告”列表页开放该年度填报。"
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
