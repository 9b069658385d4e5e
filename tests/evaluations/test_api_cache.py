"""The API's listings in the public pages' shared cache (issue 21's load target, issue 15.17):
rendered once per version stamp for every app server, plain listings only, drafts absent."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluations.models import Report
from evaluations.public import page_cache, year_index
from tests.evaluations.api_helpers import scored_report

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports/"


@pytest.fixture
def cache_on(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    cache.clear()
    _another_app_server()


def _another_app_server() -> None:
    """Forget what this process keeps, as a second gunicorn worker would not have it."""
    page_cache._local.clear()
    year_index._tables.clear()


@pytest.fixture
def builds(monkeypatch):
    counted = []
    real = year_index.build_year_table

    def counting(year):
        counted.append(year)
        return real(year)

    monkeypatch.setattr(year_index, "build_year_table", counting)
    return counted


def _cache_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM django_cache")
        return sum(1 for (key,) in cursor.fetchall() if page_cache.KEY_PREFIX in key)


def _year(n: int, year: int = 2022, start: int = 0) -> None:
    for i in range(start, start + n):
        scored_report(f"d{year}-{i:03d}", year)


def test_a_listing_is_built_once_per_stamp_for_every_app_server(client, cache_on, builds, settings):
    _year(3)
    scored_report("draft", 2022, status=Report.Status.DRAFT)
    first = client.get(REPORTS, {"year": "2022"})
    assert first.status_code == 200 and first["Content-Type"] == "application/json"
    _another_app_server()
    again = client.get(REPORTS, {"year": "2022"})
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert builds == [2022]
    codes = [r["department_code"] for r in first.json()["results"]]
    assert codes == ["d2022-000", "d2022-001", "d2022-002"]  # no draft
    # The same bytes as an answer built afresh, with the cache off.
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    assert client.get(REPORTS, {"year": "2022"}).json() == first.json()


def test_a_shared_hit_costs_the_stamp_and_one_cache_read_however_many_reports(client, cache_on):
    def hit_queries() -> int:
        client.get(REPORTS, {"year": "2022"})
        _another_app_server()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(REPORTS, {"year": "2022"}).status_code == 200
        return len(queries)

    _year(2)
    few = hit_queries()
    _year(25, start=2)
    assert hit_queries() == few == 2  # the year's stamp, the cache row


def test_publishing_shows_in_the_listing_at_once(client, cache_on, reviewer, superuser):
    _year(2)
    before = client.get(REPORTS, {"year": "2022"}).json()
    assert before["count"] == 2
    scored_report("late", 2022)  # published: the stamp moves
    after = client.get(REPORTS, {"year": "2022"}).json()
    assert after["count"] == 3 and "late" in [r["department_code"] for r in after["results"]]


def test_only_plain_listings_are_kept(client, cache_on):
    _year(3)
    client.get(REPORTS, {"year": "2022"})
    client.get(REPORTS, {"year": "2022", "page": "1"})  # the same page: the same row
    rows = _cache_rows()
    assert rows == 1
    for n in range(5):
        assert client.get(REPORTS, {"year": "2022", "department": f"x{n}"}).status_code == 200
        assert client.get(REPORTS, {"year": "2022", "page_size": str(n + 1)}).status_code == 200
    assert client.get(REPORTS, {"year": "2022,2021"}).status_code == 200
    assert _cache_rows() == rows
    filtered = client.get(REPORTS, {"year": "2022", "department": "d2022-001"}).json()
    assert [r["department_code"] for r in filtered["results"]] == ["d2022-001"]


def test_the_address_asked_for_is_part_of_the_key(client, cache_on, settings):
    settings.ALLOWED_HOSTS = ["a.example", "b.example"]
    _year(1)
    one = client.get(REPORTS, {"year": "2022"}, HTTP_HOST="a.example").json()
    other = client.get(REPORTS, {"year": "2022"}, HTTP_HOST="b.example").json()
    assert one["results"][0]["links"]["api"].startswith("http://a.example/")
    assert other["results"][0]["links"]["api"].startswith("http://b.example/")


def test_errors_are_not_kept(client, cache_on):
    _year(1)
    assert client.get(REPORTS, {"year": "2022", "page": "2"}).status_code == 400
    assert _cache_rows() == 0
    assert client.get(REPORTS, {"year": "2022"}).status_code == 200


def test_a_report_document_is_shared_too(client, cache_on, monkeypatch):
    from evaluations.api import views

    _year(1)
    calls = []
    real = views.report_document
    monkeypatch.setattr(views, "report_document", lambda *a: calls.append(a) or real(*a))
    url = f"{REPORTS}2022/d2022-000/"
    first = client.get(url)
    _another_app_server()
    assert client.get(url).content == first.content
    assert len(calls) == 1
