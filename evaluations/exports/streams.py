"""Streamed CSV exports of the seven datasets, in constant memory and Excel-safe.

Rows are read in chunks (`.iterator(chunk_size=…)`, or psycopg 3's COPY on PostgreSQL for
the flat datasets), written one CSV line at a time and handed out in blocks, so a million
indicator rows never sit in memory. Columns come from `datasets.py`: the keys of docs/design.md,
then the derived columns: the scores as stored (evaluations/scores.py; frozen at publication),
which the public page prints too, and the budget rows' sums and rates.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.conf import settings
from django.db import connections
from django.utils import translation

from evaluations import datasets as ds
from evaluations.exports import pg as pg_export
from evaluations.exports import stored
from evaluations.exports import targets as targets_export
from evaluations.exports.cycle import CYCLE_ROWS
from evaluations.exports.rows import (
    PREFETCH_CHUNK_SIZE,
    BudgetExecutionRow,
    ExportFilters,
    _pg_bool,
    _read_flat,
    _report_q,
    _sources,
    _text,
    budget_executions_queryset,
    departments_queryset,
    indicators_queryset,
    narratives_queryset,
    project_funds_queryset,
    projects_queryset,
    reports_queryset,
)
from evaluations.models import (
    BudgetExecution,
    FundingSource,
    Project,
    Report,
)
from indicators import scoring
from indicators.models import Indicator

BLOCK_ROWS = 500  # CSV lines joined into one piece of the response
BOM = "\ufeff"


def departments_rows(filters: ExportFilters) -> Iterator[tuple]:
    return _read_flat(departments_queryset(filters), (_text,) * 4)


def reports_rows(filters: ExportFilters) -> Iterator[tuple]:
    # The scores as stored (evaluations/scores.py): frozen for a published report.
    for report in reports_queryset(filters).iterator(chunk_size=PREFETCH_CHUNK_SIZE):
        yield (
            report.fiscal_year.year, report.department.code, report.status, report.profile,
            report.goals, report.overall_summary, report.problems, report.improvements,
            report.result_application, report.other_matters, report.rule_set.code,
            report.targets_status,
            report.execution_rate, report.execution_score, report.total_score, report.grade,
        )


def budget_executions_rows(filters: ExportFilters) -> Iterator[tuple]:
    rows = _read_flat(budget_executions_queryset(filters), (int, _text, _text) + (Decimal,) * 6)
    for row in map(BudgetExecutionRow._make, rows):
        basic = BudgetExecution.basic_of(row.personnel, row.public)
        expenditure = BudgetExecution.expenditure_of(row.personnel, row.public, row.project)
        yield (*row, basic, expenditure, scoring.execution_rate(expenditure, row.adjusted_budget))


def projects_rows(filters: ExportFilters) -> Iterator[tuple]:
    for project in projects_queryset(filters).iterator(chunk_size=PREFETCH_CHUNK_SIZE):
        yield (
            project.report.fiscal_year.year, project.report.department.code, project.code,
            project.name, project.funding_source.code, project.initial_budget,
            project.adjusted_budget, project.expenditure, project.goal, project.outcome,
            project.execution_rate, project.execution_score, project.total_score, project.grade,
        )


def project_funds_rows(filters: ExportFilters) -> Iterator[tuple]:
    return _read_flat(
        project_funds_queryset(filters), (int, _text, _text, _text) + (Decimal,) * 3
    )


def narratives_rows(filters: ExportFilters) -> Iterator[tuple]:
    return _read_flat(narratives_queryset(filters), (int, _text, int, _text, _text))


INDICATOR_CONVERTERS = (
    int, _text, _text, _text, _text, _text, _text, _text, Decimal, _text, Decimal, _text,
    Decimal, _text, _pg_bool, Decimal, _text, Decimal,
)


def indicators_rows(filters: ExportFilters) -> Iterator[tuple]:
    # final_score is the stored score (evaluations/scores.py), the last field read.
    return _read_flat(indicators_queryset(filters), INDICATOR_CONVERTERS)


ROWS: dict[str, Callable[[ExportFilters], Iterable[tuple]]] = {
    "departments": departments_rows,
    "reports": reports_rows,
    "budget_executions": budget_executions_rows,
    "projects": projects_rows,
    "project_funds": project_funds_rows,
    "narratives": narratives_rows,
    "indicators": indicators_rows,
    **targets_export.ROWS,  # target_adjustments, monitoring_spending, monitoring_progress
}


ROWS.update(CYCLE_ROWS)


# Files speak one language whatever the reader's page language: the import side reads the
# Chinese labels, and an export must import again unchanged.
def _in_file_language(function: Callable) -> Callable:
    # A fresh override per call: one shared instance would keep state across threads.
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return function(*args, **kwargs)

    return wrapper


# --- Writing cells -----------------------------------------------------------------------


def _formatter(
    column: ds.Column, header: str, source_names: dict[str, str], native_numbers: bool = False
) -> Callable:
    """A function turning one value of ``column`` into its cell text (labels resolved now).

    With ``native_numbers`` (spreadsheet formats) numbers stay Decimal or int, exact.
    """
    kind = column.type
    labels = header != "keys"
    if native_numbers and kind in (ds.AMOUNT, ds.VALUE, ds.POINTS, ds.RATE):
        return lambda v: None if v is None else Decimal(ds.format_decimal(kind, Decimal(v)))
    if native_numbers and kind in (ds.YEAR, ds.INTEGER):
        return lambda v: None if v is None else int(v)
    if kind in (ds.AMOUNT, ds.VALUE, ds.POINTS, ds.RATE):
        return lambda v: "" if v is None else ds.format_decimal(kind, Decimal(v))
    if kind in (ds.YEAR, ds.INTEGER):
        return lambda v: "" if v is None else str(int(v))
    if kind == ds.BOOLEAN:
        yes, no = (str(label) for _, label in column.choices) if labels else ("true", "false")
        return lambda v: "" if v is None else (yes if v else no)
    if kind == ds.CHOICE:
        mapping = {code: ds.make_inert(str(label) if labels else code) for code, label in column.choices}
        return lambda v: "" if not v else mapping.get(v, ds.make_inert(str(v)))
    if kind == ds.FUNDING_SOURCE and labels:
        mapping = {code: ds.make_inert(name) for code, name in source_names.items()}
        return lambda v: "" if not v else mapping.get(v, ds.make_inert(v))
    inert = ds.make_inert
    return lambda v: "" if v is None else inert(str(v))


class _Echo:
    """A file-like object whose write returns the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def header_row(dataset: ds.Dataset, header: str = "labels", *, derived: bool = True) -> list[str]:
    return [ds.make_inert(h) for h in dataset.headers(header, derived=derived)]


