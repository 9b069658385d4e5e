"""self-evaluation.xlsx: the 自评表 workbook in the national layout, one sheet a table.

Sheet 部门整体支出绩效自评表, then 项目支出绩效自评表-<project> for every project
(docs/design.md, "Official documents"). The scores come from the report page's view-model
(indicators/tables.py), never computed here. ``LAYOUT`` fixes where everything sits, and
``evaluations/documents/reading.py`` reads the workbook back by the same layout.
"""

from __future__ import annotations

import io
import re
from copy import copy
from decimal import Decimal
from weakref import WeakKeyDictionary

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from common.text import clean_text
from evaluations.documents.content import Article
from indicators.tables import project_table
from indicators.vocabulary import Nature, grade_label

DEPARTMENT_SHEET = "部门整体支出绩效自评表"
PROJECT_SHEET = "项目支出绩效自评表"
COLUMNS = 12  # A–I the national table; J–L what reading back needs (性质, 单位, 档次)
WIDTHS = [12, 12, 14, 24, 13, 13, 9, 9, 30, 8, 8, 10]
AMOUNT_FORMAT = "#,##0.00##"  # 2 decimals, up to the 4 an amount keeps (13,100.8459 as the page shows it)
SCORE_FORMAT = "0.00"
RATE_FORMAT = "0.00%"
CELL_MAX_CHARS = 32_767  # what a spreadsheet cell holds (openpyxl cuts a longer text there)
DEFAULT_ROW_HEIGHT = 15  # points: a row without a height of its own, as Excel draws it
FROZEN_MAX_HEIGHT = 300  # points of frozen rows: 400 pixels at 100 %, half a 1080p screen
FUND_ROWS = ("当年财政拨款", "上年结转资金", "其他资金")  # FundingSource names, kind project_fund
INDICATOR_HEADERS = (
    "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
    "偏差原因分析及改进措施", "指标性质", "计量单位", "完成档次",
)
# Rows of the layout (1-based), shared with reading.py.
TITLE_ROW, YEAR_ROW, NAME_ROW, OWNER_ROW, FUNDS_HEADER_ROW = 1, 2, 3, 4, 5
TOTAL_ROW = 6  # 年度资金总额; the three 其中 rows follow
GOAL_HEADER_ROW = TOTAL_ROW + 1 + len(FUND_ROWS)
GOAL_ROW = GOAL_HEADER_ROW + 1
INDICATOR_HEADER_ROW = GOAL_ROW + 1
FIRST_INDICATOR_ROW = INDICATOR_HEADER_ROW + 1

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
BODY_FONT = Font(name="仿宋_GB2312", size=11)
BOLD_FONT = Font(name="黑体", size=11)
TITLE_FONT = Font(name="方正小标宋简体", size=18)
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


NUMBERED_LINE = re.compile(r"(?m)^\s*\d+[.、．]")  # "1." opening a 绩效情况 paragraph


def department_outcome(summary: str, narratives) -> str:
    """The department sheet's 实际完成情况: 六（一） as the page prints it, the overall summary
    and then its numbered 绩效情况 paragraphs ("1.headline body"), a line each."""
    lines = [summary.strip()] if summary.strip() else []
    lines += [f"{n}.{item.headline.strip()}{item.body.strip()}" for n, item in enumerate(narratives, start=1)]
    return "\n".join(lines)


