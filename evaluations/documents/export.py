"""A year's official files written to a directory (manage.py export_documents).

A published revision's stored files are copied; a report without them (published outside
the workflow, as generate_data and load_sample do) has them built and stored, as its first
download would. Each file is written to a temporary name and renamed when complete; a
process holds one report's files at a time. ``jobs`` > 1 builds in that many worker
processes, started fresh (export_worker.py; the PDF is most of the cost, and one process
uses one core).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from django.db import connections

from evaluations.documents import export_worker
from evaluations.documents.storage import KINDS, published_file
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
        for done, (pk, code) in enumerate(ids, start=1):
            write_report(pk, output / code)
            if progress:
                progress(done, len(ids), code)
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


def write_report(pk: int, directory: Path) -> None:
    report = Report.objects.select_related("department", "fiscal_year").get(pk=pk)
    directory.mkdir(parents=True, exist_ok=True)
    for kind, spec in KINDS.items():
        document = published_file(report, kind, None)  # built and stored when missing
        if document is None:
            raise ValueError(f"report {pk}: no {spec.filename}")
        target = directory / spec.filename
        partial = target.with_name(target.name + ".part")
        with document.file.open("rb") as source, partial.open("wb") as sink:
            for chunk in iter(lambda s=source: s.read(1 << 20), b""):
                sink.write(chunk)
        os.replace(partial, target)
