"""A year's official files written to a directory (manage.py export_documents).

A published revision's stored files are copied; a report without them (published outside
the workflow, as generate_data and load_sample do) has them built and stored, as its first
download would. Each file is written to a temporary name and renamed when complete; a
process holds one report's files at a time. ``jobs`` > 1 builds in that many worker
processes, started fresh (export_worker.py; the PDF is most of the cost, and one process
uses one core); both write a report's files through export_report.py.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from django.db import connections

from evaluations.documents import export_worker
from evaluations.documents.export_report import write_report
from evaluations.models import Report


def export_year(
    year: int, output: Path, *, department: str | None = None, jobs: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    reports = Report.objects.published().filter(fiscal_year__year=year)
    if department:
        reports = reports.filter(department__code=department)
    ids = list(reports.order_by("department__code").values_list("pk", "department__code"))
    if jobs <= 1:
        frozen = gc.get_freeze_count()
        try:
            for done, (pk, code) in enumerate(ids, start=1):
                write_report(pk, output / code)
                if progress:
                    progress(done, len(ids), code)
        finally:
            if not frozen:
                gc.unfreeze()  # write_report froze the survivors of the first report
        return len(ids)
    databases = {alias: connections[alias].settings_dict["NAME"] for alias in connections}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                             initializer=export_worker.start, initargs=(databases,)) as pool:
        futures = {pool.submit(export_worker.write, pk, output / code): code for pk, code in ids}
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()  # a failure stops the export with its error
                if progress:
                    progress(done, len(ids), futures[future])
        except BaseException:
            pool.shutdown(cancel_futures=True)  # not the reports still queued
            raise
    return len(ids)
