"""Writing each published report's stored rows (exports/stored.py; docs/design.md, "Exports of
published reports: stored rows"): at publication, in bulk for generated data,
and by ``manage.py store_rows`` (after a label, a format or a department code changed).

The bytes are the live path's own. On PostgreSQL one statement per batch of reports and
header mode: the export's, with each record's report id as an extra first cell, cut per
report here (bench/RESULTS.md: a statement per report took 44 s for 10,000 reports).
Elsewhere the Python path, one query a batch and header mode, cut by year and department.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone, translation

from evaluations import datasets as ds
from evaluations.exports import pg as pg_export
from evaluations.exports import stored
from evaluations.exports.rows import ExportFilters
from evaluations.exports.streams import ROWS, record_lines
from evaluations.models import Report, StoredRows

logger = logging.getLogger(__name__)

BATCH_REPORTS = 500  # reports cut and written at once: about 6 MB a header mode at 100 rows each
INSERT_ROWS = 100  # stored rows an INSERT writes (off PostgreSQL)


def at_publication(report_id: int) -> None:
    """Store the report's rows in its publication's transaction (workflow._move), after the
    status change, in a savepoint: if writing fails the failure is logged and the publication
    stands, its report exported live (the same bytes) until ``store_rows`` runs."""
    try:
        store([report_id])
    except DatabaseError:
        logger.exception("stored rows of report %s not written; exports read it live", report_id)


def store(report_ids: Iterable[int], *, using: str | None = None) -> int:
    """Write the stored rows of the published reports among ``report_ids`` in every dataset
    and header mode kept, replacing theirs; a report no longer published loses them.
    Returns how many reports were written. One transaction; each batch's reports are locked
    first (``SELECT … FOR UPDATE``), so a write to their rows waits for it, or it for the write.
    """
    alias = using or router.db_for_write(StoredRows)
    ids = sorted(set(report_ids))
    written = 0
    with transaction.atomic(using=alias), translation.override(settings.LANGUAGE_CODE):
        digests = {  # the statement as exports compile it: labels in the file language
            header: stored.digest(*pg_export.copy_statement(header, alias=alias)[:2])
            for header in stored.HEADERS
        }
        for start in range(0, len(ids), BATCH_REPORTS):
            written += _store_batch(ids[start:start + BATCH_REPORTS], digests, alias)
    return written


def _store_batch(batch: list[int], digests: dict[str, str], alias: str) -> int:
    reports = list(
        Report.objects.using(alias).select_for_update(of=("self",))
        .filter(pk__in=batch, status=Report.Status.PUBLISHED)
        .order_by("fiscal_year__year", "department__code")
        .values_list("id", "revision", "fiscal_year__year", "department__code")
    )
    StoredRows.objects.using(alias).filter(report_id__in=batch).delete()
    if not reports:
        return 0
    ids, _revisions, years, codes = (list(column) for column in zip(*reports, strict=True))
    (dataset,) = stored.DATASETS  # the indicators: copy_statement's dataset
    now = timezone.now()
    for header, digest in digests.items():
        records = _records(header, ids, years, codes, alias)
        rows = [
            (report, revision, dataset, header, year, code, digest,
             *records.get(report, (0, b"")), now)
            for report, revision, year, code in reports
        ]
        _write(rows, alias)
    return len(reports)


def _records(
    header: str, ids: list[int], years: list[int], codes: list[str], alias: str
) -> dict[int, tuple[int, bytes]]:
    """Each report's records as the export writes them: how many, and their bytes."""
    if connections[alias].vendor == "postgresql":
        return {
            report: (count, data)
            for report, count, data in pg_export.report_records(header, ids, years, codes, alias)
        }
    # The Python path over the batch (one query), cut per report by its year and department
    # code, the first two cells: one report per department a year, in document order.
    reports = {(year, code): report for report, year, code in zip(ids, years, codes, strict=True)}
    rows = ROWS[ds.INDICATORS.name](ExportFilters(lookups={"report_id__in": ids}))
    records = {}
    for key, group in itertools.groupby(rows, key=lambda row: (row[0], row[1])):
        lines = list(record_lines(ds.INDICATORS, header=header, rows=group))
        records[reports[key]] = (len(lines), "".join(lines).encode("utf-8"))
    return records


COLUMNS = (
    "report_id", "revision", "dataset", "header", "year", "department_code", "digest", "rows",
    "data", "created_at",
)
# Binary COPY takes each value in its column's exact type (bytea as it is, not in hex).
PG_TYPES = ("int8", "int4", "text", "text", "int2", "text", "text", "int4", "bytea", "timestamptz")


def _write(rows: list[tuple], alias: str) -> None:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        StoredRows.objects.using(alias).bulk_create(
            (StoredRows(**dict(zip(COLUMNS, row, strict=True))) for row in rows),
            batch_size=INSERT_ROWS,
        )
        return
    quote = connection.ops.quote_name
    statement = (
        f"COPY {quote(StoredRows._meta.db_table)} ({', '.join(map(quote, COLUMNS))})"
        " FROM STDIN (FORMAT binary)"
    )
    if connection.queries_logged:  # COPY bypasses Django's cursor wrapper
        connection.queries_log.append({"sql": statement, "time": "0.000"})
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        copy.set_types(PG_TYPES)
        for row in rows:
            copy.write_row(row)
