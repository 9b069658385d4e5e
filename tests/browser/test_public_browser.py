"""The published sample report in a real browser: sections, figures, language, print, phone."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.evaluations.test_public_report import SECTION_HEADINGS
from tests.factories import seed_funding_sources as _seed_funding_sources

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

KEY_FIGURES = ["392.69", "1,828.90", "1,524.91", "303.99", "266.61", "37.38", "1,898.71",
               "1,400.26", "44.96"]
ENGLISH_HEADINGS = ["I. Basic information", "II. General public budget expenditure",
                    "VI. Use of funds and performance", "X. Other matters"]


@pytest.fixture
def report_url(live_server):
    from evaluations.sample import load_sample_report

    _seed_funding_sources()
    report = load_sample_report()
    return live_server.url + report.get_absolute_url()


def _keep(path, name):
    """Copy a screenshot where a person can look at it, when asked to."""
    target = os.environ.get("SCREENSHOT_DIR")
    if target:
        os.makedirs(target, exist_ok=True)
        shutil.copy(path, os.path.join(target, name))


def test_sample_report_shows_ten_sections_and_key_figures(new_page, report_url):
    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto(report_url)
    for heading in SECTION_HEADINGS:
        assert page.get_by_role("heading", name=heading, exact=True).is_visible(), heading
    article = page.locator("article.report")
    for figure in KEY_FIGURES:
        assert article.get_by_text(figure).first.is_visible(), figure
    # The table of contents sits beside the report on a wide screen.
    toc = page.locator("nav.toc")
    assert toc.is_visible()
    first_section = page.locator("#basic").bounding_box()
    assert toc.bounding_box()["x"] + toc.bounding_box()["width"] <= first_section["x"]
    page.locator("nav.toc a[href='#problems']").click()
    assert page.get_by_role("heading", name="七、存在的问题及原因分析").is_visible()


def test_switching_to_english_without_javascript(browser, live_server, report_url):
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(report_url)
        page.get_by_role("button", name="English").click()
        page.wait_for_url(report_url)
        assert page.locator("html").get_attribute("lang") == "en"
        for heading in ENGLISH_HEADINGS:
            assert page.get_by_role("heading", name=heading, exact=True).is_visible(), heading
        assert page.get_by_text("Publisher", exact=True).is_visible()
        page.get_by_role("button", name="简体中文").click()
        page.wait_for_url(report_url)
        assert page.get_by_role("heading", name="一、基本情况").is_visible()
    finally:
        context.close()


def test_print_view_is_a_clean_document(new_page, report_url, tmp_path):
    page = new_page(viewport={"width": 1000, "height": 1400})
    page.goto(report_url)
    page.emulate_media(media="print")
    assert page.locator("nav.toc").is_hidden()
    assert page.locator(".language-switcher").is_hidden()
    assert page.locator(".site-header").is_hidden()
    assert page.locator(".page-url").is_visible()
    for heading in SECTION_HEADINGS:
        assert page.get_by_role("heading", name=heading, exact=True).is_visible(), heading
    shot = tmp_path / "report-print.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    _keep(shot, "report-print.png")
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("path", ["report", "/", "/reports/2022/", "/departments/dongjiaduan/"])
def test_phone_width_has_no_horizontal_scrolling(new_page, live_server, report_url, path, tmp_path):
    page = new_page(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page.goto(report_url if path == "report" else live_server.url + path)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{path} is {width}px wide"
    if path == "report":
        shot = tmp_path / "report-phone.png"
        page.screenshot(path=str(shot), full_page=False)
        _keep(shot, "report-phone.png")
