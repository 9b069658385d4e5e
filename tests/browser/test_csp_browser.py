"""The content security policy holds in a real browser: no page needs inline script or style.

Chromium reports every blocked inline script, style attribute or foreign resource on the
console; public pages and the admin must produce none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.admin_session import PASSWORD, sign_in
from tests.factories import UserFactory

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
    # As every browser test: a plain transactional flush lets the content types come back
    # before the next serialized test reloads them (UNIQUE failed on `pytest tests/browser`).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def chromium_page(new_page):
    """A page on the session's one browser (conftest.py): a second Playwright in the same
    process would find the first one's event loop running and refuse to start."""
    page = new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(f"{page.url}: {message.text}")
        if "Content Security Policy" in message.text else None,
    )
    page.violations = violations
    return page


@pytest.fixture
def published_sample():
    from evaluations.sample import load_sample_report
    from tests.browser.test_public_browser import _seed_funding_sources

    _seed_funding_sources()  # an earlier transactional test may have flushed them
    UserFactory(username="root", is_superuser=True, password=PASSWORD)
    return load_sample_report()


def test_public_pages_and_admin_need_nothing_the_policy_blocks(
    live_server, published_sample, chromium_page
):
    report = published_sample
    page = chromium_page
    urls = [
        "/", f"/reports/{report.fiscal_year.year}/", report.get_absolute_url(),
        report.department.get_absolute_url(), "/api/v1/",  # Swagger UI: its data: icons too
    ]
    for url in urls:
        assert page.goto(live_server.url + url).status == 200, url
        page.wait_for_load_state("networkidle")

    sign_in(page, live_server.url)
    for url in [
        "/admin/", "/admin/evaluations/report/", f"/admin/evaluations/report/{report.pk}/change/",
        "/admin/evaluations/report/add/", "/admin/evaluations/department/",
    ]:
        assert page.goto(live_server.url + url).status == 200, url
        page.wait_for_load_state("networkidle")

    assert page.violations == []
