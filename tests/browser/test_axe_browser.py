"""Accessibility kept, not just reached (issue 14, GB/T 37668 ≈ WCAG 2.1 AA): axe-core, vendored
at tests/browser/vendor/axe.min.js (4.14.1, from the npm registry; never fetched at run time),
finds no violation on any public page or the admin's main screens at 375 and 1,280 px; and
the report page's text doubled (适老化: resizable to 200 %) loses nothing off the side.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.browser.admin_session import PASSWORD
from tests.browser.layout import cell_problems
from tests.browser.test_public_browser import _seed_funding_sources

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = [375, 1280]

PUBLIC = [
    "/", "/?q=绩效", "/reports/2022/", "/reports/2022/dongjiaduan/", "/departments/dongjiaduan/",
    "/data/", "/no-such-page/", "/rankings/2022/", "/departments/dongjiaduan/indicators/",
]


def violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page, one line each with where they are."""
    page.add_script_tag(content=AXE)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
    ]


@pytest.fixture
def site(live_server):
    from evaluations.models import Report
    from evaluations.sample import load_sample_report
    from indicators.models import Indicator
    from tests.factories import UserFactory

    _seed_funding_sources()
    published = load_sample_report()
    # A draft with findings, so the admin's change form shows its check messages and links.
    from tests.factories import DepartmentFactory, FiscalYearFactory, ReportFactory

    draft = ReportFactory(department=DepartmentFactory(code="draft-dept", name="草稿部门"),
                          fiscal_year=FiscalYearFactory(year=2023), problems="")
    Indicator.objects.create(report=draft, level1="output", level2="quantity", name="新引进项目",
                             nature="gte", unit="个", target_value=Decimal("16"),
                             actual_value=Decimal("14"), position=1)
    # 整改情况 on the published page (its own section, public/followup.py).
    from evaluations.models import Finding

    Finding.objects.create(report=published, position=1, source="self", description="预算执行进度偏慢",
                           measure="按月通报执行进度", owner="财务室", status="in_progress")
    UserFactory(username="root", is_superuser=True, password=PASSWORD)
    assert Report.objects.filter(pk=published.pk).exists()
    return {"published": published, "draft": draft}


def _open(new_page, width: int):
    return new_page(viewport={"width": width, "height": 900}, is_mobile=width < 600, bypass_csp=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_public_pages_have_no_violations(new_page, live_server, site, width):
    page = _open(new_page, width)
    found = {}
    for path in PUBLIC:
        page.goto(live_server.url + path)
        found[path] = violations(page)
    assert found == {path: [] for path in PUBLIC}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_admins_main_screens_have_no_violations(new_page, live_server, site, width):
    page = _open(new_page, width)
    page.goto(live_server.url + "/admin/login/")
    found = {"login": violations(page)}
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    draft = site["draft"]
    project = site["published"].projects.first()
    screens = [
        "/admin/", "/admin/evaluations/report/", f"/admin/evaluations/report/{draft.pk}/change/",
        f"/admin/evaluations/report/{site['published'].pk}/change/",
        f"/admin/evaluations/project/{project.pk}/change/", "/admin/evaluations/report/import/",
        "/admin/auth/user/add/", "/admin/evaluations/department/add/",
        "/admin/evaluations/finding/", "/admin/evaluations/monitoringoverview/",
        "/admin/evaluations/targetadjustment/", "/admin/evaluations/attachment/add/",
        "/admin/evaluations/report/progress/", "/admin/evaluations/monitoringround/add/",
    ]
    for path in screens:
        page.goto(live_server.url + path)
        found[path] = violations(page)
    assert found == {name: [] for name in found}


def test_the_report_page_reads_with_its_text_doubled(new_page, live_server, site):
    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + site["published"].get_absolute_url())
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    lost = [p for p in cell_problems(page, allow_scroll=True) if not p.startswith("squeezed")]
    assert lost == []