def _lines(text: str) -> list[str]:
    """A cell's text as compared: its lines, each without the blanks at its ends, none empty."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def outcome_summary(text: str, narratives) -> str | None:
    """The overall summary in a department sheet's 实际完成情况 read back: the text before its
    numbered paragraphs as written (department_outcome), or the whole text where it has no
    numbered line (a summary typed over the cell: the paragraphs stay as they are); None
    when numbered paragraphs were changed (they are edited in the report's 绩效情况).
    Compared line by line without the blanks at their ends, which a cell or an edit adds."""
    paragraphs = _lines(department_outcome("", narratives))
    if not paragraphs:
        return text
    raw = text.splitlines()
    start, seen = len(raw), 0  # where the last len(paragraphs) non-blank lines begin
    while start and seen < len(paragraphs):
        start -= 1
        seen += bool(raw[start].strip())
    if _lines("\n".join(raw[start:])) == paragraphs:
        return "\n".join(raw[:start]).strip()  # the summary's own lines as they are
    return None if NUMBERED_LINE.search(text) else text


def build_xlsx(article: Article) -> bytes:
    context = article.context
    report = article.report
    book = Workbook()
    book.remove(book.active)
    department = _sheet(book, DEPARTMENT_SHEET, article)
    _fill(department, article, title=DEPARTMENT_SHEET, name=report.department.name, code="",
          table=context["department_table"], indicators=context["department_indicators"],
          funds=[], goal=report.goals,
          outcome=department_outcome(report.overall_summary, context["narratives"]))
    names = {DEPARTMENT_SHEET}
    for project in context["projects"]:
        indicators = context["project_indicators"].get(project.id, [])
        sheet = _sheet(book, sheet_name(project.name, names), article)
        _fill(sheet, article, title=PROJECT_SHEET, name=project.name, code=project.code,
              table=project_table(project, indicators, report.rules), indicators=indicators,
              funds=list(project.funds.all()), goal=project.goal, outcome=project.outcome)
    book.properties.title = article.title
    book.properties.creator = report.display_publisher
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_name(project_name: str, taken: set[str]) -> str:
    """项目支出绩效自评表-<name>: at most 31 characters, none of []:*?/\\, unique in the book."""
    base = f"{PROJECT_SHEET}-{_FORBIDDEN.sub('_', project_name)}".strip("'")[:31]
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f"~{n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _sheet(book, name: str, article: Article):
    sheet = book.create_sheet(name)
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = f"{INDICATOR_HEADER_ROW}:{INDICATOR_HEADER_ROW}"
    if article.draft:
        sheet.oddHeader.right.text = gettext("草稿 · 未公开")
        sheet.oddFooter.left.text = gettext("草稿")
    sheet.oddFooter.center.text = "— &P —"
    return sheet


def _put(sheet, cell: str, value, *, font=BODY_FONT, align=WRAP, number_format=None):
    target = sheet[cell]
    if isinstance(value, Decimal):
        value = float(value) if number_format != RATE_FORMAT else float(value / 100)
    if isinstance(value, str):
        value = clean_text(value)  # control characters cannot be stored in a worksheet
    target.value = value
    if isinstance(value, str):
        target.data_type = "s"  # text is text, even "=1+1": never a formula
    _style(target, font=font, alignment=align, number_format=number_format)
    return target


# Per workbook: (the attributes set, the cell's style before) -> its style after.
_STYLES: WeakKeyDictionary = WeakKeyDictionary()


def _style(cell, **attributes) -> None:
    """Set ``attributes`` (font, alignment, border, number_format: this module's constants)
    on ``cell``. openpyxl hashes a Font or a Border, every field down, at each assignment to
    find it in the workbook: a third of the workbook's time. So each combination is assigned
    once a workbook and its resulting style ids copied to the other cells."""
    key = (*(id(v) if k != "number_format" else v for k, v in attributes.items()),
           *attributes, tuple(cell._style or ()))
    known = _STYLES.setdefault(cell.parent.parent, {})
    style = known.get(key)
    if style is None:
        for name, value in attributes.items():
            if value is not None:
                setattr(cell, name, value)
        style = known[key] = copy(cell._style)
    cell._style = copy(style)


def _merge(sheet, area: str, value=None, **kwargs) -> None:
    first = area.split(":")[0]
    _put(sheet, first, value, **kwargs)
    if ":" in area and area.split(":")[0] != area.split(":")[1]:
        sheet.merge_cells(area)


GOAL_MIN_HEIGHT, ROW_MAX_HEIGHT = 90, 409  # points (409: the tallest row Excel keeps)
LONG_TEXT = Alignment(wrap_text=True, vertical="top")
_SMALLER: dict[float, Font] = {}  # the body face at the sizes long texts were set in


def _wrapped_lines(text: str, width: int, size: float) -> int:
    """Lines ``text`` wraps to in a cell ``width`` character units wide at ``size`` points (a
    CJK character two units at 11 points)."""
    per_line = max(1, int((width - 2) / 2 * BODY_FONT.size / size))
    return sum(-(-max(len(part), 1) // per_line) for part in text.split("\n"))


def _goal_row(sheet, goal: str, outcome: str) -> None:
    """预期目标 and 实际完成情况 in a row tall enough for the longer as it wraps (六（一） whole
    runs to some fifty lines: a row fixed at 90 points printed six of them, centred, the rest
    cut off). Past Excel's 409 points the two cells' type is made smaller until it fits,
    never under 7 points, and both start at the top."""
    cells = ((f"B{GOAL_ROW}", goal, sum(WIDTHS[1:5])), (f"F{GOAL_ROW}", outcome, sum(WIDTHS[5:9])))
    size = BODY_FONT.size
    line = size * 1.3  # points a line takes
    needed = max(_wrapped_lines(text, width, size) for _c, text, width in cells) * line
    if needed > ROW_MAX_HEIGHT:
        size = max(7.0, int(size * (ROW_MAX_HEIGHT / needed) ** 0.5 * 2) / 2)
        needed = max(_wrapped_lines(text, width, size) for _c, text, width in cells) * size * 1.3
        # Kept: _style knows a font by its id, so each size is one object for good.
        font = _SMALLER.setdefault(size, Font(name=BODY_FONT.name, size=size))
        for cell, _text, _width in cells:
            _style(sheet[cell], font=font, alignment=LONG_TEXT)
    sheet.row_dimensions[GOAL_ROW].height = min(ROW_MAX_HEIGHT, max(GOAL_MIN_HEIGHT, needed))


def _freeze(sheet) -> None:
    """The rows above the indicators frozen while they leave a laptop's screen room to scroll
    the indicators under them: with 实际完成情况 409 points tall they took 765 pixels, and
    the indicators could not be reached. The printed pages repeat the header row either way."""
    above = sum(sheet.row_dimensions[row].height or DEFAULT_ROW_HEIGHT
                for row in range(1, FIRST_INDICATOR_ROW))
    sheet.freeze_panes = f"A{FIRST_INDICATOR_ROW}" if above <= FROZEN_MAX_HEIGHT else None


def _fill(sheet, article, *, title, name, code, table, indicators, funds, goal, outcome):
    report = article.report
    _merge(sheet, "A1:I1", title, font=TITLE_FONT, align=CENTER)
    _merge(sheet, "A2:I2", f"（{report.fiscal_year.year}年度）", align=CENTER)
    _put(sheet, f"A{NAME_ROW}", "项目名称" if code else "部门名称", font=BOLD_FONT, align=CENTER)
    _merge(sheet, f"B{NAME_ROW}:F{NAME_ROW}", name)
    _put(sheet, f"G{NAME_ROW}", "项目编码" if code else "部门编码", font=BOLD_FONT, align=CENTER)
    _merge(sheet, f"H{NAME_ROW}:I{NAME_ROW}", code or report.department.code)
    parent = report.department.parent
    _put(sheet, f"A{OWNER_ROW}", "主管部门", font=BOLD_FONT, align=CENTER)
    _merge(sheet, f"B{OWNER_ROW}:E{OWNER_ROW}", (parent or report.department).name)
    _put(sheet, f"F{OWNER_ROW}", "实施单位", font=BOLD_FONT, align=CENTER)
    _merge(sheet, f"G{OWNER_ROW}:I{OWNER_ROW}", report.department.name)
    _funds(sheet, table, funds, project=bool(code))
    _merge(sheet, f"A{GOAL_HEADER_ROW}:A{GOAL_ROW}", "年度总体目标", font=BOLD_FONT, align=CENTER)
    _merge(sheet, f"B{GOAL_HEADER_ROW}:E{GOAL_HEADER_ROW}", "预期目标", font=BOLD_FONT, align=CENTER)
    _merge(sheet, f"F{GOAL_HEADER_ROW}:I{GOAL_HEADER_ROW}", "实际完成情况", font=BOLD_FONT, align=CENTER)
    _merge(sheet, f"B{GOAL_ROW}:E{GOAL_ROW}", goal or "")
    _merge(sheet, f"F{GOAL_ROW}:I{GOAL_ROW}", outcome or "")
    _goal_row(sheet, goal or "", outcome or "")
    _freeze(sheet)
    last = _indicators(sheet, table, indicators)
    _total(sheet, table, last + 1)
    for row in sheet.iter_rows(min_row=NAME_ROW, max_row=last + 1, max_col=COLUMNS):
        for cell in row:
            _style(cell, border=BORDER)


def _funds(sheet, table, funds, project: bool) -> None:
    # Broken before its unit: in column A's width "（万元）" wrapped with its ")" alone. The
    # department sheet's are the department's funds, not a project's.
    _merge(sheet, f"A{FUNDS_HEADER_ROW}:A{TOTAL_ROW + len(FUND_ROWS)}",
           ("项目资金" if project else "部门资金") + "\n（万元）", font=BOLD_FONT, align=CENTER)
    _merge(sheet, f"B{FUNDS_HEADER_ROW}:C{FUNDS_HEADER_ROW}", "")
    for column, label in zip("DEFGHI", ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"),
                             strict=True):
        _put(sheet, f"{column}{FUNDS_HEADER_ROW}", label, font=BOLD_FONT, align=CENTER)
    row = TOTAL_ROW
    _merge(sheet, f"B{row}:C{row}", "年度资金总额")
    _amounts(sheet, row, table.initial_budget, table.adjusted_budget, table.expenditure)
    if table.is_scored:
        _put(sheet, f"G{row}", table.execution_weight, number_format=SCORE_FORMAT)
        _put(sheet, f"I{row}", table.execution_score, number_format=SCORE_FORMAT)
    _put(sheet, f"H{row}", table.execution_rate, number_format=RATE_FORMAT)
    by_name = {fund.funding_source.name: fund for fund in funds}
    for offset, label in enumerate(FUND_ROWS, start=1):
        row = TOTAL_ROW + offset
        _merge(sheet, f"B{row}:C{row}", ("其中：" if offset == 1 else "") + label)
        fund = by_name.get(label)
        if fund is not None:
            _amounts(sheet, row, fund.initial_budget, fund.adjusted_budget, fund.expenditure)
            _put(sheet, f"H{row}", fund.execution_rate, number_format=RATE_FORMAT)


def _amounts(sheet, row, initial, adjusted, expenditure) -> None:
    for column, value in zip("DEF", (initial, adjusted, expenditure), strict=True):
        _put(sheet, f"{column}{row}", value, number_format=AMOUNT_FORMAT,
             align=RIGHT)


def _indicators(sheet, table, indicators) -> int:
    """The indicator rows, 一级/二级 merged down their runs; returns the last row used."""
    row = INDICATOR_HEADER_ROW
    _put(sheet, f"A{row}", "绩效指标", font=BOLD_FONT, align=CENTER)
    for column, label in zip("BCDEFGHIJKL", INDICATOR_HEADERS, strict=True):
        _put(sheet, f"{column}{row}", label, font=BOLD_FONT, align=CENTER)
    scored = {id(s.indicator): s for s in table.indicators}
    for row, indicator in enumerate(indicators, start=FIRST_INDICATOR_ROW):
        _indicator_row(sheet, row, indicator, scored.get(id(indicator)), table.is_scored)
    last = max(row, INDICATOR_HEADER_ROW)
    if last > INDICATOR_HEADER_ROW:
        sheet.merge_cells(f"A{INDICATOR_HEADER_ROW}:A{last}")
        _merge_runs(sheet, "B", indicators, [i.level1 for i in indicators])
        _merge_runs(sheet, "C", indicators, [(i.level1, i.level2) for i in indicators])
    return last


def _indicator_row(sheet, row, indicator, scored, is_scored) -> None:
    _put(sheet, f"B{row}", indicator.get_level1_display(), align=CENTER)
    _put(sheet, f"C{row}", indicator.get_level2_display(), align=CENTER)
    _put(sheet, f"D{row}", indicator.name)
    for column, value, text in (("E", indicator.target_value, indicator.target_text),
                                ("F", indicator.actual_value, indicator.actual_text)):
        _put(sheet, f"{column}{row}", text if text or value is None else value)
    if indicator.weight is not None:
        _put(sheet, f"G{row}", indicator.weight, number_format=SCORE_FORMAT)
    if not indicator.applicable:
        _put(sheet, f"H{row}", "不适用", align=CENTER)
    elif indicator.nature == Nature.QUALITATIVE and indicator.score is not None:
        _put(sheet, f"H{row}", indicator.score, number_format=SCORE_FORMAT)
    elif is_scored and scored is not None and scored.score is not None:
        _put(sheet, f"H{row}", scored.score, number_format=SCORE_FORMAT)
    _put(sheet, f"I{row}", indicator.deviation)
    _put(sheet, f"J{row}", indicator.get_nature_display(), align=CENTER)
    _put(sheet, f"K{row}", indicator.unit, align=CENTER)
    _put(sheet, f"L{row}", indicator.get_tier_display() if indicator.tier else "", align=CENTER)


def _merge_runs(sheet, column: str, indicators, keys) -> None:
    start = 0
    for index in range(1, len(keys) + 1):
        if index == len(keys) or keys[index] != keys[start]:
            if index - 1 > start:
                sheet.merge_cells(
                    f"{column}{FIRST_INDICATOR_ROW + start}:{column}{FIRST_INDICATOR_ROW + index - 1}"
                )
            start = index


def _total(sheet, table, row) -> None:
    if table.is_scored:
        _merge(sheet, f"A{row}:F{row}", "总分", font=BOLD_FONT, align=CENTER)
        _put(sheet, f"G{row}", Decimal("100"), number_format=SCORE_FORMAT)
        _put(sheet, f"H{row}", table.total, number_format=SCORE_FORMAT)
        _merge(sheet, f"I{row}:L{row}", f"等级：{grade_label(table.grade)}")
    else:
        _merge(sheet, f"A{row}:L{row}", gettext("本表只列示绩效目标，未设分值，不计算得分。"))
