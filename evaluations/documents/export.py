"""A year's official files written to a directory (manage.py export_documents).

A published revision's stored files are copied; a report without them (published outside
the workflow, as generate_data and load_sample do) has them built and stored, as its first
download would. Each file is written to a temporary name and renamed when complete; a
process holds one report's files at a time. ``jobs`` > 1 builds in that many processes, this
one and ``jobs - 1`` forked workers (export_worker.py; the PDF is most of the cost, and one
process uses one core); all write a report's files through export_report.py.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
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
    # The exporting process is one of the ``jobs``: it builds reports beside ``jobs - 1``
    # forked workers, taking the next report from the same queue. A parent that only waited
    # held ~70 MB of its own (the ids, Django, the loaded modules' private pages) for nothing:
    # with two idle-parent workers the tree was ~345 MB (PSS), over the 300 MB allowed.
    pending = deque(ids)
    running: dict = {}
    done = 0

    def counted(code: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(ids), code)

    def finished(future) -> None:
        code = running.pop(future)
        future.result()  # a failure stops the export with its error
        counted(code)

    with export_worker.forked() as context:
        with ProcessPoolExecutor(max_workers=jobs - 1, mp_context=context) as pool:
            try:
                while pending or running:
                    # Two reports queued a worker, so that none waits while this process builds.
                    while pending and len(running) < 2 * (jobs - 1):
                        pk, code = pending.popleft()
                        running[pool.submit(export_worker.write, pk, output / code)] = code
                    if pending:
                        pk, code = pending.popleft()
                        write_report(pk, output / code)
                        counted(code)
                        for future in [f for f in running if f.done()]:
                            finished(future)
                    else:
                        for future in wait(running, return_when=FIRST_COMPLETED).done:
                            finished(future)
            except BaseException:
                pool.shutdown(cancel_futures=True)  # not the reports still queued
                raise
            finally:
                thaw()
    return len(ids)
