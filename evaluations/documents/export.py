"""A year's official files written to a directory (manage.py export_documents).

One report at a time, each through the same builders as a download, each file written to a
temporary name and renamed when complete; memory holds one report's files at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from evaluations.documents.storage import KINDS, build, published_file
from evaluations.models import Report


def export_year(
    year: int, output: Path, *, department: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    reports = Report.objects.published().filter(fiscal_year__year=year)
    if department:
        reports = reports.filter(department__code=department)
    ids = list(reports.order_by("department__code").values_list("pk", "department__code"))
    for done, (pk, code) in enumerate(ids, start=1):
        report = Report.objects.select_related("department", "fiscal_year").get(pk=pk)
        _write(report, output / code)
        if progress:
            progress(done, len(ids), code)
    return len(ids)


def _write(report: Report, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    stored = {kind: published_file(report, kind, None) for kind in KINDS}
    missing = tuple(kind for kind, document in stored.items() if document is None)
    built = build(report, missing) if missing else {}
    for kind, spec in KINDS.items():
        target = directory / spec.filename
        partial = target.with_name(target.name + ".part")
        if kind in built:
            partial.write_bytes(built[kind])
        else:
            with stored[kind].file.open("rb") as source, partial.open("wb") as sink:
                for chunk in iter(lambda s=source: s.read(1 << 20), b""):
                    sink.write(chunk)
        os.replace(partial, target)
