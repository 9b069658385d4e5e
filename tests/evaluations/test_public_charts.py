"""SVG charts: accessible, escaped, and drawn to scale from Decimal figures."""

from __future__ import annotations

import re
from decimal import Decimal

from evaluations.public.charts import Point, bar_chart, line_chart


def test_bar_chart_is_an_accessible_image_with_every_figure():
    svg = bar_chart(
        "spend", title="各类预算支出", description="数据见表格",
        points=[Point("一般公共预算", Decimal("1828.9")), Point("政府性基金预算", Decimal("914.45"))],
    )
    assert svg.startswith('<svg class="chart" role="img"')
    assert 'aria-labelledby="spend-title spend-desc"' in svg
    assert '<title id="spend-title">各类预算支出</title>' in svg
    assert '<desc id="spend-desc">数据见表格</desc>' in svg
    assert ">1,828.90<" in svg and ">914.45<" in svg
    widths = [Decimal(w) for w in re.findall(r'<rect[^>]* width="([\d.]+)"', svg)]
    assert widths[0] == 2 * widths[1]


def test_chart_text_is_escaped():
    svg = bar_chart(
        "x", title="<b>t</b>", description='"d"', points=[Point("<script>", Decimal("1"))],
    )
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg


def test_bar_chart_copes_with_zero_and_missing_values():
    svg = bar_chart("z", title="t", description="d",
                    points=[Point("a", Decimal("0")), Point("b", None)])
    assert 'width="0.0"' in svg
    assert ">—<" in svg


def test_line_chart_skips_years_without_a_score():
    svg = line_chart(
        "s", title="得分", description="d", maximum=Decimal("100"),
        points=[Point("2021", Decimal("100")), Point("2022", None), Point("2023", Decimal("50"))],
        value_format=lambda v: f"{v:.2f}",
    )
    assert svg.count("<circle") == 2
    assert ">100.00<" in svg and ">50.00<" in svg and ">2022<" in svg
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    (x1, y1), (x2, y2) = (map(float, p.split(",")) for p in points)
    assert y2 > y1  # 50 is drawn lower than 100


def test_long_labels_are_shortened_but_kept_in_the_table_elsewhere():
    svg = bar_chart("l", title="t", description="d",
                    points=[Point("株洲高新技术产业开发区董家塅片区管理委员会", Decimal("1"))])
    assert "株洲高新技术产业开发区…" in svg and "管理委员会" not in svg
