"""The year index of many departments in a real browser: a page of rows, paging links and
sorting that work without JavaScript, at phone and desktop widths (issue 15.17)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser.test_public_browser import _keep, _seed_funding_sources

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def year_url(live_server):
    from tests.evaluations.public_helpers import published_report
    from tests.factories import BudgetExecutionFactory, DepartmentFactory, source

    _seed_funding_sources()
    for i in range(130):
        report = published_report(
            year=2024, department=DepartmentFactory(code=f"d{i:03d}", name=f"第{i:03d}局（示例单位）")
        )
        BudgetExecutionFactory(report=report, personnel=Decimal(i), public=Decimal("1.5"),
                               project=Decimal("2"), funding_source=source("general"))
    return live_server.url + "/reports/2024/"


@pytest.mark.parametrize("width", [375, 1280])
def test_year_index_pages_and_sorts_without_javascript(new_page, year_url, width, tmp_path):
    page = new_page(viewport={"width": width, "height": 900}, java_script_enabled=False)
    page.goto(year_url)
    assert page.locator("table.sortable tbody tr").count() == 100
    assert page.get_by_text("本年度共公开 130 份报告。").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot = tmp_path / f"year-index-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    _keep(shot, f"year-index-{width}.png")
    pages = page.locator("nav.pagination")
    pages.scroll_into_view_if_needed()
    shot = tmp_path / f"year-index-pages-{width}.png"
    page.screenshot(path=str(shot), full_page=False)
    _keep(shot, f"year-index-pages-{width}.png")

    page.get_by_role("link", name="下一页").click()
    page.wait_for_url("**/reports/2024/?page=2")
    assert page.locator("table.sortable tbody tr").count() == 30
    assert page.get_by_role("link", name="第129局（示例单位）").is_visible()

    page.get_by_role("link", name="合计", exact=True).click()
    page.wait_for_url("**/reports/2024/?sort=total")
    page.get_by_role("link", name="合计", exact=True).click()
    page.wait_for_url("**/reports/2024/?sort=total&order=desc")
    first = page.locator("table.sortable tbody th").first
    assert first.inner_text() == "第129局（示例单位）"
    shot = tmp_path / f"year-index-sorted-{width}.png"
    page.screenshot(path=str(shot), full_page=False)
    _keep(shot, f"year-index-sorted-{width}.png")


def test_year_index_prints_its_page_with_the_whole_tables_address(new_page, year_url):
    page = new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page.goto(year_url)
    page.emulate_media(media="print")
    assert not page.locator("nav.pagination").is_visible()
    assert page.locator("table.sortable tbody tr").count() == 100
    link = page.locator('.downloads a[href="/reports/2024/table.csv"]')
    after = link.evaluate("a => getComputedStyle(a, '::after').content")
    assert "/reports/2024/table.csv" in after
    assert "第 1–100 份" in page.locator("table.sortable caption").inner_text()


def test_the_recommendation_column_fits_a_phone(new_page, year_url, live_server):
    from tests.factories import UserFactory

    # A superuser, who sees what reviewers see (access.sees_recommendations): no groups to
    # rely on here, as another transactional test may have flushed the migrations' ones.
    user = UserFactory(username="phone-reviewer", is_staff=True, is_superuser=True)
    user.set_password("a long enough password 1")
    user.save()
    page = new_page(viewport={"width": 375, "height": 900}, java_script_enabled=False)
    page.goto(live_server.url + "/admin/login/?next=/reports/2024/")
    page.fill("#id_username", "phone-reviewer")
    page.fill("#id_password", "a long enough password 1")
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/reports/2024/")
    assert page.get_by_role("columnheader", name="预算安排建议").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
