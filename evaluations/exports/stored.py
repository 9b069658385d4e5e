"""Each published report's exported rows kept as the export writes them, and read back in
document order instead of formatting them again (docs/design.md, "Exports of published
reports: stored rows"; bench/RESULTS.md: 1.5 CPU-s a million rows live, 0.1 stored).

The rows of a report are kept per dataset and header mode in `StoredRows`, written by the
live path itself (`exports/storing.py`). They stand for the report only while they still
describe it: the report is published, at the revision, year and department code they were
written for, and ``digest`` is that of the export statement as it compiles now (every label,
format and guard of the cells enters the statement, so a change of any moves it). A write to
the report's rows deletes them (``scores.rows_written``). An export uses them only when it
selects whole reports (no funding source or admin lookups) and every selected report has
them; otherwise it runs live as a whole, so the queries stay the same few whatever the mix.
This module imports no export path: pg.py and streams.py read through it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Case, OuterRef, QuerySet, Subquery, When

from evaluations.models import Report, StoredRows

# Bump when what the bytes mean changes other than through the export statement's text or
# parameters (e.g. how they are cut per report).
FORMAT = "1"
DATASETS = ("indicators",)  # the million-row dataset; the others are small and stay live
HEADERS = ("keys", "labels")
READ_REPORTS = 20  # reports' bytes read at once on the generic path (about 250 kB)


def digest(statement: str, params: list) -> str:
    """What the stored bytes were written by: the export statement as compiled, without the
    report arrays it is run over (exports/pg.py, copy_statement)."""
    return hashlib.sha256(repr((FORMAT, statement, params)).encode()).hexdigest()


def kept_rows(dataset: str, header: str, statement_digest: str) -> Case:
    """For a report queryset's annotate: the id of the report's stored rows when they still
    describe it, else NULL."""
    rows = StoredRows.objects.filter(
        report=OuterRef("pk"), dataset=dataset, header=header, digest=statement_digest,
        revision=OuterRef("revision"), year=OuterRef("fiscal_year__year"),
        department_code=OuterRef("department__code"),
    ).values("pk")[:1]
    return Case(When(status=Report.Status.PUBLISHED, then=Subquery(rows)))


def report_plan(reports: QuerySet, kept: Case | None = None) -> tuple[list, list, list, list | None]:
    """The exported reports in document order: their ids, years and department codes, and,
    with ``kept`` (kept_rows), their stored rows' ids when every report has them, else None.

    The ORDER BY of the Python path, run by Django on the same database (same collation); a
    department has one report a year, so there are no ties. One query.
    """
    fields = ["id", "fiscal_year__year", "department__code"]
    if kept is not None:
        reports = reports.annotate(kept_rows_id=kept)
        fields.append("kept_rows_id")
    rows = reports.order_by("fiscal_year__year", "department__code").values_list(*fields)
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * len(fields)
    stored = columns[3] if kept is not None and None not in columns[3] else None
    return columns[0], columns[1], columns[2], stored


def read(ids: list[int], alias: str) -> Iterator[bytes]:
    """The stored bytes of ``ids`` (report_plan's, every one valid) in document order, in one
    query read a few reports at a time (the generic path; PostgreSQL's is a COPY, pg.py).

    Valid rows hold their report's year and department code as they are now, so ordering by
    them is the reports' order.
    """
    rows = StoredRows.objects.using(alias).filter(pk__in=ids).order_by("year", "department_code")
    count = 0
    for data in rows.values_list("data", flat=True).iterator(chunk_size=READ_REPORTS):
        count += 1
        yield bytes(data)
    if count != len(ids):  # replaced since the plan was read: never a shorter file
        raise DatabaseError("stored rows changed during the export")


def forget(report_ids) -> None:
    """The reports' rows were written: their stored rows no longer describe them."""
    StoredRows.objects.filter(report_id__in=report_ids).delete()
