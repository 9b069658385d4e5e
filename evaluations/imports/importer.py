"""Imports of the seven datasets from CSV or XLSX: every row is checked, then all are written, or none.

Rows are matched on readable keys (department code + year + project code …), never on ids, so
importing a file twice changes nothing the second time. The file is read, parsed, checked and
written in chunks inside one transaction, rolled back when any row is bad (or for a dry run),
so memory stays flat however long the file. ``manage.py import_data`` calls
:func:`import_file`, and so does the admin's import page (admin/imports.py): a dry run for its
preview, the import itself on confirm.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import sys
import threading
import unicodedata
from collections.abc import Iterator

from django.db import DataError, IntegrityError, connections, router, transaction
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from common.formatting import join_names
from evaluations import access, scores
from evaluations import datasets as ds
from evaluations.imports.cells import CellError, CellParser, header_name, label_names, norm
from evaluations.imports.context import (
    OUTCOMES_FULL,
    OUTCOMES_LIGHT,
    OUTCOMES_NONE,
    ImportRun,
)
from evaluations.imports.locks import ReportChanged
from evaluations.imports.reading import (
    ReadError,
    ReadLimits,
    Table,
    TableReader,
    open_table,
    read_table,
    rows_to_table,
)
from evaluations.imports.registry import PLANS
from evaluations.imports.results import (
    MAX_ERRORS,
    NEW,
    SKIP,
    UPDATE,
    ImportResult,
    RowError,
    RowOutcome,
    TooManyErrors,
)
from evaluations.imports.writer import Writer, record_history
from evaluations.workflow import acting_as

CHUNK_ROWS = 2000  # rows parsed, checked and written at a time
# Chunks whose lookups (the reports, projects and stored rows they point at) are read at once:
# a plan that looks up a window (DatasetPlan.look_up) sends no statement for its chunks, so each
# chunk's write starts as soon as it is planned, beside the next chunk's parsing and planning.
WINDOW_CHUNKS = 5
COLLECT_EVERY = 20_000  # the garbage collector's first threshold while importing (gc)
SWITCH_INTERVAL = 0.001  # seconds a thread holds the interpreter's lock while importing, at most
UNKNOWN_COLUMNS_LISTED = 5  # more unknown headers than this are one message with a count

__all__ = [
    "MAX_ERRORS", "NEW", "SKIP", "UPDATE", "ImportResult", "ReadError", "ReadLimits", "RowError",
    "RowOutcome", "Table", "import_file", "import_table", "read_table", "record_history",
    "rows_to_table",
]


class Importer:
    """Reads one dataset's rows, then plans and writes them chunk by chunk, all or nothing."""

    def __init__(self, dataset: ds.Dataset, headers: list[str], rows: Iterator, *, user=None,
                 dry_run: bool = False, outcomes: str = OUTCOMES_FULL,
                 changes_kept: int = 0) -> None:
        self.dataset = dataset
        self.headers = headers
        self.rows = rows
        self.dry_run = dry_run
        self.result = ImportResult(dataset.name, dry_run, headers=list(headers))
        self.run_state = ImportRun(dataset, self.result, user=user, outcomes=outcomes,
                                   changes_kept=changes_kept)
        self.plan = PLANS[dataset.name](self.run_state)
        self.writer = Writer(self.run_state, self.plan)
        self.user = user
        # Where a row's cell can be stray: past the headers, or under a blank one.
        self.headed = len(headers)
        self.misaligned: set[int] = set()  # CSV rows longer than the header (long_row)
        self.unheaded = any(not h.strip() for h in headers)

    def run(self) -> ImportResult:
        result = self.result
        if not access.has_permission(self.user, access.IMPORT_DATA):
            # The admin checks this too; the importer holds the rule for every caller.
            result.errors.append(RowError(None, "", _("无权导入数据。")))
            return result
        if not any(h.strip() for h in self.headers):
            result.errors.append(RowError(1, "", _("文件是空的：没有表头行。")))
            return result
        positions = self.positions = self.map_headers()
        if not result.errors:
            self.run_all(positions)
        if result.errors:
            result.errors.sort(key=lambda e: e.row or 0)
            result.discard_rows()
        elif self.dry_run:
            self.forget_new_ids()
        return result

    def run_all(self, positions: dict[str, int]) -> None:
        result = self.result
        try:
            # Every chunk's reports are rescored once, when the last chunk is in (scores.py).
            with import_settings(), transaction.atomic(), self.acting(), scores.deferred():
                # A header-only file is an empty dataset (an export of one): 0 rows, not an
                # error, so an export → import round trip of every dataset works (issue 14.13).
                with self.writer.writing():
                    self.stream(positions)
                if result.errors or self.dry_run:
                    transaction.set_rollback(True)
        except TooManyErrors:
            result.errors.append(RowError(None, "", _("错误过多，其余未列出。")))
        except ReadError as exc:
            result.errors.extend(exc.errors)
        except ReportChanged as exc:
            result.errors.append(RowError(None, "", str(exc)))
        except (IntegrityError, DataError) as exc:
            # Someone changed the same report meanwhile; nothing of this import was kept.
            result.errors.append(
                RowError(None, "", _("数据库拒绝写入，未导入任何数据：%(error)s") % {"error": exc})
            )

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
            for label in label_names(column.label):
                names.setdefault(label, column.key)
        positions: dict[str, int] = {}
        unknown: list[str] = []
        for index, header in enumerate(self.headers):
            if not header.strip():
                continue
            key = names.get(norm(header)) or self.header_with_unit(header, names)
            if key == "":
                continue  # a unit not the column's: refused (header_with_unit)
            if key is None:
                unknown.append(header)
            elif key in positions:
                self.result.errors.append(RowError(1, header, _("列重复。")))
            elif not self.dataset.column(key).derived:  # derived: computed on export only
                positions[key] = index
                self.run_state.header_of[key] = header.strip()
        self.unknown_columns(unknown)
        for column in self.dataset.import_columns:
            if column.required and column.key not in positions:
                self.result.errors.append(RowError(1, str(column.label), _("缺少必填列。")))
        return positions

    def unknown_columns(self, unknown: list[str]) -> None:
        if len(unknown) <= UNKNOWN_COLUMNS_LISTED:
            self.result.errors.extend(RowError(1, h, self.unknown_column(h)) for h in unknown)
            return
        shown = join_names(f"“{h.strip()[:40]}”" for h in unknown[:UNKNOWN_COLUMNS_LISTED])
        self.result.errors.append(RowError(1, "", _("有 %(count)s 个未知的列：%(names)s等。") % {
            "count": len(unknown), "names": shown,
        }))

    def header_with_unit(self, header: str, names: dict[str, str]) -> str | None:
        """The column a header names with its full-width forms or with a unit after it (None:
        none); "" when the unit is not the column's own, refused here, naming both."""
        name, unit = header_name(header)
        whole = f"{name}({unit})" if unit else name  # a label with brackets of its own: (文字)
        if whole in names or not unit:
            return names.get(whole)
        key = names.get(name)
        if key is None:
            return None
        own = str(self.dataset.column(key).unit)
        if unicodedata.normalize("NFKC", own) == unit:
            return key
        self.result.errors.append(RowError(1, header, (
            _("此列的单位是%(unit)s，表头写的是“%(written)s”：请换算成%(unit)s，或去掉表头中的单位。")
            if own else _("此列没有单位，表头写的是“%(written)s”：请去掉表头中的单位。")
        ) % {"unit": own, "written": unit}))
        return ""

    def unknown_column(self, header: str) -> str:
        """未知的列, with the column it most looks like (年初预算 → 年初预算数), if one does; a
        header row that is one cell is said to look like a title above the header."""
        if sum(1 for h in self.headers if h.strip()) == 1:
            return _("未知的列：第 1 行应为表头（各列的名称），这一行像是表格的标题，请删去它。")
        labels = {str(c.label): c for c in self.dataset.import_columns}
        close = difflib.get_close_matches(header_name(header)[0], list(labels), n=1, cutoff=0.6)
        if close:
            return _("未知的列。是否应为“%(label)s”？") % {"label": close[0]}
        return _("未知的列。")

    def stream(self, positions: dict[str, int]) -> bool:
        """Parse, plan and write the rows chunk by chunk; whether the file had any data row."""
        # (column key, the cell's index in a row, the values of cells read before, how a cell
        # is read: cells.CellParser)
        parsers = {
            key: CellParser(self.dataset, self.dataset.column(key), self.run_state.sources)
            for key in positions
        }
        columns = [(key, index, parsers[key].seen, parsers[key].parse) for key, index in positions.items()]
        window: list[tuple[int, dict]] = []
        seen = False
        for number, cells in self.rows:
            seen = True
            if number in self.misaligned:
                continue
            # Rows whose cells are malformed are left out of planning, so the lookups
            # (unknown department, no permission, duplicates) still report on the rest.
            record = self.parse_row(number, cells, columns)
            if record is not None:
                window.append((number, record))
            if len(window) >= CHUNK_ROWS * WINDOW_CHUNKS and self.plan.chunked:
                self.flush_window(window)
        if window:
            self.flush_window(window)
        for number, first in self.run_state.keys.repeated():
            self.run_state.error(number, self.run_state.keys.column, _("与第 %(row)s 行重复。") % {"row": first})
        return seen

    def short_row(self, number: int, width: int) -> None:
        """A CSV row with fewer cells than the header (TableReader.short_row). Free text may be
        left off the row's end and reads as blank, as an empty cell does; a row that leaves
        off anything else (an amount, a code, a year) was cut — by a line break typed into an
        unquoted cell, or by hand — and is refused, naming the first such column, rather than
        read as blanks (an amount left blank is 0)."""
        for key, index in sorted(self.positions.items(), key=lambda item: item[1]):
            column = self.dataset.column(key)
            if index >= width and (column.type != ds.TEXT or column.required):
                header = self.headers[index].strip()
                raise ReadError(errors=[RowError(number, header, _(
                    "此行只有 %(cells)s 个单元格，表头有 %(columns)s 列：从“%(column)s”列起缺少单元格"
                    "（此行是否被换行截断，或少了逗号？）。")
                    % {"cells": width, "columns": len(self.headers), "column": header[:40]})])

    def long_row(self, number: int, width: int) -> None:
        """A CSV row with more cells than its header (TableReader.long_row): refused, and left
        out of planning, whatever its cells read as."""
        self.misaligned.add(number)
        self.run_state.error(number, "", _(
            "此行有 %(cells)s 个单元格，表头只有 %(columns)s 列：单元格已错位（数字中的逗号未加引号，"
            "如 1,828.90？）。") % {"cells": width, "columns": len(self.headers)})

    def parse_row(self, number: int, cells: list[str], columns) -> dict | None:
        record, valid = {}, True
        # A cell with no header above it is a shifted row (an unquoted comma in "1,828.90"
        # reads as two cells): refused, or the rest of the row would be silently dropped.
        headers = self.headers
        width = len(cells)
        stray = [
            i for i, cell in enumerate(cells)
            if cell.strip() and (i >= len(headers) or not headers[i].strip())
        ] if width > self.headed or self.unheaded else []
        if stray:
            self.run_state.error(
                number, "", _("第 %(column)s 列有内容，但没有表头（逗号未加引号或单元格错位？）。")
                % {"column": stray[0] + 1},
            )
            valid = False
        for key, index, seen, parse in columns:
            cell = cells[index] if index < width else ""
            if cell in seen:  # read before (CellParser.read_once): most cells of a long file
                record[key] = seen[cell]
                continue
            try:
                record[key] = parse(cell)
            except CellError as exc:
                self.run_state.error(number, key, str(exc))
                valid = False
        return record if valid else None

    def flush_window(self, window: list[tuple[int, dict]]) -> None:
        """Look up what a window of rows points at, then plan and write it chunk by chunk;
        ``window`` is emptied as its chunks are planned.

        The lookups and holds run before the write of the last chunk of the window before
        (Writer.overtaking), which they need not wait for: they read the reports, projects and
        rules the file names (no chunk writes those), the last positions of reports no earlier
        window named (no chunk wrote into those; a report this import created goes on from its
        own count, PositionedPlan.report_stored), and the stored rows of the names in the file
        (a row of an earlier window with one of them is the same key twice, refused however
        it is found: context.KeysSeen); the totals they write are of projects and reports."""
        with self.writer.overtaking(), by_index(self.dataset.model):
            self.writer.hold(self.plan.look_up(window), len(window))
        while window:
            chunk = window[:CHUNK_ROWS] if self.plan.chunked else window[:]
            del window[:len(chunk)]
            self.flush(chunk, last_of_window=not window)

    def flush(self, chunk: list[tuple[int, dict]], *, last_of_window: bool = False) -> None:
        """Plan one chunk and, while the file has no error yet, write it."""
        run = self.run_state
        run.next_chunk()
        self.plan.plan(chunk)
        if not self.result.errors:
            self.writer.write_chunk(last_of_window=last_of_window)
        run.planned = []

    def forget_new_ids(self) -> None:
        """A dry run wrote and rolled back: its new rows have no ids to show."""
        for outcome in self.result.rows:
            if outcome.action == NEW and outcome.instance is not None:
                outcome.instance.pk = None


