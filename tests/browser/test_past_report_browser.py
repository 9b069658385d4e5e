"""The past-report review page in a real browser at phone and desktop widths (issue 20): every
value and its sentence visible, nothing pushing the page wider than the screen, and confirm
writing the draft. ``SCREENSHOT_DIR=…`` keeps the screenshots to look at."""

from __future__ import annotations

import pytest

from tests.browser.admin_session import PASSWORD, sign_in
from tests.browser.test_import_browser import _fits
from tests.browser.test_public_browser import _keep, _seed_funding_sources

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("width", [375, 1280])
def test_review_then_confirm(live_server, new_page, width, tmp_path):
    from evaluations.models import Department, FiscalYear, Report
    from evaluations.sample import SAMPLE_TEXT
    from tests.factories import UserFactory

    _seed_funding_sources()
    Department.objects.create(code="dongjiaduan", name="株洲高新技术产业开发区董家塅片区管理委员会")
    FiscalYear.objects.create(year=2022)
    UserFactory(username="root", is_superuser=True, password=PASSWORD)
    page = new_page(viewport={"width": width, "height": 900}, is_mobile=width < 500)
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/admin/evaluations/report/")
    page.click("text=导入往年报告")
    page.wait_for_url("**/admin/evaluations/report/import-report/")  # the click only starts it
    _fits(page, width)
    title, rest = SAMPLE_TEXT.read_text(encoding="utf-8").split("\n", 1)
    text = f"{title}\n附：本报告经党组会审议。\n{rest}"
    page.set_input_files("#id_report_file", files=[
        {"name": "2022.txt", "mimeType": "text/plain", "buffer": text.encode("gb18030")}])
    page.click("input[type=submit].default")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "核对读取结果"
    figures = page.locator("table.past-figures tbody tr")
    assert figures.count() == 12  # 10 figures, two budgets 无
    first = figures.nth(0)
    assert first.locator("mark").inner_text() == "392.69万元" and first.is_visible()
    assert first.locator(".source").inner_text() == "1、2022年预算资金392.69万元。"
    assert page.locator("ol.past-unrecognised li").inner_text() == "附：本报告经党组会审议。"
    _fits(page, width)
    shot = tmp_path / f"past-report-review-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    _keep(shot, shot.name)
    height = page.evaluate("document.documentElement.scrollHeight")
    for n, top in enumerate(range(0, min(height, 5400), 1800)):  # parts a person can read
        part = tmp_path / f"past-report-review-{width}-{n}.png"
        page.screenshot(path=str(part), full_page=True,
                        clip={"x": 0, "y": top, "width": width, "height": min(1800, height - top)})
        _keep(part, part.name)
    page.click("input[name=confirm]")
    page.wait_for_load_state("networkidle")
    assert Report.objects.get().projects.count() == 8
    assert "已将“2022.txt”导入草稿报告" in page.content()
