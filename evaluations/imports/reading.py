"""Files in: CSV or XLSX bytes read as text cells, row by row, within the configured limits.

The limits (``ReadLimits``) are checked before parsing where the file tells them (an XLSX's
zip sizes and sheet dimension, a CSV's line count) and again while reading, so the command
line and the admin refuse an oversized file alike, fast, and without holding it as rows.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from evaluations.imports.encodings import decode_check
from evaluations.imports.results import ReadError, RowError

logger = logging.getLogger(__name__)

__all__ = ["ReadError", "ReadLimits", "Table", "read_table", "rows_to_table"]

FORMULA_START = re.compile(rb"<(?:\w+:)?f[\s/>]")
# A sheet row holding cells: a <row> start tag, not self-closed, then a <c>. Counted in the
# sheet's bytes before parsing: its <dimension> may be missing (write-only writers) or wrong.
ROW_WITH_CELLS = re.compile(rb"<(?:\w+:)?row\b[^<>]{0,4096}(?<!/)>\s*<(?:\w+:)?c[\s/>]")
ROW_SCAN_OVERLAP = 8192  # longer than any match, so one cut across two chunks is seen whole
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
FORMULA_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class ReadLimits:
    """What one import file may hold; settings IMPORT_MAX_* (README, "Configuration")."""

    rows: int
    columns: int
    cell_chars: int
    xlsx_bytes: int  # the workbook's files, uncompressed

    @classmethod
    def from_settings(cls) -> ReadLimits:
        """The limits as configured: config/settings.py is the one place they are written."""
        return cls(
            rows=settings.IMPORT_MAX_ROWS,
            columns=settings.IMPORT_MAX_COLUMNS,
            cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            xlsx_bytes=settings.IMPORT_MAX_XLSX_BYTES,
        )


def too_many_rows(limits: ReadLimits) -> ReadError:
    return ReadError(
        _("文件超过 %(limit)s 行数据，请分成几个文件导入。") % {"limit": f"{limits.rows:,}"}
    )


@dataclass
class Table:
    """A file read as text cells: the header row and the data rows with their numbers."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]


Source = bytes | BinaryIO  # the file's bytes, or the file opened for reading (seekable)


def as_stream(source: Source) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source


def unreadable(cause) -> ReadError:
    """The one refusal of a workbook that cannot be read: openpyxl's and zipfile's own words
    ("File is not a zip file") are English and name no cause a user can act on; they go to
    the log."""
    logger.info("import: workbook not read: %s", cause)
    return ReadError(_("无法读取 Excel 文件：不是有效的 .xlsx 工作簿（可能是改了扩展名的 CSV 文件，或文件已损坏）。"))


MACRO_NAMES = (".xlsm", ".xltm", ".xlsb")
MACRO_TYPE = b"macroEnabled"


def refuse_macro_name(filename: str) -> None:
    """A macro-enabled workbook is refused by its name before it is opened (docs/design.md,
    "Official documents": bad input), in every import that reads a workbook."""
    if filename.lower().endswith(MACRO_NAMES):
        raise ReadError(_("不接受含宏的工作簿（%(name)s），请另存为 .xlsx。") % {"name": filename})


def is_xlsx(data: Source, filename: str = "") -> bool:
    if filename.lower().endswith(".xlsx"):
        return True
    stream = as_stream(data)
    stream.seek(0)
    return stream.read(4) == b"PK\x03\x04"


def cell_text(value) -> str:
    """One spreadsheet cell as the text a CSV would hold; floats keep their shortest exact form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Excel keeps 15 significant digits (and writes that many to CSV); digits beyond are
        # binary noise of a formula (0.1+0.2 → 0.30000000000000004 is 0.3). No exponent form.
        return str(int(value)) if value.is_integer() else format(Decimal(f"{value:.15g}"), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _trimmed(cells: list[str]) -> list[str]:
    """Cells without the empty ones at the end (a formatted sheet pads rows to its width)."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end] if end < len(cells) else cells


