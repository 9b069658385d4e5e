"""Imports of the seven datasets from CSV or XLSX: every row is checked, then all are written, or none.

Rows are matched on readable keys (department code + year + project code …), never on ids, so
importing a file twice changes nothing the second time. Headers may be keys or Chinese labels,
values codes or labels; CSV may be UTF-8 (with or without BOM) or GB18030 as Excel saves it.
``manage.py import_data`` calls :func:`import_file`, and so does the admin's import page
(admin/imports.py): a dry run for its preview, the import itself on confirm.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import DataError, IntegrityError, connections, router, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from evaluations import access, workflow
from evaluations import datasets as ds
from evaluations.access import allowed_department_ids
from evaluations.models import (
    BudgetExecution,
    Department,
    FiscalYear,
    FundingSource,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
    parent_loop,
)
from evaluations.workflow import acting_as
from indicators.models import LEVEL2_BY_LEVEL1, Indicator

BATCH_SIZE = 2000
SQLITE_EXACT_DIGITS = 15  # significant digits a REAL (double) keeps exactly
MAX_ERRORS = 200  # a file that is wrong everywhere need not list every cell
ZERO = Decimal("0")
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
NUMBER_RE = re.compile(r"^(?=.*[0-9])[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]+)?$", re.ASCII)
TRUE_WORDS = {"true", "1", "yes", "y", "是", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "f"}


# --- Results -----------------------------------------------------------------------------


@dataclass
class RowError:
    """What was wrong, where: the row number as a spreadsheet shows it (header = 1)."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if not self.column:
            return _("第 %(row)s 行：%(message)s") % {"row": self.row, "message": self.message}
        return _("第 %(row)s 行，“%(column)s”列：%(message)s") % {
            "row": self.row, "column": self.column, "message": self.message,
        }


NEW, UPDATE, SKIP = "new", "update", "skip"


@dataclass
class RowOutcome:
    row: int
    action: str  # NEW, UPDATE or SKIP
    key: str
    values: dict  # column key -> value as read
    changes: dict = field(default_factory=dict)  # model field -> (old, new)
    instance: object = field(default=None, repr=False, compare=False)


@dataclass
class ImportResult:
    dataset: str
    dry_run: bool
    headers: list[str] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def summary(self) -> str:
        return _("新增 %(new)s 行，更新 %(update)s 行，未变 %(skip)s 行。") % {
            "new": self.count(NEW), "update": self.count(UPDATE), "skip": self.count(SKIP),
        }


class _TooManyErrors(Exception):
    pass


# --- Reading files -----------------------------------------------------------------------


