"""Streamed CSV exports: columns, canonical cells, formula safety, filters, permissions, queries."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import datasets as ds
from evaluations.exports.streams import ExportFilters, stream_csv
from evaluations.models import Report
from indicators import tables
from tests.evaluations.data_helpers import DATASET_ORDER, export, rich_report
from tests.factories import (
    BudgetExecutionFactory,
    DepartmentFactory,
    IndicatorFactory,
    OutcomeNarrativeFactory,
    ProjectFactory,
    ProjectFundFactory,
    ReportFactory,
    UserFactory,
    source,
)

# Exports read through COPY on PostgreSQL (streams._read_flat): `make test` runs both.
pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_columns_are_the_design_keys_then_derived():
    expected = {
        "departments": "code,name,short_name,parent_code",
        "reports": "year,department_code,status,profile,goals,overall_summary,problems,"
        "improvements,result_application,other_matters,rule_set,targets_status,execution_rate,execution_score,"
        "total_score,grade",
        "budget_executions": "year,department_code,funding_source,initial_budget,"
        "adjusted_budget,income,personnel,public,project,basic,expenditure,execution_rate",
        "projects": "year,department_code,code,name,funding_source,initial_budget,"
        "adjusted_budget,expenditure,goal,outcome,execution_rate,execution_score,total_score,grade",
        "project_funds": "year,department_code,project_code,funding_source,initial_budget,"
        "adjusted_budget,expenditure",
        "narratives": "year,department_code,position,headline,body",
        "indicators": "year,department_code,project_code,level1,level2,name,nature,unit,"
        "target_value,target_text,actual_value,actual_text,weight,tier,applicable,score,"
        "deviation,final_score",
    }
    for name, header in expected.items():
        assert export(name, "--header", "keys").splitlines()[0] == header


def test_labels_by_default_keys_on_request_and_bom(sample_report):
    labels = export("budget_executions")
    assert labels.startswith("年度,部门编码,预算类别,年初预算数,全年预算数,财政拨款收入,")
    assert "2022,dongjiaduan,一般公共预算,392.69,,1828.90,266.61,37.38,1524.91,303.99,1828.90," in labels
    keys = export("budget_executions", "--header", "keys")
    assert "2022,dongjiaduan,general,392.69,,1828.90,266.61,37.38,1524.91,303.99,1828.90," in keys
    assert "2022,dongjiaduan,fund,,,1898.71,0.00,0.00,1898.71,0.00,1898.71," in keys
    assert not labels.startswith("\ufeff")
    assert export("budget_executions", "--bom").startswith("\ufeff年度")
    assert "\r\n" not in labels and labels.count("\n") >= 3  # records end with LF, as COPY writes


def test_formula_cells_are_inert_and_numbers_plain():
    rich_report()
    departments = rows_of(export("departments", "--header", "keys"))
    assert departments[0]["name"] == "'=危险名称"
    assert departments[0]["short_name"] == "'-简称"
    reports = rows_of(export("reports", "--header", "keys"))[0]
    assert reports["problems"] == "'@SUM(A1)"
    assert reports["improvements"] == "'\t以制表符开头"
    assert reports["goals"] == "''以单引号开头"  # so an import strips exactly one quote
    assert reports["profile"] == "第一行\r\n第二行，含“引号”,逗号"
    narratives = rows_of(export("narratives", "--header", "keys"))
    assert narratives[0]["headline"] == "'=HYPERLINK(\"x\")"
    assert narratives[0]["body"] == "-3.50"  # a plain number is not a formula
    indicators = rows_of(export("indicators", "--header", "keys"))
    assert indicators[0]["actual_value"] == "-3.5"
    assert indicators[0]["deviation"] == "'-未完成"
    budgets = rows_of(export("budget_executions", "--header", "keys"))
    assert budgets[1]["initial_budget"] == "0.125"  # not rounded to 0.13
    assert budgets[1]["adjusted_budget"] == "1524.91"
    # Labels mode: the nature "=" would be a formula; it is written inert too.
    labels = export("indicators")
    assert "'=" in labels
    assert "\n'=" not in labels


def test_derived_columns_match_the_self_evaluation_tables():
    report = rich_report()
    projects = {r["code"]: r for r in rows_of(export("projects", "--header", "keys"))}
    for project in report.projects.all():
        table = tables.project_table(project, list(project.indicators.order_by("position")), report.rules)
        row = projects[project.code]
        assert row["execution_rate"] == f"{table.execution_rate:.2f}"
        assert row["execution_score"] == f"{table.execution_score:.2f}"
        assert row["total_score"] == f"{table.total:.2f}"
        assert row["grade"] == table.grade
    assert projects["proj-b"]["execution_rate"] == "85.50"
    report.refresh_from_db()  # the stored scores, written as its rows were
    table = tables.department_table(
        report, list(report.budget_executions.all()),
        list(report.indicators.filter(project=None).order_by("position")), report.rules,
    )
    row = rows_of(export("reports", "--header", "keys"))[0]
    assert row["total_score"] == f"{table.total:.2f}"
    assert row["grade"] == table.grade
    labelled = rows_of(export("reports"))[0]
    assert labelled["评价等级"] == ds.choice_label(ds.REPORTS.column("grade"), table.grade)
    by_name = {r["name"]: r for r in rows_of(export("indicators", "--header", "keys"))}
    assert list(by_name)[:3] == ["数量", "满意度", "不适用"]  # department level first
    for indicator in report.indicators.all():
        expected = indicator.final_score
        assert by_name[indicator.name]["final_score"] == (
            "" if expected is None else f"{expected:.2f}"
        )
    assert by_name["满意度"]["final_score"] == "15.50"
    assert by_name["不适用"]["final_score"] == ""
    assert by_name["不适用"]["applicable"] == "false"


def test_filters_by_year_department_source_and_status():
    a = ReportFactory(department__code="aa", fiscal_year__year=2021, status="published")
    b = ReportFactory(department__code="bb", fiscal_year__year=2022)
    c = ReportFactory(department__code="cc", fiscal_year__year=2023)
    for report in (a, b, c):
        BudgetExecutionFactory(report=report)
    ProjectFactory(report=b, code="g1")
    ProjectFactory(report=b, code="f1", funding_source=source("fund"))

    def codes(*args):
        return [r["department_code"] for r in rows_of(export("reports", "--header", "keys", *args))]

    assert codes() == ["aa", "bb", "cc"]
    assert codes("--year", "2021", "--year", "2023") == ["aa", "cc"]
    assert codes("--department", "bb", "--department", "cc") == ["bb", "cc"]
    assert codes("--status", "published") == ["aa"]
    projects = rows_of(export("projects", "--header", "keys", "--funding-source", "fund"))
    assert [p["code"] for p in projects] == ["f1"]


def test_web_export_needs_permission_and_streams(client, auditor, data_entry_user, sample_report):
    url = reverse("evaluations:exports", args=["indicators"])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(data_entry_user)
    assert client.get(url).status_code == 403
    client.force_login(auditor)
    response = client.get(url, {"year": "2022", "header": "keys", "bom": "1"})
    assert isinstance(response, StreamingHttpResponse)
    assert not isinstance(response.streaming_content, list | tuple)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffyear,department_code,project_code,level1")
    assert body.count("\n") == 11
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "indicators-2022.csv" in response["Content-Disposition"]
    assert client.get(reverse("evaluations:exports", args=["nope"])).status_code == 404
    empty = b"".join(client.get(url, {"year": "2021"}).streaming_content).decode()
    assert empty.count("\n") == 1


def test_web_filters_accept_lists(client, auditor):
    for code, year in (("d1", 2021), ("d2", 2022), ("d3", 2022)):
        ReportFactory(department__code=code, fiscal_year__year=year, status="submitted")
    client.force_login(auditor)
    url = reverse("evaluations:exports", args=["reports"])

    def codes(params):
        body = b"".join(client.get(url, params | {"header": "keys"}).streaming_content).decode()
        return [r["department_code"] for r in rows_of(body)]

    assert codes({"year": ["2021", "2022"], "department": "d1,d3"}) == ["d1", "d3"]
    assert codes({"status": "draft"}) == []


@pytest.mark.parametrize(("params", "named"), [
    ({"year": "bad"}, "year"), ({"year": "1999,20221"}, "year"), ({"department": "d1,nosuch"}, "nosuch"),
    ({"funding_source": "x"}, "funding_source"), ({"status": "bogus"}, "status"),
    ({"header": "foo"}, "header"), ({"bom": "2"}, "bom"),
])
def test_a_filter_no_row_could_match_is_refused_naming_it(client, auditor, params, named):
    """A file of headers alone read as "no such rows" (the trust review: ?department=nosuch,
    ?year=abc); a year or department that exists but has no rows is still an empty file."""
    ReportFactory(department__code="d1", fiscal_year__year=2022, status="submitted")
    client.force_login(auditor)
    url = reverse("evaluations:exports", args=["reports"])
    response = client.get(url, params)
    assert response.status_code == 400
    assert named in response.content.decode()
    assert client.get(url, {"year": "2021", "department": "d1"}).status_code == 200


def test_staff_export_only_their_departments(client):
    from django.contrib.auth.models import Permission

    mine = ReportFactory(department__code="mine")
    ReportFactory(department__code="theirs")
    user = UserFactory(username="staff-exporter")
    user.user_permissions.add(Permission.objects.get(codename="export_data"))
    mine.department.staff.add(user)
    client.force_login(user)
    for name in ("departments", "reports"):
        body = b"".join(
            client.get(reverse("evaluations:exports", args=[name]), {"header": "keys"}).streaming_content
        ).decode()
        assert "mine" in body and "theirs" not in body


def _grow(n: int) -> None:
    """n more reports, each with every kind of row."""
    for i in range(n):
        report = ReportFactory(department=DepartmentFactory())
        BudgetExecutionFactory(report=report)
        project = ProjectFactory(report=report)
        ProjectFundFactory(project=project)
        OutcomeNarrativeFactory(report=report)
        IndicatorFactory(report=report, weight=Decimal("50"))
        IndicatorFactory(report=report, project=project, weight=Decimal("90"), position=i + 1)


@pytest.mark.parametrize("name", DATASET_ORDER)
def test_export_queries_stay_flat(name, client, auditor):
    client.force_login(auditor)
    url = reverse("evaluations:exports", args=[name])
    counts = []
    for more in (1, 6):
        _grow(more)
        with CaptureQueriesContext(connection) as ctx:
            body = b"".join(client.get(url).streaming_content)
        counts.append(len(ctx.captured_queries))
        assert body
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12


def test_stream_is_lazy_and_resolves_labels_up_front(sample_report):
    with CaptureQueriesContext(connection) as ctx:
        pieces = stream_csv(ds.INDICATORS, ExportFilters(years=[2022]))
    before = len(ctx.captured_queries)
    assert before <= 1  # the funding source names, nothing else yet
    assert "技工贸总收入" in "".join(pieces)


def test_export_to_file(tmp_path, sample_report):
    target = tmp_path / "out.csv"
    from django.core.management import call_command

    call_command("export_data", "narratives", "--output", str(target), "--bom")
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").count("\n") == 7
    assert Report.objects.count() == 1