@dataclass
class TableReader:
    """A file opened for reading: its headers now, its data rows one at a time."""

    headers: list[str]
    records: Iterator[list[str]]
    limits: ReadLimits
    sheet: str = ""  # the XLSX sheet's name, for messages
    csv: bool = False  # a CSV's rows are as long as written (a sheet's are padded to its width)
    rows_read: int = 0
    check_cell: object = field(default=None, repr=False)  # (row, cells) -> None, may raise
    # (row, cells it has) -> None, may raise: a CSV row with fewer cells than the header
    # (the importer decides which columns a row may leave off its end: imports/importer.py).
    short_row: object = field(default=None, repr=False)
    # (row, cells it has) -> None: a CSV row with more cells than the header as written, blank
    # ones included (an unquoted "1,828.90" shifts the cells after it; a blank last cell hid it).
    long_row: object = field(default=None, repr=False)
    header_width: int = 0  # the header's cells as written, blank ones at its end included

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Data rows with content, numbered as a spreadsheet shows them (header = 1)."""
        limit = self.limits.cell_chars
        for number, cells in enumerate(self.records, start=2):
            width = len(cells)
            if not cells or not cells[-1] or cells[-1].isspace():  # (most rows end in a value)
                cells = _trimmed(cells)
                if not cells:
                    continue
            self.rows_read += 1
            if self.rows_read > self.limits.rows:
                raise too_many_rows(self.limits)
            if self.short_row is not None and width < len(self.headers):
                self.short_row(number, width)
            if self.long_row is not None and width > self.header_width >= len(cells):
                # (with something in its extra cells, the importer names the first of them)
                self.long_row(number, width)
            if max(map(len, cells)) > limit:  # (in C: every row is measured)
                self.check_lengths(number, cells)
            if self.check_cell is not None:
                self.check_cell(number, cells)
            yield number, cells

    def check_lengths(self, number: int, cells: list[str]) -> None:
        """Refuse the row's first cell longer than the limit, naming it."""
        limit = self.limits.cell_chars
        for index, cell in enumerate(cells):
            if len(cell) > limit:
                header = self.headers[index] if index < len(self.headers) else ""
                raise ReadError(errors=[RowError(
                    number, header.strip() or str(index + 1),
                    _("单元格有 %(length)s 个字符，超过上限 %(limit)s。")
                    % {"length": f"{len(cell):,}", "limit": f"{limit:,}"},
                )])


def _start(records: Iterator[list[str]], limits: ReadLimits, **kwargs) -> TableReader:
    written = next(records, None) or []
    headers = _trimmed(written)
    if len(headers) > limits.columns:
        raise ReadError(
            _("文件有 %(count)s 列，超过上限 %(limit)s 列。")
            % {"count": f"{len(headers):,}", "limit": limits.columns}
        )
    return TableReader(headers, records, limits, header_width=len(written), **kwargs)


# --- CSV -----------------------------------------------------------------------------


def _csv_records(text: io.TextIOBase, limits: ReadLimits) -> Iterator[list[str]]:
    """CSV records; an unclosed quote is an error, not a field swallowing the rest of the file."""
    ends_line = True

    def lines():
        nonlocal ends_line
        for line in text:
            ends_line = line.endswith(("\n", "\r"))
            yield line

    count, width, previous = 0, 0, None
    try:
        for record in csv.reader(lines(), strict=True):
            if previous is not None:
                yield previous
            count += 1
            width = width or len(record)
            previous = record
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise ReadError(_("第 %(row)s 行：有单元格超过 %(limit)s 个字符。") % {
                "row": count + 1, "limit": f"{limits.cell_chars:,}",
            }) from exc
        raise ReadError(
            _("第 %(row)s 行：CSV 格式错误，引号不成对或引号后有多余的字符。") % {"row": count + 1}
        ) from exc
    if count > 1 and not ends_line and 0 < len(previous) < width:
        # Spreadsheets end every row, the last one included, with a line break and write
        # every column: a short last row without one is a file cut off mid-row.
        raise ReadError(
            _("第 %(row)s 行：只有 %(cells)s 个单元格（表头有 %(columns)s 列），且文件没有以换行结束，"
              "可能没有保存或上传完整。")
            % {"row": count, "cells": len(previous), "columns": width}
        )
    if previous is not None:
        yield previous


def _line_count(source: BinaryIO) -> int:
    source.seek(0)
    count = 0
    while piece := source.read(1 << 16):
        count += piece.count(b"\n")
    return count


def _text(source: BinaryIO, codec: str) -> io.TextIOWrapper:
    source.seek(0)
    return io.TextIOWrapper(_Unclosed(source), encoding=codec, newline="")


class _Unclosed(io.BufferedReader):
    """The caller's file, read through a text wrapper that must not close it when done."""

    def __init__(self, source: BinaryIO) -> None:
        super().__init__(source if isinstance(source, io.RawIOBase) else _Raw(source))

    def close(self) -> None:
        pass


