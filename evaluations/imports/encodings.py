"""Which encoding a CSV file is in: UTF-8 (with or without BOM), else GB18030 as Excel saves it.

A file is checked whole before it is read, and refused rather than stored garbled: GB18030
that reads as Big5 or mojibake, an explicit encoding that produces replacement characters,
or a single-byte encoding forced on a file that is UTF-8 (issue 15.15).
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

from django.utils.translation import gettext as _

from evaluations.imports.results import ReadError

CHUNK = 1 << 16  # bytes decoded at a time: small, so memory does not grow with the file
# Share of non-ASCII characters outside GB2312 (the 6,763 everyday characters and the usual
# punctuation) above which "GB18030" text is taken for another encoding read wrongly. Real
# documents stay far below it; Big5 read as GBK lands around half.
RARE_SHARE = 0.2
SAMPLE_CHARS = 20_000
# Below this many non-ASCII characters (a file with English headers and a row or two) two rare
# characters in a name ("董家塅镕钢项目") were a third of the sample: there, the text is taken
# for misread Big5 only when the same bytes read as Big5 give its everyday characters (level 1,
# 0xA440–0xC67E), as a Big5 file does and a GBK one almost never (董家塅… is not Big5 at all).
SMALL_SAMPLE = 50
BIG5_COMMON = (0xA440, 0xC67E)
BIG5_COMMON_SHARE = 0.9
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _error(message: str, **values) -> ValueError:
    return ReadError(message % values)


def _validate(source: BinaryIO, codec: str, *, refuse_replacement: bool = True) -> str:
    """Decode the file in chunks (never whole) and return a sample of its non-ASCII text.

    A replacement character (U+FFFD) is refused when ``refuse_replacement``: from a named
    encoding or the GB18030 guess it means bytes that were lost. UTF-8 found by detection
    decodes strictly, so one there is a "�" the file really holds.

    Raises UnicodeDecodeError with positions from the start of the file, and the line
    it happened on in ``.line``.
    """
    decoder = codecs.getincrementaldecoder(codec)()
    sample: list[str] = []
    sampled = lines = 0
    ascii_so_far = True
    source.seek(0)
    while True:
        piece = source.read(CHUNK)
        try:
            text = decoder.decode(piece, final=not piece)
        except UnicodeDecodeError as exc:
            before = piece[:exc.start]
            error = UnicodeDecodeError(
                exc.encoding, piece, exc.start, exc.end, exc.reason
            )
            error.line = lines + before.count(b"\n") + 1
            error.ascii_before = ascii_so_far and before.isascii()
            raise error from None
        if refuse_replacement and "\ufffd" in text:
            raise _error(_("按 %(encoding)s 读取时出现无法识别的字符（�），请确认文件的编码。"),
                         encoding=codec)
        if not text.isascii():
            ascii_so_far = False
            if sampled < SAMPLE_CHARS:
                rare = "".join(c for c in text if not c.isascii())[:SAMPLE_CHARS - sampled]
                sample.append(rare)
                sampled += len(rare)
        if not piece:
            return "".join(sample)
        lines += piece.count(b"\n")


def _truncated(exc: UnicodeDecodeError, *, declared: bool) -> None:
    """A UTF-8 file cut inside its last character (an interrupted save or upload).

    Without this it was read as GB18030 and every header came out garbled. A file counts as
    UTF-8 when it says so (BOM) or its text so far holds Chinese that decoded as UTF-8.
    """
    if exc.reason == "unexpected end of data" and (declared or not exc.ascii_before):
        raise _error(
            _("第 %(row)s 行：文件在此行中途结束（最后一个字符不完整），可能没有保存或上传完整。"),
            row=exc.line,
        )


def _non_ascii_utf8(source: BinaryIO) -> bool:
    """Whether the file is UTF-8 with some Chinese (or other non-ASCII) text in it."""
    try:
        return bool(_validate(source, "utf-8", refuse_replacement=False))
    except (UnicodeDecodeError, ValueError):
        return False


def _looks_misread(sample: str) -> bool:
    """Too many characters outside GB2312 for text a department wrote in Chinese."""
    if not sample:
        return False
    rare = 0
    for char in sample:
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            rare += 1
    return rare > RARE_SHARE * len(sample)


def _reads_as_common_big5(source: BinaryIO) -> bool:
    """Whether the file reads as Big5 whose non-ASCII characters are nearly all everyday ones."""
    try:
        text = _validate(source, "big5")
    except (UnicodeDecodeError, ValueError):
        return False
    if not text:
        return False
    common = sum(BIG5_COMMON[0] <= int.from_bytes(c.encode("big5"), "big") <= BIG5_COMMON[1] for c in text)
    return common >= BIG5_COMMON_SHARE * len(text)


def _explicit(source: BinaryIO, encoding: str) -> str:
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise _error(_("未知的编码“%(encoding)s”。"), encoding=encoding) from None
    if codec == "utf-8":
        codec = "utf-8-sig"
    elif _non_ascii_utf8(source):
        raise _error(
            _("文件是 UTF-8 编码，按 %(encoding)s 读取会成为乱码；请去掉 --encoding 或改用 utf-8。"),
            encoding=encoding,
        )
    try:
        _validate(source, codec)
    except UnicodeDecodeError:
        raise _error(_("无法按 %(encoding)s 编码读取文件。"), encoding=encoding) from None
    return codec


def decode_check(source: BinaryIO, encoding: str | None = None) -> str:
    """The codec to read the file with, after checking the whole of it decodes cleanly in it."""
    if encoding:
        return _explicit(source, encoding)
    source.seek(0)
    start = source.read(len(codecs.BOM_UTF8))
    if start.startswith(UTF16_BOMS):
        raise _error(_("文件是 UTF-16 编码（Excel 的“Unicode 文本”）：请在 Excel 中另存为"
                       "“CSV UTF-8（逗号分隔）”后再导入。"))
    declared = start == codecs.BOM_UTF8
    try:
        _validate(source, "utf-8-sig", refuse_replacement=False)
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        _truncated(exc, declared=declared)
        if declared:
            raise _error(_("第 %(row)s 行：文件声明为 UTF-8，此行却不是 UTF-8（混入了其他编码的文字？）；"
                           "请另存为 UTF-8 后再导入。"), row=exc.line) from None
        first_bad = exc.line
    try:
        sample = _validate(source, "gb18030")
    except UnicodeDecodeError:
        raise _error(_("第 %(row)s 行起既不是 UTF-8 也不是 GB18030 编码（文件混用了不同编码？）；"
                       "请在表格软件中另存为“CSV UTF-8”后再导入。"), row=first_bad) from None
    if _looks_misread(sample) and (len(sample) >= SMALL_SAMPLE or _reads_as_common_big5(source)):
        try:
            _validate(source, "big5")
            hint = "big5"
        except (UnicodeDecodeError, ValueError):
            hint = ""
        if hint:
            raise _error(_("文件看起来是繁体中文 Big5 编码，按 GB18030 读取会成为乱码；"
                           "请用 --encoding big5 导入，或另存为 UTF-8。"))
        raise _error(_("文件按 GB18030 读取后多为生僻字，像是乱码；请确认文件编码，或另存为“CSV UTF-8”"
                       "（命令行导入可用 --encoding 指定编码）。"))
    return "gb18030"


def decode(data: bytes, encoding: str | None = None) -> str:
    """Text of a whole CSV file, checked as :func:`decode_check` does."""
    return data.decode(decode_check(io.BytesIO(data), encoding))
