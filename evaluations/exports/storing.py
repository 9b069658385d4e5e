"""Writing each published report's stored rows (exports/stored.py; docs/design.md, "Exports of
published reports: stored rows"): once a publication commits, in bulk for generated data,
and by ``manage.py store_rows`` (after a label, a format or a department code changed).

The bytes are the live path's own. On PostgreSQL one statement per batch of reports and
header mode: the export's, with each record's report id as an extra first cell, cut per
report here (bench/RESULTS.md: a statement per report took 44 s for 10,000 reports).
Elsewhere the Python path, a report at a time.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import DatabaseError, connections, router, transaction
from django.utils import translation

from evaluations import datasets as ds
from evaluations.exports import pg as pg_export
from evaluations.exports import stored
from evaluations.exports.rows import ExportFilters
from evaluations.exports.streams import record_lines
from evaluations.models import Report, StoredRows

logger = logging.getLogger(__name__)

BATCH_REPORTS = 500  # reports cut and written at once: about 6 MB a header mode at 100 rows each
INSERT_ROWS = 100  # stored rows a statement writes


def after_publication(report_id: int) -> None:
    """Store the report's rows once its publication commits. Quietly: until they are written
    (or if writing fails) exports read the report live, with the same bytes."""

    def write() -> None:
        try:
            store([report_id])
        except DatabaseError:
            logger.exception("stored rows of report %s not written; exports read it live", report_id)

    transaction.on_commit(write, using=router.db_for_write(Report))


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
    ids, revisions, years, codes = (list(column) for column in zip(*reports, strict=True))
    (dataset,) = stored.DATASETS  # the indicators: copy_statement's dataset
    for header, digest in digests.items():
        records = _records(header, ids, years, codes, alias)
        StoredRows.objects.using(alias).bulk_create(
            (
                StoredRows(
                    report_id=report, revision=revision, dataset=dataset, header=header,
                    year=year, department_code=code, digest=digest,
                    rows=len(records[report]), data=b"".join(records[report]),
                )
                for report, revision, year, code in reports
            ),
            batch_size=INSERT_ROWS,
        )
    return len(reports)


def _records(
    header: str, ids: list[int], years: list[int], codes: list[str], alias: str
) -> dict[int, list[bytes]]:
    """Each report's records as the export writes them, by report id."""
    records: dict[int, list[bytes]] = defaultdict(list)
    if connections[alias].vendor == "postgresql":
        for report, record in pg_export.report_records(header, ids, years, codes, alias):
            records[report].append(record)
        return records
    for report in ids:
        lines = record_lines(ds.INDICATORS, ExportFilters(lookups={"report_id": report}), header=header)
        records[report] = [line.encode("utf-8") for line in lines]
    return records