class _Raw(io.RawIOBase):
    """Any binary file object (BytesIO, an open file) as the raw stream BufferedReader wants."""

    def __init__(self, source: BinaryIO) -> None:
        self.source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.source.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _count_records(source: BinaryIO, codec: str, limit: int) -> int:
    """Records in a CSV, counted up to ``limit`` + 1 (line breaks inside quotes are not rows)."""
    if _line_count(source) <= limit:
        return 0  # cannot exceed it; the rows are counted again while read
    text = _text(source, codec)
    count = 0
    try:
        for _record in csv.reader(text):
            count += 1
            if count > limit:
                break
    except csv.Error:
        pass  # named with its row when read
    return count


def open_csv(data: BinaryIO, encoding: str | None, limits: ReadLimits) -> TableReader:
    codec = decode_check(data, encoding)
    # Above the cell limit, so a long cell is read and named with its column (TableReader).
    csv.field_size_limit(max(4 * limits.cell_chars, 1 << 20))
    if _count_records(data, codec, limits.rows + 1) > limits.rows + 1:
        raise too_many_rows(limits)
    return _start(_csv_records(_text(data, codec), limits), limits, csv=True)


# --- XLSX ----------------------------------------------------------------------------


def _check_zip(data: BinaryIO, limits: ReadLimits) -> None:
    """A workbook's zip, before any sheet is read: a readable zip, its parts within the limit
    uncompressed (a zip bomb is refused unread), and no macros whatever its name (a macro
    content type or ``vbaProject.bin``; ``refuse_macro_name`` refuses them by name)."""
    try:
        data.seek(0)
        with zipfile.ZipFile(data) as archive:
            size = sum(info.file_size for info in archive.infolist())
            if size > limits.xlsx_bytes:
                raise ReadError(
                    _("Excel 文件解压后有 %(size)s MB，超过上限 %(limit)s MB。")
                    % {"size": size // 2**20, "limit": limits.xlsx_bytes // 2**20}
                )
            names = archive.namelist()
            types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, OSError) as exc:
        raise unreadable(exc) from exc
    if MACRO_TYPE in types or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise ReadError(_("不接受含宏的工作簿，请另存为 .xlsx。"))


def _rows_over(archive, path: str, limit: int) -> bool:
    """Whether the sheet holds more than ``limit`` rows with cells, counted in its XML bytes
    (1 MB at a time, stopping past the limit) before openpyxl parses any of them."""
    count, tail = 0, b""
    with archive.open(path) as source:
        while chunk := source.read(1 << 20):
            buffer = tail + chunk
            cut = max(len(buffer) - ROW_SCAN_OVERLAP, 0)  # a match starting later: next time
            count += sum(1 for m in ROW_WITH_CELLS.finditer(buffer) if m.start() < cut)
            if count > limit:
                return True
            tail = buffer[cut:]
    return count + sum(1 for _m in ROW_WITH_CELLS.finditer(tail)) > limit


