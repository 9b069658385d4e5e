"""SVG charts: accessible, escaped, and drawn to scale from Decimal figures."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.conf import settings

from common.formatting import amount, score
from evaluations.public.charts import FONT_SIZE, Box, Point, bar_chart, line_chart, text_box

SVG = "{http://www.w3.org/2000/svg}"


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
    assert "株洲高新技术产业开…" in svg and "管理委员会" not in svg


# Label geometry (docs/design.md: charts scale to their box and their type grows as it
# narrows): every label, at the largest type, inside the viewBox and clear of every other.

def _labels(svg: str) -> tuple[tuple[float, float], list[tuple[str, Box]]]:
    root = ElementTree.fromstring(svg)  # noqa: S314 -- our own chart, not untrusted input
    _, _, width, height = map(float, root.get("viewBox").split())
    labels = [
        (t.text, text_box(t.text, float(t.get("x")), float(t.get("y")), t.get("text-anchor", "start")))
        for t in root.iter(f"{SVG}text")
    ]
    return (width, height), labels


def _assert_readable(svg: str) -> list[str]:
    (width, height), labels = _labels(svg)
    for text, box in labels:
        assert box.inside(width, height), (text, box)
    for i, (text, box) in enumerate(labels):
        for other, other_box in labels[i + 1:]:
            assert not box.overlaps(other_box), (text, other)
    return [text for text, _ in labels]


@pytest.mark.parametrize("scores", [
    ["93.4", "93.7"], ["100", "93.4"], ["100", "100", "0"], ["0", "0"], ["88", None, "100"],
    ["99.5"], ["60", "100", "0", "93.4", "100", "12.5", "87"],
])
def test_score_chart_labels_stay_inside_and_apart(scores):
    points = [Point(str(2015 + i), None if s is None else Decimal(s)) for i, s in enumerate(scores)]
    svg = line_chart("s", title="t", description="d", points=points,
                     maximum=Decimal("100"), value_format=score)
    texts = _assert_readable(svg)
    assert "100.00" in texts and "0.00" in texts  # both ends of the scale labelled
    assert all(str(p.label) in texts for p in points)
    assert all(score(p.value) in texts for p in points if p.value is not None)


@pytest.mark.parametrize("values", [
    ["32716.9195", "16470.7175"], ["1234567.89", "0.5", None], ["-20", "7"], ["9290.4702"],
])
def test_indicator_chart_labels_stay_inside_and_apart(values):
    points = [Point(str(2020 + i), None if v is None else Decimal(v)) for i, v in enumerate(values)]
    texts = _assert_readable(line_chart("i", title="t", description="d", points=points))
    assert all(amount(p.value) in texts for p in points if p.value is not None)
    assert "0.00" in texts or any(v.startswith("-") for v in values if v)


def test_a_crowded_line_chart_leaves_figures_to_the_table_rather_than_overlap():
    points = [Point(str(2000 + i), Decimal("1234567.89") - i) for i in range(12)]
    _assert_readable(line_chart("c", title="t", description="d", points=points))


@pytest.mark.parametrize("amounts", [
    ["32716.9195", "16470.7175"], ["1234567.89", "0", None], ["9290.4702", "8000.1"],
    ["1234567890.1234", "1"],
])
def test_bar_chart_labels_stay_inside_and_apart(amounts):
    names = ["一般公共预算", "政府性基金预算", "国有资本经营预算", "财政专户管理资金"]
    points = [Point(n, None if a is None else Decimal(a)) for n, a in zip(names, amounts, strict=False)]
    texts = _assert_readable(bar_chart("b", title="t", description="d", points=points))
    assert all(amount(p.value) in texts for p in points if p.value is not None)
    longest = Point("株洲高新技术产业开发区董家塅片区管理委员会 General Public Budget", Decimal("32716.9195"))
    _assert_readable(bar_chart("l", title="t", description="d", points=[longest]))


def test_the_estimates_are_made_at_the_largest_chart_type_of_the_stylesheet():
    css = (settings.BASE_DIR / "static" / "css" / "site.css").read_text()
    sizes = re.findall(r"svg\.chart text \{ font-size: (\d+)px; \}", css)
    assert sizes and max(map(int, sizes)) == FONT_SIZE
