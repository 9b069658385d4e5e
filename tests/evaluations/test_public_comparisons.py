"""Across years: a department's indicators over the years, a year's ranking, and the flags."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Report
from tests.evaluations.api_helpers import scored_report
from tests.evaluations.public_helpers import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    """x: met 2021, missed 2022 and 2023, spending 115 → 125 in 2023 as its score falls.
    y: missed 2021 and 2023 but met 2022 (never twice running). z: 2023 only, same score as y.
    w: 2023, nothing scored. d: a draft missing every year."""
    scored_report("x", 2021)
    scored_report("x", 2022, actual="6")
    scored_report("x", 2023, actual="5", spent_project="65")
    scored_report("y", 2021, actual="5")
    scored_report("y", 2022)
    scored_report("y", 2023, actual="8")
    scored_report("z", 2023, actual="8")
    w = scored_report("w", 2023)
    w.indicators.update(weight=None)
    for year in (2022, 2023):
        scored_report("d", year, actual="1", status=Report.Status.DRAFT)


def _get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def test_indicator_over_the_years_has_chart_and_table(client, history):
    page = _get(client, reverse("evaluations:department_indicators", args=["x"]))
    assert page.count("<svg") == 1 and "<script" not in page
    assert "“产出数量”历年实际完成值" in page
    table = page_text(page.encode(), start="<table", end="</table>")
    for year, actual, score in (("2021", "10", "90.00"), ("2022", "6", "54.00"), ("2023", "5", "45.00")):
        assert re.search(rf"{year}\s*≥ 10\s*{actual}\s*90.00\s*{score}", table), table
    assert "“产出数量”连续两年（2022、2023）未完成目标" in page
    assert "2023年支出比上年增加，自评得分却从63.58降至55.00" in page


def test_flags_need_consecutive_years(client, history):
    page = _get(client, reverse("evaluations:department_indicators", args=["y"]))
    assert '<ul class="flags">' not in page
    assert "没有连续两年未完成的目标" in page


def test_drafts_are_absent(client, history):
    assert client.get(reverse("evaluations:department_indicators", args=["d"])).status_code == 404
    assert client.get(reverse("evaluations:ranking", args=[2024])).status_code == 404
    page = _get(client, reverse("evaluations:ranking", args=[2023]))
    assert "部门d" not in page


def _ranking_rows(page: str) -> list[tuple[str, str]]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    rows = []
    for row in body.split("</tr>")[:-1]:
        rank = re.search(r'<td class="num">(.*?)</td>', row, re.S).group(1).strip()
        name = re.search(r'<th scope="row"><a [^>]+>(.*?)</a>', row, re.S).group(1)
        rows.append((rank, name))
    return rows


def test_ranking_by_score_shares_ties_and_lists_unscored_last(client, history):
    page = _get(client, reverse("evaluations:ranking", args=[2023]))
    # x 55.00; y and z 81.58 (tied); w unscored.
    assert _ranking_rows(page) == [("1", "部门y"), ("1", "部门z"), ("3", "部门x"), ("—", "部门w")]
    flags = page.split("部门x")[1].split("</tr>")[0]
    assert "连续两年" in flags and "支出比上年增加" in flags
    assert "连续两年" not in page.split("部门y")[1].split("</tr>")[0]


def test_ranking_by_execution_rate(client, history):
    page = _get(client, reverse("evaluations:ranking", args=[2023]), by="execution_rate")
    # x spent 125 of 120 (104.17 %); everyone else 115 of 120 (95.83 %).
    assert [name for _rank, name in _ranking_rows(page)] == ["部门x", "部门w", "部门y", "部门z"]
    assert [rank for rank, _name in _ranking_rows(page)] == ["1", "2", "2", "2"]
    assert "104.17%" in page


@pytest.mark.parametrize("page", ["0", "x", "9"])
def test_ranking_bad_page_is_404(client, history, page):
    assert client.get(reverse("evaluations:ranking", args=[2023]), {"page": page}).status_code == 404


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queries_stay_flat(client, history):
    urls = [reverse("evaluations:ranking", args=[2023]),
            reverse("evaluations:department_indicators", args=["x"])]
    before = [_queries(client, u) for u in urls]
    for i in range(12):
        scored_report(f"more{i}", 2023)
        scored_report(f"more{i}", 2022, actual="3")
    scored_report("x", 2020, indicator="另一个指标")
    assert [_queries(client, u) for u in urls] == before


def test_pages_link_to_each_other(client, history):
    assert reverse("evaluations:ranking", args=[2023]) in _get(client, reverse("evaluations:year", args=[2023]))
    assert reverse("evaluations:department_indicators", args=["x"]) in _get(
        client, reverse("evaluations:department", args=["x"]))


def test_a_target_with_no_result_is_not_said_to_be_met(client):
    """A year whose indicator states no result (no value, text or tier) is 未填报, not 完成:
    nothing in the report says the target was reached."""
    from indicators.models import Indicator

    scored_report("v", 2022)
    empty = scored_report("v", 2023)
    Indicator.objects.filter(report=empty).update(actual_value=None, actual_text="", tier="")
    page = _get(client, reverse("evaluations:department_indicators", args=["v"]))
    table = page_text(page.encode(), start="<table", end="</table>")
    assert re.search(r"2022\s*≥ 10\s*10\s*90.00\s*90.00\s*完成", table), table
    assert re.search(r"2023\s*≥ 10\s*—\s*90.00\s*\S*\s*未填报", table), table
