"""report.docx read back with python-docx: the seed in full and in order, official typography."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn

from evaluations.documents.generate import build
from tests.documents.helpers import docx_blocks, docx_text
from tests.evaluations.public_helpers import assert_seed_in_order
from tests.evaluations.test_public_report import SECTION_HEADINGS

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample_docx(sample_report) -> bytes:
    return build(sample_report, ("docx",))["docx"]


def _east_asian(style) -> str:
    return style.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def test_every_paragraph_and_figure_of_the_seed_in_order(sample_docx):
    assert_seed_in_order(docx_text(sample_docx))


def test_sections_are_word_headings_and_the_title_is_a_title(sample_docx, sample_report):
    blocks = [b for b in docx_blocks(sample_docx) if hasattr(b, "style") and hasattr(b, "text")]
    level1 = [b.text for b in blocks if b.style.name == "Heading 1"]
    assert level1[:10] == SECTION_HEADINGS
    assert "（一）部门基本情况" in [b.text for b in blocks if b.style.name == "Heading 2"]
    assert blocks[0].style.name == "Title" and blocks[0].text == sample_report.display_title
    cover = blocks[1].text
    for label in ("发布机构", "版本"):
        assert label in cover
    # The seed states no 发布日期 or 索引号 and none is invented (issue 14.11).
    assert ("发布日期" in cover) == bool(sample_report.published_at)
    assert ("索引号" in cover) == bool(sample_report.index_number)


def test_the_cover_line_names_the_date_and_index_number_when_the_report_has_them(sample_report):
    import datetime

    from evaluations.models import Report

    Report.objects.filter(pk=sample_report.pk).update(
        published_at=datetime.datetime(2023, 5, 26, 8, tzinfo=datetime.UTC),
        index_number="431203/2023-00123",
    )
    docx = build(Report.objects.get(pk=sample_report.pk), ("docx",))["docx"]
    blocks = [b for b in docx_blocks(docx) if hasattr(b, "style") and hasattr(b, "text")]
    cover = blocks[1].text
    for label in ("发布机构", "发布日期", "索引号", "版本"):
        assert label in cover
    assert "2023" in cover and "431203/2023-00123" in cover


def test_official_typography(sample_docx):
    document = Document(io.BytesIO(sample_docx))
    styles = document.styles
    assert _east_asian(styles["Normal"]) == "仿宋_GB2312"
    assert _east_asian(styles["Title"]) == "方正小标宋简体"
    assert _east_asian(styles["Heading 1"]) == "黑体"
    assert _east_asian(styles["Heading 2"]) == "楷体_GB2312"
    indent = styles["Normal"].element.pPr.find(qn("w:ind"))
    assert indent.get(qn("w:firstLineChars")) == "200"
    section = document.sections[0]
    mm = [round(section.page_width.mm), round(section.page_height.mm), round(section.top_margin.mm),
          round(section.bottom_margin.mm), round(section.left_margin.mm), round(section.right_margin.mm)]
    assert mm == [210, 297, 37, 35, 28, 26]  # A4, GB/T 9704 margins
    tables = document.tables
    assert tables and all(t.style.name == "Table Grid" for t in tables)
    # The text's language is Chinese (proofing, screen readers), not the template's en-US.
    lang = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert (lang.get(qn("w:val")), lang.get(qn("w:eastAsia"))) == ("zh-CN", "zh-CN")
    assert document.core_properties.language == "zh-CN"
    assert b"en-US" not in zipfile.ZipFile(io.BytesIO(sample_docx)).read("word/styles.xml")


def test_no_theme_face_overrides_the_named_ones(sample_docx):
    """Word prefers a theme font to the name beside it: the title and headings carried
    python-docx's template's theme faces, whose East Asian one is Japanese (ja-JP)."""
    package = zipfile.ZipFile(io.BytesIO(sample_docx))
    styles = package.read("word/styles.xml").decode()
    for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        assert f"w:{attribute}=" not in styles, attribute
    settings = package.read("word/settings.xml").decode()
    assert "ja-JP" not in settings and 'w:eastAsia="zh-CN"' in settings


def test_footer_numbers_pages_and_only_drafts_say_draft(sample_docx, sample_report):
    footer = Document(io.BytesIO(sample_docx)).sections[0].footer
    xml = footer._element.xml
    assert "PAGE" in xml and "fldChar" in xml
    assert footer.paragraphs[0].text.startswith("— ") and footer.paragraphs[0].text.endswith(" —")
    assert "草稿" not in xml

    sample_report.status = "draft"
    sample_report.save(update_fields=["status"])
    draft = Document(io.BytesIO(build(sample_report, ("docx",))["docx"])).sections[0]
    assert "草稿" in draft.header.paragraphs[0].text
    assert "草稿" in draft.footer.paragraphs[0].text


def test_tables_keep_their_hierarchy(sample_docx):
    """项目支出 and 基本支出 sit under 财政拨款支出, 人员经费 under 基本支出, as on the page and
    in the PDF; only the header row is bold (every row heading was, as peers)."""
    document = Document(io.BytesIO(sample_docx))
    cells = {}
    for table in document.tables:
        for row in table.rows:
            first = row.cells[0].paragraphs[0]
            cells.setdefault(first.text, first)
    indents = {name: cells[name].paragraph_format.left_indent for name in ("项目支出", "基本支出", "人员经费")}
    assert indents["项目支出"] == indents["基本支出"] > 0
    assert indents["人员经费"] > indents["基本支出"]
    assert all(not run.bold for run in cells["人员经费"].runs)
    header = document.tables[0].rows[0].cells[0].paragraphs[0]
    assert header.runs and all(run.bold for run in header.runs)