@dataclass
class Table:
    """A file read as text cells: the header row and the data rows with their numbers."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]


def decode(data: bytes, encoding: str | None = None) -> str:
    """Text of a CSV file: UTF-8 with or without BOM, else GB18030 (Excel on Chinese Windows)."""
    if encoding:
        codec = codecs.lookup(encoding).name
        text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
        return text
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8):]
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            _raise_if_truncated(body, exc, declared=True)
            raise
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _raise_if_truncated(data, exc, declared=False)
        return data.decode("gb18030")


def _raise_if_truncated(data: bytes, exc: UnicodeDecodeError, *, declared: bool) -> None:
    """A UTF-8 file cut inside its last character (an interrupted save or upload).

    Without this it was read as GB18030 and every header came out garbled. A file counts as
    UTF-8 when it says so (BOM) or its text so far holds Chinese that decoded as UTF-8.
    """
    if exc.reason == "unexpected end of data" and (declared or not data[:exc.start].isascii()):
        raise ValueError(
            _("第 %(row)s 行：文件在此行中途结束（最后一个字符不完整），可能没有保存或上传完整。")
            % {"row": data[:exc.start].count(b"\n") + 1}
        )


def is_xlsx(data: bytes, filename: str = "") -> bool:
    return filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04"


def _cell_text(value) -> str:
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


def rows_to_table(rows: Iterable[Iterable]) -> Table:
    """A Table from any sequence of rows (CSV records, XLSX rows)."""
    headers: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    for number, row in enumerate(rows, start=1):
        cells = [_cell_text(v) for v in row]
        if headers is None:
            headers = cells
            continue
        if any(c.strip() for c in cells):
            body.append((number, cells))
    return Table(headers or [], body)


def read_table(data: bytes, *, filename: str = "", encoding: str | None = None) -> Table:
    """Read CSV or XLSX bytes. Raises ValueError with a readable message when it cannot."""
    if is_xlsx(data, filename):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ValueError(_("无法读取 Excel 文件：%(error)s") % {"error": exc}) from exc
        try:
            return rows_to_table(book.worksheets[0].iter_rows(values_only=True))
        finally:
            book.close()
    try:
        text = decode(data, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ValueError(
            _("无法按 %(encoding)s 编码读取文件。") % {"encoding": encoding or "UTF-8/GB18030"}
        ) from exc
    # strict: an unclosed quote is an error, not a field that swallows the rest of the file.
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), strict=True):
            records.append(record)
    except csv.Error as exc:
        raise ValueError(
            _("第 %(row)s 行：CSV 格式错误，引号不成对或引号后有多余的字符。")
            % {"row": len(records) + 1}
        ) from exc
    if (
        len(records) > 1 and not text.endswith(("\n", "\r"))
        and 0 < len(records[-1]) < len(records[0])
    ):
        # Spreadsheets end every row, the last one included, with a line break and write
        # every column: a short last row without one is a file cut off mid-row.
        raise ValueError(
            _("第 %(row)s 行：只有 %(cells)s 个单元格（表头有 %(columns)s 列），且文件没有以换行结束，"
              "可能没有保存或上传完整。")
            % {"row": len(records), "cells": len(records[-1]), "columns": len(records[0])}
        )
    return rows_to_table(records)


# --- Cells -------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return ds.strip_inert(text.strip().lstrip("\ufeff")).strip().casefold()


def _labels(label) -> set[str]:
    names = {_norm(str(label))}
    with translation.override("zh-hans"):
        names.add(_norm(str(label)))
    return names


class CellError(ValueError):
    pass


def _decimal(
    text: str, *, places: int, digits: int, negative: bool, exact_digits: int | None = None
) -> Decimal:
    # Plain decimals only: Decimal() alone would also take 1e3, 1_000, full-width digits
    # and 1,8,2 (read as 182); thousands separators must group by three.
    if not NUMBER_RE.match(text.strip()):
        raise CellError(_("“%(value)s”不是有效的数字。") % {"value": text})
    value = Decimal(text.replace(",", "").strip())
    if value == 0:
        value = abs(value)  # -0 is 0
    if value < 0 and not negative:
        raise CellError(_("不能为负数（%(value)s）。") % {"value": text})
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places and value != value.quantize(
        Decimal(1).scaleb(-places)
    ):
        raise CellError(_("最多 %(places)s 位小数（%(value)s）。") % {"places": places, "value": text})
    value = value.quantize(Decimal(1).scaleb(-places))
    if len(value.as_tuple().digits) > digits:
        raise CellError(_("数值过大（%(value)s）。") % {"value": text})
    if exact_digits and len(value.normalize().as_tuple().digits) > exact_digits:
        # SQLite stores decimals as REAL: more digits would be rounded (and then fail to
        # read back). PostgreSQL holds all of them.
        raise CellError(
            _("SQLite 数据库只能精确保存 %(digits)s 位有效数字（%(value)s）。")
            % {"digits": exact_digits, "value": text}
        )
    return value


class CellParser:
    """Turns the text of one column's cells into values, with the lookups of labels it needs."""

    def __init__(self, dataset: ds.Dataset, column: ds.Column, sources: dict) -> None:
        self.column = column
        self.max_length = None
        self.places, self.digits = 4, 18
        vendor = connections[router.db_for_write(dataset.model)].vendor
        self.exact_digits = SQLITE_EXACT_DIGITS if vendor == "sqlite" else None
        if column.field:
            model_field = dataset.model._meta.get_field(column.field)
            self.max_length = getattr(model_field, "max_length", None)
            if getattr(model_field, "decimal_places", None) is not None:
                self.places, self.digits = model_field.decimal_places, model_field.max_digits
        self.lookup: dict[str, str] = {}
        self.valid: list[str] = []  # what an unknown code's message offers instead
        if column.type in (ds.CHOICE, ds.BOOLEAN):
            self.valid = [f"{label}（{code}）" for code, label in column.choices]
            for code, label in column.choices:
                self.lookup[code.casefold()] = code
                for name in _labels(label):
                    self.lookup[name] = code
        if column.type == ds.BOOLEAN:
            self.lookup.update({w: "true" for w in TRUE_WORDS})
            self.lookup.update({w: "false" for w in FALSE_WORDS})
        if column.type == ds.FUNDING_SOURCE:
            for source in sources.values():
                if source.kind == column.source_kind:
                    self.valid.append(f"{source.name}（{source.code}）")
                    self.lookup[source.code.casefold()] = source.code
                    self.lookup[_norm(source.name)] = source.code
            self.other_kind = {
                s.code.casefold() for s in sources.values() if s.kind != column.source_kind
            } | {_norm(s.name) for s in sources.values() if s.kind != column.source_kind}

    def __call__(self, text: str):
        kind = self.column.type
        if "\x00" in text:
            # PostgreSQL refuses NUL in text; caught here it is named by row and column.
            raise CellError(_("含有不允许的空字符（NUL）。"))
        if kind == ds.TEXT:
            value = ds.strip_inert(text)
            if self.column.required and not value.strip():
                raise CellError(_("不能为空。"))
            if self.max_length and len(value) > self.max_length:
                raise CellError(
                    _("不能超过 %(max)s 个字符（现有 %(length)s 个）。")
                    % {"max": self.max_length, "length": len(value)}
                )
            return value
        text = ds.strip_inert(text.strip()).strip()
        if not text:
            if self.column.required:
                raise CellError(_("不能为空。"))
            return None
        if kind == ds.CODE:
            if not CODE_RE.match(text):
                raise CellError(_("编码只能包含字母、数字、连字符和下划线（%(value)s）。") % {"value": text})
            if self.max_length and len(text) > self.max_length:
                raise CellError(_("编码过长（%(value)s）。") % {"value": text})
            return text
        if kind in (ds.YEAR, ds.INTEGER):
            try:
                if not NUMBER_RE.match(text):
                    raise InvalidOperation
                number = Decimal(text.replace(",", ""))
                if number != number.to_integral_value():
                    raise InvalidOperation
                number = int(number)
            except InvalidOperation:
                raise CellError(_("“%(value)s”不是有效的整数。") % {"value": text}) from None
            if kind == ds.YEAR and not 1900 <= number <= 2999:
                raise CellError(_("年度无效（%(value)s）。") % {"value": text})
            if kind == ds.INTEGER and not 0 <= number <= 2_147_483_647:
                raise CellError(_("序号无效（%(value)s）。") % {"value": text})
            return number
        if kind in (ds.AMOUNT, ds.VALUE, ds.POINTS):
            return _decimal(
                text, places=self.places, digits=self.digits, negative=kind == ds.VALUE,
                exact_digits=self.exact_digits,
            )
        code = self.lookup.get(_norm(text))
        if code is None:
            if kind == ds.FUNDING_SOURCE and _norm(text) in self.other_kind:
                raise CellError(_("“%(value)s”不能用于此列。") % {"value": text})
            raise CellError(_("未知的代码“%(value)s”，可填：%(valid)s。") % {
                "value": text, "valid": "、".join(self.valid)})
        if kind == ds.BOOLEAN:
            return code == "true"
        return code


