"""report.docx: the report page's article as a Word document in official typography.

GB/T 9704 style (docs/design.md, "Official documents"): A4 with margins of 37/35/28/26 mm,
the title in 方正小标宋简体, body in 仿宋_GB2312 三号 with a first-line indent of two
characters, 一级 headings in 黑体 and 二级 in 楷体_GB2312 (Word's Heading 1 and 2, so the
navigation pane lists them), tables with borders, and "— N —" page numbers in the footer.
Word substitutes an installed face when a named one is missing.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from lxml import etree, html

from evaluations.documents.content import Article

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
LEVEL_FONTS = {1: "黑体", 2: "楷体_GB2312", 3: BODY_FONT}
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(16)  # 三号
TABLE_SIZE = Pt(10.5)  # 五号
TABLE_STYLE, TABLE_STYLE_ID = "Table Text", "TableText"
INLINE = {"strong", "b", "em", "i", "span", "a", "time", "abbr", "small", "sup", "sub", "br"}


def build_docx(article: Article) -> bytes:
    document = Document()
    _page_setup(document)
    _styles(document)
    _header_and_footer(document, draft=article.draft)
    _title(document, article)
    for child in article.element:
        _block(document, child)
    out = io.BytesIO()
    document.core_properties.title = article.title
    document.core_properties.author = article.report.display_publisher
    document.save(out)
    return out.getvalue()


# --- Page, styles, header and footer ---------------------------------------------------


def _page_setup(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)


def _fonts(style_or_run, east_asian: str, size: Pt | None = None, bold: bool | None = None):
    font = style_or_run.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    _named(fonts, east_asian)


# Theme fonts, which Word prefers to the names beside them: python-docx's template gives its
# headings the theme's, and its theme's East Asian face is Japanese (ＭＳ ゴシック).
THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _no_theme(fonts) -> None:
    """A w:rFonts without the theme faces that would win over the faces it names."""
    for attribute in THEME_ATTRIBUTES:
        fonts.attrib.pop(qn(attribute), None)


def _named(fonts, east_asian: str) -> None:
    """A run properties' w:rFonts naming the faces, and no theme face that would win over them."""
    _no_theme(fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _language(document) -> None:
    """Simplified Chinese as the text's language (proofing, screen readers, line breaking):
    python-docx's template says en-US in its defaults."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    document.core_properties.language = "zh-CN"
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is not None:
        _named(fonts, BODY_FONT)
    for fonts in document.styles.element.iter(qn("w:rFonts")):  # the template's other styles
        _no_theme(fonts)
    theme_lang = document.settings.element.find(qn("w:themeFontLang"))
    if theme_lang is not None:  # the template's ja-JP: theme faces, if any, in Chinese
        theme_lang.set(qn("w:eastAsia"), "zh-CN")


def _styles(document) -> None:
    _language(document)
    styles = document.styles
    normal = styles["Normal"]
    _fonts(normal, BODY_FONT, BODY_SIZE)
    fmt = normal.paragraph_format
    fmt.line_spacing = Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    _first_line_chars(normal.element.get_or_add_pPr(), 2, BODY_SIZE)
    for level in (1, 2, 3):
        style = styles[f"Heading {level}"]
        _fonts(style, LEVEL_FONTS[level], BODY_SIZE, bold=level == 3)
        style.font.color.rgb = None
        style.font.italic = False
        style.paragraph_format.line_spacing = Pt(28)
        style.paragraph_format.space_before = style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.keep_with_next = True
        _first_line_chars(style.element.get_or_add_pPr(), 2, BODY_SIZE)
    table_text = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    table_text.element.set(qn("w:styleId"), TABLE_STYLE_ID)
    table_text.base_style = normal
    _fonts(table_text, BODY_FONT, TABLE_SIZE)
    table_text.paragraph_format.line_spacing = 1.0
    _first_line_chars(table_text.element.get_or_add_pPr(), 0, TABLE_SIZE)
    title = styles["Title"]
    _fonts(title, TITLE_FONT, Pt(22))
    title.font.color.rgb = None
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(16)
    _no_border(title.element.get_or_add_pPr())


def _first_line_chars(ppr, chars: int, size: Pt) -> None:
    """A first-line indent of ``chars`` characters (w:firstLineChars, in hundredths)."""
    ind = ppr.find(qn("w:ind"))
    if ind is None:
        ind = OxmlElement("w:ind")
        ppr.append(ind)
    ind.set(qn("w:firstLineChars"), str(chars * 100))
    ind.set(qn("w:firstLine"), str(int(size.pt * chars * 20)))


def _no_indent(paragraph) -> None:
    ind = paragraph._p.get_or_add_pPr().find(qn("w:ind"))
    if ind is None:
        ind = OxmlElement("w:ind")
        paragraph._p.get_or_add_pPr().append(ind)
    ind.set(qn("w:firstLineChars"), "0")
    ind.set(qn("w:firstLine"), "0")


def _no_border(ppr) -> None:
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)


def _page_field(paragraph) -> None:
    """A PAGE field: Word fills in the page's number."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == "1":
            element = OxmlElement("w:t")
            element.text = text
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _fonts(run, "宋体", Pt(14))


def _header_and_footer(document, *, draft: bool) -> None:
    section = document.sections[0]
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _no_indent(footer)
    if draft:
        _fonts(footer.add_run(gettext("草稿") + "　"), "黑体", Pt(14))
    _fonts(footer.add_run("— "), "宋体", Pt(14))
    _page_field(footer)
    _fonts(footer.add_run(" —"), "宋体", Pt(14))
    if draft:
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _no_indent(header)
        _fonts(header.add_run(gettext("草稿 · 未公开")), "黑体", Pt(14), bold=True)


def _title(document, article: Article) -> None:
    title = document.add_paragraph(article.title, style="Title")
    _no_indent(title)
    line = document.add_paragraph()
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _no_indent(line)
    text = "　".join(f"{label}：{value}" for label, value in article.meta)
    _fonts(line.add_run(text), BODY_FONT, Pt(12))


# --- The article's blocks ----------------------------------------------------------------


def _block(document, element: html.HtmlElement) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in ("h1", "h2", "h3", "h4"):
        level = {"h1": 1, "h2": 1, "h3": 2, "h4": 3}[tag]
        _style(document.add_paragraph(_text(element)), document, f"Heading {level}")
    elif tag == "p":
        _paragraph(document, element)
    elif tag == "table":
        _table(document, element)
    elif tag in ("ul", "ol"):
        for item in element.xpath("./li"):
            _paragraph(document, item)
    elif tag == "dl":
        for dt in element.xpath(".//dt"):
            dd = dt.getnext()
            document.add_paragraph(f"{_text(dt)}：{_text(dd) if dd is not None else ''}")
    elif tag in INLINE:
        if _text(element):
            document.add_paragraph(_text(element))
    else:  # section, div, article and the like: their children in order
        if element.text and element.text.strip():
            document.add_paragraph(element.text.strip())
        for child in element:
            _block(document, child)
            if child.tail and child.tail.strip():
                document.add_paragraph(child.tail.strip())


def _style(paragraph_or_table, document, name: str) -> None:
    """Apply the style ``name`` by its id. python-docx's ``.style =`` compares the style
    with the default one by scanning every style of the document at each call: half the
    Word file's time."""
    style_id = document.styles[name].style_id
    if hasattr(paragraph_or_table, "_tbl"):
        paragraph_or_table._tbl.tblStyle_val = style_id
    else:
        paragraph_or_table._p.style = style_id


def _text(element) -> str:
    return " ".join(element.text_content().split()) if element is not None else ""


def _paragraph(document, element) -> None:
    """A paragraph with its bold runs (a narrative's headline) kept bold."""
    paragraph = document.add_paragraph()
    for text, bold in _runs(element):
        if text:
            run = paragraph.add_run(text)
            if bold:
                run.bold = True


def _runs(element, bold: bool = False):
    if element.text:
        yield element.text, bold
    for child in element:
        if isinstance(child.tag, str):
            yield from _runs(child, bold or child.tag in ("strong", "b"))
        if child.tail:
            yield child.tail, bold


def _table(document, element) -> None:
    caption = element.xpath("./caption")
    if caption and _text(caption[0]):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _no_indent(paragraph)
        _fonts(paragraph.add_run(_text(caption[0])), "黑体", Pt(12))
    rows = element.xpath("./thead/tr | ./tbody/tr | ./tfoot/tr | ./tr")
    if not rows:
        return
    width = max(sum(int(c.get("colspan", "1")) for c in r.xpath("./th | ./td")) for r in rows)
    table = document.add_table(rows=0, cols=width)
    _style(table, document, "Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    column_width = str(int(table._tbl.tblGrid.gridCol_lst[0].w or 0))
    header_rows = len(element.xpath("./thead/tr"))
    for index, row in enumerate(rows):
        # Rows written as XML: python-docx's add_row() and cell setters cost milliseconds a
        # cell, minutes for a report of 2,000 indicators.
        tr = etree.SubElement(table._tbl, W + "tr")
        if index < header_rows:
            etree.SubElement(etree.SubElement(tr, W + "trPr"), W + "tblHeader").set(W + "val", "true")
        for cell in row.xpath("./th | ./td"):
            span = int(cell.get("colspan", "1"))
            tc = etree.SubElement(tr, W + "tc")
            properties = etree.SubElement(tc, W + "tcPr")
            size = etree.SubElement(properties, W + "tcW")
            size.set(W + "w", str(int(column_width) * span))
            size.set(W + "type", "dxa")
            if span > 1:
                etree.SubElement(properties, W + "gridSpan").set(W + "val", str(span))
            _cell(tc, cell, header=index < header_rows or cell.tag == "th")


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# A row heading's indent by its class, as the print stylesheet's (report.css: 1.5em, 3em of
# 10.5pt), in twentieths of a point: 项目支出 under 财政拨款支出, 人员经费 under 基本支出.
INDENTS = {"indent": 315, "indent2": 630}


def _cell(target, cell, *, header: bool) -> None:
    """The cell's one paragraph, in the table style, bold where the print stylesheet makes it
    bold (the header and footer rows and a total's heading), indented as its class says."""
    classes = (cell.get("class") or "").split()
    row = cell.getparent()
    section = row.getparent().tag
    align = "right" if "num" in classes else "left"
    if header and section == "thead":
        align = "center"
    bold = section in ("thead", "tfoot") or (header and "total" in (row.get("class") or "").split())
    p = etree.SubElement(target, W + "p")
    ppr = etree.SubElement(p, W + "pPr")
    etree.SubElement(ppr, W + "pStyle").set(W + "val", TABLE_STYLE_ID)
    indent = next((INDENTS[c] for c in classes if c in INDENTS), 0)
    if indent:
        etree.SubElement(ppr, W + "ind").set(W + "left", str(indent))
    etree.SubElement(ppr, W + "jc").set(W + "val", align)
    run = etree.SubElement(p, W + "r")
    if bold:
        etree.SubElement(etree.SubElement(run, W + "rPr"), W + "b")
    text = etree.SubElement(run, W + "t")
    text.text = _text(cell)
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