@_in_file_language
def stream_csv(
    dataset: ds.Dataset,
    filters: ExportFilters | None = None,
    *,
    header: str = "labels",
    bom: bool = False,
    rows: Iterable[tuple] | None = None,
) -> Iterator[str]:
    """CSV text of a dataset, in pieces. Labels and lookups are resolved before it returns.

    ``rows`` replaces the database read (used for templates and tests).
    """
    head = header_row(dataset, header)
    return _generate(head, formatted_rows(dataset, filters, header=header, rows=rows), bom)


@_in_file_language
def formatted_rows(
    dataset: ds.Dataset,
    filters: ExportFilters | None = None,
    *,
    header: str = "labels",
    rows: Iterable[tuple] | None = None,
    native_numbers: bool = False,
) -> Iterator[list]:
    """The cells of every row as text; lookups happen now, the rows are read lazily."""
    filters = filters or ExportFilters()
    needs_sources = header != "keys" and any(c.type == ds.FUNDING_SOURCE for c in dataset.columns)
    source_names = dict(FundingSource.objects.values_list("code", "name")) if needs_sources else {}
    formatters = [_formatter(c, header, source_names, native_numbers) for c in dataset.columns]
    source = rows if rows is not None else ROWS[dataset.name](filters)
    return ([fmt(v) for fmt, v in zip(formatters, row, strict=True)] for row in source)


def _line(writer, row: list) -> str:
    # csv.writer quotes a field holding CR or LF only when they are in its line terminator,
    # so it writes "\r\n" and the record ends with "\n" instead: the ending COPY writes, so
    # the PostgreSQL fast path (pg_export) gives the same bytes. Excel reads either ending.
    return writer.writerow(row)[:-2] + "\n"


def _generate(head: list[str], rows: Iterator[list[str]], bom: bool) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    pieces = [(BOM if bom else "") + _line(writer, head)]
    for row in rows:
        pieces.append(_line(writer, row))
        if len(pieces) >= BLOCK_ROWS:
            yield "".join(pieces)
            pieces = []
    if pieces:
        yield "".join(pieces)


