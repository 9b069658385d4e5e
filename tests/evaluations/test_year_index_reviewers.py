"""Budget recommendations on the year index for reviewers (issue 19, result use): a private,
uncached variant of the page; the shared public page never holds them, whoever came first."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from evaluations.models import Recommendation
from evaluations.public import page_cache, year_index
from tests.evaluations.public_helpers import published_report
from tests.factories import DepartmentFactory, ProjectFactory, ReportFactory

pytestmark = pytest.mark.django_db

URL = "/reports/2024/"
COLUMN = "预算安排建议"


@pytest.fixture
def cache_on(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    cache.clear()
    page_cache._local.clear()
    year_index._tables.clear()


def _report(code: str, recommendations: list[str | None]):
    report = published_report(year=2024, department=DepartmentFactory(code=code, name=f"部门{code}"))
    for i, recommendation in enumerate(recommendations):
        project = ProjectFactory(report=report, position=i + 1, code=f"{code}-{i}")
        if recommendation:
            Recommendation.objects.create(project=project, recommendation=recommendation, note="保密")
    return report


@pytest.fixture
def year():
    _report("a", ["increase", "keep", "keep", None])
    _report("b", [])
    draft = ReportFactory(fiscal_year=_report("c", ["cancel"]).fiscal_year,
                          department=DepartmentFactory(code="draft"))
    Recommendation.objects.create(project=ProjectFactory(report=draft), recommendation="reduce")


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _row(content: bytes, code: str) -> str:
    html = content.decode()
    start = html.index(f'href="/reports/2024/{code}/"')
    return html[start:html.index("</tr>", start)]


def test_reviewers_see_the_recommendations_of_the_pages_reports(year, reviewer, cache_on):
    response = _signed_in(reviewer).get(URL)
    assert response.status_code == 200
    assert COLUMN in response.content.decode()
    assert "优先保障（增加） 1 · 保持 2 · 未记录 1" in _row(response.content, "a")
    assert "—" in _row(response.content, "b")
    assert "取消 1" in _row(response.content, "c")
    assert "压减" not in response.content.decode()  # the draft's
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control and "public" not in cache_control
    assert not response.has_header("ETag") and not response.has_header("Last-Modified")
    assert "/admin/evaluations/recommendation/year/2024/" in response.content.decode()


def test_the_public_never_sees_them_even_after_a_reviewer_came_first(
    client, year, reviewer, data_entry_user, cache_on
):
    assert COLUMN in _signed_in(reviewer).get(URL).content.decode()
    assert COLUMN in _signed_in(reviewer).get(URL, {"sort": "total"}).content.decode()
    anonymous = client.get(URL)
    assert anonymous.status_code == 200 and COLUMN not in anonymous.content.decode()
    assert "public" in anonymous["Cache-Control"] and anonymous.has_header("ETag")
    assert "未记录" not in anonymous.content.decode()
    # Signed in without the reviewer's permission: the public page.
    assert COLUMN not in _signed_in(data_entry_user).get(URL).content.decode()
    # Another app server (nothing in this process) reads the shared copy: public too.
    page_cache._local.clear()
    assert COLUMN not in Client().get(URL).content.decode()
    assert COLUMN not in Client().get(URL, {"sort": "total"}).content.decode()


def test_a_reviewer_is_not_answered_from_the_public_copy(client, year, reviewer, cache_on):
    etag = client.get(URL)["ETag"]
    response = _signed_in(reviewer).get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and COLUMN in response.content.decode()


def test_the_warm_up_renders_the_public_page(year, cache_on, settings):
    from evaluations.public import warm

    warm.warm([URL])
    assert COLUMN not in Client().get(URL).content.decode()


def _queries(client) -> tuple[int, int]:
    """Queries of the reviewer's page with the year's rows to build, and with them built."""
    counts = []
    year_index._tables.clear()
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        counts.append(len(queries))
    return tuple(counts)


def test_the_reviewers_page_stays_flat_as_reports_and_projects_grow(year, reviewer, cache_on):
    reviewer_client = _signed_in(reviewer)
    before = _queries(reviewer_client)
    for i in range(12):
        _report(f"more{i:02d}", ["keep", "reduce", None])
    _report("a2", ["increase"] * 5)
    assert _queries(reviewer_client) == before
    assert before[1] < before[0]  # built once per stamp, as for the public