@contextlib.contextmanager
def by_index(model) -> Iterator[None]:
    """A window's lookups on PostgreSQL (and its locks and totals, Writer.hold) read by index,
    whatever the tables' statistics say. They ask for the rows of about a hundred reports
    (``report_id IN (…)``); in a database loaded in bulk and not yet analysed (or a table the
    import is filling, in its own transaction), the planner guessed half the table and scanned
    all of it: a million-row import into a database without statistics read 50 million
    indicator rows, the growing table 100 times, and took 89 s; 64 s reading by index."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # till RESET, or the transaction's end
    yield  # after an error the transaction is undone, the setting with it
    with connection.cursor() as cursor:
        cursor.execute("RESET enable_seqscan")


_settings_lock = threading.Lock()
_settings = {"imports": 0, "thresholds": gc.get_threshold(), "interval": sys.getswitchinterval()}


@contextlib.contextmanager
def import_settings() -> Iterator[None]:
    """The process's settings while any import runs, restored when the last one ends:
    - Python's cyclic garbage collector less often (every COLLECT_EVERY new container objects,
      not 700): it scanned the young objects of a large import for ~9 % of its time, and the
      rows' objects form no cycles (they are freed as each chunk ends; the memory tests bound
      the import's growth, tests/evaluations/test_import_streaming.py);
    - the interpreter's lock handed between threads within SWITCH_INTERVAL, not 5 ms: the
      thread writing in the background (background.py) takes it back after each statement,
      and waited ~5 ms each time while the importing thread planned (a fifth of a
      million-row import's waits)."""
    with _settings_lock:
        _settings["imports"] += 1
        if _settings["imports"] == 1:
            _settings["thresholds"] = gc.get_threshold()
            _settings["interval"] = sys.getswitchinterval()
            gc.set_threshold(COLLECT_EVERY, *_settings["thresholds"][1:])
            sys.setswitchinterval(min(SWITCH_INTERVAL, _settings["interval"]))
    try:
        yield
    finally:
        with _settings_lock:
            _settings["imports"] -= 1
            if _settings["imports"] == 0:
                gc.set_threshold(*_settings["thresholds"])
                sys.setswitchinterval(_settings["interval"])


def _consumed(table: Table, keep_rows: bool) -> Iterator[tuple[int, list[str]]]:
    rows = table.rows
    for index, row in enumerate(rows):
        if not keep_rows:
            rows[index] = None  # the caller is done with it: not held through the import
        yield row
    if not keep_rows:
        rows.clear()


def import_table(
    dataset: ds.Dataset, table: Table, *, user=None, dry_run: bool = False, keep_rows: bool = True
) -> ImportResult:
    """Check and (unless dry_run or any row is bad) write the rows of ``table``.

    ``keep_rows=False`` empties ``table.rows`` as they are read, for a caller done with them;
    its result lists each row's outcome without the values read.
    """
    outcomes = OUTCOMES_FULL if keep_rows else OUTCOMES_LIGHT
    importer = Importer(dataset, table.headers, _consumed(table, keep_rows), user=user,
                        dry_run=dry_run, outcomes=outcomes)
    return importer.run()


def import_file(
    dataset: ds.Dataset, data: bytes, *, filename: str = "", encoding: str | None = None,
    user=None, dry_run: bool = False, limits: ReadLimits | None = None, changes_kept: int = 0,
) -> ImportResult:
    """Read a CSV or XLSX file row by row and import it; counts only, and the outcomes of the
    first ``changes_kept`` new or changed rows (what the admin's preview lists).

    A file that cannot be read is one error (or one per cell, where the reader names them).
    """
    try:
        reader: TableReader = open_table(data, filename=filename, encoding=encoding, limits=limits)
    except ReadError as exc:
        result = ImportResult(dataset.name, dry_run)
        result.errors.extend(exc.errors)
        return result
    importer = Importer(dataset, reader.headers, reader.rows(), user=user, dry_run=dry_run,
                        outcomes=OUTCOMES_NONE, changes_kept=changes_kept)
    if reader.csv:
        reader.short_row = importer.short_row
        reader.long_row = importer.long_row
    return importer.run()
