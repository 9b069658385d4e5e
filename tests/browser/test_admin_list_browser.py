"""The reports list fits its box at 1,280 px, and on a phone shows each report's year and status
beside its department with a shadow where more columns wait (static/css/admin.css)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.browser.admin_session import PASSWORD, sign_in
from tests.factories import seed_funding_sources

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]



@pytest.fixture
def published_reports():
    from evaluations.models import Report
    from evaluations.sample import load_sample_report
    from tests.factories import DepartmentFactory, ReportFactory, UserFactory

    seed_funding_sources()
    load_sample_report()  # the longest department name: 株洲高新技术产业开发区…
    # A superuser: the groups a migration made may have been flushed by an earlier
    # transactional test, and the list's columns are everyone's.
    UserFactory(username="root", is_superuser=True, password=PASSWORD)
    for number, name in enumerate(["第1商务局", "第2科技局", "第3人力资源社会保障局"], start=1):
        department = DepartmentFactory(code=f"d{number}", name=name)
        for year in (2020, 2021):
            ReportFactory(department=department, fiscal_year__year=year)
    Report.objects.update(status=Report.Status.PUBLISHED, published_at=timezone.now())


def _reports_list(browser, live_server, width: int):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/admin/evaluations/report/")
    return context, page


def _right_shadow(page) -> str:
    return page.evaluate(
        "() => getComputedStyle(document.querySelector('.results'), '::after').backgroundImage"
    )


def test_the_reports_list_fits_at_1280(browser, live_server, published_reports):
    context, page = _reports_list(browser, live_server, 1280)
    try:
        results = page.locator(".results")
        assert results.evaluate("e => e.scrollWidth <= e.clientWidth")
        # 已公开 on one line (a cell of one line box), 发布时间 inside the box.
        lines = page.locator("td.field-status").first.evaluate(
            "e => { const r = document.createRange(); r.selectNodeContents(e); "
            "return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"
        )
        assert lines == 1
        assert _right_shadow(page) == "none"  # nothing to scroll to, no shadow
    finally:
        context.close()


def test_the_reports_list_on_a_phone(browser, live_server, published_reports):
    context, page = _reports_list(browser, live_server, 375)
    try:
        box = page.locator(".results").bounding_box()
        for cell in ("th.field-department", "td.field-fiscal_year", "td.field-status"):
            shown = page.locator(cell).first.bounding_box()
            assert shown["x"] + shown["width"] <= box["x"] + box["width"], cell
        assert _right_shadow(page).startswith("linear-gradient")  # more columns to the right
        # The action bar's 意见或说明 on one line above a box as wide as the screen allows
        # (it stood one character a line beside a squeezed box).
        label = page.locator(".actions label:has(input[name=comment])")
        comment = page.locator(".actions input[name=comment]")
        line = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize) * 2")
        assert comment.bounding_box()["width"] >= 0.8 * 375
        assert comment.bounding_box()["y"] - label.bounding_box()["y"] <= line
        page.locator(".results").evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        page.wait_for_function(
            "() => getComputedStyle(document.querySelector('.results'), '::after')"
            ".backgroundImage === 'none'"
        )
    finally:
        context.close()


def test_findings_and_rounds_lists_on_a_phone(browser, live_server, published_reports):
    """The findings list squeezed 问题描述 to three characters a line with 整改状态 and 逾期
    off the screen; the rounds list's report titles pushed status off it (the cycle review)."""
    import datetime

    from evaluations.models import Finding, MonitoringRound, Report

    for report in Report.objects.filter(department__code__in=["d1", "d2"], fiscal_year__year=2021):
        Finding.objects.create(report=report, position=1, source="review", due_date=datetime.date(2022, 6, 30),
                               description="预算编制不够细化，部分项目支出进度偏慢，需要加强预算执行管理。")
        MonitoringRound.objects.create(report=report, month=6, status="submitted", light="red")
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server.url)
        page.goto(live_server.url + "/admin/evaluations/finding/")
        box = page.locator(".results").bounding_box()
        for cell in ("th.field-year_and_department", "td.field-status", "td.field-overdue"):
            shown = page.locator(cell).first.bounding_box()
            assert shown["x"] + shown["width"] <= box["x"] + box["width"] + 1, cell
        description = page.locator("td.field-short_description").first.bounding_box()
        assert description["width"] >= 150  # not three characters a line
        page.goto(live_server.url + "/admin/evaluations/monitoringround/")
        label = page.locator("th.field-year_and_department").first
        assert label.inner_text().startswith("2021 · ")
        assert label.bounding_box()["height"] < 40  # one line, not the report's whole title
    finally:
        context.close()
