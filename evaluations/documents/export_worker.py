"""The worker processes of ``export_documents --jobs N`` (documents/export.py), writing
reports through export_report.py.

Workers are forked from the exporting process (itself one of the N, documents/export.py)
once it has loaded what every worker needs (Django, WeasyPrint, python-docx, openpyxl, the
PDF's stylesheet and faces: ``pdf.warm_up``), so that memory is shared between them rather
than loaded N times: three processes of ~200 MB each were over the 300 MB the export may
take, and each worker wrote and loaded its own copies of the cut faces. Before the fork the parent closes its database connections and PostgreSQL connection
pools: the pool runs on threads a fork does not copy, and a worker forked beside them waited
for ever on their locks. Each worker opens its own connections. ``gc.freeze`` keeps the
collector of a worker from touching (and so copying) the parent's objects.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path

from django.db import connections


@contextmanager
def forked():
    """The multiprocessing context to start the workers with, the parent made ready."""
    # What every worker loads for its first report, loaded once here and shared.
    import docx  # noqa: F401
    import openpyxl  # noqa: F401
    import weasyprint  # noqa: F401

    import evaluations.documents.word  # noqa: F401
    import evaluations.documents.workbook  # noqa: F401
    from evaluations.documents.pdf import warm_up

    warm_up()

    for connection in connections.all(initialized_only=True):
        connection.close()
        if hasattr(connection, "close_pool"):  # PostgreSQL: the pool and its threads
            connection.close_pool()
    gc.collect()
    gc.freeze()
    try:
        yield get_context("fork")
    finally:
        gc.unfreeze()


def write(pk: int, directory: Path) -> None:
    from evaluations.documents.export_report import write_report

    write_report(pk, directory)
