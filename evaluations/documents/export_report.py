"""One report's official files written to its directory of an export (documents/export.py).

Run in the exporting process (``--jobs 1``) or in a worker forked from it (export_worker.py).
Each file is written to a temporary name and renamed when complete.

Python's cyclic garbage collector is held off while a report is built and run once after it:
a PDF makes hundreds of thousands of short-lived objects (WeasyPrint's boxes), and the
collections they set off, each walking everything the process holds, took about a seventh of
a report's CPU. What survives the first report (modules, fonts, the stylesheet) is frozen out
of later collections (``gc.freeze``); ``thaw`` undoes that when an export ends in-process.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import os
from pathlib import Path

from evaluations.documents.generate import published_file
from evaluations.documents.storage import KINDS
from evaluations.models import Report

_frozen = False  # this process has frozen what its first report left


def write_report(pk: int, directory: Path) -> None:
    global _frozen
    gc.disable()
    try:
        _write(pk, directory)
    finally:
        gc.enable()
        gc.collect()
        if not _frozen:
            gc.freeze()
            _frozen = True
        _give_back()


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc
    except (OSError, AttributeError):
        return None


def _give_back() -> None:
    """Return the heap a report freed to the system (glibc's ``malloc_trim``): two processes
    build at once and each holds ~70 MB at its peak; between reports it need not keep it."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def thaw() -> None:
    """Give the frozen objects back to the collector (an export in the calling process ends)."""
    global _frozen
    if _frozen:
        gc.unfreeze()
        _frozen = False


def _write(pk: int, directory: Path) -> None:
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
