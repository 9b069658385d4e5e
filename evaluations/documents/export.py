"""A year's official files written to a directory (manage.py export_documents).

A published revision's stored files are copied; a report without them (published outside
the workflow, as generate_data and load_sample do) has them built and stored, as its first
download would. Each file is written to a temporary name and renamed when complete; a
process holds one report's files at a time. ``jobs`` > 1 builds in that many worker
processes (export_worker.py; the PDF is most of the cost, and one process uses one core);
both write a report's files through export_report.py.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from evaluations.documents import export_worker
from evaluations.documents.export_report import thaw, write_report
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
        try:
            for done, (pk, code) in enumerate(ids, start=1):
                write_report(pk, output / code)
                if progress:
                    progress(done, len(ids), code)
        finally:
            thaw()
        return len(ids)
    with export_worker.forked() as context:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
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