# --- The importer ------------------------------------------------------------------------


class Importer:
    """Checks every row of one dataset, plans creates and updates, then writes them in bulk."""

    def __init__(
        self, dataset: ds.Dataset, table: Table, *, user=None, dry_run=False, keep_rows=True
    ) -> None:
        self.dataset = dataset
        self.table = table
        # False: each row's text cells are dropped once parsed (the caller has no further use
        # for them), so they are not held through planning: 100,000 rows of text are 120 MB.
        self.keep_rows = keep_rows
        self.user = user
        self.dry_run = dry_run
        self.result = ImportResult(dataset.name, dry_run, headers=list(table.headers))
        self.is_admin = user is None or user.is_superuser
        self.allowed = allowed_department_ids(user)
        self.header_of: dict[str, str] = {}  # column key -> header as written in the file
        self.sources = {s.code: s for s in FundingSource.objects.all()}
        self.seen_keys: dict[tuple, int] = {}
        self.records: list[tuple[int, dict]] = []

    # Errors ----------------------------------------------------------------------------
    def error(self, row: int | None, column_key: str, message: str) -> None:
        column = self.header_of.get(column_key) or (
            str(self.dataset.column(column_key).label) if column_key else ""
        )
        self.result.errors.append(RowError(row, column, message))
        if len(self.result.errors) >= MAX_ERRORS:
            raise _TooManyErrors

    # Steps -----------------------------------------------------------------------------
    def run(self) -> ImportResult:
        if not access.has_permission(self.user, access.IMPORT_DATA):
            # The admin checks this too; the importer holds the rule for every caller.
            self.result.errors.append(RowError(None, "", _("无权导入数据。")))
            return self.result
        if not any(h.strip() for h in self.table.headers):
            self.result.errors.append(RowError(1, "", _("文件是空的：没有表头行。")))
            return self.result
        try:
            positions = self.map_headers()
            if not self.result.errors and not self.table.rows:
                # An empty template sent back by mistake should not report success.
                self.result.errors.append(RowError(2, "", _("文件只有表头，没有数据行。")))
            if not self.result.errors:
                # Rows whose cells are malformed are left out of planning, so the lookups
                # (unknown department, no permission, duplicates) still report on the rest.
                self.parse_rows(positions)
                self.plan()
        except _TooManyErrors:
            self.result.errors.append(RowError(None, "", _("错误过多，其余未列出。")))
        if self.result.errors:
            self.result.errors.sort(key=lambda e: e.row or 0)
            self.result.rows = []
            return self.result
        if not self.dry_run:
            try:
                with transaction.atomic(), self.acting():
                    self.write()
            except (IntegrityError, DataError) as exc:
                # Someone changed the same report meanwhile; nothing of this import was kept.
                self.result.rows = []
                self.result.errors.append(
                    RowError(None, "", _("数据库拒绝写入，未导入任何数据：%(error)s") % {"error": exc})
                )
        return self.result

    def acting(self):
        """Rows saved one by one (reports, departments, new years) name the importing user in
        their history whoever calls: the admin's request carries it, other callers do not."""
        request = getattr(HistoricalRecords.context, "request", None)
        if self.user is None or getattr(request, "user", None) == self.user:
            return contextlib.nullcontext()
        return acting_as(self.user)

    def map_headers(self) -> dict[str, int]:
        names: dict[str, str] = {}
        for column in self.dataset.columns:
            names[column.key.casefold()] = column.key
            for label in _labels(column.label):
                names.setdefault(label, column.key)
        positions: dict[str, int] = {}
        for index, header in enumerate(self.table.headers):
            if not header.strip():
                continue
            key = names.get(_norm(header))
            if key is None:
                self.result.errors.append(RowError(1, header, _("未知的列。")))
                continue
            if key in positions:
                self.result.errors.append(RowError(1, header, _("列重复。")))
                continue
            if self.dataset.column(key).derived:
                continue  # computed on export; ignored on import
            positions[key] = index
            self.header_of[key] = header.strip()
        for column in self.dataset.import_columns:
            if column.required and column.key not in positions:
                self.result.errors.append(RowError(1, str(column.label), _("缺少必填列。")))
        return positions

    def parse_rows(self, positions: dict[str, int]) -> None:
        parsers = {
            key: CellParser(self.dataset, self.dataset.column(key), self.sources) for key in positions
        }
        headers = self.table.headers
        rows = self.table.rows
        for index, (number, cells) in enumerate(rows):
            if not self.keep_rows:
                rows[index] = None
            record, valid = {}, True
            # A cell with no header above it is a shifted row (an unquoted comma in "1,828.90"
            # reads as two cells): refused, or the rest of the row would be silently dropped.
            stray = [
                i for i, cell in enumerate(cells)
                if cell.strip() and (i >= len(headers) or not headers[i].strip())
            ]
            if stray:
                self.error(number, "", _("第 %(column)s 列有内容，但没有表头（逗号未加引号或单元格错位？）。")
                           % {"column": stray[0] + 1})
                valid = False
            for key, column in positions.items():
                text = cells[column] if column < len(cells) else ""
                try:
                    record[key] = parsers[key](text)
                except CellError as exc:
                    self.error(number, key, str(exc))
                    valid = False
            if valid:
                self.records.append((number, record))
        if not self.keep_rows:
            rows.clear()

    def check_unique(self, number: int, key: tuple, column: str) -> bool:
        first = self.seen_keys.setdefault(key, number)
        if first != number:
            self.error(number, column, _("与第 %(row)s 行重复。") % {"row": first})
            return False
        return True

    # Lookups shared by the datasets -------------------------------------------------------
    def load_departments(self, codes: Iterable[str]) -> dict[str, Department]:
        queryset = Department.objects.filter(code__in=set(codes)).select_related("parent")
        return {d.code: d for d in queryset}

    def may_write(self, department: Department) -> bool:
        return self.allowed is None or department.pk in self.allowed

    def check_department(self, number: int, record: dict, departments, column="department_code"):
        code = record.get(column)
        department = departments.get(code)
        if department is None:
            self.error(number, column, _("部门“%(code)s”不存在。") % {"code": code})
            return None
        if not self.may_write(department):
            self.error(number, column, _("无权导入部门“%(code)s”的数据。") % {"code": code})
            return None
        return department

    def department_ok(self, record: dict) -> bool:
        """The row's department exists and may be written (its errors were already noted)."""
        department = self.departments.get(record.get("department_code"))
        return department is not None and self.may_write(department)

    def load_reports(self) -> None:
        """Departments, fiscal years and reports for every (department, year) in the file."""
        self.departments = self.load_departments(r.get("department_code") for _n, r in self.records)
        years = {r.get("year") for _n, r in self.records}
        self.years = {fy.year: fy for fy in FiscalYear.objects.filter(year__in=years)}
        self.reports: dict[tuple[int, int], Report] = {
            (r.department_id, r.fiscal_year.year): r
            for r in Report.objects.filter(
                department__in=self.departments.values(), fiscal_year__year__in=years
            ).select_related("fiscal_year")
        }
        self.new_reports: dict[tuple[int, int], Report] = {}
        self.refused_years: set[int] = set()

    def report_for(self, number: int, record: dict, *, create: bool = True) -> Report | None:
        department = self.check_department(number, record, self.departments)
        if department is None:
            return None
        key = (department.pk, record["year"])
        report = self.reports.get(key) or self.new_reports.get(key)
        if report is None and create:
            if not self.check_may_save(number, NEW, Report) or not self.year_takes_reports(
                number, record["year"]
            ):
                return None
            report = Report(department=department, status=Report.Status.DRAFT)
            report.year_value = record["year"]
            self.new_reports[key] = report
        return report

    def year_takes_reports(self, number: int, year: int) -> bool:
        """New reports only in years that take them, as in the admin (access.takes_new_reports).
        A missing year is created open by a user who may create years, and not beyond next
        year: 2204 for 2024 is a slip of the keyboard, not a plan (access.why_not_create_year)."""
        fiscal_year = self.years.get(year)
        if fiscal_year is None:
            refusal = access.why_not_create_year(self.user, year)
            if refusal is not None:
                if year not in self.refused_years:  # once, at its first row: not every row
                    self.refused_years.add(year)
                    if refusal == access.YearRefusal.PERMISSION:
                        message = _("%(year)s 年度尚未设立；请审核人先新增该年度。")
                    elif self.may_save(NEW, FiscalYear):
                        message = _("%(year)s 年度尚未设立，且晚于%(latest)s 年度；请核对年度，或先在“预算年度”中新增。")
                    else:
                        message = _("%(year)s 年度尚未设立，且晚于%(latest)s 年度；请核对年度，或请审核人先新增该年度。")
                    self.error(number, "year", message % {"year": year, "latest": access.latest_new_year()})
                return False
        elif not access.takes_new_reports(fiscal_year, self.user):
            self.error(number, "year", _("%(year)s 年度已停止填报，不能新建报告。") % {"year": year})
            return False
        return True

    def may_save(self, action: str, model) -> bool:
        """Whether the user holds the model permission a create (add) or update (change) needs."""
        if self.is_admin:
            return True
        verb = access.ADD if action == NEW else access.CHANGE
        return self.user.has_perm(access.model_permission(model, verb))

    def check_may_save(self, number: int, action: str, model) -> bool:
        if self.may_save(action, model):
            return True
        message = _("无权新增“%(model)s”。") if action == NEW else _("无权修改“%(model)s”。")
        self.error(number, "", message % {"model": model._meta.verbose_name})
        return False

    def check_editable(self, number: int, report: Report) -> bool:
        """The edit lock (access.why_locked): only drafts take changes, and only in open years
        except to superusers; the command line restores what it is given."""
        lock = access.why_locked(report, self.user) if report.pk is not None else None
        if lock is None:
            return True
        if lock == access.Lock.STATUS:
            self.error(
                number, "",
                _("报告状态为“%(status)s”，不能通过导入修改；请先退回或撤回为草稿。")
                % {"status": report.get_status_display()},
            )
            return False
        self.error(
            number, "year",
            _("%(year)s 年度已停止填报，不能修改该年度的报告。")
            % {"year": report.fiscal_year.year},
        )
        return False

    # Planning ----------------------------------------------------------------------------
    def plan_row(self, number: int, record: dict, obj, values: dict, key_text: str,
                 report: Report | None = None) -> bool:
        """Compare one row with what is stored and note a create, an update or nothing.

        Returns False when the row is refused (the error is noted).
        """
        if obj.pk is None:
            for name, value in values.items():
                setattr(obj, name, value)
            action, changes = NEW, {}
        else:
            changes = {
                name: (getattr(obj, name), value)
                for name, value in values.items()
                if getattr(obj, name) != value
            }
            for name, (_old, value) in changes.items():
                setattr(obj, name, value)
            action = UPDATE if changes else SKIP
        if action != SKIP and not self.check_may_save(number, action, type(obj)):
            return False
        if action != SKIP and report is not None and not self.check_editable(number, report):
            return False
        self.result.rows.append(RowOutcome(number, action, key_text, record, changes, obj))
        self.planned.append((action, obj, changes))
        return True

    def plan(self) -> None:
        self.planned: list[tuple[str, object, dict]] = []
        getattr(self, f"plan_{self.dataset.name}")()

    def field_values(self, record: dict, *, defaults: dict | None = None) -> dict:
        """Model field values of the columns the file has; blank amounts default where not null."""
        values = {}
        for column in self.dataset.import_columns:
            if not column.field or column.key not in record:
                continue
            value = record[column.key]
            if value is None:
                model_field = self.dataset.model._meta.get_field(column.field)
                if not model_field.null:
                    value = (defaults or {}).get(column.key, ZERO if column.type == ds.AMOUNT else "")
            values[column.field] = value
        return values

    def plan_departments(self) -> None:
        codes = {r["code"] for _n, r in self.records}
        parents = {r.get("parent_code") for _n, r in self.records} - {None}
        existing = self.load_departments(codes | parents)
        in_file = set(codes)
        self.parent_links: list[tuple[Department, str | None]] = []
        linked: dict[str, tuple[int, str | None]] = {}  # code → (row, parent code) in the file
        for number, record in self.records:
            code = record["code"]
            if not self.check_unique(number, (code,), "code"):
                continue
            department = existing.get(code)
            if department is None:
                if self.allowed is not None:
                    self.error(number, "code", _("无权新增部门“%(code)s”。") % {"code": code})
                    continue
                department = Department(code=code)
            elif not self.may_write(department):
                self.error(number, "code", _("无权导入部门“%(code)s”的数据。") % {"code": code})
                continue
            values = self.field_values(record)
            link_later = False
            if "parent_code" in record:
                parent_code = record["parent_code"]
                if parent_code == code:
                    self.error(number, "parent_code", _("不能归口管理自己。"))
                    continue
                if parent_code is None:
                    values["parent"] = None
                elif parent_code in existing:
                    values["parent"] = existing[parent_code]
                elif parent_code in in_file:
                    link_later = True  # created by this import; linked after it exists
                else:
                    self.error(number, "parent_code", _("部门“%(code)s”不存在。") % {"code": parent_code})
                    continue
            if not self.plan_row(number, record, department, values, code):
                continue
            if "parent_code" in record:
                linked[code] = (number, record["parent_code"])
            if link_later:
                self.parent_links.append((department, parent_code))
                outcome = self.result.rows[-1]
                if outcome.action == SKIP:
                    if not self.check_may_save(number, UPDATE, Department):
                        continue
                    outcome.action = UPDATE
                    self.planned[-1] = (UPDATE, department, {})
                outcome.changes["parent"] = (None, parent_code)
        self.check_parent_cycles(linked)

    def check_parent_cycles(self, linked: dict[str, tuple[int, str | None]]) -> None:
        """Refuse 归口管理 links that would lead back to where they start (A → B → A)."""
        if not any(parent for _n, parent in linked.values()):
            return
        parents = dict(Department.objects.values_list("code", "parent__code"))
        parents.update({code: parent for code, (_n, parent) in linked.items()})
        for code, (number, _parent) in linked.items():
            loop = parent_loop(code, parents.get)
            if loop is not None:
                self.error(
                    number, "parent_code",
                    _("归口管理关系形成循环：%(chain)s。") % {"chain": " → ".join(loop)},
                )

    def plan_reports(self) -> None:
        self.load_reports()
        # Status moves through the workflow (workflow.py: checks, events, revisions); only
        # a report restored from an export is created with it (workflow.may_set_status).
        for number, record in self.records:
            if not self.check_unique(number, (record["year"], record["department_code"]), "year"):
                continue
            report = self.report_for(number, record)
            if report is None:
                continue
            values = self.field_values(record)
            status = record.get("status")
            if status is not None and status != report.status:
                if not workflow.may_set_status(self.user, report):
                    self.error(number, "status", _("无权通过导入更改报告状态。"))
                    continue
                values["status"] = status
            self.plan_row(
                number, record, report, values, f"{record['year']} {record['department_code']}",
                report=report,
            )

    def plan_budget_executions(self) -> None:
        self.load_reports()
        existing = {
            (b.report_id, b.funding_source_id): b
            for b in BudgetExecution.objects.filter(report__in=self.reports.values())
        }
        for number, record in self.records:
            key = (record["year"], record["department_code"], record["funding_source"])
            if not self.check_unique(number, key, "funding_source"):
                continue
            report = self.report_for(number, record)
            if report is None:
                continue
            source = self.sources[record["funding_source"]]
            row = existing.get((report.pk, source.pk)) if report.pk else None
            if row is None:
                row = BudgetExecution(report=report, funding_source=source)
            self.plan_row(number, record, row, self.field_values(record), " ".join(map(str, key)),
                          report=report)

    def plan_projects(self) -> None:
        self.load_reports()
        projects = Project.objects.filter(report__in=self.reports.values())
        existing = {(p.report_id, p.code): p for p in projects}
        next_position = defaultdict(int)
        for p in projects.values("report_id").annotate(top=Max("position")):
            next_position[p["report_id"]] = p["top"] or 0
        for number, record in self.records:
            key = (record["year"], record["department_code"], record["code"])
            if not self.check_unique(number, key, "code"):
                continue
            report = self.report_for(number, record)
            if report is None:
                continue
            project = existing.get((report.pk, record["code"])) if report.pk else None
            values = self.field_values(record)
            values["funding_source"] = self.sources[record["funding_source"]]
            if project is None:
                project = Project(report=report)
                slot = report.pk or ("new", id(report))
                next_position[slot] += 1
                values["position"] = next_position[slot]
            self.plan_row(number, record, project, values, " ".join(map(str, key)), report=report)

    def load_projects(self) -> dict[tuple[int, str], Project]:
        return {
            (p.report_id, p.code): p
            for p in Project.objects.filter(report__in=self.reports.values()).only(
                "id", "code", "report_id"
            )
        }

    def project_for(self, number: int, record: dict, report: Report, projects) -> Project | None:
        code = record.get("project_code")
        project = projects.get((report.pk, code)) if report.pk else None
        if project is None:
            self.error(
                number, "project_code",
                _("部门“%(department)s”%(year)s年度没有编码为“%(code)s”的项目。")
                % {"department": record["department_code"], "year": record["year"], "code": code},
            )
        return project

    def plan_project_funds(self) -> None:
        self.load_reports()
        projects = self.load_projects()
        existing = {
            (f.project_id, f.funding_source_id): f
            for f in ProjectFund.objects.filter(project__report__in=self.reports.values())
        }
        for number, record in self.records:
            key = (record["year"], record["department_code"], record["project_code"],
                   record["funding_source"])
            if not self.check_unique(number, key, "funding_source"):
                continue
            report = self.report_for(number, record, create=False)
            if report is None:
                if self.department_ok(record):
                    self.project_for(number, record, Report(), {})
                continue
            project = self.project_for(number, record, report, projects)
            if project is None:
                continue
            source = self.sources[record["funding_source"]]
            fund = existing.get((project.pk, source.pk)) or ProjectFund(
                project=project, funding_source=source
            )
            self.plan_row(number, record, fund, self.field_values(record),
                          " ".join(map(str, key)), report=report)

    def plan_narratives(self) -> None:
        self.load_reports()
        existing = {
            (n.report_id, n.position): n
            for n in OutcomeNarrative.objects.filter(report__in=self.reports.values())
        }
        for number, record in self.records:
            key = (record["year"], record["department_code"], record["position"])
            if not self.check_unique(number, key, "position"):
                continue
            report = self.report_for(number, record)
            if report is None:
                continue
            narrative = existing.get((report.pk, record["position"])) if report.pk else None
            if narrative is None:
                narrative = OutcomeNarrative(report=report, position=record["position"])
            self.plan_row(number, record, narrative, self.field_values(record),
                          " ".join(map(str, key)), report=report)

    def plan_indicators(self) -> None:
        self.load_reports()
        projects = self.load_projects()
        existing: dict[tuple, Indicator] = {}
        ambiguous: set[tuple] = set()
        next_position: dict[tuple, int] = defaultdict(int)
        stored = Indicator.objects.filter(report__in=self.reports.values())
        for ind in stored:
            key = (ind.report_id, ind.project_id, ind.name)
            if key in existing:
                ambiguous.add(key)
            existing[key] = ind
            slot = (ind.report_id, ind.project_id)
            next_position[slot] = max(next_position[slot], ind.position)
        for number, record in self.records:
            key = (record["year"], record["department_code"], record.get("project_code"), record["name"])
            if not self.check_unique(number, key, "name"):
                continue
            if record["level2"] not in LEVEL2_BY_LEVEL1[record["level1"]]:
                self.error(number, "level2", _("二级指标“%(level2)s”不属于一级指标“%(level1)s”。") % {
                    "level2": record["level2"], "level1": record["level1"],
                })
                continue
            report = self.report_for(number, record, create=record.get("project_code") is None)
            if report is None:
                if record.get("project_code") and self.department_ok(record):
                    self.project_for(number, record, Report(), {})
                continue
            project = None
            if record.get("project_code"):
                project = self.project_for(number, record, report, projects)
                if project is None:
                    continue
            match = (report.pk, project.pk if project else None, record["name"])
            if report.pk and match in ambiguous:
                self.error(number, "name", _("已有多个同名指标，无法确定要更新哪一个。"))
                continue
            indicator = existing.get(match) if report.pk else None
            values = self.field_values(record)
            for column, default in (("nature", "gte"), ("tier", ""), ("applicable", True)):
                if column in record:
                    values[column] = default if record[column] is None else record[column]
            values["level1"], values["level2"] = record["level1"], record["level2"]
            if indicator is None:
                indicator = Indicator(report=report, project=project)
                slot = (report.pk or ("new", id(report)), project.pk if project else None)
                next_position[slot] += 1
                values["position"] = next_position[slot]
            planned = self.plan_row(number, record, indicator, values,
                                    " ".join(str(k) for k in key if k is not None), report=report)
            if planned and self.planned[-1][0] != SKIP and not self.is_admin:
                # The admin form's rule (Indicator.clean): a qualitative score within its tier.
                problem = indicator._qualitative_score_error()
                if problem:
                    self.error(number, "score", str(problem))

    # Writing -------------------------------------------------------------------------------
    def write(self) -> None:
        reason = _("数据导入")
        if getattr(self, "new_reports", None):
            self.write_reports_first()
        if self.dataset.name in ("departments", "reports"):
            # Few rows, and each gets its ordinary history record.
            for action, obj, _changes in self.planned:
                if action == SKIP:
                    continue
                if isinstance(obj, Report) and obj.status == Report.Status.PUBLISHED:
                    obj.published_at = obj.published_at or timezone.now()
                obj._change_reason = reason
                obj.save()
            if self.dataset.name == "departments":
                self.write_parents()
            return
        # Rows pointing at reports created above pick up their ids when saved (Django
        # copies the id of an assigned related object at save and bulk_create time).
        model = self.dataset.model
        creates = [obj for action, obj, _c in self.planned if action == NEW]
        updates = [(obj, changes) for action, obj, changes in self.planned if action == UPDATE]
        if creates:
            model.objects.bulk_create(creates, batch_size=BATCH_SIZE)
            record_history(model, [obj.pk for obj in creates], "+", self.user, reason)
        if updates:
            fields = sorted({name for _obj, changes in updates for name in changes})
            model.objects.bulk_update([obj for obj, _c in updates], fields, batch_size=BATCH_SIZE)
            record_history(model, [obj.pk for obj, _c in updates], "~", self.user, reason)

    def write_reports_first(self) -> None:
        """Fiscal years and reports the rows need, created before the rows themselves."""
        missing_years = {r.year_value for r in self.new_reports.values()} - set(self.years)
        for year in sorted(missing_years):
            self.years[year] = FiscalYear.objects.get_or_create(year=year)[0]
        for report in self.new_reports.values():
            report.fiscal_year = self.years[report.year_value]
            if self.dataset.name != "reports":
                report._change_reason = _("数据导入")
                report.save()

    def write_parents(self) -> None:
        if not self.parent_links:
            return
        codes = {code for _d, code in self.parent_links if code}
        by_code = {d.code: d for d in Department.objects.filter(code__in=codes)}
        for department, code in self.parent_links:
            parent = by_code.get(code) if code else None
            if department.parent_id != (parent.pk if parent else None):
                department.parent = parent
                department._change_reason = _("数据导入")
                department.save(update_fields=["parent"])


