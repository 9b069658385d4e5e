"""One report's official files written to its directory of an export (documents/export.py).

Run in the exporting process (``--jobs 1``) or in a worker (export_worker.py), which imports
this only once Django is set up. Each file is written to a temporary name and renamed when
complete.
"""

from __future__ import annotations

import os
from pathlib import Path

from evaluations.documents.generate import published_file
from evaluations.documents.storage import KINDS
from evaluations.models import Report


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
