"""Public pages under load and under attack (issue 15.8, 15.17): one cache entry per page
whatever the query string, one render per stamp however many ask at once, pages rendered
at publication, and a year index that stays small at thousands of departments."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from evaluations import workflow
from evaluations.models import Report
from evaluations.public import page_cache, year_index
from evaluations.public.page_cache import cached_page, page_key
from tests.evaluations.public_helpers import page_text, published_report
from tests.factories import BudgetExecutionFactory, DepartmentFactory, ReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_on(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    cache.clear()


def _page_rows() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM django_cache")
        return sum(1 for (key,) in cursor.fetchall() if page_cache.KEY_PREFIX in key)


# --- Cache keys (15.8) -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/reports/2022/", "/reports/2022/dongjiaduan/",
                                 "/departments/dongjiaduan/"])
def test_invented_query_strings_add_no_cache_rows(client, sample_report, cache_on, url):
    first = client.get(url)
    rows = _page_rows()
    assert rows == 1
    for n in range(20):
        response = client.get(url, {"utm": str(n), "fbclid": "x" * n})
        assert response.status_code == 200
        assert response.content == first.content
    assert _page_rows() == rows


def test_the_year_index_keys_by_its_cleaned_parameters(client, sample_report, cache_on):
    client.get("/reports/2022/")
    for params in ({"sort": "department"}, {"page": "1"}, {"sort": "nonsense"},
                   {"order": "up"}, {"sort": "budget-nowhere"}, {"page": "01"}):
        client.get("/reports/2022/", params)
    assert _page_rows() == 1
    client.get("/reports/2022/", {"sort": "total", "order": "desc", "utm": "1"})
    client.get("/reports/2022/", {"order": "desc", "sort": "total"})
    assert _page_rows() == 2


def test_searches_are_answered_but_not_kept(client, sample_report, cache_on):
    for n in range(5):
        assert client.get("/", {"q": f"董家塅{n}"}).status_code == 200
    assert _page_rows() == 0
    assert "董家塅" in page_text(client.get("/", {"q": "董家塅"}).content, start="<main", end="</main>")


@pytest.mark.parametrize("page", ["0", "-1", "x", "", "1e3", "１", "9" * 7, "2"])
def test_a_page_that_is_not_there_is_a_404(client, sample_report, page):
    assert client.get("/reports/2022/", {"page": page}).status_code == 404


def test_page_key_without_a_cleaned_query_keeps_the_whole_url():
    request = RequestFactory().get("/reports/2022/?a=1")
    assert page_key(request, "s") != page_key(request, "s", {})
    assert page_key(request, "s", {}) == page_key(RequestFactory().get("/reports/2022/"), "s", {})


# --- One render per stamp (15.17) -----------------------------------------------------------


class SlowView:
    def __init__(self, seconds=0.3):
        self.renders = 0
        self.seconds = seconds
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.renders += 1
        time.sleep(self.seconds)
        return HttpResponse(b"the year index")


@pytest.fixture
def shared_memory_cache(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


def test_visitors_arriving_together_wait_for_one_render(shared_memory_cache):
    view, answers = SlowView(), []

    def visit():
        answers.append(cached_page(RequestFactory().get("/reports/2024/"), "s", view, {}).content)

    threads = [threading.Thread(target=visit) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert view.renders == 1
    assert answers == [b"the year index"] * 12


def test_a_render_on_another_app_server_is_waited_for(shared_memory_cache):
    request = RequestFactory().get("/reports/2024/")
    key = page_key(request, "s", {})
    assert cache.add(f"{key}:rendering", 1, 10)  # another server is rendering it

    def other_server_finishes():
        time.sleep(0.2)
        cache.set(key, HttpResponse(b"rendered elsewhere"), 60)

    threading.Thread(target=other_server_finishes).start()
    view = SlowView(0)
    assert cached_page(request, "s", view, {}).content == b"rendered elsewhere"
    assert view.renders == 0


def test_the_wait_is_bounded(shared_memory_cache, monkeypatch):
    monkeypatch.setattr(page_cache, "RENDER_WAIT_SECONDS", 0.2)
    request = RequestFactory().get("/reports/2024/")
    cache.add(f"{page_key(request, 's', {})}:rendering", 1, 60)  # a server that died rendering
    view = SlowView(0)
    started = time.monotonic()
    assert cached_page(request, "s", view, {}).content == b"the year index"
    assert view.renders == 1 and time.monotonic() - started < 2


# --- Rendered at publication (15.17) --------------------------------------------------------


@pytest.fixture
def warm_now(settings, cache_on):
    settings.PUBLIC_PAGE_WARM = "now"


def test_publishing_renders_the_pages_before_the_first_visitor(
    client, sample_report, superuser, warm_now, django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    report = ReportFactory(fiscal_year=sample_report.fiscal_year, status=Report.Status.APPROVED)
    BudgetExecutionFactory(report=report)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish_report(report, superuser)
    report.refresh_from_db()
    code = report.department.code
    for url in (report.get_absolute_url(), "/reports/2022/", f"/departments/{code}/", "/",
                f"/departments/{code}/indicators/", "/rankings/2022/"):
        with django_assert_num_queries(1):  # the stamp; the page was rendered at publication
            response = client.get(url)
        assert response.status_code == 200
        assert report.department.name in response.content.decode()


def test_withdrawing_renders_the_pages_without_it(
    client, sample_report, superuser, warm_now, django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    other = published_report(year=2022)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.reopen_report(other, superuser, "撤回更正。")
    with django_assert_num_queries(1):
        response = client.get("/reports/2022/")
    assert other.department.name not in response.content.decode()
    assert client.get(other.get_absolute_url()).status_code == 404


def test_no_warm_up_when_the_page_cache_is_off(sample_report, superuser, settings,
                                               django_capture_on_commit_callbacks):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    report = ReportFactory(fiscal_year=sample_report.fiscal_year, status=Report.Status.APPROVED)
    with django_capture_on_commit_callbacks() as callbacks:
        workflow.publish_report(report, superuser)
    assert callbacks == []


# --- A year index that stays small (15.17) ---------------------------------------------------


def _year_of(n: int) -> None:
    for i in range(n):
        report = published_report(year=2024, department=DepartmentFactory(code=f"d{i:04d}", name=f"部门{i:04d}"))
        BudgetExecutionFactory(report=report, personnel=Decimal(i), public=0, project=0)


def test_the_year_index_shows_a_page_of_rows_and_the_whole_years_totals(client, monkeypatch):
    monkeypatch.setattr(year_index, "PAGE_SIZE", 4)
    monkeypatch.setattr("evaluations.public.views.PAGE_SIZE", 4)
    _year_of(10)
    first = client.get("/reports/2024/").content.decode()
    assert first.count('<th scope="row"><a href="/reports/2024/') == 4
    assert "本年度共公开 10 份报告" in first and "第 1–4 份" in first
    assert "全年合计" in first and "45.00" in first  # 0 + 1 + … + 9 on every page
    assert 'href="?page=2" rel="next"' in first
    assert 'href="/data/2024/reports.csv?bom=1"' in first
    last = client.get("/reports/2024/", {"page": "3"}).content.decode()
    assert "部门0008" in last and "部门0009" in last and "部门0007" not in last
    assert 'href="?page=2" rel="prev"' in last
    assert client.get("/reports/2024/", {"page": "4"}).status_code == 404


def test_the_year_index_sorts_across_pages_on_the_server(client, monkeypatch):
    monkeypatch.setattr(year_index, "PAGE_SIZE", 4)
    monkeypatch.setattr("evaluations.public.views.PAGE_SIZE", 4)
    _year_of(10)
    top = client.get("/reports/2024/", {"sort": "total", "order": "desc"}).content.decode()
    assert "部门0009" in top and "部门0006" in top and "部门0005" not in top
    assert 'href="?sort=total&amp;order=desc&amp;page=2"' in top


def test_the_year_index_page_stays_small_as_departments_grow(client, settings):
    _year_of(120)
    size = len(client.get("/reports/2024/").content)
    for _ in range(80):
        published_report(year=2024)
    assert len(client.get("/reports/2024/").content) < size * 1.1


def test_another_sort_or_page_reuses_the_years_rows(client, sample_report, cache_on):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/reports/2022/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/reports/2022/", {"sort": "total"}).status_code == 200
    data = [q["sql"] for q in queries if "django_cache" not in q["sql"]
            and not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(data) == 1 and data[0].startswith("SELECT COUNT(*) AS \"published\"")  # the stamp


def test_bulk_publications_are_rendered_once_each_by_a_background_thread(
    sample_report, monkeypatch, settings
):
    from evaluations.public import warm

    rendered = []
    monkeypatch.setattr(warm, "GATHER_SECONDS", 0.05)
    monkeypatch.setattr(warm, "warm", lambda paths: rendered.append(paths))
    monkeypatch.setattr(warm, "pages_of", lambda report_id: [f"/reports/{report_id}/", "/"])
    for report_id in (1, 2, 3):
        warm._schedule(report_id, "thread")
    deadline = time.monotonic() + 5
    while warm._worker is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rendered == [["/", "/reports/1/", "/reports/2/", "/reports/3/"]]
    warm._schedule(4, "thread")  # after the thread ended, a new one starts
    while warm._worker is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rendered[-1] == ["/", "/reports/4/"]


@pytest.mark.parametrize("indicators", [
    [{"weight": Decimal("90")}],  # scored
    [{"weight": None}],  # an unweighted target: shown, never scored
    [{"weight": Decimal("90"), "applicable": False}],  # weighted but not applicable
    [{"weight": Decimal("90"), "project": True}],  # only a project's indicator is weighted
    [],
])
def test_the_year_tables_scores_are_the_department_tables(indicators):
    """The year's rows read no indicators, only whether one would score the department's
    自评表 (indicators.tables.SCORING_INDICATOR): the same answer as department_table."""
    from evaluations.public.summaries import published, summaries, with_summary
    from tests.factories import IndicatorFactory, ProjectFactory

    report = published_report(year=2024)
    BudgetExecutionFactory(report=report, adjusted_budget=Decimal("115"))
    for fields in map(dict, indicators):
        project = ProjectFactory(report=report) if fields.pop("project", False) else None
        IndicatorFactory(report=report, project=project, target_value=Decimal("10"),
                         actual_value=Decimal("8"), **fields)
    _columns, [expected] = summaries(list(with_summary(published().filter(pk=report.pk))))
    [row] = year_index.build_year_table(2024).rows
    assert (row.score, row.grade, row.execution_rate, row.total, row.by_source) == (
        expected.table.total, expected.table.grade, expected.table.execution_rate,
        expected.total, expected.by_source)
    assert (row.score is not None) == (indicators == [{"weight": Decimal("90")}])


def test_the_years_rows_are_built_once_however_many_threads_ask(cache_on, monkeypatch):
    from evaluations.public.stamp import Stamp

    builds = []

    def slow_build(year):
        builds.append(year)
        time.sleep(0.2)
        return year_index.YearTable(columns=[], rows=[], totals=[])

    monkeypatch.setattr(year_index, "build_year_table", slow_build)
    stamp = Stamp("a-stamp-of-this-test", None)
    tables = []
    threads = [threading.Thread(target=lambda: tables.append(year_index.year_table(2022, stamp)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [2022]
    assert len(tables) == 8 and all(t is tables[0] for t in tables)
    assert year_index._building == {}


def test_a_failed_build_leaves_nothing_behind(cache_on, monkeypatch):
    from evaluations.public.stamp import Stamp

    def failing_build(year):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(year_index, "build_year_table", failing_build)
    with pytest.raises(RuntimeError):
        year_index.year_table(2022, Stamp("another-stamp", None))
    assert year_index._building == {}


def test_the_whole_table_is_one_click_away_as_csv(client, monkeypatch):
    import csv
    import io

    monkeypatch.setattr(year_index, "PAGE_SIZE", 4)
    monkeypatch.setattr("evaluations.public.views.PAGE_SIZE", 4)
    _year_of(10)
    formula = published_report(year=2024, department=DepartmentFactory(code="z-eq", name="=HYPERLINK(1)"))
    BudgetExecutionFactory(report=formula, personnel=Decimal("2.5"), public=0, project=0)
    ReportFactory(fiscal_year=formula.fiscal_year, department=DepartmentFactory(name="草稿局"))
    page = client.get("/reports/2024/").content.decode()
    assert 'href="/reports/2024/table.csv" download' in page
    response = client.get("/reports/2024/table.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and "reports-2024-table.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["部门编码", "部门"] and rows[0][-3:] == ["合计", "自评得分", "评价等级"]
    assert len(rows) == 1 + 11  # every published report, not a page of them; no draft
    assert rows[1][:2] == ["d0000", "部门0000"] and rows[10][1] == "部门0009"
    assert rows[10][-3] == "9.00" and rows[11][1] == "'=HYPERLINK(1)" and rows[11][-3] == "2.50"
    assert client.get("/reports/2031/table.csv").status_code == 404


def test_the_whole_tables_csv_is_built_once_per_stamp_in_flat_queries(client, cache_on):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        year_index._tables.clear()
        page_cache._local.clear()
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/reports/2024/table.csv").status_code == 200
        return len([q for q in captured if "django_cache" not in q["sql"]])

    _year_of(3)
    few = queries()
    for i in range(3, 20):
        report = published_report(year=2024, department=DepartmentFactory(code=f"d{i:04d}"))
        BudgetExecutionFactory(report=report)
    assert queries() == few
    first = client.get("/reports/2024/table.csv")
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/reports/2024/table.csv")
    assert again.content == first.content and len(captured) == 1  # the stamp
