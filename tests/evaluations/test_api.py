"""/api/v1/: published data only, filters, pages, errors, ETags, Decimal strings, flat queries."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations import workflow
from evaluations.models import Report
from tests.evaluations.api_helpers import scored_report
from tests.evaluations.public_helpers import grow_report
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports/"


def get(client, url, **params):
    response = client.get(url, params, HTTP_ACCEPT="application/json")
    return response, (response.json() if response.content else None)


@pytest.fixture
def two_years():
    """2022: a (excellent), b (poor, fund budget); 2023: a (excellent); plus drafts everywhere."""
    reports = {
        "a22": scored_report("a", 2022),
        "b22": scored_report("b", 2022, actual="5", budget="fund"),
        "a23": scored_report("a", 2023),
    }
    scored_report("draft", 2022, status=Report.Status.DRAFT)
    scored_report("approved", 2023, status=Report.Status.APPROVED)
    scored_report("only-draft", 2024, status=Report.Status.SUBMITTED)
    return reports


def test_every_endpoint_shows_published_reports_only(client, two_years):
    _, years = get(client, "/api/v1/years/")
    assert [(y["year"], y["reports"]) for y in years["results"]] == [(2023, 1), (2022, 2)]
    _, departments = get(client, "/api/v1/departments/")
    assert [d["code"] for d in departments["results"]] == ["a", "b"]
    assert departments["results"][0]["years"] == [2022, 2023]
    _, reports = get(client, REPORTS)
    assert [(r["year"], r["department_code"]) for r in reports["results"]] == [
        (2023, "a"), (2022, "a"), (2022, "b")]
    for year, code in ((2022, "draft"), (2023, "approved"), (2024, "only-draft")):
        response, body = get(client, f"{REPORTS}{year}/{code}/")
        assert response.status_code == 404, code
        assert "detail" in body
    _, none = get(client, REPORTS, year="2024")
    assert none["count"] == 0


def test_filters(client, two_years):
    def codes(**params):
        response, body = get(client, REPORTS, **params)
        assert response.status_code == 200, body
        return [(r["year"], r["department_code"]) for r in body["results"]]

    assert codes(year="2022") == [(2022, "a"), (2022, "b")]
    assert codes(year="2022,2023", department="a") == [(2023, "a"), (2022, "a")]
    assert codes(department=["a", "b"], year="2023") == [(2023, "a")]
    assert codes(funding_source="fund") == [(2022, "b")]
    assert codes(funding_source="general", year="2022") == [(2022, "a")]
    assert codes(grade="poor") == [(2022, "b")]
    assert codes(grade="excellent,poor", year="2022") == [(2022, "a"), (2022, "b")]
    assert codes(department="nobody") == []
    _, departments = get(client, "/api/v1/departments/", year="2023")
    assert [d["code"] for d in departments["results"]] == ["a"]


def test_scores_and_amounts_are_the_pages_and_the_csv(client, two_years):
    _, body = get(client, REPORTS, department="b")
    row = body["results"][0]
    # 60 + 55 of 120: the CSV's strings, never floats.
    assert row["total_expenditure"] == "115.00" and row["execution_rate"] == "95.83"
    assert row["total_score"] == "54.58" and row["grade"] == "poor"
    assert row["budgets"] == [{"funding_source": "fund", "expenditure": "115.00"}]
    csv_rows = list(csv.DictReader(io.StringIO(b"".join(client.get(
        reverse("evaluations:data_csv", args=[2022, "reports"]), {"header": "keys"}
    ).streaming_content).decode(), newline="")))
    by_code = {r["department_code"]: r for r in csv_rows}
    assert by_code["b"]["total_score"] == row["total_score"]
    assert by_code["b"]["execution_rate"] == row["execution_rate"]
    assert by_code["b"]["grade"] == row["grade"]


def test_detail_nests_budgets_projects_indicators_and_scores(client, two_years):
    report = two_years["a22"]
    # Position 1: grow_report adds positions 2 and 3 (the factory's sequence could take them).
    project = ProjectFactory(report=report, code="proj", position=1, adjusted_budget=Decimal("0.125"),
                             expenditure=Decimal("0.1"))
    grow_report(report, 2)
    response, body = get(client, f"{REPORTS}2022/a/")
    assert response.status_code == 200
    assert body["department_code"] == "a" and body["year"] == 2022
    assert body["scores"] == {"execution_rate": "95.83", "execution_score": "9.58",
                              "total_score": "99.58", "grade": "excellent"}
    general = body["budgets"][0]
    assert general["funding_source"] == "general" and general["basic"] == "60.00"
    assert general["adjusted_budget"] == "120.00" and general["income"] == "120.00"
    first = next(p for p in body["projects"] if p["code"] == "proj")
    assert first["adjusted_budget"] == "0.125" and first["expenditure"] == "0.10"
    grown = [p for p in body["projects"] if p["code"] != "proj"]
    assert len(grown) == 2 and len(grown[0]["indicators"]) == 2 and len(grown[0]["funds"]) == 1
    assert grown[0]["indicators"][0]["weight"] == "45.00"
    assert grown[0]["scores"]["total_score"] is not None
    own = body["indicators"][-1]  # weighted; the grown ones only list targets
    assert own["target_value"] == "10" and own["final_score"] == "90.00"
    assert len(body["narratives"]) == 2 and body["findings"] == []
    assert set(body["texts"]) == {"profile", "goals", "overall_summary", "problems",
                                  "improvements", "result_application", "other_matters"}
    assert body["links"]["html"].endswith("/reports/2022/a/")
    assert project.pk


@pytest.mark.parametrize("url, params, parameter", [
    (REPORTS, {"yaer": "2022"}, "yaer"),
    (REPORTS, {"year": "22"}, "year"),
    (REPORTS, {"year": "2022,abcd"}, "year"),
    (REPORTS, {"year": "２０２２"}, "year"),
    (REPORTS, {"year": ""}, "year"),
    (REPORTS, {"grade": "great"}, "grade"),
    (REPORTS, {"funding_source": "appropriation"}, "funding_source"),  # not a budget
    (REPORTS, {"department": "a;drop"}, "department"),
    (REPORTS, {"page_size": "201"}, "page_size"),
    (REPORTS, {"page_size": "0"}, "page_size"),
    (REPORTS, {"page": "-1"}, "page"),
    (REPORTS, {"page": "2"}, "page"),
    (REPORTS, {"page": "99999999999999999999"}, "page"),
    ("/api/v1/years/", {"year": "2022"}, "year"),
    ("/api/v1/departments/", {"page": "x"}, "page"),
    (f"{REPORTS}2022/a/", {"expand": "all"}, "expand"),
])
def test_bad_input_is_a_400_naming_the_parameter(client, two_years, url, params, parameter):
    response, body = get(client, url, **params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert body["parameter"] == parameter and body["detail"]
    assert response["Cache-Control"] == "no-store"


def test_writes_are_refused(client, two_years):
    assert client.post(REPORTS, {}).status_code == 405
    assert client.delete(f"{REPORTS}2022/a/").status_code == 405


def test_pages(client, two_years):
    for i in range(5):
        scored_report(f"p{i}", 2022)
    response, body = get(client, REPORTS, year="2022", page_size="3")
    assert body["count"] == 7 and len(body["results"]) == 3 and body["previous"] is None
    assert "page=2" in body["next"] and "page_size=3" in body["next"]
    _, last = get(client, REPORTS, year="2022", page_size="3", page="3")
    assert len(last["results"]) == 1 and last["next"] is None and "page=2" in last["previous"]
    _, second = get(client, REPORTS, year="2022", page_size="3", page="2")
    seen = [r["department_code"] for r in body["results"] + second["results"] + last["results"]]
    assert seen == sorted(seen) and len(set(seen)) == 7


def test_etag_follows_the_published_data(client, two_years, reviewer, django_assert_num_queries):
    url = f"{REPORTS}2022/a/"
    first = client.get(url)
    etag = first["ETag"]
    assert etag and first["Last-Modified"] and "no-cache" in first["Cache-Control"]
    with django_assert_num_queries(1):  # the stamp alone
        not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified["ETag"] == etag
    # A draft elsewhere in the year moves nothing.
    draft = Report.objects.get(department__code="draft")
    draft.problems = "新的问题"
    draft.save()
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(REPORTS, {"year": "2022"})["ETag"] != etag  # another URL, another tag
    # Reopening the report changes it (and it is gone while reopened).
    workflow.reopen_report(two_years["a22"], reviewer, comment="更正")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404


def test_list_etag_moves_when_a_report_is_published(client, two_years, reviewer, superuser):
    etag = client.get(REPORTS, {"year": "2022"})["ETag"]
    assert client.get(REPORTS, {"year": "2022"}, HTTP_IF_NONE_MATCH=etag).status_code == 304
    new = scored_report("late", 2022)
    assert new.status == Report.Status.PUBLISHED
    response = client.get(REPORTS, {"year": "2022"}, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def _count_queries(client, url, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_list_queries_stay_flat_as_reports_grow(client):
    for i in range(3):
        scored_report(f"d{i}", 2022)
    counts = [_count_queries(client, REPORTS, {"year": "2022"}),
              _count_queries(client, REPORTS, {})]
    for i in range(3, 30):
        scored_report(f"d{i}", 2022)
    assert [_count_queries(client, REPORTS, {"year": "2022"}),
            _count_queries(client, REPORTS, {})] == counts
    counts = [_count_queries(client, u, {}) for u in ("/api/v1/years/", "/api/v1/departments/")]
    for i in range(30, 40):
        scored_report(f"d{i}", 2023)
    assert [_count_queries(client, u, {}) for u in ("/api/v1/years/", "/api/v1/departments/")] == counts


def test_detail_queries_stay_flat_as_a_report_grows(client):
    report = scored_report("grow", 2022)
    grow_report(report, 1)
    url = f"{REPORTS}2022/grow/"
    before = _count_queries(client, url, {})
    grow_report(report, 6)
    assert _count_queries(client, url, {}) == before <= 8


def test_detail_lists_the_reports_findings_as_the_csv_does(client, two_years):
    import datetime

    from evaluations.models import Finding

    report = two_years["a22"]
    Finding.objects.create(report=report, position=2, source="audit", description="审计发现<b>",
                           status="in_progress", due_date=datetime.date(2023, 6, 30))
    Finding.objects.create(report=report, position=1, source="self", description="自查问题",
                           measure="已整改", owner="办公室", status="done")
    url = f"{REPORTS}2022/a/"
    _, body = get(client, url)
    assert body["findings"] == [
        {"position": 1, "source": "self", "description": "自查问题", "measure": "已整改",
         "owner": "办公室", "due_date": None, "status": "done"},
        {"position": 2, "source": "audit", "description": "审计发现<b>", "measure": "",
         "owner": "", "due_date": "2023-06-30", "status": "in_progress"},
    ]
    before = _count_queries(client, url, {})
    for position in range(3, 9):
        Finding.objects.create(report=report, position=position, source="self",
                               description=f"问题{position}")
    assert _count_queries(client, url, {}) == before
    _, body = get(client, url)
    assert len(body["findings"]) == 8
