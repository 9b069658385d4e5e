"""The published report's Word, PDF and 自评表 files, downloaded from its page in Chromium."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.browser.test_public_browser import _keep, _seed_funding_sources

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def report_url(live_server, settings, tmp_path):
    from evaluations.sample import load_sample_report

    settings.MEDIA_ROOT = str(tmp_path / "media")
    _seed_funding_sources()
    report = load_sample_report()
    return live_server.url + report.get_absolute_url()


def test_the_three_files_download_from_the_page(new_page, report_url, tmp_path):
    page = new_page(viewport={"width": 375, "height": 800}, accept_downloads=True)
    page.goto(report_url)
    section = page.locator("#documents")
    assert section.is_visible()
    names = {}
    for label in ("Word 文档", "PDF 文档", "自评表（Excel）"):
        with page.expect_download(timeout=120_000) as info:
            section.get_by_role("link", name=label).click()
        download = info.value
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        names[label] = download.suggested_filename
        content = path.read_bytes()
        if label == "PDF 文档":
            assert content.startswith(b"%PDF")
        else:
            assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(content)).namelist() or (
                "word/document.xml" in zipfile.ZipFile(io.BytesIO(content)).namelist())
    assert names["Word 文档"] == "2022年度株洲高新技术产业开发区董家塅片区管理委员会整体支出绩效自评报告.docx"
    assert names["PDF 文档"].endswith("整体支出绩效自评报告.pdf")
    assert names["自评表（Excel）"].endswith("绩效自评表.xlsx")
    # Once stored, the page lists each file's SHA-256; it wraps on a phone.
    page.goto(report_url)
    assert page.locator("#documents .sha256").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot = tmp_path / "documents-375.png"
    section.screenshot(path=str(shot))
    _keep(shot, "documents-375.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    wide = tmp_path / "documents-1280.png"
    section.screenshot(path=str(wide))
    _keep(wide, "documents-1280.png")
