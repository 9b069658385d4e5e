"""The public report page: the seed reads in full, in order, and nothing unpublished shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations.models import Report
from tests.evaluations.public_helpers import (
    assert_seed_in_order,
    grow_report,
    page_text,
    published_report,
)
from tests.factories import (
    BudgetExecutionFactory,
    IndicatorFactory,
    ProjectFactory,
    source,
)

pytestmark = pytest.mark.django_db

SECTION_HEADINGS = [
    "一、基本情况",
    "二、一般公共预算支出情况",
    "三、政府性基金预算支出情况",
    "四、国有资本经营预算支出情况",
    "五、社会保险基金预算支出情况",
    "六、资金使用及绩效情况",
    "七、存在的问题及原因分析",
    "八、下一步改进措施",
    "九、绩效自评结果拟应用和公开情况",
    "十、其他需要说明的情况",
]


def _get(client, report: Report):
    return client.get(report.get_absolute_url())


def test_every_paragraph_and_figure_of_the_seed_appears_in_order(client, sample_report):
    response = _get(client, sample_report)
    assert response.status_code == 200
    assert_seed_in_order(page_text(response.content))


def test_the_ten_sections_are_in_order(client, sample_report):
    text = page_text(_get(client, sample_report).content)
    headings = re.findall(r"^\s*([一二三四五六七八九十]+、\S+)\s*$", text, flags=re.M)
    assert headings == SECTION_HEADINGS


def test_budget_sentences_are_generated_exactly_like_the_seed(client, sample_report):
    text = page_text(_get(client, sample_report).content)
    for sentence in [
        "1、2022年预算资金392.69万元。",
        "2、2022年度单位一般公共预算财政拨款收入1,828.90万元。",
        "3、2022年度单位一般公共预算财政拨款支出1,828.90万元，其中：项目支出1,524.91万元，"
        "基本支出303.99万元，其中：人员经费266.61万元，公用经费37.38万元。",
        "2022年度单位政府性基金预算财政拨款收入1,898.71万元；2022年度单位政府性基金预算"
        "财政拨款支出1,898.71万元，其中：项目支出1,898.71万元。",
        "4.政府隐性债务化解及土地开发支出1,400.26万元",
        "8.园区奖励支出44.96万元。一是完成《十四五规划》编制工作。",
    ]:
        assert sentence in text


def test_budgets_without_a_row_and_empty_sections_read_none(client, sample_report):
    text = re.sub(r"\s+", "", page_text(_get(client, sample_report).content))
    assert "四、国有资本经营预算支出情况无。五、社会保险基金预算支出情况无。" in text
    assert "十、其他需要说明的情况无。" in text


def test_the_basic_clause_only_appears_when_there_is_basic_spending(client):
    report = published_report(year=2024)
    BudgetExecutionFactory(
        report=report, initial_budget=None, personnel=Decimal("0"), public=Decimal("0"),
        project=Decimal("12.5"), income=Decimal("12.5"),
    )
    text = page_text(_get(client, report).content)
    assert "2024年度单位一般公共预算财政拨款支出12.50万元，其中：项目支出12.50万元。" in text
    assert "基本支出0.00万元" not in text
    assert "预算资金" not in text


def test_goals_split_into_paragraphs_and_indicators_show_target_and_actual(client, sample_report):
    content = _get(client, sample_report).content.decode()
    assert "<p>1.经济指标：" in content and "<p>2.重点工作：" in content
    text = re.sub(r"\s+", " ", page_text(content.encode()))
    assert "技工贸总收入 ≥275亿元 275亿元" in text
    assert "新开工项目 ≥18个 —" in text


def test_narratives_have_bold_headlines_and_projects_numbered_outcomes(client, sample_report):
    content = _get(client, sample_report).content.decode()
    assert "<strong>1.着力稳增长、育动能，主要经济指标稳步提升。</strong>面对经济下行" in content
    assert "2.政府雇员经费支出22.00万元。解决了雇员的工资需求。" in content


def test_header_carries_the_publication_metadata(client, sample_report):
    Report.objects.filter(pk=sample_report.pk).update(
        index_number="430200-2023-0001", publisher="株洲高新区财政局", revision=2,
        published_at=datetime(2023, 6, 30, 12, 0, tzinfo=UTC),
    )
    text = re.sub(r"\s+", " ", page_text(_get(client, sample_report).content))
    assert "发布机构 株洲高新区财政局" in text
    assert "发布日期 2023-06-30" in text
    assert "索引号 430200-2023-0001" in text
    assert "版本 第2版" in text
    assert "文号" not in text
    Report.objects.filter(pk=sample_report.pk).update(document_number="株高财〔2023〕5号")
    text = re.sub(r"\s+", " ", page_text(_get(client, sample_report).content))
    assert "文号 株高财〔2023〕5号" in text


def test_publisher_falls_back_to_the_department_and_date_is_local(client, sample_report):
    # 20:00 UTC on 30 June is 1 July in Shanghai.
    Report.objects.filter(pk=sample_report.pk).update(
        published_at=datetime(2023, 6, 30, 20, 0, tzinfo=UTC)
    )
    text = re.sub(r"\s+", " ", page_text(_get(client, sample_report).content))
    assert f"发布机构 {sample_report.department.name}" in text
    assert "发布日期 2023-07-01" in text


def test_links_to_the_reports_csv_data_as_excel_opens_it(client, sample_report):
    """The links people click give the file with a BOM: without it Excel reads UTF-8 as the
    system's code page (GBK on a Chinese Windows) and the Chinese headers come out garbled.
    The address without ``bom`` stays the canonical file (datapackage.json hashes it)."""
    content = _get(client, sample_report).content.decode()
    links = re.findall(r'href="(/data/2022/[a-z_]+\.csv[^"]*)"', content)
    assert "/data/2022/projects.csv?department=dongjiaduan&amp;bom=1" in links
    for link in links:
        body = b"".join(client.get(link.replace("&amp;", "&")).streaming_content)
        assert body.startswith("\ufeff".encode()), link
        assert body.decode("utf-8-sig").startswith("年度,部门编码"), link
    year_page = client.get("/reports/2022/").content.decode()
    for link in re.findall(r'href="(/data/2022/[a-z_]+\.csv[^"]*)"', year_page):
        assert b"".join(client.get(link).streaming_content).startswith(b"\xef\xbb\xbf"), link


@pytest.mark.parametrize("status", ["draft", "submitted", "approved"])
def test_unpublished_reports_answer_404(client, sample_report, status):
    Report.objects.filter(pk=sample_report.pk).update(status=status)
    assert _get(client, sample_report).status_code == 404


def test_unknown_year_or_department_answers_404(client, sample_report):
    assert client.get("/reports/2021/dongjiaduan/").status_code == 404
    assert client.get("/reports/2022/nobody/").status_code == 404


def test_user_text_is_escaped(client):
    report = published_report(profile='<script>alert("x")</script>')
    content = _get(client, report).content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;" in content


# --- Self-evaluation tables ------------------------------------------------------------


def test_scored_project_table_shows_score_and_grade(client):
    report = published_report()
    BudgetExecutionFactory(report=report)
    project = ProjectFactory(
        report=report, name="道路维护", adjusted_budget=Decimal("100"), expenditure=Decimal("95"),
    )
    IndicatorFactory(report=report, project=project, name="维护里程", weight=Decimal("50"),
                     target_value=Decimal("10"), actual_value=Decimal("10"), position=1)
    IndicatorFactory(report=report, project=project, name="群众满意度", weight=Decimal("40"),
                     level1="satisfaction", level2="satisfaction", unit="%",
                     target_value=Decimal("90"), actual_value=Decimal("72"), position=2,
                     deviation="宣传不足。")
    text = re.sub(r"\s+", " ", page_text(_get(client, report).content))
    # 50 + 40 × 72/90 = 32 + execution 9.5 → 91.50, 优.
    assert "项目支出绩效自评表：道路维护" in text
    assert "自评得分 91.50 等级 优" in text
    assert "宣传不足。" in text


def test_unweighted_department_table_is_shown_without_scores(client, sample_report):
    text = re.sub(r"\s+", " ", page_text(_get(client, sample_report).content))
    assert "部门整体支出绩效自评表" in text
    assert "未设分值，不计算得分" in text
    assert "自评得分" not in text
    # The seed's projects have no indicators or fund rows: no empty project tables.
    assert "项目支出绩效自评表" not in text


# --- Query counts --------------------------------------------------------------------


# stamp, report, sources, budgets, projects, funds, indicators, narratives, revisions (2),
# documents, findings (this year's and last year's), attachments (evaluations/public/followup.py)
REPORT_QUERIES = 13


def test_report_page_query_count_is_flat(client, django_assert_num_queries):
    report = published_report()
    grow_report(report, 1)
    with django_assert_num_queries(REPORT_QUERIES):
        assert _get(client, report).status_code == 200
    grow_report(report, 6)
    BudgetExecutionFactory(report=report, funding_source=source("fund"))
    with django_assert_num_queries(REPORT_QUERIES):
        response = _get(client, report)
    assert response.content.decode().count("<h3>项目支出绩效自评表：") == 7


# --- Conditional requests ------------------------------------------------------------


def test_report_page_answers_304_until_the_report_changes(client, sample_report):
    url = reverse("evaluations:report", args=[2022, "dongjiaduan"])
    first = client.get(url)
    etag = first["ETag"]
    assert first["Last-Modified"]
    assert "public" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    assert "Cookie" in first["Vary"]

    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    sample_report.refresh_from_db()
    sample_report.problems += "补充。"
    sample_report.save()
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "补充。" in changed.content.decode()


@pytest.mark.parametrize("change", [{"revision": 2}, {"status": "draft"}])
def test_etag_changes_with_revision_and_status_even_without_updated_at(
    client, sample_report, change
):
    url = sample_report.get_absolute_url()
    etag = client.get(url)["ETag"]
    Report.objects.filter(pk=sample_report.pk).update(**change)
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code != 304


def test_etag_differs_by_language(client, sample_report):
    url = sample_report.get_absolute_url()
    chinese = client.get(url)["ETag"]
    client.cookies["django_language"] = "en"
    english = client.get(url)["ETag"]
    assert chinese != english


def test_chinese_is_served_whatever_the_browser_asks_until_english_is_chosen(
    client, sample_report
):
    url = sample_report.get_absolute_url()
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert "一般公共预算支出情况" in response.content.decode()
    client.post(reverse("evaluations:set_language"), {"language": "en", "next": url})
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response["Content-Language"] == "en"


def test_conditional_answer_costs_one_query(client, sample_report, django_assert_num_queries):
    url = sample_report.get_absolute_url()
    etag = client.get(url)["ETag"]
    with django_assert_num_queries(1):
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_assets_come_only_from_static_and_print_has_its_stylesheet(client, sample_report):
    content = _get(client, sample_report).content.decode()
    assets = re.findall(r'<(?:link|script|img)\b[^>]*(?:href|src)="([^"]+)"', content)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    assert '<link rel="stylesheet" href="/static/css/print.css" media="print">' in content
    assert "<script" not in content


def test_republished_report_shows_its_revision_history(
    client, sample_report, reviewer, data_entry_user
):
    from evaluations import workflow

    workflow.reopen_report(sample_report, reviewer, "更正项目支出。")
    sample_report.refresh_from_db()
    url = sample_report.get_absolute_url()
    assert client.get(url).status_code == 404  # reopened for correction: not public
    sample_report.department.staff.add(data_entry_user)
    workflow.submit_report(sample_report, data_entry_user)
    workflow.approve_report(sample_report, reviewer)
    workflow.publish_report(sample_report, reviewer, "更正军民融合支出金额。<script>")
    content = client.get(url).content.decode()
    assert "修订记录" in content
    assert "第 1 版" in content and "第 2 版" in content
    assert "更正军民融合支出金额。&lt;script&gt;" in content


def test_every_csv_link_on_the_report_page_downloads_its_figures(client, sample_report):
    import re

    content = _get(client, sample_report).content.decode()
    links = sorted(set(re.findall(r'href="(/data/[^"]+\.csv[^"]*)"', content)))
    assert len(links) >= 5
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        if "project_funds" in link:  # the sample has no 其中 rows
            assert len(body.splitlines()) == 1, link
            continue
        assert len(body.splitlines()) >= 2, link  # a header and the report's rows
        assert "dongjiaduan" in body or "董家塅" in body, link


def _section(content: bytes, anchor: str) -> str:
    markup = content.decode()
    start = markup.index(f'<section id="{anchor}"')
    return page_text(markup[start: markup.index("</section>", start)].encode(), start="<section")


def test_an_empty_text_section_is_not_shown_as_none(client):
    """Issue 14.2: "无。" under an unwritten section reads as the department stating "none"."""
    report = published_report(problems="", other_matters="", goals="", profile="本部门负责园区管理。")
    response = client.get(report.get_absolute_url())
    for anchor in ("problems", "other"):
        text = _section(response.content, anchor)
        assert "无。" not in text and "本部分未填写" in text
    assert "本部门负责园区管理。" in _section(response.content, "basic")
    # A budget the report has no row for is still "无" (section 二–五).
    assert "无。" in _section(response.content, "budget-fund")


def test_a_section_that_says_none_in_words_reads_as_written(client):
    report = published_report(other_matters="无其他需要说明的情况。")
    text = _section(client.get(report.get_absolute_url()).content, "other")
    assert "无其他需要说明的情况。" in text and "未填写" not in text


def test_a_missed_target_shows_its_deviation_reason_beside_it(client):
    """Issue 14.3: "新引进项目 ≥16个 14个" showed no explanation on the public page."""
    report = published_report()
    IndicatorFactory(report=report, name="新引进项目", target_value=Decimal("16"),
                     actual_value=Decimal("14"), deviation="受市场环境影响，两个项目推迟签约。")
    IndicatorFactory(report=report, name="新开工项目", target_value=Decimal("18"),
                     actual_value=Decimal("18"), deviation="不应出现")
    text = _section(client.get(report.get_absolute_url()).content, "basic")
    missed_row = text[text.index("新引进项目"): text.index("新开工项目")]
    assert "偏差原因分析及改进措施" in text
    assert "未完成" in missed_row and "受市场环境影响，两个项目推迟签约。" in missed_row
    # Only a missed target's reason is shown: "missed" is the scoring tables' decision.
    assert "不应出现" not in text
