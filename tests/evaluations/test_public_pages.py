"""Home, year and department pages: only published reports, flat queries, cacheable."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations.models import Report
from tests.evaluations.public_helpers import page_text, published_report
from tests.factories import (
    BudgetExecutionFactory,
    DepartmentFactory,
    IndicatorFactory,
    OutcomeNarrativeFactory,
    ProjectFactory,
    ReportFactory,
    source,
)

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", page_text(response.content, start="<main", end="</main>", sep=" "))


def _scored(report: Report, weight_actual: Decimal) -> None:
    """A department table scoring 10 (execution) + 90 × actual/10."""
    BudgetExecutionFactory(report=report, adjusted_budget=Decimal("115"))
    IndicatorFactory(report=report, weight=Decimal("90"), target_value=Decimal("10"),
                     actual_value=weight_actual, position=1)


# --- Home ------------------------------------------------------------------------------


def test_home_lists_the_latest_year_and_every_year(client, sample_report):
    newer = published_report(year=2023)
    BudgetExecutionFactory(report=newer)
    draft = ReportFactory(fiscal_year=newer.fiscal_year)
    text = _text(client.get("/"))
    assert "2023年度已公开的报告" in text
    assert newer.department.name in text
    assert "115.00 万元" in text
    assert draft.department.name not in text
    assert sample_report.department.name not in text  # 2022 is not the latest year
    content = client.get("/").content.decode()
    assert 'href="/reports/2023/"' in content and 'href="/reports/2022/"' in content


def test_home_lists_the_latest_years_most_recent_reports_and_counts_the_rest(client, db, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from evaluations.public import views

    monkeypatch.setattr(views, "HOME_REPORTS", 3)
    now = timezone.now()
    names = [f"第{n}局" for n in range(5)]
    for n, name in enumerate(names):  # 第4局 published last
        report = published_report(year=2023, department=DepartmentFactory(name=name))
        Report.objects.filter(pk=report.pk).update(published_at=now - timedelta(days=10 - n))
    published_report(year=2022)
    text = _text(client.get("/"))
    shown = [name for name in names if name in text]
    assert shown == ["第2局", "第3局", "第4局"]
    assert text.index("第4局") < text.index("第3局") < text.index("第2局")
    assert "共 5 份，以下为最近公开的 3 份。" in text
    assert "查看2023年度全部 5 份报告的汇总表" in text
    assert "2023年度 5 份" in text and "2022年度 1 份" in text


def test_home_without_published_reports_says_so(client, db):
    ReportFactory()
    assert "暂无已公开的报告。" in _text(client.get("/"))


@pytest.mark.parametrize("query", ["董家塅", "航空产业链", "着力优服务", "真抓实干"])
def test_search_finds_department_project_and_narrative_text(client, sample_report, query):
    text = _text(client.get("/", {"q": query}))
    assert "找到 1 份报告" in text
    assert sample_report.display_title in text


def test_search_finds_a_report_by_its_title_as_shown_and_by_department_and_year(client, db):
    """A title not written is shown as DEFAULT_TITLE; a search for it, or for a department
    with a year (one word or two, either order), finds the report (the public reviewer's
    "整体支出绩效自评报告", "2022年度第1商务局", "第1商务局 2023" found nothing)."""
    first = DepartmentFactory(code="syn-00001", name="第1商务局")
    other = DepartmentFactory(code="syn-00002", name="第2教育局")
    a2022 = published_report(year=2022, department=first, title="")
    a2023 = published_report(year=2023, department=first, title="")
    b2022 = published_report(year=2022, department=other, title="")
    cases = {
        "整体支出绩效自评报告": {a2022, a2023, b2022},
        "2022年度第1商务局": {a2022},
        "第1商务局 2023": {a2023},
        "2022 教育局": {b2022},
        "2022": {a2022, b2022},
        "syn-00002": {b2022},
        "第1商务局 教育局": set(),
        a2022.display_title: {a2022},  # the title as shown, whole
        "第1商务局整体支出绩效自评报告": {a2022, a2023},  # across the department and the fixed words
    }
    for query, wanted in cases.items():
        text = _text(client.get("/", {"q": query}))
        assert f"找到 {len(wanted)} 份报告" in text, query
        for report in wanted:
            assert report.display_title in text, query


def test_search_words_are_split_at_spaces_and_years():
    from evaluations.public.search import words

    assert words("2022年度第1商务局") == ["2022", "第1商务局"]
    assert words(" 董家塅\u3000航空  董家塅 ") == ["董家塅", "航空"]
    assert words("增长4.96%") == ["增长4.96%"]
    assert words("技工贸总收入达到275亿元") == ["技工贸总收入达到275亿元"]


def test_search_never_finds_unpublished_reports(client, sample_report):
    draft = ReportFactory(status="approved")
    ProjectFactory(report=draft, name="秘密项目")
    OutcomeNarrativeFactory(report=draft, headline="秘密标题")
    for query in ["秘密项目", "秘密标题", draft.department.name]:
        text = _text(client.get("/", {"q": query}))
        assert "找到 0 份报告" in text
        assert draft.department.name not in text.replace(f"value=\"{query}\"", "")


def test_home_query_count_is_flat(client, django_assert_num_queries):
    published_report(year=2023, problems="某项目的问题。")  # one result from the start
    # stamp, years, latest year's reports, search, and the snippets' projects and narratives
    with django_assert_num_queries(6):
        client.get("/", {"q": "项目"})
    for year in (2021, 2022, 2023):
        for _ in range(4):
            report = published_report(year=year)
            BudgetExecutionFactory(report=report)
            ProjectFactory(report=report, name="项目甲")
            OutcomeNarrativeFactory(report=report)
    with django_assert_num_queries(6):
        response = client.get("/", {"q": "项目"})
    assert "找到 13 份报告" in _text(response)


# --- Year ------------------------------------------------------------------------------


def test_year_page_lists_published_reports_with_totals_scores_and_chart(client, sample_report):
    other = published_report(year=2022, department=DepartmentFactory(name="甲局"))
    _scored(other, Decimal("10"))
    ReportFactory(fiscal_year=sample_report.fiscal_year, department=DepartmentFactory(name="草稿局"))
    response = client.get("/reports/2022/")
    text = _text(response)
    assert "甲局" in text and sample_report.department.name in text
    assert "草稿局" not in text
    # 甲局: 115 adjusted, 115 spent → 10 + 90 = 100, 优. The sample is unscored.
    assert re.search(r"甲局 115\.00 — 115\.00 100\.00 优", text)
    assert re.search(r"管理委员会 1,828\.90 1,898\.71 3,727\.61 未评分", text)
    assert "合计 1,943.90 1,898.71 3,842.61" in text
    content = response.content.decode()
    assert '<svg class="chart" role="img"' in content
    assert "<title id=\"spending-by-budget-title\">2022年度各类预算支出（万元）</title>" in content
    assert "各类预算支出合计" in text


def test_year_page_sorts_without_javascript(client, db):
    for name, spent in [("乙局", "30"), ("甲局", "10"), ("丙局", "20")]:
        report = published_report(year=2022, department=DepartmentFactory(name=name))
        BudgetExecutionFactory(report=report, personnel=Decimal(spent), public=0, project=0)

    def order(params):
        text = _text(client.get("/reports/2022/", params))
        return sorted(["甲局", "乙局", "丙局"], key=text.index)

    assert order({"sort": "total"}) == ["甲局", "丙局", "乙局"]
    assert order({"sort": "total", "order": "desc"}) == ["乙局", "丙局", "甲局"]
    assert order({"sort": "budget-general", "order": "desc"}) == ["乙局", "丙局", "甲局"]
    assert order({"sort": "nonsense"}) == order({})
    content = client.get("/reports/2022/", {"sort": "total"}).content.decode()
    assert 'aria-sort="ascending"' in content
    assert 'href="?sort=total&amp;order=desc"' in content


def test_year_without_published_reports_answers_404(client, sample_report):
    Report.objects.update(status="submitted")
    assert client.get("/reports/2022/").status_code == 404
    assert client.get("/reports/1999/").status_code == 404


def test_year_page_query_count_is_flat(client, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            report = published_report(year=2022)
            _scored(report, Decimal("8"))
            BudgetExecutionFactory(report=report, funding_source=source("fund"))
            IndicatorFactory(report=report, position=2, weight=None)
            IndicatorFactory(report=report, project=ProjectFactory(report=report), position=1)

    add(1)
    with django_assert_num_queries(4):  # stamp, reports, budgets, indicators
        client.get("/reports/2022/")
    add(5)
    with django_assert_num_queries(4):
        response = client.get("/reports/2022/", {"sort": "score"})
    assert _text(response).count(" 良") == 6  # 10 + 72 = 82


# --- Department ---------------------------------------------------------------------------


def test_department_page_shows_every_published_year_and_trends(client, sample_report):
    department = sample_report.department
    later = published_report(year=2023, department=department)
    _scored(later, Decimal("5"))  # 10 + 45 = 55 → 差
    ReportFactory(department=department, fiscal_year__year=2024)  # draft
    response = client.get(reverse("evaluations:department", args=[department.code]))
    text = _text(response)
    content = response.content.decode()
    assert 'href="/reports/2022/dongjiaduan/"' in content
    assert 'href="/reports/2023/dongjiaduan/"' in content
    assert "2024" not in text
    assert content.count('role="img"') == 2
    assert "2023 115.00 — 115.00" in text
    assert "2022 1,828.90 1,898.71 3,727.61" in text
    assert "2023 55.00 差" in text
    assert "2022 — 未评分" in text


def test_department_without_published_reports_answers_404(client, sample_report):
    draft = ReportFactory(status="approved")
    assert client.get(f"/departments/{draft.department.code}/").status_code == 404
    assert client.get("/departments/nobody/").status_code == 404
    # The parent department publishes nothing itself.
    assert client.get("/departments/zhuzhou-hitech/").status_code == 404


def test_department_page_query_count_is_flat(client, django_assert_num_queries):
    department = DepartmentFactory()
    report = published_report(year=2020, department=department)
    _scored(report, Decimal("9"))
    with django_assert_num_queries(4):  # stamp, reports, budgets, indicators
        client.get(f"/departments/{department.code}/")
    for year in range(2021, 2027):
        report = published_report(year=year, department=department)
        _scored(report, Decimal("9"))
        IndicatorFactory(report=report, position=2, weight=None)
    with django_assert_num_queries(4):
        response = client.get(f"/departments/{department.code}/")
    assert _text(response).count("91.00 优") == 7


# --- Caching -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/reports/2022/", "/departments/dongjiaduan/"])
def test_listing_pages_revalidate_and_change_with_reports_in_scope(client, sample_report, url):
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    sample_report.refresh_from_db()
    sample_report.save()
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_report_elsewhere_does_not_invalidate_a_department_page(client, sample_report):
    # The other department exists first: any department's edit (a rename, a new one)
    # revalidates every page, as the stamp reads the latest department change (public/stamp.py).
    elsewhere = DepartmentFactory()
    url = "/departments/dongjiaduan/"
    etag = client.get(url)["ETag"]
    published_report(year=2022, department=elsewhere)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_publishing_a_report_invalidates_the_year_page(client, sample_report):
    draft = ReportFactory(fiscal_year=sample_report.fiscal_year)
    etag = client.get("/reports/2022/")["ETag"]
    Report.objects.filter(pk=draft.pk).update(status="published")
    assert client.get("/reports/2022/", HTTP_IF_NONE_MATCH=etag).status_code == 200


# --- Language switcher ---------------------------------------------------------------------


def test_language_switcher_is_a_plain_form_without_a_token(client, sample_report):
    content = client.get("/").content.decode()
    assert '<form class="language-switcher" action="/language/" method="post">' in content
    assert "csrfmiddlewaretoken" not in content
    response = client.post("/language/", {"language": "en", "next": "/reports/2022/"})
    assert response.status_code == 302
    assert response["Location"] == "/reports/2022/"
    assert response.cookies["django_language"].value == "en"
    assert "Set-Cookie" not in client.get("/")  # nothing per-visitor on public pages


def test_the_site_has_an_icon_and_favicon_ico_finds_it(client):
    """Every visit asked /favicon.ico and got a 404 (the public reviewer's crawl)."""
    page = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == icon
