"""What the layout tests measure in the page: clipped or squeezed cells, text under 11 px.

Shared by the layout and accessibility browser tests. A cell is clipped when it sticks out of
a box that hides overflow, or out of the window; at phone width it may instead sit in a box
that scrolls, provided that box shows it scrolls (the .table-wrap shadows: a background
gradient). A cell is squeezed when it is narrower than two characters of its own text.
"""

from __future__ import annotations

MIN_TEXT_PX = 11

CELL_PROBLEMS = r"""
(allowScroll) => {
  const problems = [];
  const vw = document.documentElement.clientWidth;
  for (const cell of document.querySelectorAll('td, th')) {
    if (!cell.checkVisibility()) continue;
    const r = cell.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;  // visually hidden
    if (cell.closest('thead') && cell.closest('thead').getBoundingClientRect().width <= 1) continue;
    const text = cell.textContent.trim();
    const label = text.slice(0, 24) || cell.outerHTML.slice(0, 60);
    const style = getComputedStyle(cell);
    const fontPx = parseFloat(style.fontSize);
    if (cell.scrollWidth > cell.clientWidth + 1) problems.push(`spills out of its cell: ${label}`);
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if ([...text].length >= 2 && inner < 2 * fontPx - 1) problems.push(`squeezed to ${inner}px: ${label}`);
    let scrolls = false;
    for (let box = cell.parentElement; box && box !== document.documentElement; box = box.parentElement) {
      const boxStyle = getComputedStyle(box);
      if (boxStyle.overflowX === 'visible') continue;
      const b = box.getBoundingClientRect();
      if (r.right <= b.right + 1 && r.left >= b.left - 1) continue;
      const cue = box.scrollWidth > box.clientWidth && boxStyle.backgroundImage.includes('gradient');
      if (allowScroll && (boxStyle.overflowX === 'auto' || boxStyle.overflowX === 'scroll') && cue) {
        scrolls = true;
        continue;
      }
      problems.push(`clipped by ${box.tagName}.${box.className}: ${label}`);
    }
    if (!scrolls && (r.right > vw + 1 || r.left < -1)) problems.push(`off the window: ${label}`);
  }
  return problems;
}
"""

SMALL_TEXT = r"""
(minPx) => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || !el.checkVisibility()) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;  // visually hidden (read aloud only)
    if (el.closest('title, desc, script, style')) continue;
    let px = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement && el.getScreenCTM) px *= el.getScreenCTM().a;  // scaled by the viewBox
    if (px < minPx - 0.01) small.push(`${px.toFixed(1)}px: ${node.textContent.trim().slice(0, 24)}`);
  }
  return small;
}
"""


def cell_problems(page, *, allow_scroll: bool) -> list[str]:
    return page.evaluate(CELL_PROBLEMS, allow_scroll)


def small_text(page) -> list[str]:
    return page.evaluate(SMALL_TEXT, MIN_TEXT_PX)


# Every chart label, as the browser lays it out, inside its SVG's viewBox and clear of the
# others (evaluations/public/charts.py reserves the room at the largest chart type).
CHART_LABEL_PROBLEMS = """() => [...document.querySelectorAll('svg.chart')].flatMap(svg => {
  const vb = svg.viewBox.baseVal;
  const boxes = [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBBox()]);
  const out = boxes.filter(([, b]) => b.x < vb.x - 0.5 || b.y < vb.y - 0.5
    || b.x + b.width > vb.x + vb.width + 0.5 || b.y + b.height > vb.y + vb.height + 0.5)
    .map(([t]) => `${svg.id || svg.getAttribute('aria-labelledby')}: "${t}" leaves the box`);
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [s, a] = boxes[i], [t, b] = boxes[j];
    if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
      out.push(`"${s}" covers "${t}"`);
  }
  return out;
})"""


def chart_label_problems(page) -> list[str]:
    return page.evaluate(CHART_LABEL_PROBLEMS)
