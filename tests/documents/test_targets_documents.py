"""targets.docx and targets.pdf: the approved 绩效目标表 page as official documents, read back
with python-docx and pdftotext; 404 while the targets are not approved; linked from the page."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

from evaluations import targets, workflow
from evaluations.documents import generate, storage
from evaluations.models import Report
from tests.documents.helpers import PAGE_NUMBER, docx_text, needs_poppler, pdf_body, pdf_pages
from tests.evaluations.workflow_setup import build_world

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(data_entry_user, reviewer):
    world = build_world(data_entry_user)
    report = world.report_a
    Report.objects.filter(pk=report.pk).update(goals="部门年度目标<保障>&运转。")
    project = report.projects.get()
    workflow.move_targets(report, world.clerk_a, "submit")
    workflow.move_targets(report, reviewer, "approve")
    adjustment = targets.request_adjustment(report, user=world.clerk_a, project=project,
                                            field="goal", new_value="调整后的项目目标", reason="任务变化")
    targets.approve_adjustment(adjustment, reviewer)
    return world


def _url(report, extension):
    return reverse("evaluations:targets_document",
                   args=[report.fiscal_year.year, report.department.code, extension])


def _get(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def _expected_lines(report) -> list[str]:
    """What the page says, in its order: title, goals, indicators, projects, the adjustment."""
    project = report.projects.get()
    return [
        f"{report.fiscal_year.year}年度甲部门绩效目标表", "经财政部门批复的年度绩效目标", "部门整体支出绩效目标",
        "部门年度目标<保障>&运转。", "甲部门的部门指标", project.name, "调整后的项目目标",
        "甲部门的项目指标", "绩效目标调整", "任务变化",
    ]


def _in_order(text: str, lines: list[str]) -> None:
    at = 0
    for line in lines:
        found = text.find(line, at)
        assert found >= 0, (line, text[at:at + 300])
        at = found + len(line)


def test_targets_docx_holds_the_page_in_order(client, world):
    report = world.report_a
    response = client.get(_url(report, "docx"))
    assert response.status_code == 200
    name = f"{report.fiscal_year.year}年度甲部门绩效目标表.docx"
    assert f"filename*=UTF-8''{quote(name)}" in response["Content-Disposition"]
    assert f'filename="{report.fiscal_year.year}-{report.department.code}-targets.docx"' in response["Content-Disposition"]
    assert response["Content-Type"] == storage.KINDS["docx"].content_type
    text = docx_text(b"".join(response.streaming_content))
    _in_order(text, _expected_lines(report))
    assert "发布机构：" in text and "批复日期：" in text
    assert "公开文件" not in text and "本页网址" not in text  # screen-only parts left out


@needs_poppler
def test_targets_pdf_holds_the_page_in_order_with_page_numbers(client, world, tmp_path):
    pages = pdf_pages(_get(client, _url(world.report_a, "pdf")), tmp_path)
    numbers = [int(m.group(1)) for page in pages for line in page.splitlines()
               if (m := PAGE_NUMBER.match(line))]
    assert numbers == list(range(1, len(pages) + 1))
    _in_order(pdf_body(pages).replace("\n", ""), _expected_lines(world.report_a))


def test_the_page_links_both_and_they_wait_for_approval(client, world, reviewer):
    report = world.report_b  # entered, not approved
    for extension in ("docx", "pdf"):
        assert client.get(_url(report, extension)).status_code == 404
    workflow.move_targets(report, world.clerk_b, "submit")
    assert client.get(_url(report, "docx")).status_code == 404  # submitted is not approved
    page = client.get(reverse("evaluations:targets", args=[2023, "dept-a"])).content.decode()
    for extension in ("docx", "pdf"):
        assert f'href="{_url(world.report_a, extension)}"' in page
    assert client.get(_url(world.report_a, "xlsx")).status_code == 404
    # The report's own files keep their URLs beside these.
    assert reverse("evaluations:report_document", args=[2023, "dept-a", "report.pdf"]).endswith(
        "/dept-a/report.pdf")


def test_a_file_is_built_once_until_the_targets_change(client, world, reviewer, monkeypatch,
                                                       settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    built = []
    monkeypatch.setattr(generate, "builders", lambda: {
        "docx": lambda article: built.append(article.title) or docx_marker(article)})
    report = world.report_a
    first = _get(client, _url(report, "docx"))
    assert _get(client, _url(report, "docx")) == first and len(built) == 1
    adjustment = targets.request_adjustment(report, user=world.clerk_a, indicator=report.indicators.filter(
        project=None).get(), field="target_value", new_value="12", reason="再调")
    targets.approve_adjustment(adjustment, reviewer)
    assert _get(client, _url(report, "docx")) != first and len(built) == 2


def docx_marker(article) -> bytes:
    return f"{article.title}:{article.report.indicators.filter(project=None).get().target_value}".encode()