@_in_file_language
def record_lines(
    dataset: ds.Dataset,
    filters: ExportFilters | None = None,
    *,
    header: str = "labels",
    rows: Iterable[tuple] | None = None,
) -> Iterator[str]:
    """Each record of the export as stream_csv writes it, without the header record (what
    storing.py keeps per report off PostgreSQL); labels resolved now, rows read lazily.
    ``rows`` replaces the database read, as in stream_csv."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    cells = formatted_rows(dataset, filters, header=header, rows=rows)
    return (_line(writer, row) for row in cells)


def csv_text(head: list[str], rows: Iterable[list[str]], *, bom: bool = False) -> str:
    """Cells already formatted (text made inert by the caller), written as every export
    writes them: the same quoting and line ending, the header made inert here."""
    return "".join(_generate([ds.make_inert(h) for h in head], iter(rows), bom))


def stream_csv_bytes(
    dataset: ds.Dataset,
    filters: ExportFilters | None = None,
    *,
    header: str = "labels",
    bom: bool = False,
    fast: bool = True,
) -> Iterator[bytes]:
    """The CSV file as UTF-8 bytes, in pieces: what commands and views send.

    On PostgreSQL the indicators dataset goes through one COPY that formats every cell in
    SQL (pg_export), byte for byte what stream_csv writes; ``fast=False`` forces the Python
    path (the differential test compares the two). Whole published reports may be read from
    their stored rows instead (exports/stored.py), on every database: the same bytes.
    """
    filters = filters or ExportFilters()
    on_postgresql = connections[Indicator.objects.db].vendor == "postgresql"
    if fast and dataset.name == "indicators" and on_postgresql:
        return _fast_indicators(filters, header, bom)
    if fast and dataset.name in stored.DATASETS and _whole_reports(filters):
        return _stored_or_live(dataset, filters, header, bom)
    return (piece.encode("utf-8") for piece in stream_csv(dataset, filters, header=header, bom=bom))


def _whole_reports(filters: ExportFilters) -> bool:
    """Whether the export selects whole reports: stored rows can stand for them."""
    return not filters.funding_sources and not filters.lookups


@_in_file_language
def _stored_or_live(
    dataset: ds.Dataset, filters: ExportFilters, header: str, bom: bool
) -> Iterator[bytes]:
    """The generic path of stored rows (PostgreSQL's is pg_export's): labels resolved now,
    the reports and rows read lazily; live when any report lacks them."""
    alias = Indicator.objects.db
    statement, params, _at = pg_export.copy_statement(header, alias=alias)
    kept = stored.kept_rows(dataset.name, header, stored.digest(statement, params))
    reports = Report.objects.using(alias).filter(**_report_q(filters, ""))
    live = stream_csv(dataset, filters, header=header, bom=bom)
    return _stored_or(live, _head(dataset, header, bom), reports, kept, alias)


def _head(dataset: ds.Dataset, header: str, bom: bool) -> bytes:
    """The header record as every path writes it (in the caller's language)."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    return ((BOM if bom else "") + _line(writer, header_row(dataset, header))).encode()


def _stored_or(live, head: bytes, reports, kept, alias: str) -> Iterator[bytes]:
    stored_ids = stored.report_plan(reports, kept)[3]
    if stored_ids is None:
        yield from (piece.encode("utf-8") for piece in live)
        return
    yield head
    yield from stored.read(stored_ids, alias)


@_in_file_language
def _fast_indicators(filters: ExportFilters, header: str, bom: bool) -> Iterator[bytes]:
    head = _head(ds.INDICATORS, header, bom)
    # The statement (labels included) is built now, in the file language; read lazily.
    report_q = _report_q(filters, "")
    body = pg_export.copy_bytes(
        header,
        reports=Report.objects.filter(**report_q) if report_q else None,
        projects=_sources(Project.objects.all(), filters) if filters.funding_sources else None,
        indicators=Indicator.objects.filter(**filters.lookups) if filters.lookups else None,
        alias=Indicator.objects.db,
    )
    return _closing_chain(head, body)


def _closing_chain(head: bytes, body: Iterator[bytes]) -> Iterator[bytes]:
    # A generator, not itertools.chain: closing it (a download the client left) closes the COPY,
    # which cancels the statement and frees the connection at once.
    yield head
    yield from body


@_in_file_language
def template_csv(dataset: ds.Dataset, *, header: str = "labels", bom: bool = True) -> str:
    """The empty import template: the header row of the columns an import reads."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    return (BOM if bom else "") + _line(writer, header_row(dataset, header, derived=False))
