"""A published report's file (.txt in UTF-8 or GB18030, .docx) → its paragraphs, sorted into the
ten sections of the outline by their headings (docs/design.md, "Past reports into data").

Headings are found by their words, not their numbers, so 一、/一./（一）/(一）/(2)/（２） and
sections in another order or missing all read; a heading run into its paragraph
("四、国有资本经营预算支出情况 无。") is split from it. Nothing here interprets a figure.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from evaluations.imports import encodings

# Word-processor leftovers that are not content (the seed's "[bookmark: _GoBack]").
LEFTOVER_RE = re.compile(r"\[(?:bookmark|anchor|comment)\s*:[^\]]*\]", re.IGNORECASE)
ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\ufeff]")

CN_NUM = "一二三四五六七八九十"
TOP_NUMBER_RE = re.compile(rf"^(?:第)?[{CN_NUM}]{{1,3}}(?:部分)?\s*[、.．,，:：]\s*")
SUB_NUMBER_RE = re.compile(rf"^[（(]\s*(?:[{CN_NUM}]{{1,3}}|[0-9０-９]{{1,2}})\s*[)）]\s*[、.．]?\s*")

# The ten sections: key, the words of its heading (after the numbering).
BUDGET = r"(?:财政拨款)?(?:收支|支出|收入)?(?:情况)?"
SECTIONS: list[tuple[str, str]] = [
    ("basic", r"(?:部门|单位)?(?:[（(]单位[)）])?(?:基本情况|概况)"),
    ("general", r"一般公共预算" + BUDGET),
    ("fund", r"政府性基金预算" + BUDGET),
    ("state_capital", r"国有资本经营预算" + BUDGET),
    ("social_insurance", r"社会保险基金预算" + BUDGET),
    ("performance", r"(?:部门|单位)?(?:整体)?(?:资金使用(?:及|和|与)?(?:绩效)?情况|(?:支出)?绩效(?:情况|分析))"),
    ("problems", r"(?:存在的?)?(?:主要)?问题(?:及|和|与)?(?:原因分析|原因)?"),
    ("improvements", r"(?:下一步)?(?:的)?改进(?:措施|意见|方向)(?:和建议)?"),
    ("result_application", r"(?:绩效)?自评结果(?:拟)?(?:的)?应用(?:和|及|与)?(?:公开)?(?:情况)?"),
    ("other_matters", r"其他需要说明的(?:情况|问题|事项)"),
]
SECTION_RES = [(key, re.compile(pattern)) for key, pattern in SECTIONS]
SECTION_KEYS = [key for key, _pattern in SECTIONS]

# Parts inside a section, tried in order; budgets share theirs.
_BUDGET_PARTS = [
    ("projects", re.compile(r"项目支出(?:情况)?")),
    ("spending", re.compile(r"(?:基本支出|收支|收入|支出)(?:情况)?")),
]
PARTS: dict[str, list[tuple[str, re.Pattern]]] = {
    "basic": [
        ("goals", re.compile(r"[^。：:]{0,40}?绩效目标")),
        ("profile", re.compile(r"(?:部门|单位)?(?:[（(]单位[)）])?(?:基本情况|概况)")),
    ],
    "performance": [
        ("overall", re.compile(r"(?:部门|单位)?(?:[（(]单位[)）])?整体(?:支出)?(?:绩效)?(?:情况)?")),
        ("special", re.compile(r"(?:专项资金|项目)(?:支出)?(?:使用)?(?:绩效)?(?:情况)?")),
    ],
    **{key: _BUDGET_PARTS for key in ("general", "fund", "state_capital", "social_insurance")},
}
HEADING_TAIL_RE = re.compile(r"^[\s：:。．.，,、]+")
# "2022年度<department>整体支出绩效自评报告", or the department first ("<department>2022年度…").
TITLE_RE = re.compile(
    r"^\s*(?P<before>[^0-9０-９]*?)\s*(?P<year>[0-9０-９]{4})\s*年度?\s*(?P<after>.*?)"
    r"(?:部门|单位)?整体支出绩效自评(?:价)?报告\s*$"
)
MIN_SECTIONS = 3  # fewer of the ten found: not a report in this outline


class ReportFileError(ValueError):
    """The file is not a report this reader can take; the message says what was (not) found."""


@dataclass
class Paragraph:
    """One paragraph as written (leftovers removed), with where the outline puts it."""

    text: str
    section: str | None  # a key of SECTIONS, None before the first heading or under an unknown one
    part: str | None = None
    index: int = 0


@dataclass
class Heading:
    section: str | None
    part: str | None
    text: str  # as written, numbering included


@dataclass
class Outline:
    """A report's paragraphs in file order, its title, and its headings."""

    title: str = ""
    paragraphs: list[Paragraph] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)

    @property
    def found(self) -> list[str]:
        seen = {h.section for h in self.headings if h.section and h.part is None}
        return [key for key in SECTION_KEYS if key in seen]

    @property
    def missing(self) -> list[str]:
        return [key for key in SECTION_KEYS if key not in self.found]

    def has_part(self, section: str, part: str) -> bool:
        return any(h.section == section and h.part == part for h in self.headings)

    def in_section(self, section: str, part: str | None = None, *, any_part=False) -> list[Paragraph]:
        return [p for p in self.paragraphs
                if p.section == section and (any_part or p.part == part)]