def record_history(model, pks: list[int], history_type: str, user, reason: str) -> None:
    """Write the simple-history records of rows just created or updated, in the database.

    ``INSERT … SELECT`` copies each row as stored into its historical table: the same records
    simple_history's bulk helpers make (who, when, why, the row's values), without building
    a Python object per row, which was most of the time of a 100,000-row import.
    """
    history = model.history.model
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    own = [f.column for f in model._meta.concrete_fields]
    extra = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    columns = ", ".join(qn(c) for c in own + extra)
    selected = ", ".join(qn(c) for c in own)
    when = connection.ops.adapt_datetimefield_value(timezone.now())
    user_id = getattr(user, "pk", None)
    size = min(BATCH_SIZE, (connection.features.max_query_params or BATCH_SIZE) - len(extra))
    with connection.cursor() as cursor:
        for start in range(0, len(pks), size):
            batch = pks[start:start + size]
            marks = ", ".join(["%s"] * len(batch))
            cursor.execute(
                f"INSERT INTO {qn(history._meta.db_table)} ({columns}) "  # noqa: S608 (names are quoted model metadata)
                f"SELECT {selected}, %s, %s, %s, %s FROM {qn(model._meta.db_table)} "
                f"WHERE {qn(model._meta.pk.column)} IN ({marks})",
                [when, str(reason)[:100], history_type, user_id, *batch],
            )


def import_table(
    dataset: ds.Dataset, table: Table, *, user=None, dry_run: bool = False, keep_rows: bool = True
) -> ImportResult:
    """Check and (unless dry_run or any row is bad) write the rows of ``table``.

    ``keep_rows=False`` empties ``table.rows`` as they are read, for a caller done with them.
    """
    return Importer(dataset, table, user=user, dry_run=dry_run, keep_rows=keep_rows).run()


def import_file(
    dataset: ds.Dataset, data: bytes, *, filename: str = "", encoding: str | None = None,
    user=None, dry_run: bool = False,
) -> ImportResult:
    """Read a CSV or XLSX file and import it; a file that cannot be read is one error."""
    try:
        table = read_table(data, filename=filename, encoding=encoding)
    except ValueError as exc:
        result = ImportResult(dataset.name, dry_run)
        result.errors.append(RowError(None, "", str(exc)))
        return result
    return import_table(dataset, table, user=user, dry_run=dry_run, keep_rows=False)
