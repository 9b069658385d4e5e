"""Issue 14.6: the report's change form fits 1,280 px and a check's message leads to its field.

The indicators are compact stacked rows, so 偏差原因 sits inside the admin's content width;
each finding links to the input it asks for, which the browser scrolls into view and the
admin's CSS highlights (``:target``) — with JavaScript off, too.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser.admin_session import PASSWORD, sign_in
from tests.browser.test_public_browser import _seed_funding_sources

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]



@pytest.fixture
def draft_with_findings():
    from evaluations.models import Report
    from evaluations.sample import load_sample_report
    from indicators.models import Indicator
    from tests.factories import UserFactory

    _seed_funding_sources()
    report = load_sample_report(publish=False)
    Report.objects.filter(pk=report.pk).update(problems="")
    Indicator.objects.filter(report=report, name="新引进项目").update(actual_value=Decimal("14"))
    UserFactory(username="root", is_superuser=True, password=PASSWORD)
    return report


def _sign_in(browser, live_server, *, javascript: bool):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, java_script_enabled=javascript
    )
    page = context.new_page()
    sign_in(page, live_server.url)
    return context, page


def _in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
           return r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; }""",
        selector,
    )


@pytest.mark.parametrize("javascript", [True, False])
def test_a_check_message_leads_to_its_field(browser, live_server, draft_with_findings, javascript):
    context, page = _sign_in(browser, live_server, javascript=javascript)
    try:
        page.goto(live_server.url + f"/admin/evaluations/report/{draft_with_findings.pk}/change/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        # Every indicator field, 偏差原因 included, fits in the indicators' box: nothing scrolls.
        box = page.locator("#indicators-group")
        assert box.evaluate("e => e.scrollWidth <= e.clientWidth")
        page.get_by_role("link", name="新引进项目").click()
        target = page.evaluate("location.hash")
        assert target.startswith("#id_indicators-") and target.endswith("-deviation")
        assert _in_view(page, target)
        highlighted = page.locator(target).evaluate("e => getComputedStyle(e).outlineStyle")
        assert highlighted == "solid"
        page.get_by_role("link", name="七、存在的问题及原因分析").click()
        assert page.evaluate("location.hash") == "#id_problems"
        assert _in_view(page, "#id_problems")
    finally:
        context.close()


def test_the_filter_widget_speaks_chinese(browser, live_server, draft_with_findings):
    """Issue 14.8: "Choose 填报人员 by selecting them…", "Choose all", "Remove all"."""
    context, page = _sign_in(browser, live_server, javascript=True)
    try:
        page.goto(live_server.url + "/admin/evaluations/department/add/")
        page.wait_for_selector(".selector-chooseall")
        text = page.locator("#content").inner_text()
        for english in ("Choose", "Remove", "selecting them"):
            assert english not in text
        assert "选择全部填报人员" in text and "移除全部填报人员" in text
    finally:
        context.close()


def test_a_budget_table_wider_than_its_box_says_so(browser, live_server, draft_with_findings):
    """The 预算支出情况 rows run past the content at 1,280 px with the admin's menu open; the
    box showed no sign of its hidden columns (the admin reviewer's budget-group-1280). A
    shadow marks the edge with more, gone once scrolled there; amounts are compact."""
    context, page = _sign_in(browser, live_server, javascript=True)
    try:
        page.goto(live_server.url + f"/admin/evaluations/report/{draft_with_findings.pk}/change/")
        box = page.locator("#budget_executions-group div.tabular")
        shadow = """(e, side) => getComputedStyle(e, side).backgroundImage"""
        if box.evaluate("e => e.scrollWidth > e.clientWidth"):
            assert "gradient" in box.evaluate(shadow, "::after")
            assert "gradient" not in box.evaluate(shadow, "::before")
            box.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
            page.wait_for_timeout(100)
            assert "gradient" in box.evaluate(shadow, "::before")
            assert "gradient" not in box.evaluate(shadow, "::after")
        widths = page.locator("#budget_executions-group input[inputmode=decimal]").evaluate_all(
            "inputs => inputs.map(i => i.getBoundingClientRect().width / parseFloat(getComputedStyle(i).fontSize))")
        assert widths and max(widths) <= 9  # 7em and its padding (13em before)
    finally:
        context.close()
