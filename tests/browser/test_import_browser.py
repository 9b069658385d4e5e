"""The admin's import pages in a real browser at phone and desktop widths (issue 14.7).

The error page reads without hovering: a heading, then every listed error as a visible row
of row / column / message; nothing pushes the page wider than the screen.
"""

from __future__ import annotations

import pytest

from tests.browser.admin_session import PASSWORD, sign_in
from tests.browser.test_public_browser import _keep, _seed_funding_sources

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEADER = "年度,部门编码,项目编码,项目名称,预算类别,全年执行数\r\n"
BAD = HEADER + (
    "2024,mine,p1,项目一,专项资金,1.50\r\n"
    "2024,mine,p2,一个名称很长很长的项目用来看换行的效果是否正常,一般公共预算,-3\r\n"
    "2024,nowhere,p3,项目三,一般公共预算,2\r\n"
)
GOOD = HEADER + "".join(f"2024,mine,p{i},第{i}个项目,一般公共预算,{i}.50\r\n" for i in range(1, 8))


@pytest.fixture
def signed_in(live_server, new_page):
    from tests.factories import DepartmentFactory, UserFactory

    _seed_funding_sources()
    DepartmentFactory(code="mine")
    UserFactory(username="root", is_superuser=True, password=PASSWORD)

    def open_at(width: int):
        page = new_page(viewport={"width": width, "height": 900}, is_mobile=width < 500)
        sign_in(page, live_server.url)
        page.goto(live_server.url + "/admin/evaluations/report/import/")
        return page

    return open_at


def _upload(page, text: str) -> None:
    page.select_option("#id_dataset", "projects")
    page.set_input_files("#id_import_file", files=[
        {"name": "projects.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")},
    ])
    page.click("input[type=submit].default")
    page.wait_for_load_state("networkidle")


def _fits(page, width: int) -> None:
    page.wait_for_load_state("domcontentloaded")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide at {width}px"


@pytest.mark.parametrize("width", [375, 1280])
def test_the_error_page_is_a_readable_table(signed_in, width, tmp_path):
    page = signed_in(width)
    _fits(page, width)
    form = tmp_path / f"import-form-{width}.png"
    page.screenshot(path=str(form), full_page=True)
    _keep(form, form.name)
    _upload(page, BAD)
    assert page.locator("h1").inner_text() == "文件有错误，未导入"
    cells = page.locator(".data-import-table td.message")
    assert cells.count() == 3
    for index in range(3):
        cell = cells.nth(index)
        assert cell.is_visible()
        box = cell.bounding_box()
        assert box["width"] >= 100, box  # a column one could read, not a squeezed sliver
    assert "一般公共预算（general）" in cells.nth(0).inner_text()
    _fits(page, width)
    shot = tmp_path / f"import-errors-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    _keep(shot, shot.name)


@pytest.mark.parametrize("width", [375, 1280])
def test_the_preview_and_its_confirm_fit(signed_in, width, tmp_path):
    from evaluations.models import Project

    page = signed_in(width)
    _upload(page, GOOD)
    assert page.locator("h1").inner_text() == "导入预览：请核对后确认"
    assert page.locator(".data-import-table td.action").count() == 7
    confirm = page.locator("input[name=confirm]")
    assert confirm.is_visible()
    _fits(page, width)
    shot = tmp_path / f"import-preview-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    _keep(shot, shot.name)
    confirm.click()
    page.wait_for_load_state("networkidle")
    assert Project.objects.count() == 7
    assert "已导入“项目支出”" in page.locator(".messagelist").inner_text()
