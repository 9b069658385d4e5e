"""Files that are not a report in the outline: a clear message of what was and was not found,
and nothing written (issue 20, "Bad input")."""

import io
import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from openpyxl import Workbook

from evaluations.models import Department, FiscalYear, Report
from evaluations.past import ReportFileError, read_report

pytestmark = pytest.mark.django_db

NOVEL = ("第一章\n　　那是一个晴朗的早晨，他推开窗，看见远处的山。\n"
         "　　一、他想起了小时候的事情，那时候家里很穷。\n第二章\n　　雨下了一整夜。\n") * 50
OTHER_OUTLINE = """\
2022年度某项目支出绩效自评报告
一、项目概况
本项目用于道路维修。
二、项目资金使用情况
全年支出100万元。
三、绩效目标完成情况
完成道路维修10公里。
"""


def _docx_bytes() -> bytes:
    document = Document()
    document.add_paragraph("一、基本情况")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rezip(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = change(info.filename, source.read(info.filename))
            if content is not None:
                target.writestr(info.filename, content)
    return out.getvalue()


def _docm() -> bytes:
    def macro(name, content):
        if name == "[Content_Types].xml":
            return content.replace(b"document.main+xml", b"document.macroEnabled.main+xml")
        return content
    return _rezip(_docx_bytes(), macro)


def _zip_bomb() -> bytes:
    def bomb(name, content):
        if name == "word/document.xml":
            return content + b" " * (200 * 1024 * 1024)  # 200 MB of blanks: a few hundred KB zipped
        return content
    return _rezip(_docx_bytes(), bomb)


def _xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(["年度", "部门编码"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "message"), [
    (b"", "空"),
    (b"   \n\n  ", "空"),
    (NOVEL.encode("utf-8"), "找到的标题：无"),
    (OTHER_OUTLINE.encode("gb18030"), "其他标题：一、项目概况"),
    (bytes(range(256)) * 40, "二进制"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "二进制"),
    ("报告".encode("utf-16"), "UTF-8"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "另存为 .docx"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
], ids=["empty", "blank", "novel", "other-outline", "binary", "png", "utf16", "doc", "pdf"])
def test_not_a_report(data, message):
    with pytest.raises(ReportFileError, match=message):
        read_report(data)


def test_the_message_says_what_was_and_was_not_found():
    with pytest.raises(ReportFileError) as caught:
        read_report(OTHER_OUTLINE.encode("utf-8"))
    message = str(caught.value)
    assert "未导入任何数据" in message
    assert "找到的标题：无（共 0 部分，至少需要 3 部分）" in message
    assert "未找到：一、基本情况、二、一般公共预算支出情况" in message
    assert "其他标题：一、项目概况、二、项目资金使用情况、三、绩效目标完成情况" in message
    assert "报告标题：无" in message and "共读到 4 段文字" in message


@pytest.mark.parametrize(("make", "message"), [
    (_xlsx, "电子表格"),
    (_docm, "宏"),
    (_zip_bomb, "压缩炸弹"),
    (lambda: b"PK\x03\x04" + b"\x00" * 100, "损坏"),
    (lambda: _rezip(_docx_bytes(), lambda n, c: None if n == "word/document.xml" else c), "不是 Word"),
], ids=["xlsx", "docm", "zip-bomb", "broken-zip", "zip-not-docx"])
def test_zip_files_that_are_not_plain_word_documents(make, message):
    with pytest.raises(ReportFileError, match=message):
        read_report(make())


def test_a_zip_bomb_is_refused_before_it_is_decompressed(monkeypatch):
    bomb = _zip_bomb()
    assert len(bomb) < 2 * 1024 * 1024

    def never(*args, **kwargs):
        raise AssertionError("the document was opened")

    monkeypatch.setattr("docx.Document", never)
    with pytest.raises(ReportFileError, match="压缩炸弹"):
        read_report(bomb)


@pytest.mark.parametrize("content", [b"", NOVEL.encode(), _xlsx(), OTHER_OUTLINE.encode()])
def test_the_command_writes_nothing(tmp_path, content):
    path = tmp_path / "in.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError):
        call_command("import_report", str(path), "--department", "new", stdout=StringIO())
    assert not Report.objects.exists()
    assert not Department.objects.exists() and not FiscalYear.objects.exists()


def test_unknown_department_and_missing_year_are_named(tmp_path):
    path = tmp_path / "in.txt"
    from evaluations.sample import SAMPLE_TEXT

    path.write_bytes(SAMPLE_TEXT.read_bytes())
    with pytest.raises(CommandError, match="找不到对应的部门"):
        call_command("import_report", str(path), stdout=StringIO())
    assert not Department.objects.exists()
    Department.objects.create(code="x", name="某部门")
    path.write_bytes(SAMPLE_TEXT.read_bytes().split(b"\n", 1)[1])  # no title line
    with pytest.raises(CommandError, match="没有年度"):
        call_command("import_report", str(path), "--department", "x", stdout=StringIO())
    assert not Report.objects.exists() and not FiscalYear.objects.exists()


def test_the_message_is_translated():
    from django.utils import translation

    with translation.override("en"), pytest.raises(ReportFileError) as caught:
        read_report(NOVEL.encode("utf-8"))
    assert str(caught.value).startswith("Not a self-evaluation report in the ten-section outline")
    assert "VII. Problems and their causes" in str(caught.value)


def test_big5_is_named_not_read_as_gibberish():
    text = "2022年度示範單位整體支出績效自評報告\n一、基本情況\n本單位負責農業發展與鄉村振興工作。\n" * 3
    with pytest.raises(ReportFileError, match="Big5"):
        read_report(text.encode("big5"))