def _check_rows(data: BinaryIO, limits: ReadLimits) -> None:
    """Refuse a workbook with a sheet of more rows than the limit before openpyxl opens it:
    opening sizes every sheet, and one without a <dimension> is parsed whole to be sized
    (a million rows took minutes and hundreds of MB)."""
    from openpyxl.reader.excel import ExcelReader

    reader = None
    try:
        data.seek(0)
        reader = ExcelReader(data, read_only=True)
        reader.read_manifest()
        reader.read_workbook()  # the sheets' names and parts, none of their rows
        paths = [rel.target for _sheet, rel in reader.parser.find_sheets()
                 if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
        over = any(_rows_over(reader.archive, path, limits.rows + 1) for path in paths)  # + header
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise unreadable(exc) from exc
    finally:
        if reader is not None:
            reader.archive.close()  # the zip's view of the caller's file, which stays open
    if over:
        raise too_many_rows(limits)


def _formula_cells_without_value(archive, path: str) -> set[tuple[int, int]]:
    """(row, column) of formula cells with no saved result: read as empty they would be 0."""
    with archive.open(path) as source:
        tail = b""
        while chunk := source.read(1 << 20):
            if FORMULA_START.search(tail + chunk):
                break
            tail = chunk[-16:]
        else:
            return set()
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.xml.functions import iterparse  # the parser openpyxl reads the sheet with

    missing: set[tuple[int, int]] = set()
    with archive.open(path) as source:
        for _event, element in iterparse(source):
            if element.tag != f"{SHEET_NS}c":
                continue
            ref = element.get("r")  # optional in the format; every writer we know sets it
            if ref and element.find(f"{SHEET_NS}f") is not None and not element.findtext(f"{SHEET_NS}v"):
                missing.add(coordinate_to_tuple(ref))
                if len(missing) >= FORMULA_ERRORS_SHOWN:  # enough to name; the file is refused
                    break
            element.clear()
    return missing


def open_xlsx(data: BinaryIO, limits: ReadLimits, filename: str = "") -> TableReader:
    from openpyxl import load_workbook

    refuse_macro_name(filename)
    _check_zip(data, limits)
    _check_rows(data, limits)
    try:
        data.seek(0)
        book = load_workbook(data, read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise unreadable(exc) from exc
    if (sheet.max_row or 0) > limits.rows + 1:  # as declared (the rows were counted before)
        book.close()
        raise too_many_rows(limits)
    if (sheet.max_column or 0) > 16_384:
        book.close()
        raise unreadable("a sheet over 16,384 columns")
    missing = _formula_cells_without_value(book._archive, sheet._worksheet_path)

    def records():
        headers: list[str] = []
        try:
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                texts = [cell_text(v) for v in row]
                headers = headers or texts
                if any(_lossy(v) for v in row):
                    raise _lossy_number(number, row, headers)
                yield texts
        except ReadError:
            raise
        except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
            raise unreadable(exc) from exc
        finally:
            book.close()

    reader = _start(records(), limits, sheet=sheet.title)
    if missing:
        reader.check_cell = _formula_check(reader, missing)
    return reader


def _lossy(value) -> bool:
    """A number past the 15 significant digits a spreadsheet keeps (no amount is: 万元 with 4
    decimals stay under 10^14): its last digits were changed when it was typed or opened."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e15


def _lossy_number(number: int, row, headers: list[str]) -> ReadError:
    """A long code that a spreadsheet turned into a number (430200220230001001 opened from a
    CSV reads back 430200220230001000): refused, or the import made a new project of it."""
    index = next(i for i, value in enumerate(row) if _lossy(value))
    header = (headers[index].strip() if index < len(headers) else "") or str(index + 1)
    return ReadError(errors=[RowError(number, header, _(
        "此单元格是 %(digits)s 位的数字，表格软件只保存 15 位有效数字，末几位已被改动（长编码被存成了数字？）："
        "请把该列设为文本格式，重新输入后再导入。") % {"digits": len(f"{abs(row[index]):.0f}")})])


def _formula_check(reader: TableReader, missing: set[tuple[int, int]]):
    """Refuse the file at the first row holding formulas without saved results, naming them."""

    first_row = min(row for row, _c in missing)

    def check(number: int, _cells: list[str]) -> None:
        if number < first_row:
            return
        errors = []
        for row, column in sorted(missing)[:FORMULA_ERRORS_SHOWN]:
            header = reader.headers[column - 1] if column <= len(reader.headers) else str(column)
            errors.append(RowError(row, header, _(
                "工作表“%(sheet)s”中此单元格是公式，但文件没有保存计算结果（否则会读成空或 0）；"
                "请在 Excel 中打开、计算并保存后再导入。"
            ) % {"sheet": reader.sheet}))
        raise ReadError(errors=errors)

    if first_row == 1:
        check(1, [])
    return check


# --- Either --------------------------------------------------------------------------


def open_table(
    data: Source, *, filename: str = "", encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> TableReader:
    """Open CSV or XLSX bytes for reading. Raises ReadError (a ValueError) when it cannot."""
    limits = limits or ReadLimits.from_settings()
    stream = as_stream(data)
    if is_xlsx(stream, filename) or filename.lower().endswith(MACRO_NAMES):
        return open_xlsx(stream, limits, filename)
    return open_csv(stream, encoding, limits)


def read_table(
    data: Source, *, filename: str = "", encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> Table:
    """Read CSV or XLSX bytes whole, for a caller that shows the rows (the admin's preview)."""
    reader = open_table(data, filename=filename, encoding=encoding, limits=limits)
    return Table(reader.headers, list(reader.rows()))


def rows_to_table(rows: Iterable[Iterable]) -> Table:
    """A Table from any sequence of rows (CSV records, XLSX rows)."""
    records = ([cell_text(v) for v in row] for row in rows)
    reader = _start(records, ReadLimits.from_settings())
    return Table(reader.headers, list(reader.rows()))