# --- Bytes → lines ------------------------------------------------------------------------------


def file_lines(data: bytes, filename: str = "") -> list[str]:
    """The paragraphs of a .txt or .docx file, as written; ReportFileError for anything else."""
    if len(data) > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise ReportFileError(_("文件超过 %(limit)s MB 的上限，未读取。")
                              % {"limit": settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)})
    if not data.strip():
        raise ReportFileError(_("文件是空的：没有找到任何内容。"))
    if data[:4] == b"PK\x03\x04":
        return docx_lines(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE: Word 97–2003 .doc, old .xls
        raise ReportFileError(_("文件是旧版 Office 格式（.doc/.xls），不能读取；请在 Word 中另存为 .docx。"))
    if data[:5] == b"%PDF-":
        raise ReportFileError(_("文件是 PDF，不能读取；请上传 .docx 或 .txt 版本。"))
    return text_lines(data)


def text_lines(data: bytes) -> list[str]:
    if b"\x00" in data[:65536] or _control_share(data[:65536]) > 0.01:
        raise ReportFileError(_("文件不是文本（像是二进制文件）：只能读取 .txt（UTF-8 或 GB18030）和 .docx。"))
    try:  # the one reading of UTF-8 / GB18030 the data import uses (mojibake, Big5, cut files)
        return encodings.decode(data).splitlines()
    except ValueError as exc:
        raise ReportFileError(str(exc)) from exc


def _control_share(data: bytes) -> float:
    controls = sum(1 for b in data if b < 32 and b not in (9, 10, 13, 12))
    return controls / max(len(data), 1)


MACRO_TYPES = ("macroEnabled", "vbaProject")
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def docx_lines(data: bytes) -> list[str]:
    """A Word file's paragraphs and table rows in document order, after checking the zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        types = archive.read("[Content_Types].xml").decode("utf-8", "replace") \
            if "[Content_Types].xml" in names else ""
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ReportFileError(_("文件是损坏的压缩包，不能作为 Word 文档读取。")) from exc
    if "xl/workbook.xml" in names or "spreadsheetml" in types:
        raise ReportFileError(_("文件是电子表格，不是自评报告：请上传 .txt 或 .docx 报告；"
                                "自评表请用“导入数据”。"))
    if any(marker in types for marker in MACRO_TYPES) or any(
            n.lower().endswith("vbaproject.bin") for n in names):
        raise ReportFileError(_("文件含有宏（.docm），出于安全考虑不读取；请另存为不含宏的 .docx。"))
    if DOCX_MAIN not in types or "word/document.xml" not in names:
        raise ReportFileError(_("压缩包不是 Word 文档（.docx），未读取。"))
    _check_sizes(archive)
    import docx  # python-docx, only when a Word file comes

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on a broken part
        raise ReportFileError(_("Word 文档无法读取：%(error)s") % {"error": exc}) from exc
    return list(_docx_blocks(document))


def _check_sizes(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb before anything is decompressed: declared sizes and ratios."""
    limit = settings.IMPORT_MAX_UPLOAD_BYTES * 5
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > limit or (info.file_size > 1_000_000 and ratio > 200):
            raise ReportFileError(_("Word 文档解压后过大（疑似压缩炸弹），未读取。"))


def _docx_blocks(document):
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    for block in document.iter_inner_content():
        if isinstance(block, DocxParagraph):
            yield block.text
        elif isinstance(block, Table):
            yield from _table_lines(block)


UNIT_IN_HEADER_RE = re.compile(r"[（(](万元|元|亿元)[)）]")
BARE_NUMBER_RE = re.compile(r"^[0-9０-９][0-9０-９,，]*(?:[.．][0-9０-９]+)?$")


def _table_lines(table) -> list[str]:
    """A table's rows as lines: cells joined by spaces, a leading row number as "N.", and bare
    amounts given the unit the header names (金额（万元）), so they read as sentences do."""
    lines, unit = [], ""
    for row in table.rows:
        cells = []
        for cell in row.cells:
            text = cell.text.strip()
            if text and (not cells or cells[-1] != text):  # merged cells repeat
                cells.append(text)
        if not cells:
            continue
        header_unit = next((m.group(1) for c in cells if (m := UNIT_IN_HEADER_RE.search(c))), "")
        if header_unit and not any(BARE_NUMBER_RE.match(c) for c in cells):
            unit = header_unit
            continue
        if unit:
            cells = [f"{c}{unit}" if BARE_NUMBER_RE.match(c) and i else c for i, c in enumerate(cells)]
        if len(cells) > 1 and cells[0].isdigit():
            lines.append(f"{cells[0]}.{''.join(cells[1:2])}{' '.join([''] + cells[2:])}")
        else:
            lines.append(" ".join(cells))
    return lines


# --- Lines → outline ----------------------------------------------------------------------------


def clean(line: str) -> str:
    return ZERO_WIDTH_RE.sub("", LEFTOVER_RE.sub("", line)).replace("\u3000", " ").strip()


def match_section(text: str) -> tuple[str | None, str, str] | None:
    """(section key or None for an unknown numbered heading, heading as written, the rest)."""
    numbered = TOP_NUMBER_RE.match(text)
    rest = text[numbered.end():] if numbered else text
    for key, pattern in SECTION_RES:
        m = pattern.match(rest)
        if not m or not m.group(0):
            continue
        tail = rest[m.end():]
        if numbered or not HEADING_TAIL_RE.sub("", tail):  # an unnumbered heading stands alone
            cut = len(text) - len(tail)
            return key, text[:cut].strip(), HEADING_TAIL_RE.sub("", tail)
    if numbered and len(text) <= 30 and not re.search(r"[。，,；]", text):
        return None, text, ""
    return None


def match_part(section: str | None, text: str) -> tuple[str, str, str] | None:
    numbered = SUB_NUMBER_RE.match(text)
    if not numbered or section not in PARTS:
        return None
    rest = text[numbered.end():]
    for key, pattern in PARTS[section]:
        m = pattern.match(rest)
        if not m:
            continue
        end = m.end()
        if key == "goals":  # a long heading: up to the first full stop or colon, or all of it
            stop = re.search(r"[。：:]", rest[end:])
            end = end + stop.start() if stop else len(rest)
        tail = rest[end:]
        heading = text[: len(text) - len(tail)].strip()
        return key, heading, HEADING_TAIL_RE.sub("", tail)
    return None


def read_outline(lines: list[str]) -> Outline:
    outline = Outline()
    section: str | None = None
    part: str | None = None
    started = False
    for raw in lines:
        text = clean(raw)
        if not text:
            continue
        if not started and not outline.title and TITLE_RE.match(text):
            outline.title = text
            continue
        top = match_section(text)
        if top is not None:
            section, part, started = top[0], None, True
            outline.headings.append(Heading(section, None, top[1]))
            text = top[2]
        else:
            sub = match_part(section, text)
            if sub is not None:
                part = sub[0]
                outline.headings.append(Heading(section, part, sub[1]))
                text = sub[2]
        if text:
            outline.paragraphs.append(Paragraph(text, section, part, len(outline.paragraphs)))
    return outline


def read_file(data: bytes, filename: str = "") -> Outline:
    """The outline of a report file; ReportFileError when it is not one, saying what was found."""
    outline = read_outline(file_lines(data, filename))
    found = outline.found
    if len(found) < MIN_SECTIONS:
        raise ReportFileError(not_a_report_message(outline))
    return outline


def section_label(key: str) -> str:
    from evaluations.past.labels import SECTION_LABELS

    return str(SECTION_LABELS[key])


def not_a_report_message(outline: Outline) -> str:
    found = outline.found
    values = {
        "found": "、".join(section_label(k) for k in found) or _("无"),
        "missing": "、".join(section_label(k) for k in outline.missing),
        "count": len(found),
        "paragraphs": len(outline.paragraphs),
        "title": outline.title or _("无"),
        "others": "、".join(h.text for h in outline.headings if h.section is None)[:300] or _("无"),
    }
    return _(
        "不是按十部分提纲写的整体支出绩效自评报告，未导入任何数据。找到的标题：%(found)s（共 "
        "%(count)s 部分，至少需要 3 部分）；未找到：%(missing)s；其他标题：%(others)s。报告标题：%(title)s；"
        "共读到 %(paragraphs)s 段文字。"
    ) % values
